//! A minimal IMAP client: just what the loads need (greeting, LOGIN, SELECT, IDLE, LOGOUT),
//! line-based, with the response parsing kept free of I/O.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::error::{LoadError, Result};
use crate::net::BoxStream;

/// Longest response line accepted; a server sending more is broken, not slow. A SEARCH
/// answer naming every message of a large mailbox is one line: 20,000 UIDs take 120 KB.
const MAX_LINE: u64 = 4 * 1024 * 1024;

/// How long the server may take to close the connection after answering LOGOUT.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The status word of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

impl Status {
    fn parse(word: &str) -> Option<Status> {
        Some(match word.to_ascii_uppercase().as_str() {
            "OK" => Status::Ok,
            "NO" => Status::No,
            "BAD" => Status::Bad,
            "BYE" => Status::Bye,
            "PREAUTH" => Status::Preauth,
            _ => return None,
        })
    }
}

/// One server response line (CRLF removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response<'a> {
    /// `+ …`: the server waits for more (IDLE started, literal accepted).
    Continuation(&'a str),
    /// `* …`, with its status when it is a status response (`* OK`, `* BYE`, …).
    Untagged {
        status: Option<Status>,
        text: &'a str,
    },
    /// `tag OK|NO|BAD …`: the end of a command.
    Tagged {
        tag: &'a str,
        status: Status,
        text: &'a str,
    },
}

/// Parses one response line.
pub fn parse_response(line: &str) -> Result<Response<'_>> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line == "+" || line.starts_with("+ ") {
        return Ok(Response::Continuation(line.get(2..).unwrap_or("")));
    }
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    if first.is_empty() {
        return Err(LoadError::Protocol(format!("empty response: {line:?}")));
    }
    let (word, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = Status::parse(word);
    if first == "*" {
        return Ok(Response::Untagged {
            status,
            text: if status.is_some() { text } else { rest },
        });
    }
    match status {
        Some(status @ (Status::Ok | Status::No | Status::Bad)) => Ok(Response::Tagged {
            tag: first,
            status,
            text,
        }),
        _ => Err(LoadError::Protocol(format!("not a response: {line:?}"))),
    }
}

/// The length of the literal announced at the end of a line (`{12}` or `{12+}`), if any.
pub fn literal_len(line: &str) -> Option<u64> {
    let line = line.trim_end_matches(['\r', '\n']);
    let inner = line.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    let digits = inner[open + 1..].trim_end_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An IMAP quoted string; `None` for text that would need a literal.
pub fn quote(text: &str) -> Option<String> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// How a session ended while we waited on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// The server said `* BYE`.
    Bye,
    /// The connection ended without a `* BYE`.
    Eof,
}

/// One IMAP connection.
pub struct ImapClient {
    io: BufReader<BoxStream>,
    next_tag: u32,
    timeout: Duration,
}

impl ImapClient {
    /// Reads the greeting of a fresh connection.
    pub async fn start(stream: BoxStream, timeout: Duration) -> Result<Self> {
        let mut client = ImapClient {
            io: BufReader::with_capacity(2048, stream),
            next_tag: 0,
            timeout,
        };
        let line = client.read_line().await?.ok_or(LoadError::Closed)?;
        match parse_response(&line)? {
            Response::Untagged {
                status: Some(Status::Ok | Status::Preauth),
                ..
            } => Ok(client),
            _ => Err(LoadError::Protocol(format!(
                "greeting: {}",
                line.trim_end()
            ))),
        }
    }

