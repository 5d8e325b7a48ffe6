//! A new message from the compose form: its recipients parsed, and the message built with
//! proper headers (RFC 5322, RFC 2047 for words that are not ASCII, MIME) by mail-builder.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::date::Date;
use postern_domain::Email;
use time::OffsetDateTime;

/// The longest subject accepted, in characters.
pub const MAX_SUBJECT_CHARS: usize = 500;

/// The addresses of a `To` or `Cc` field: separated by commas, semicolons or line breaks,
/// each bare or as `Name <address>`. Repeats are dropped. The error names what is wrong.
pub fn recipients(field: &str) -> Result<Vec<Email>, String> {
    let mut out: Vec<Email> = Vec::new();
    for item in field.split([',', ';', '\n']) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let address = match (item.rfind('<'), item.rfind('>')) {
            (Some(open), Some(close)) if open < close => &item[open + 1..close],
            _ => item,
        };
        let email = Email::parse(address.trim())
            .map_err(|_| format!("“{item}” is not an email address."))?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    Ok(out)
}

/// A subject on one line.
pub fn subject_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// What the compose form sends.
pub struct Draft<'a> {
    pub from: &'a Email,
    pub to: &'a [Email],
    pub cc: &'a [Email],
    pub subject: &'a str,
    pub text: &'a str,
    pub date: OffsetDateTime,
    /// A unique `local@host` for the `Message-ID` header.
    pub message_id: &'a str,
}

/// The message, ready for delivery: CRLF line ends, text/plain in UTF-8.
pub fn build(draft: &Draft<'_>) -> std::io::Result<Vec<u8>> {
    let list = |emails: &[Email]| {
        Address::new_list(
            emails
                .iter()
                .map(|e| Address::new_address(None::<&str>, e.as_str().to_owned()))
                .collect(),
        )
    };
    // Line ends as the form sends them (CRLF or LF) become CRLF in the message.
    let text = draft.text.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut builder = MessageBuilder::new()
        .from(Address::new_address(
            None::<&str>,
            draft.from.as_str().to_owned(),
        ))
        .message_id(draft.message_id.to_owned())
        .date(Date::new(draft.date.unix_timestamp()))
        .subject(subject_line(draft.subject))
        .text_body(text);
    if !draft.to.is_empty() {
        builder = builder.to(list(draft.to));
    }
    if !draft.cc.is_empty() {
        builder = builder.cc(list(draft.cc));
    }
    builder.write_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{MessageParser, MimeHeaders};

    #[test]
    fn recipients_are_parsed_and_named_when_wrong() {
        let r = recipients("a@example.com, Bob <b@example.org>;\nA@example.com ,").unwrap();
        let r: Vec<&str> = r.iter().map(Email::as_str).collect();
        assert_eq!(r, ["a@example.com", "b@example.org"]);
        assert_eq!(recipients("  ").unwrap(), Vec::<Email>::new());
        assert_eq!(
            recipients("a@example.com, nobody").unwrap_err(),
            "“nobody” is not an email address."
        );
    }

    #[test]
    fn builds_a_message_that_parses_back() {
        let from = Email::parse("zoe@example.com").unwrap();
        let to = recipients("bob@example.org").unwrap();
        let cc = recipients("ann@example.net, cy@example.net").unwrap();
        let raw = build(&Draft {
            from: &from,
            to: &to,
            cc: &cc,
            subject: "Café\r\nBcc: evil@example.com",
            text: "Line one\nLigne deux: été\n.\n",
            date: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            message_id: "abc@mail.example.com",
        })
        .unwrap();
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(text.contains("MIME-Version: 1.0\r\n"), "{text}");
        assert!(
            text.contains("Message-ID: <abc@mail.example.com>\r\n"),
            "{text}"
        );
        assert!(!text.contains("\nBcc:"), "no header injection: {text}");
        assert!(text.contains("=?utf-8?"), "RFC 2047 subject: {text}");
        assert!(
            text.lines().all(|l| l.len() <= 998),
            "no line longer than RFC 5322 allows"
        );
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF only");
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.subject(), Some("Café  Bcc: evil@example.com"));
        assert_eq!(
            m.from().unwrap().first().unwrap().address.as_deref(),
            Some("zoe@example.com")
        );
        assert_eq!(m.to().unwrap().iter().count(), 1);
        assert_eq!(m.cc().unwrap().iter().count(), 2);
        assert_eq!(m.date().unwrap().to_timestamp(), 1_700_000_000);
        assert_eq!(
            m.body_text(0).unwrap(),
            "Line one\r\nLigne deux: été\r\n.\r\n"
        );
        let ct = m.root_part().content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
        assert_eq!(ct.attribute("charset"), Some("utf-8"));
    }
}
