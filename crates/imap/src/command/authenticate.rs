//! AUTHENTICATE PLAIN (RFC 3501 6.2.2, RFC 4616), with SASL-IR (RFC 4959).

use std::borrow::Cow;

use imap_codec::imap_types::auth::{AuthMechanism, AuthenticateData};
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::CommandContinuationRequest;
use imap_next::server::Server;
use imap_next::types::CommandAuthenticate;

use super::login::sign_in;
use crate::error::Refusal;
use crate::responses::bad;
use crate::session::Session;

/// The AUTHENTICATE command arrived; imap-next waits for us to continue or finish.
pub(crate) async fn start(s: &mut Session, server: &mut Server, command: CommandAuthenticate) {
    let CommandAuthenticate {
        tag,
        mechanism,
        initial_response,
    } = command;
    let plaintext_allowed = s.capability_state().plaintext_allowed();
    let waiting = match s.state.not_authenticated() {
        None => Err(Refusal::bad("Already signed in")),
        Some(_) if mechanism != AuthMechanism::Plain => Err(Refusal::no(
            "CANNOT",
            "Unsupported authentication mechanism",
        )),
        Some(_) if !plaintext_allowed => Err(Refusal::no(
            "PRIVACYREQUIRED",
            "Use STARTTLS before signing in",
        )),
        Some(pre) => Ok(pre),
    };
    let pre = match waiting {
        Ok(pre) => pre,
        Err(refusal) => {
            let _ = server.authenticate_finish(refusal.status(tag));
            return;
        }
    };
    match initial_response {
        Some(response) => finish_plain(s, server, tag, response.declassify()).await,
        None => {
            pre.auth_tag = Some(tag);
            let go_on = CommandContinuationRequest::base64(Cow::Borrowed(&b""[..]));
            let _ = server.authenticate_continue(go_on);
        }
    }
}

/// The client's SASL response (or `*` to cancel).
pub(crate) async fn data(s: &mut Session, server: &mut Server, data: AuthenticateData<'static>) {
    let Some(tag) = s.state.not_authenticated().and_then(|p| p.auth_tag.take()) else {
        let _ = server.authenticate_finish(bad(None, "Unexpected SASL data"));
        return;
    };
    match data {
        AuthenticateData::Continue(response) => {
            finish_plain(s, server, tag, response.declassify()).await;
        }
        AuthenticateData::Cancel => {
            let _ = server.authenticate_finish(bad(Some(tag), "Authentication cancelled"));
        }
    }
}

/// PLAIN: `[authzid] NUL authcid NUL password`; the authzid must be empty or the authcid.
fn parse_plain(data: &[u8]) -> Option<(String, String)> {
    let mut parts = data.split(|b| *b == 0);
    let (authz, authc, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || (!authz.is_empty() && authz != authc) {
        return None;
    }
    Some((
        String::from_utf8(authc.to_vec()).ok()?,
        String::from_utf8(password.to_vec()).ok()?,
    ))
}

async fn finish_plain(s: &mut Session, server: &mut Server, tag: Tag<'static>, data: &[u8]) {
    let status = match parse_plain(data) {
        Some((user, password)) => match sign_in(s, &user, &password).await {
            Ok(done) => done.status(tag),
            Err(refusal) => refusal.status(tag),
        },
        None => {
            s.state.failed_sign_in();
            Refusal::bad("Malformed PLAIN response").status(tag)
        }
    };
    let _ = server.authenticate_finish(status);
}

#[cfg(test)]
mod tests {
    use super::parse_plain;

    #[test]
    fn plain_responses() {
        assert_eq!(
            parse_plain(b"\0a@b.c\0pw"),
            Some(("a@b.c".into(), "pw".into()))
        );
        assert_eq!(
            parse_plain(b"a@b.c\0a@b.c\0pw"),
            Some(("a@b.c".into(), "pw".into()))
        );
        assert_eq!(parse_plain(b"x@b.c\0a@b.c\0pw"), None);
        assert_eq!(parse_plain(b"a@b.c\0pw"), None);
        assert_eq!(parse_plain(b"\0a\0b\0c"), None);
    }
}
