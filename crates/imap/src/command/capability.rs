//! CAPABILITY (RFC 3501 6.1.1).

use imap_codec::imap_types::response::Data;
use imap_next::server::Server;

use crate::error::{Done, Outcome};
use crate::responses::capabilities;
use crate::session::Session;

pub(crate) fn run(s: &Session, server: &mut Server) -> Outcome {
    server.enqueue_data(Data::Capability(capabilities(s.capability_state())));
    Ok(Done::ok("CAPABILITY completed"))
}
