//! Who a submitted message says it is from. The envelope sender is checked at `MAIL FROM`,
//! but what a reader's mail program shows is the `From:` header (and `Sender:`), so every
//! address in them must be one the signed-in address may send as: itself. The one rule for
//! SMTP submission and the webmail.

use std::fmt;

use mail_parser::{HeaderName, HeaderValue, MessageParser};

use crate::email::Email;

/// Why a message may not leave as it is: a sentence for the person who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgedAuthor(String);

impl fmt::Display for ForgedAuthor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ForgedAuthor {}

/// Whether `signed_in` may send as `address`.
pub fn may_send_as(signed_in: &Email, address: &str) -> bool {
    Email::parse(address).is_ok_and(|a| &a == signed_in)
}

/// Checks every address of every `From:` and `Sender:` header of `message` against the
/// signed-in address. A header that names no address at all (a bare display name, a value
/// that does not parse) is refused too: a reader would see a name nobody vouched for.
pub fn check_authors(signed_in: &Email, message: &[u8]) -> Result<(), ForgedAuthor> {
    // Headers only: a large body is not parsed for nothing. A message with no headers at all
    // names nobody, so it forges nobody either.
    let Some(parsed) = MessageParser::new().parse_headers(message) else {
        return Ok(());
    };
    for (name, field) in [(HeaderName::From, "From"), (HeaderName::Sender, "Sender")] {
        for value in parsed.header_values(name) {
            let addresses: Vec<Option<&str>> = match value {
                HeaderValue::Address(list) => list.iter().map(|a| a.address()).collect(),
                _ => Vec::new(),
            };
            if addresses.is_empty() || addresses.contains(&None) {
                return Err(ForgedAuthor(format!(
                    "The {field}: header must name your address <{signed_in}>"
                )));
            }
            if let Some(other) = addresses
                .into_iter()
                .flatten()
                .find(|a| !may_send_as(signed_in, a))
            {
                let shown: String = other
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(256)
                    .collect();
                return Err(ForgedAuthor(format!(
                    "The {field}: header names <{shown}>, which is not yours: send as <{signed_in}>"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message: &str) -> Result<(), ForgedAuthor> {
        check_authors(
            &Email::parse("mallory@example.test").unwrap(),
            message.as_bytes(),
        )
    }

    #[test]
    fn the_own_address_passes_in_any_form() {
        assert!(check("From: mallory@example.test\r\n\r\nHi\r\n").is_ok());
        assert!(check("From: \"Mallory M.\" <Mallory@Example.TEST>\r\n\r\nHi\r\n").is_ok());
        assert!(
            check(
                "From: Mallory <mallory@example.test>\r\nSender: mallory@example.test\r\n\r\nHi\r\n"
            )
            .is_ok()
        );
        assert!(check("Subject: no From at all\r\n\r\nHi\r\n").is_ok());
    }

    #[test]
    fn another_address_anywhere_is_refused() {
        let forged = [
            "From: Admin <admin@example.test>\r\n\r\nHi\r\n",
            "FROM: admin@example.test\r\n\r\nHi\r\n",
            "From: mallory@example.test, admin@example.test\r\n\r\nHi\r\n",
            "From: mallory@example.test\r\nFrom: admin@example.test\r\n\r\nHi\r\n",
            "From: mallory@example.test\r\nSender: admin@example.test\r\n\r\nHi\r\n",
            "From: Team: mallory@example.test, admin@example.test;\r\n\r\nHi\r\n",
            "From: =?utf-8?q?Admin?= <admin@example.test>\r\n\r\nHi\r\n",
        ];
        for message in forged {
            let e = check(message).expect_err(message);
            assert!(e.to_string().contains("admin@example.test"), "{e}");
            assert!(e.to_string().contains("<mallory@example.test>"), "{e}");
        }
        for message in [
            "From: Admin\r\n\r\nHi\r\n",
            "From:\r\n\r\nHi\r\n",
            "Sender: The Administrator\r\nFrom: mallory@example.test\r\n\r\nHi\r\n",
        ] {
            assert!(check(message).is_err(), "{message}");
        }
    }
}
