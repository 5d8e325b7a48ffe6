//! NAMESPACE (RFC 2342): one personal namespace, no prefix, `/` between levels.

use imap_codec::imap_types::core::{IString, Quoted, QuotedChar};
use imap_codec::imap_types::extensions::namespace::Namespace;
use imap_codec::imap_types::response::Data;
use imap_next::server::Server;

use crate::error::{Done, Outcome};
use crate::names::DELIMITER;

pub(crate) fn run(server: &mut Server) -> Outcome {
    let prefix = IString::from(Quoted::unvalidated(""));
    let personal = vec![Namespace::new(prefix, QuotedChar::try_from(DELIMITER).ok())];
    server.enqueue_data(Data::Namespace {
        personal,
        other: Vec::new(),
        shared: Vec::new(),
    });
    Ok(Done::ok("NAMESPACE completed"))
}
