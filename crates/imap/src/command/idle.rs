//! IDLE (RFC 2177): changes to the selected mailbox are told as they happen; the driver
//! wakes the session when the mailbox changes.

use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::{CommandContinuationRequest, StatusKind};
use imap_next::server::Server;

use crate::error::Done;
use crate::responses::{tagged, text};
use crate::session::Session;
use crate::session::selected::{self, Expunges};

pub(crate) async fn start(s: &mut Session, server: &mut Server, tag: Tag<'static>) {
    let Some(idle) = s.state.idle_slot() else {
        let _ = server.idle_reject(tagged(tag, StatusKind::Bad, None, "Sign in first"));
        return;
    };
    let go_on = match CommandContinuationRequest::basic(None, text("idling")) {
        Ok(go_on) => go_on,
        // imap-types refuses a text that could be read as base64; "idling" is none, and a
        // bare `+` would serve as well (RFC 2177 asks only for a continuation request).
        Err(_) => CommandContinuationRequest::base64(&b""[..]),
    };
    if server.idle_accept(go_on).is_ok() {
        *idle = Some(tag);
        selected::sync(s, server, Expunges::Send).await;
    }
}

pub(crate) async fn done(s: &mut Session, server: &mut Server) {
    if let Some(tag) = s.state.idle_slot().and_then(Option::take) {
        selected::sync(s, server, Expunges::Send).await;
        server.enqueue_status(Done::ok("IDLE terminated").status(tag));
    }
}
