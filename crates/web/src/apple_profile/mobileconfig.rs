//! Apple configuration profiles (`.mobileconfig`): one Mail account with its incoming and
//! outgoing servers and the device password, for iPhone, iPad and Mac.
//!
//! The profile is written with the `plist` crate; its identifier is derived from the device,
//! so installing a profile made after a reset replaces the one installed before.

use plist::{Dictionary, Value};
use postern_domain::model::Device;
use postern_domain::{DomainError, Protocol, ProtocolSet};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{WebError, WebResult};
use crate::settings::MailServer;

/// The servers a profile names: where mail is read, and where it is sent.
#[derive(Clone, Copy, Debug)]
pub struct ProfileServers<'a> {
    pub incoming: &'a MailServer,
    pub outgoing: &'a MailServer,
}

/// The servers a profile for a device with `protocols` would name, if the server has them:
/// IMAP (else POP3) to read, SMTP to send, implicit TLS before STARTTLS.
pub fn servers_for(servers: &[MailServer], protocols: ProtocolSet) -> Option<ProfileServers<'_>> {
    let first = |name: &str| servers.iter().find(|s| s.protocol == name);
    let incoming = if protocols.contains(Protocol::Imap) {
        first("IMAP").or_else(|| protocols.contains(Protocol::Pop3).then(|| first("POP3"))?)
    } else if protocols.contains(Protocol::Pop3) {
        first("POP3")
    } else {
        None
    }?;
    let outgoing = protocols
        .contains(Protocol::Smtp)
        .then(|| first("SMTP"))??;
    Some(ProfileServers { incoming, outgoing })
}

/// Whether the server can make a profile at all.
pub fn available(servers: &[MailServer]) -> bool {
    servers_for(servers, ProtocolSet::ALL).is_some()
}

/// `hostname` reversed, for identifiers such as `com.example.mail.postern`.
fn reverse_dns(hostname: &str) -> String {
    let labels: Vec<String> = hostname
        .split('.')
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        })
        .rev()
        .collect();
    if labels.is_empty() {
        "localhost".into()
    } else {
        labels.join(".")
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn port(n: u16) -> Value {
    Value::Integer(i64::from(n).into())
}

/// The profile of `device` with `password`, as XML bytes.
pub fn mobileconfig(
    servers: ProfileServers<'_>,
    device: &Device,
    password: &SecretString,
) -> WebResult<Vec<u8>> {
    let email = device.email.to_string();
    let hostname = servers.incoming.host.as_str();
    let base = format!("{}.postern.device.{}", reverse_dns(hostname), device.id);
    let (incoming, outgoing) = (servers.incoming, servers.outgoing);

    let mut mail = Dictionary::new();
    let mut put = |k: &str, v: Value| {
        mail.insert(k.to_owned(), v);
    };
    put("PayloadType", text("com.apple.mail.managed"));
    put("PayloadVersion", Value::Integer(1.into()));
    put("PayloadIdentifier", text(format!("{base}.mail")));
    put(
        "PayloadUUID",
        text(uuid::Uuid::now_v7().hyphenated().to_string()),
    );
    put("PayloadDisplayName", text(format!("Mail: {email}")));
    put(
        "PayloadDescription",
        text(format!("The mail account {email}")),
    );
    put("EmailAccountDescription", text(email.clone()));
    put(
        "EmailAccountType",
        text(match incoming.protocol {
            "POP3" => "EmailTypePOP",
            _ => "EmailTypeIMAP",
        }),
    );
    put("EmailAddress", text(email.clone()));
    put(
        "IncomingMailServerAuthentication",
        text("EmailAuthPassword"),
    );
    put("IncomingMailServerHostName", text(incoming.host.clone()));
    put("IncomingMailServerPortNumber", port(incoming.port));
    // Every listener Postern advertises is encrypted: Mail speaks TLS from the start on an
    // implicit-TLS port and upgrades with STARTTLS on the others.
    put("IncomingMailServerUseSSL", Value::Boolean(true));
    put("IncomingMailServerUsername", text(email.clone()));
    put("IncomingPassword", text(password.expose_secret()));
    put(
        "OutgoingMailServerAuthentication",
        text("EmailAuthPassword"),
    );
    put("OutgoingMailServerHostName", text(outgoing.host.clone()));
    put("OutgoingMailServerPortNumber", port(outgoing.port));
    put("OutgoingMailServerUseSSL", Value::Boolean(true));
    put("OutgoingMailServerUsername", text(email.clone()));
    put("OutgoingPassword", text(password.expose_secret()));
    put(
        "OutgoingPasswordSameAsIncomingPassword",
        Value::Boolean(true),
    );
    put("PreventMove", Value::Boolean(false));
    put("PreventAppSheet", Value::Boolean(false));
    put("SMIMEEnabled", Value::Boolean(false));
    put("allowMailDrop", Value::Boolean(true));

    let mut top = Dictionary::new();
    let mut put = |k: &str, v: Value| {
        top.insert(k.to_owned(), v);
    };
    put(
        "PayloadContent",
        Value::Array(vec![Value::Dictionary(mail)]),
    );
    put("PayloadType", text("Configuration"));
    put("PayloadVersion", Value::Integer(1.into()));
    put("PayloadIdentifier", text(base));
    put(
        "PayloadUUID",
        text(uuid::Uuid::now_v7().hyphenated().to_string()),
    );
    put(
        "PayloadDisplayName",
        text(format!("{email} ({})", device.description)),
    );
    put(
        "PayloadDescription",
        text(format!(
            "Adds {email} to Mail with the password of the device “{}”.",
            device.description
        )),
    );
    put("PayloadOrganization", text(hostname));
    put("PayloadRemovalDisallowed", Value::Boolean(false));

    let mut bytes = Vec::with_capacity(4096);
    Value::Dictionary(top)
        .to_writer_xml(&mut bytes)
        .map_err(|e| WebError::Domain(DomainError::Internal(format!("writing a profile: {e}"))))?;
    Ok(bytes)
}

/// A file name for the profile of `email`, safe in a `Content-Disposition` header.
pub fn file_name(email: &str) -> String {
    let safe: String = email
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}.mobileconfig")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Security;

    fn server(protocol: &'static str, port: u16, security: Security) -> MailServer {
        MailServer {
            protocol,
            host: "mail.example.com".into(),
            port,
            security,
        }
    }

    #[test]
    fn chooses_imap_then_pop3_and_needs_smtp() {
        let all = vec![
            server("IMAP", 993, Security::Tls),
            server("SMTP", 465, Security::Tls),
            server("POP3", 995, Security::Tls),
        ];
        let s = servers_for(&all, ProtocolSet::ALL).unwrap();
        assert_eq!((s.incoming.port, s.outgoing.port), (993, 465));
        let s = servers_for(&all, ProtocolSet::parse("pop3,smtp").unwrap()).unwrap();
        assert_eq!(s.incoming.port, 995);
        assert!(servers_for(&all, ProtocolSet::parse("imap,pop3").unwrap()).is_none());
        assert!(servers_for(&all, ProtocolSet::parse("smtp,webmail").unwrap()).is_none());
        assert!(!available(&all[..1]));
        assert!(available(&all));
    }

    #[test]
    fn names_are_safe() {
        assert_eq!(reverse_dns("mail.example.com"), "com.example.mail");
        assert_eq!(reverse_dns("local host"), "local-host");
        assert_eq!(file_name("a+b@x.org"), "a-b-x.org.mobileconfig");
    }
}
