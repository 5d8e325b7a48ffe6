//! Messages as the webmail shows them, parsed with mail-parser: a summary for the list, and
//! the whole message (headers, text or sanitised HTML, attachments) for reading.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_parser::{Address, MessageParser, MessagePart, MimeHeaders, PartType};
use postern_domain::mime;
use time::OffsetDateTime;

use super::sanitize::{Sanitized, sanitize};

/// Pictures of the message itself put in the page as `data:` URLs, at most this much in all.
const INLINE_BUDGET: usize = 4 * 1024 * 1024;

/// What the message list shows of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Names (or addresses) of the senders.
    pub from: String,
    /// Names (or addresses) of the recipients.
    pub to: String,
    pub subject: String,
    /// The `Date` header, if it makes sense.
    pub date: Option<OffsetDateTime>,
}

/// The summary of a message, from its header alone.
pub fn summary(content: &[u8]) -> Summary {
    let end = header_end(content);
    let Some(message) = MessageParser::default().parse_headers(&content[..end]) else {
        return Summary::default();
    };
    Summary {
        from: names(message.from()),
        to: names(message.to()),
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        date: message
            .date()
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.to_timestamp()).ok()),
    }
}

/// Where the header ends (after its blank line), or the whole message if it has no body.
fn header_end(content: &[u8]) -> usize {
    let crlf = content
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4);
    let lf = content.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(content.len()),
    }
}

