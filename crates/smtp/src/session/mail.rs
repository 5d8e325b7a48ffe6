//! MAIL FROM: the envelope sender. On submission it must be the signed-in address.

use std::borrow::Cow;

use postern_domain::Email;
use postern_domain::author::may_send_as;
use smtp_proto::MailFrom;

use super::{Event, Session};
use crate::settings::Mode;

impl Session {
    pub(super) fn mail(&mut self, from: MailFrom<String>) -> Option<Event> {
        if self.hello.is_none() {
            return self.fail(503, self.hello_first());
        }
        if self.mode == Mode::Submission && self.signed_in.is_none() {
            return self.fail(530, "5.7.0 Authentication required");
        }
        if self.sender.is_some() {
            return self.fail(503, "5.5.1 Sender already given");
        }
        if from.size > self.settings.max_message_bytes {
            let text = self.too_big_text();
            return self.fail(552, &text);
        }
        if let Some(signed_in) = &self.signed_in {
            if !may_send_as(signed_in, &from.address) {
                let text = format!(
                    "5.7.1 Sender address <{}> is not yours: send as <{signed_in}>",
                    printable(&from.address)
                );
                return self.fail(553, &text);
            }
        } else if !from.address.is_empty() && Email::parse(&from.address).is_err() {
            return self.fail(501, "5.1.7 Invalid sender address");
        }
        let text = format!("2.1.0 Sender <{}> OK", printable(&from.address));
        self.sender = Some(from.address);
        self.ok(250, &text)
    }
}

/// An address as it may be echoed in a reply: every character that does not belong in a
/// reply line (controls, spaces, anything not ASCII) shown as `?`, so that the address is
/// never silently shortened to another one; at most 256 characters.
pub(super) fn printable(address: &str) -> String {
    address
        .chars()
        .take(256)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

/// A MAIL command with its SIZE parameter made safe for smtp-proto.
///
/// smtp-proto saturates a SIZE of more than 19 digits and then starts again from the next
/// digit, so `SIZE=99999999999999999999999` reads as 9 and would pass the limit. A SIZE made
/// of digits and beyond `max` (whether or not it fits in a number) is put to `max + 1`
/// before the command is parsed, so that every one of them gets the same 552; any other
/// line is left as it is (a SIZE that is not digits stays a syntax error, 501).
pub(super) fn clamp_size(line: &[u8], max: usize) -> Cow<'_, [u8]> {
    let is_mail = line
        .get(..5)
        .is_some_and(|verb| verb.eq_ignore_ascii_case(b"MAIL "));
    if !is_mail {
        return Cow::Borrowed(line);
    }
    let words: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
    // Parameters follow the reverse path, the first word that closes an angle bracket.
    let Some(path) = words.iter().position(|w| w.contains(&b'>')) else {
        return Cow::Borrowed(line);
    };
    let over = format!("SIZE={}", max.saturating_add(1));
    let mut changed = false;
    let mut out = Vec::with_capacity(line.len() + over.len());
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let digits = word
            .get(..5)
            .filter(|key| i > path && key.eq_ignore_ascii_case(b"SIZE="))
            .and_then(|_| word.get(5..))
            .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit));
        match digits {
            Some(digits) if !within(digits, max) => {
                changed = true;
                out.extend_from_slice(over.as_bytes());
            }
            _ => out.extend_from_slice(word),
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    }
}

/// Whether a run of ASCII digits is a number no greater than `max`.
fn within(digits: &[u8], max: usize) -> bool {
    digits
        .iter()
        .try_fold(0usize, |n, d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })
        .is_some_and(|n| n <= max)
}

#[cfg(test)]
mod tests {
    use super::{clamp_size, printable};

    fn clamped(line: &str) -> String {
        String::from_utf8(clamp_size(line.as_bytes(), 1000).into_owned()).unwrap()
    }

    #[test]
    fn a_size_beyond_the_limit_is_put_just_over_it() {
        for size in ["1001", "18446744073709551615", "18446744073709551616"] {
            let line = format!("MAIL FROM:<a@example.test> SIZE={size} BODY=8BITMIME");
            assert_eq!(
                clamped(&line),
                "MAIL FROM:<a@example.test> SIZE=1001 BODY=8BITMIME"
            );
        }
        assert_eq!(
            clamped("mail from:<a@example.test> size=99999999999999999999999"),
            "mail from:<a@example.test> SIZE=1001"
        );
    }

    #[test]
    fn other_lines_are_left_alone() {
        for line in [
            "MAIL FROM:<a@example.test> SIZE=1000",
            "MAIL FROM:<a@example.test> SIZE=abc",
            "MAIL FROM:<a@example.test> SIZE=",
            "MAIL FROM:<a@example.test> SIZE=-1",
            "MAIL FROM:<SIZE=99999999999999999999@example.test>",
            "RCPT TO:<a@example.test> SIZE=99999999999999999999999",
            "MAIL FROM:a@example.test SIZE=99999999999999999999999",
        ] {
            assert_eq!(clamped(line), line);
        }
    }

    #[test]
    fn echoed_addresses_keep_their_length() {
        assert_eq!(printable("jos\u{e9}@example.test"), "jos?@example.test");
        assert_eq!(printable("a b\u{7}@x"), "a?b?@x");
        assert_eq!(printable(&"x".repeat(300)).len(), 256);
    }
}