    /// Reads one response line, a literal folded in; `None` at the end of the stream.
    async fn read_line(&mut self) -> Result<Option<String>> {
        let mut whole = String::new();
        loop {
            let mut buf = Vec::new();
            let n = tokio::time::timeout(
                self.timeout,
                (&mut self.io).take(MAX_LINE).read_until(b'\n', &mut buf),
            )
            .await??;
            if n == 0 {
                return Ok((!whole.is_empty()).then_some(whole));
            }
            if buf.last() != Some(&b'\n') {
                return Err(LoadError::Protocol("response line too long".into()));
            }
            let line = String::from_utf8_lossy(&buf);
            let literal = literal_len(&line);
            whole.push_str(line.trim_end_matches(['\r', '\n']));
            let Some(len) = literal else {
                return Ok(Some(whole));
            };
            // The literal's bytes are not needed by any load: skip them.
            let skipped = tokio::time::timeout(
                self.timeout,
                tokio::io::copy(&mut (&mut self.io).take(len), &mut tokio::io::sink()),
            )
            .await??;
            if skipped < len {
                return Err(LoadError::Closed);
            }
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

    fn tag(&mut self) -> String {
        self.next_tag += 1;
        format!("a{}", self.next_tag)
    }

    /// Sends a command and reads up to its tagged answer; NO or BAD is an error.
    pub async fn command(&mut self, command: &str) -> Result<()> {
        let tag = self.tag();
        self.send(format!("{tag} {command}\r\n").as_bytes()).await?;
        loop {
            let line = self.read_line().await?.ok_or(LoadError::Closed)?;
            match parse_response(&line)? {
                Response::Tagged {
                    tag: t,
                    status,
                    text,
                } if t == tag => {
                    return match status {
                        Status::Ok => Ok(()),
                        _ => Err(LoadError::Refused(text.to_owned())),
                    };
                }
                Response::Untagged {
                    status: Some(Status::Bye),
                    text,
                } if !command.eq_ignore_ascii_case("LOGOUT") => {
                    return Err(LoadError::Refused(format!("BYE {text}")));
                }
                _ => {}
            }
        }
    }

    /// `LOGIN user password`.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        let (Some(user), Some(password)) = (quote(user), quote(password)) else {
            return Err(LoadError::Usage(
                "user or password holds a line break".into(),
            ));
        };
        self.command(&format!("LOGIN {user} {password}")).await
    }

    /// `SELECT mailbox`.
    pub async fn select(&mut self, mailbox: &str) -> Result<()> {
        let mailbox = quote(mailbox).ok_or(LoadError::Usage("bad mailbox name".into()))?;
        self.command(&format!("SELECT {mailbox}")).await
    }

    /// Starts IDLE and waits for the server's `+`.
    pub async fn idle(&mut self) -> Result<()> {
        let tag = self.tag();
        self.send(format!("{tag} IDLE\r\n").as_bytes()).await?;
        loop {
            let line = self.read_line().await?.ok_or(LoadError::Closed)?;
            match parse_response(&line)? {
                Response::Continuation(_) => return Ok(()),
                Response::Tagged { tag: t, text, .. } if t == tag => {
                    return Err(LoadError::Refused(text.to_owned()));
                }
                Response::Untagged {
                    status: Some(Status::Bye),
                    text,
                } => return Err(LoadError::Refused(format!("BYE {text}"))),
                _ => {}
            }
        }
    }

    /// Waits, with no time limit of its own, until the server says `* BYE` or closes.
    /// Other lines (`* OK Still here`, `* 3 EXISTS`) are ignored.
    pub async fn wait_closed(&mut self) -> Closed {
        loop {
            let mut buf = Vec::new();
            match (&mut self.io)
                .take(MAX_LINE)
                .read_until(b'\n', &mut buf)
                .await
            {
                Ok(0) | Err(_) => return Closed::Eof,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    if let Ok(Response::Untagged {
                        status: Some(Status::Bye),
                        ..
                    }) = parse_response(&line)
                    {
                        return Closed::Bye;
                    }
                }
            }
        }
    }

    /// Ends IDLE (if `idling`) and logs out, reading until the server closes, so that the
    /// closed connection waits on the server's side, not on our ephemeral ports. A server
    /// that keeps the connection open after LOGOUT is reported, not waited for.
    pub async fn logout(mut self, idling: bool) -> Result<()> {
        if idling {
            self.send(b"DONE\r\n").await?;
        }
        self.command("LOGOUT").await?;
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.read_line()).await {
                Ok(Ok(None)) | Ok(Err(LoadError::Io(_))) => return Ok(()),
                Ok(Ok(Some(_))) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(LoadError::Protocol(
                        "the server kept the connection open after LOGOUT".into(),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
