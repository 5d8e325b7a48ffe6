//! LOGIN (RFC 3501 6.2.3): user name = the full address, password = a device password
//! allowed for IMAP.

use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::response::Code;
use imap_codec::imap_types::secret::Secret;
use postern_domain::Protocol;

use crate::error::{Done, Outcome, Refusal};
use crate::responses::capabilities;
use crate::session::Session;

pub(crate) async fn run(
    s: &mut Session,
    username: &AString<'_>,
    password: &Secret<AString<'_>>,
) -> Outcome {
    if !s.capability_state().plaintext_allowed() {
        return Err(Refusal::no(
            "PRIVACYREQUIRED",
            "Use STARTTLS before signing in",
        ));
    }
    let user = String::from_utf8_lossy(username.as_ref()).into_owned();
    let pass = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
    sign_in(s, &user, &pass).await
}

/// Checks the device password and enters the authenticated state.
pub(crate) async fn sign_in(s: &mut Session, user: &str, password: &str) -> Outcome {
    match s
        .core
        .verify(user, password, Protocol::Imap, s.info.ip)
        .await
    {
        Ok(mut signed_in) => {
            if let Some(client) = s.state.not_authenticated().and_then(|p| p.client_id.take()) {
                s.core.record_client(&mut signed_in, &client).await;
            }
            // The count of failures stays behind with the unauthenticated state.
            s.state.sign_in(Box::new(signed_in));
            Ok(Done::with(
                Code::Capability(capabilities(s.capability_state())),
                "Signed in",
            ))
        }
        Err(e) => {
            s.state.failed_sign_in();
            Err(Refusal::from(e))
        }
    }
}
