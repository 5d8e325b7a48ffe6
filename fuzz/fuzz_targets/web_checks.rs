//! What every decoded web or API request must satisfy, shared by `web_forms` and
//! `api_requests`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use postern_domain::{Description, DeviceId, Email, Login, ProtocolSet};
use postern_web::WebResult;
use postern_web::decode::Decoded;
use secrecy::ExposeSecret;

/// Runs a decoder to its end. Decoding reads a body already in memory, so it must finish at
/// the first poll: waiting would mean it waits for I/O.
pub fn now<T>(decoder: impl Future<Output = T>) -> T {
    let mut decoder = pin!(decoder);
    match decoder
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("a decoder waited"),
    }
}

/// A refusal is the client's fault (4xx), never the server's; what was accepted holds only
/// well-formed values that read back as themselves.
pub fn check(outcome: WebResult<Decoded>) {
    let decoded = match outcome {
        Ok(decoded) => decoded,
        Err(e) => {
            assert!(
                e.status().is_client_error(),
                "refused with {}: {e}",
                e.status()
            );
            return;
        }
    };
    if let Some(next) = &decoded.next {
        assert!(next.starts_with('/'), "next {next:?} is not a path");
        assert!(
            !next.starts_with("//") && !next.starts_with("/\\"),
            "next {next:?} leaves the site"
        );
        assert!(
            !next.chars().any(char::is_control),
            "next {next:?} has control characters"
        );
    }
    if let Some(login) = &decoded.login {
        assert_eq!(
            Login::parse(login.as_str())
                .ok()
                .as_ref()
                .map(Login::as_str),
            Some(login.as_str())
        );
    }
    if let Some(email) = &decoded.email {
        check_email(email);
    }
    if let Some(description) = &decoded.description {
        let text = description.as_str();
        let chars = text.chars().count();
        assert!(
            (1..=Description::MAX_CHARS).contains(&chars),
            "{chars} characters"
        );
        assert_eq!(text.trim(), text);
        assert!(!text.chars().any(char::is_control));
        assert_eq!(Description::parse(text).ok().as_ref(), Some(description));
    }
    if let Some(protocols) = decoded.protocols {
        check_protocols(protocols);
    }
    if let Some(id) = decoded.device {
        check_device_id(id);
    }
    if let Some(password) = &decoded.device_password {
        let canonical = password.canonical();
        let canonical = canonical.expose_secret();
        assert_eq!(canonical.len(), 24);
        let again = postern_domain::DevicePassword::parse(canonical).ok();
        assert_eq!(
            again
                .as_ref()
                .map(|p| p.canonical().expose_secret().to_owned())
                .as_deref(),
            Some(canonical)
        );
        let shown = password.display();
        let again = postern_domain::DevicePassword::parse(shown.expose_secret()).ok();
        assert_eq!(
            again
                .as_ref()
                .map(|p| p.canonical().expose_secret().to_owned())
                .as_deref(),
            Some(canonical)
        );
    }
}

/// A parsed address is lower case, within RFC 5321's lengths, and parses to itself.
pub fn check_email(email: &Email) {
    let text = email.as_str();
    assert!(text.len() <= 254);
    assert_eq!(text, text.to_ascii_lowercase());
    assert_eq!(Email::parse(text).ok().as_ref(), Some(email));
    assert_eq!(format!("{}@{}", email.local_part(), email.domain()), text);
}

/// A parsed set of protocols is not empty and reads back from its names.
pub fn check_protocols(protocols: ProtocolSet) {
    let names = protocols.to_names();
    assert!(!names.is_empty());
    assert_eq!(ProtocolSet::parse(&names.join(",")).ok(), Some(protocols));
}

/// A device id reads back from its text.
pub fn check_device_id(id: DeviceId) {
    assert_eq!(DeviceId::parse(&id.to_string()).ok(), Some(id));
}
