//! ENVELOPE (RFC 3501 7.4.2): the raw header values (clients decode RFC 2047 themselves)
//! and the parsed addresses.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use imap_codec::imap_types::core::NString;
use imap_codec::imap_types::envelope::{Address, Envelope};
use mail_parser::{Addr, HeaderValue};

use super::{View, fields, nstring};

/// The unfolded value of the first field called `name`.
fn raw_value(header: &[u8], name: &str) -> Option<Vec<u8>> {
    let (_, field) = fields(header)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))?;
    let colon = field.iter().position(|b| *b == b':')?;
    let value: Vec<u8> = field[colon + 1..]
        .iter()
        .copied()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect();
    let trimmed = value.trim_ascii();
    (!trimmed.is_empty()).then(|| trimmed.to_vec())
}

/// A display name as sent: plain ASCII as it is, anything else as an RFC 2047 word.
fn encoded_name(name: &str) -> Vec<u8> {
    if name.is_ascii() {
        name.as_bytes().to_vec()
    } else {
        format!("=?utf-8?b?{}?=", STANDARD.encode(name.as_bytes())).into_bytes()
    }
}

fn address(a: &Addr<'_>) -> Address<'static> {
    // An obsolete source route (`<@route:user@domain>`, RFC 5322 4.4) is the address's adl.
    let (adl, addr) = match a.address.as_deref() {
        Some(addr) if addr.starts_with('@') => match addr.split_once(':') {
            Some((route, rest)) => (Some(route), Some(rest)),
            None => (None, Some(addr)),
        },
        other => (None, other),
    };
    let (mailbox, host) = match addr {
        Some(addr) => match addr.rsplit_once('@') {
            Some((local, host)) => (Some(local.as_bytes()), Some(host.as_bytes())),
            None => (Some(addr.as_bytes()), None),
        },
        None => (None, None),
    };
    Address {
        name: nstring(a.name.as_deref().map(encoded_name).as_deref()),
        adl: nstring(adl.map(str::as_bytes)),
        mailbox: nstring(mailbox),
        host: nstring(host),
    }
}

/// Addresses of a header, groups as RFC 3501 marks them (start with the group name and no
/// host, end with neither).
fn addresses(value: Option<&HeaderValue<'_>>) -> Vec<Address<'static>> {
    let mut out = Vec::new();
    match value {
        Some(HeaderValue::Address(mail_parser::Address::List(list))) => {
            out.extend(list.iter().filter(|a| a.address.is_some()).map(address));
        }
        Some(HeaderValue::Address(mail_parser::Address::Group(groups))) => {
            for group in groups {
                match &group.name {
                    Some(name) => {
                        out.push(Address {
                            name: NString(None),
                            adl: NString(None),
                            mailbox: nstring(Some(&encoded_name(name))),
                            host: NString(None),
                        });
                        // A comment alone (`group2: (foo) ;`) is no address.
                        out.extend(
                            group
                                .addresses
                                .iter()
                                .filter(|a| a.address.is_some())
                                .map(address),
                        );
                        out.push(Address {
                            name: NString(None),
                            adl: NString(None),
                            mailbox: NString(None),
                            host: NString(None),
                        });
                    }
                    None => out.extend(
                        group
                            .addresses
                            .iter()
                            .filter(|a| a.address.is_some())
                            .map(address),
                    ),
                }
            }
        }
        _ => {}
    }
    out
}

/// The envelope of a message level.
pub(crate) fn envelope(view: View<'_>) -> Envelope<'static> {
    let header = view.root().header_bytes();
    let root = view.msg.parts.first();
    let get = |name: &'static str| {
        root.and_then(|p| {
            p.headers
                .iter()
                .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
                .map(|h| &h.value)
        })
    };
    let raw = |name: &str| nstring(raw_value(header, name).as_deref());
    let from = addresses(get("From"));
    let sender = match addresses(get("Sender")) {
        list if list.is_empty() => from.clone(),
        list => list,
    };
    let reply_to = match addresses(get("Reply-To")) {
        list if list.is_empty() => from.clone(),
        list => list,
    };
    Envelope {
        date: raw("Date"),
        subject: raw("Subject"),
        from,
        sender,
        reply_to,
        to: addresses(get("To")),
        cc: addresses(get("Cc")),
        bcc: addresses(get("Bcc")),
        in_reply_to: raw("In-Reply-To"),
        message_id: raw("Message-ID"),
    }
}
