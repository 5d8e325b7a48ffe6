//! A minimal SMTP submission client: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::error::{LoadError, Result};
use crate::net::BoxStream;

const MAX_LINE: u64 = 8 * 1024;

/// One reply line: its code, whether it is the last line of the reply, and its text.
pub fn parse_reply_line(line: &str) -> Result<(u16, bool, &str)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let bad = || LoadError::Protocol(format!("not an SMTP reply: {line:?}"));
    let code = line.get(..3).ok_or_else(bad)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
        return Err(bad());
    }
    let code: u16 = code.parse().map_err(|_| bad())?;
    match line.as_bytes().get(3) {
        None => Ok((code, true, "")),
        Some(b' ') => Ok((code, true, &line[4..])),
        Some(b'-') => Ok((code, false, &line[4..])),
        Some(_) => Err(bad()),
    }
}

/// Base64 (RFC 4648, padded), for AUTH PLAIN.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A message of at least `size` bytes in CRLF lines, none starting with a dot (so no
/// dot-stuffing), followed by the `.` line that ends DATA.
pub fn message(from: &str, to: &str, n: u64, size: usize) -> String {
    let mut text = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: load {n}\r\n\
         Message-ID: <{n}.load@postern-loadgen.invalid>\r\n\
         Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n"
    );
    let line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while text.len() < size {
        text.push_str(line);
    }
    text.push_str(".\r\n");
    text
}

/// One SMTP connection.
pub struct SmtpClient {
    io: BufReader<BoxStream>,
    timeout: Duration,
}

impl SmtpClient {
    /// Reads the greeting (220) of a fresh connection.
    pub async fn start(stream: BoxStream, timeout: Duration) -> Result<Self> {
        let mut client = SmtpClient {
            io: BufReader::with_capacity(2048, stream),
            timeout,
        };
        client.expect(&[220]).await?;
        Ok(client)
    }

    async fn reply(&mut self) -> Result<(u16, String)> {
        let mut text = String::new();
        loop {
            let mut buf = Vec::new();
            let n = tokio::time::timeout(
                self.timeout,
                (&mut self.io).take(MAX_LINE).read_until(b'\n', &mut buf),
            )
            .await??;
            if n == 0 {
                return Err(LoadError::Closed);
            }
            let line = String::from_utf8_lossy(&buf);
            let (code, last, part) = parse_reply_line(&line)?;
            text.push_str(part);
            if last {
                return Ok((code, text));
            }
            text.push(' ');
        }
    }

    async fn expect(&mut self, codes: &[u16]) -> Result<()> {
        let (code, text) = self.reply().await?;
        if codes.contains(&code) {
            Ok(())
        } else {
            Err(LoadError::Refused(format!("{code} {text}")))
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let io = self.io.get_mut();
        tokio::time::timeout(self.timeout, async {
            io.write_all(bytes).await?;
            io.flush().await
        })
        .await??;
        Ok(())
    }

    /// Sends a command line and expects one of `codes`.
    pub async fn command(&mut self, line: &str, codes: &[u16]) -> Result<()> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.expect(codes).await
    }

    /// EHLO, then AUTH PLAIN.
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Result<()> {
        self.command("EHLO postern-loadgen.invalid", &[250]).await?;
        let token = base64(format!("\0{user}\0{password}").as_bytes());
        self.command(&format!("AUTH PLAIN {token}"), &[235]).await
    }

    /// One message: MAIL, RCPT, DATA and its content.
    pub async fn submit(&mut self, from: &str, to: &str, content: &str) -> Result<()> {
        self.command(&format!("MAIL FROM:<{from}>"), &[250]).await?;
        self.command(&format!("RCPT TO:<{to}>"), &[250, 251])
            .await?;
        self.command("DATA", &[354]).await?;
        self.send(content.as_bytes()).await?;
        self.expect(&[250]).await
    }

    /// QUIT; the server's answer is not waited for beyond the time limit.
    pub async fn quit(mut self) -> Result<()> {
        self.command("QUIT", &[221]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_parse() {
        assert_eq!(
            parse_reply_line("250-localhost\r\n").unwrap(),
            (250, false, "localhost")
        );
        assert_eq!(
            parse_reply_line("250 AUTH PLAIN LOGIN").unwrap(),
            (250, true, "AUTH PLAIN LOGIN")
        );
        assert_eq!(parse_reply_line("354").unwrap(), (354, true, ""));
        assert!(parse_reply_line("25").is_err());
        assert!(parse_reply_line("2x0 hello").is_err());
        assert!(parse_reply_line("250_hello").is_err());
        assert!(parse_reply_line("050 hello").is_err());
        assert!(parse_reply_line("* OK imap").is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(base64(b"\0user\0pw"), "AHVzZXIAcHc=");
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn messages_have_the_size_asked_and_end_with_the_dot_line() {
        let m = message("a@example.test", "b@example.test", 7, 2048);
        assert!(m.ends_with("\r\n.\r\n"));
        assert!(m.len() >= 2048 && m.len() < 2048 + 80, "{}", m.len());
        assert!(m.contains("Subject: load 7\r\n"));
        assert!(!m[..m.len() - 3].contains("\r\n.\r\n"));
        assert!(m.split("\r\n").all(|l| l.len() <= 998));
        let small = message("a@x.test", "b@x.test", 1, 0);
        assert!(small.ends_with("\r\n\r\n.\r\n"));
    }
}
