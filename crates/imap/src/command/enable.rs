//! ENABLE (RFC 5161): no extension here needs enabling, so none is.

use imap_codec::imap_types::response::Data;
use imap_next::server::Server;

use crate::error::{Done, Outcome};

pub(crate) fn run(server: &mut Server) -> Outcome {
    server.enqueue_data(Data::Enabled {
        capabilities: Vec::new(),
    });
    Ok(Done::ok("ENABLE completed"))
}
