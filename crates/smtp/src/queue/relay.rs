//! A small SMTP client that hands one queued message to the smarthost, with an outcome per
//! recipient (a refused recipient does not hold back the others).

use std::time::Duration;

use smtp_proto::Response;
use smtp_proto::response::parser::ResponseReceiver;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the smarthost said about one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayOutcome {
    /// Accepted.
    Sent,
    /// Refused for now (4xx, or no answer): try again later.
    Retry(String),
    /// Refused for good (5xx).
    Permanent(String),
}

/// One message for the smarthost.
pub struct Outgoing<'a> {
    /// Our name, for EHLO.
    pub hello: &'a str,
    pub sender: &'a str,
    pub recipients: &'a [String],
    /// CRLF line ends, not dot-stuffed.
    pub content: &'a [u8],
}

/// Sends `message` to `smarthost` (`host:port`); one outcome per recipient, in order.
/// Each exchange with the smarthost may take at most `step_timeout`.
pub async fn send(
    smarthost: &str,
    message: &Outgoing<'_>,
    step_timeout: Duration,
) -> Vec<RelayOutcome> {
    let all = |o: RelayOutcome| vec![o; message.recipients.len()];
    let tcp = match tokio::time::timeout(step_timeout, TcpStream::connect(smarthost)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            return all(RelayOutcome::Retry(format!(
                "cannot reach {smarthost}: {e}"
            )));
        }
        Err(_) => return all(RelayOutcome::Retry(format!("{smarthost} did not answer"))),
    };
    let mut client = Client {
        stream: tcp,
        pending: Vec::new(),
        timeout: step_timeout,
    };
    match client.transaction(message).await {
        Ok(outcomes) => {
            let _ = client.command("QUIT").await;
            outcomes
        }
        Err(e) => all(RelayOutcome::Retry(format!("{smarthost}: {e}"))),
    }
}

fn outcome(r: &Response<String>) -> RelayOutcome {
    let text = describe(r);
    match r.code / 100 {
        2 | 3 => RelayOutcome::Sent,
        5 => RelayOutcome::Permanent(text),
        _ => RelayOutcome::Retry(text),
    }
}

fn describe(r: &Response<String>) -> String {
    let message = r.message.replace('\n', " ");
    if r.esc[0] == 0 {
        format!("{} {message}", r.code)
    } else {
        format!(
            "{} {}.{}.{} {message}",
            r.code, r.esc[0], r.esc[1], r.esc[2]
        )
    }
}

struct Client<S> {
    stream: S,
    pending: Vec<u8>,
    timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    async fn transaction(&mut self, m: &Outgoing<'_>) -> std::io::Result<Vec<RelayOutcome>> {
        let every = |o: RelayOutcome| vec![o; m.recipients.len()];
        let greeting = self.reply().await?;
        if greeting.code != 220 {
            return Ok(every(outcome(&greeting)));
        }
        let mut ehlo = self.command(&format!("EHLO {}", m.hello)).await?;
        if ehlo.code != 250 {
            ehlo = self.command(&format!("HELO {}", m.hello)).await?;
            if ehlo.code != 250 {
                return Ok(every(outcome(&ehlo)));
            }
        }
        let extensions: Vec<String> = ehlo
            .message
            .lines()
            .skip(1)
            .map(|l| l.trim().to_ascii_uppercase())
            .collect();
        let mut mail = format!("MAIL FROM:<{}>", m.sender);
        if extensions
            .iter()
            .any(|e| e == "SIZE" || e.starts_with("SIZE "))
        {
            mail.push_str(&format!(" SIZE={}", m.content.len()));
        }
        if extensions.iter().any(|e| e == "8BITMIME") && !m.content.is_ascii() {
            mail.push_str(" BODY=8BITMIME");
        }
        let r = self.command(&mail).await?;
        if r.code != 250 {
            let o = outcome(&r);
            let _ = self.command("RSET").await;
            return Ok(every(o));
        }
        let mut outcomes = Vec::with_capacity(m.recipients.len());
        let mut accepted = Vec::new();
        for (i, rcpt) in m.recipients.iter().enumerate() {
            let r = self.command(&format!("RCPT TO:<{rcpt}>")).await?;
            if r.code / 100 == 2 {
                accepted.push(i);
                outcomes.push(RelayOutcome::Sent);
            } else {
                outcomes.push(match outcome(&r) {
                    RelayOutcome::Sent => RelayOutcome::Retry(describe(&r)),
                    o => o,
                });
            }
        }
        if accepted.is_empty() {
            let _ = self.command("RSET").await;
            return Ok(outcomes);
        }
        let r = self.command("DATA").await?;
        let last = if r.code == 354 {
            self.send(&dot_stuff(m.content)).await?;
            self.reply().await?
        } else {
            r
        };
        let final_outcome = outcome(&last);
        for i in accepted {
            outcomes[i] = final_outcome.clone();
        }
        Ok(outcomes)
    }