/// Display names where given, else addresses, comma-separated.
fn names(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .filter_map(|a| {
            a.name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .or(a.address.as_deref())
                .map(str::to_owned)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Name <address>` for each, comma-separated.
fn full(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .filter_map(|a| {
            let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            match (name, a.address.as_deref()) {
                (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
                (None, Some(e)) => Some(e.to_owned()),
                (Some(n), None) => Some(n.to_owned()),
                (None, None) => None,
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The body as it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Plain text, shown as it is (escaped by the template).
    Text(String),
    /// Sanitised HTML, shown in a sandboxed frame.
    Html(Sanitized),
    /// No body at all.
    Empty,
}

/// An attachment, to be downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The MIME part's position in the message.
    pub part: u32,
    pub name: String,
    pub size: usize,
}

/// A message opened for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub date: Option<OffsetDateTime>,
    pub body: Body,
    pub attachments: Vec<Attachment>,
}

/// Parses a whole message; `remote` lets the HTML body's remote images in.
pub fn open(content: &[u8], remote: bool) -> Opened {
    let Some(message) = mime::parse(content) else {
        return Opened {
            from: String::new(),
            to: String::new(),
            cc: String::new(),
            subject: String::new(),
            date: None,
            body: Body::Text(String::from_utf8_lossy(content).into_owned()),
            attachments: Vec::new(),
        };
    };
    let html = message
        .html_part(0)
        .and_then(|p| match &p.body {
            PartType::Html(h) => Some(h.as_ref()),
            _ => None,
        })
        .filter(|h| !h.trim().is_empty());
    let body = match html {
        Some(html) => Body::Html(sanitize(html, inline_images(&message), remote)),
        None => match message.body_text(0) {
            Some(text) => Body::Text(text.into_owned()),
            None => Body::Empty,
        },
    };
    let attachments = message
        .attachments
        .iter()
        .filter_map(|&id| {
            let part = message.part(id)?;
            // Pictures shown in the HTML body are not listed again, unless they have a name.
            if part.content_id().is_some() && part.attachment_name().is_none() && html.is_some() {
                return None;
            }
            Some(Attachment {
                part: id,
                name: attachment_name(part, id),
                size: part.len(),
            })
        })
        .collect();
    Opened {
        from: full(message.from()),
        to: full(message.to()),
        cc: full(message.cc()),
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        date: message
            .date()
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.to_timestamp()).ok()),
        body,
        attachments,
    }
}

/// The name an attachment is shown and saved under.
fn attachment_name(part: &MessagePart<'_>, id: u32) -> String {
    let name = part
        .attachment_name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            part.message()
                .and_then(|m| m.subject())
                .map(|s| format!("{s}.eml"))
        });
    name.unwrap_or_else(|| format!("attachment-{id}"))
}

/// Content-IDs of the message's own pictures, as `data:` URLs.
fn inline_images(message: &mail_parser::Message<'_>) -> HashMap<String, String> {
    let mut budget = INLINE_BUDGET;
    let mut map = HashMap::new();
    for part in &message.parts {
        let Some(id) = part.content_id() else {
            continue;
        };
        let Some(kind) = part.content_type().and_then(|ct| {
            let sub = ct.subtype()?;
            ct.ctype()
                .eq_ignore_ascii_case("image")
                .then(|| format!("image/{}", sub.to_ascii_lowercase()))
        }) else {
            continue;
        };
        if kind == "image/svg+xml" || part.len() > budget {
            continue;
        }
        budget -= part.len();
        let url = format!("data:{kind};base64,{}", STANDARD.encode(part.contents()));
        map.insert(id.trim_matches(|c| c == '<' || c == '>').to_owned(), url);
    }
    map
}

/// An attachment's name and bytes.
pub fn attachment(content: &[u8], part: u32) -> Option<(String, Vec<u8>)> {
    let message = mime::parse(content)?;
    if !message.attachments.contains(&part) {
        return None;
    }
    let p = message.part(part)?;
    Some((attachment_name(p, part), p.contents().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_from_the_header() {
        let m = b"From: =?utf-8?q?Zo=C3=A9?= <zoe@example.org>\r\nTo: a@example.com, \
                  Bob <b@example.com>\r\nSubject: Hello\r\n  there\r\n\
                  Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nFrom: not a header\r\n";
        let s = summary(m);
        assert_eq!(s.from, "Zoé");
        assert_eq!(s.to, "a@example.com, Bob");
        assert_eq!(s.subject, "Hello there");
        assert_eq!(s.date.unwrap().unix_timestamp(), 1_700_000_000);
        assert_eq!(summary(b"garbage"), Summary::default());
    }

    #[test]
    fn text_html_and_attachments() {
        let m = b"From: a@example.com\r\nSubject: Files\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello <b>world</b>\r\n\
            --b\r\nContent-Type: application/pdf; name=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\
            Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
        let o = open(m, false);
        assert_eq!(o.body, Body::Text("Hello <b>world</b>".into()));
        assert_eq!(o.attachments.len(), 1);
        assert_eq!(o.attachments[0].name, "report.pdf");
        let (name, bytes) = attachment(m, o.attachments[0].part).unwrap();
        assert_eq!(
            (name.as_str(), bytes.as_slice()),
            ("report.pdf", &b"%PDF-"[..])
        );
        assert!(attachment(m, 0).is_none(), "the root is not an attachment");

        let h = b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n\
                  <p onclick=\"x()\">Hi<img src=\"http://t.example/p.gif\"></p>";
        let o = open(h, false);
        let Body::Html(s) = o.body else {
            panic!("an HTML body")
        };
        assert_eq!(s.html, "<p>Hi<img></p>");
        assert_eq!(s.remote_blocked, 1);
    }

    #[test]
    fn inline_pictures_become_data_urls() {
        let m = b"From: a@example.com\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/related; boundary=r\r\n\r\n\
            --r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@x\">\r\n\
            --r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n\
            Content-Transfer-Encoding: base64\r\n\r\niVBORw0=\r\n--r--\r\n";
        let o = open(m, false);
        let Body::Html(s) = o.body else {
            panic!("an HTML body")
        };
        assert_eq!(s.html, "<img src=\"data:image/png;base64,iVBORw0=\">");
        assert!(o.attachments.is_empty(), "{:?}", o.attachments);
    }
}