    async fn command(&mut self, line: &str) -> std::io::Result<Response<String>> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        tokio::time::timeout(self.timeout, write)
            .await
            .map_err(|_| std::io::Error::other("timed out sending"))?
    }

    async fn reply(&mut self) -> std::io::Result<Response<String>> {
        let mut parser = ResponseReceiver::default();
        let mut chunk = [0u8; 4096];
        loop {
            if !self.pending.is_empty() {
                let mut it = self.pending.iter();
                match parser.parse(&mut it) {
                    Ok(r) => {
                        let used = self.pending.len() - it.len();
                        self.pending.drain(..used);
                        return Ok(r);
                    }
                    // The parser keeps what it has seen so far.
                    Err(smtp_proto::Error::NeedsMoreData { .. }) => self.pending.clear(),
                    Err(e) => {
                        return Err(std::io::Error::other(format!("unreadable reply: {e:?}")));
                    }
                }
            }
            let read = tokio::time::timeout(self.timeout, self.stream.read(&mut chunk))
                .await
                .map_err(|_| std::io::Error::other("timed out waiting for a reply"))??;
            if read == 0 {
                return Err(std::io::Error::other("the connection was closed"));
            }
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The DATA form of a message: leading dots doubled, ending in CRLF . CRLF.
pub fn dot_stuff(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 64);
    let mut at_line_start = true;
    for &b in content {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing() {
        assert_eq!(dot_stuff(b".a\r\nb\r\n.\r\n"), b"..a\r\nb\r\n..\r\n.\r\n");
        assert_eq!(dot_stuff(b"x"), b"x\r\n.\r\n");
        assert_eq!(dot_stuff(b""), b".\r\n");
    }

    #[tokio::test]
    async fn per_recipient_outcomes_over_a_scripted_server() {
        let (client_end, mut server_end) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            let script: &[(&str, &str)] = &[
                ("", "220 sink ready\r\n"),
                ("EHLO", "250-sink\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"),
                ("MAIL FROM:<me@example.org> SIZE=", "250 ok\r\n"),
                ("RCPT TO:<a@far.test>", "250 ok\r\n"),
                ("RCPT TO:<b@far.test>", "451 4.3.0 later\r\n"),
                (
                    "RCPT TO:<c@far.test>",
                    "550-5.1.1 no such\r\n550 5.1.1 user\r\n",
                ),
                ("DATA", "354 go\r\n"),
                ("Subject", "250 2.0.0 queued\r\n"),
                ("QUIT", "221 bye\r\n"),
            ];
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            for (expect, answer) in script {
                if !expect.is_empty() {
                    loop {
                        let text = String::from_utf8_lossy(&seen).to_string();
                        if text.contains(expect) && text.ends_with("\r\n") {
                            break;
                        }
                        let n = server_end.read(&mut buf).await.unwrap();
                        assert!(n > 0, "client hung up before {expect}");
                        seen.extend_from_slice(&buf[..n]);
                    }
                    seen.clear();
                }
                server_end.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        let mut client = Client {
            stream: client_end,
            pending: Vec::new(),
            timeout: Duration::from_secs(5),
        };
        let rcpts = ["a@far.test", "b@far.test", "c@far.test"].map(String::from);
        let outcomes = client
            .transaction(&Outgoing {
                hello: "mail.example.org",
                sender: "me@example.org",
                recipients: &rcpts,
                content: b"Subject: x\r\n\r\n.hi\r\n",
            })
            .await
            .unwrap();
        assert_eq!(
            outcomes,
            vec![
                RelayOutcome::Sent,
                RelayOutcome::Retry("451 4.3.0 later".into()),
                RelayOutcome::Permanent("550 5.1.1 no such user".into()),
            ]
        );
        client.command("QUIT").await.unwrap();
        server.await.unwrap();
    }
}
