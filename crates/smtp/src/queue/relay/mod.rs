//! A small SMTP client that hands one queued message to the smarthost, with an outcome per
//! recipient (a refused recipient does not hold back the others).

use std::time::Duration;

use base64::Engine;
use smtp_proto::Response;
use smtp_proto::response::parser::ResponseReceiver;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use super::smarthost::{Smarthost, SmarthostTls};

/// A connection to the smarthost, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

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

/// Sends `message` to the smarthost; one outcome per recipient, in order.
/// Each exchange with the smarthost may take at most `step_timeout`.
pub async fn send(
    smarthost: &Smarthost,
    message: &Outgoing<'_>,
    step_timeout: Duration,
) -> Vec<RelayOutcome> {
    let addr = &smarthost.addr;
    let all = |o: RelayOutcome| vec![o; message.recipients.len()];
    let tcp = match tokio::time::timeout(step_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return all(RelayOutcome::Retry(format!("cannot reach {addr}: {e}"))),
        Err(_) => return all(RelayOutcome::Retry(format!("{addr} did not answer"))),
    };
    let mut client = Client {
        stream: Box::new(tcp) as Box<dyn Io>,
        pending: Vec::new(),
        timeout: step_timeout,
        encrypted: false,
    };
    if smarthost.tls == SmarthostTls::Tls
        && let Err(e) = client.start_tls(smarthost).await
    {
        return all(RelayOutcome::Retry(format!("{addr}: {e}")));
    }
    match client.transaction(smarthost, message).await {
        Ok(outcomes) => {
            let _ = client.command("QUIT").await;
            outcomes
        }
        Err(e) => all(RelayOutcome::Retry(format!("{addr}: {e}"))),
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
    encrypted: bool,
}

/// The smarthost's answer to EHLO (or HELO): its extensions, or the refusal.
enum Hello {
    Extensions(Vec<String>),
    Refused(Response<String>),
}

fn error(text: &str) -> std::io::Error {
    std::io::Error::other(text.to_owned())
}

impl Client<Box<dyn Io>> {
    /// Turns the connection into TLS (after a 220 to STARTTLS, or at once on port 465).
    async fn start_tls(&mut self, smarthost: &Smarthost) -> std::io::Result<()> {
        let name = smarthost.server_name().map_err(|e| error(&e))?;
        let placeholder: Box<dyn Io> =
            Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()));
        let plain = std::mem::replace(&mut self.stream, placeholder);
        let handshake = smarthost.connector().connect(name, plain);
        let tls = tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| error("the TLS handshake timed out"))?
            .map_err(|e| error(&format!("TLS failed: {e}")))?;
        self.stream = Box::new(tls);
        self.pending.clear();
        self.encrypted = true;
        Ok(())
    }

    async fn hello(&mut self, name: &str) -> std::io::Result<Hello> {
        let mut ehlo = self.command(&format!("EHLO {name}")).await?;
        if ehlo.code != 250 {
            ehlo = self.command(&format!("HELO {name}")).await?;
            if ehlo.code != 250 {
                return Ok(Hello::Refused(ehlo));
            }
        }
        Ok(Hello::Extensions(
            ehlo.message
                .lines()
                .skip(1)
                .map(|l| l.trim().to_ascii_uppercase())
                .collect(),
        ))
    }

    /// Signs in with AUTH PLAIN, or LOGIN when PLAIN is not offered; the refusal if any.
    async fn sign_in(
        &mut self,
        extensions: &[String],
        user: &str,
        password: &str,
    ) -> std::io::Result<Option<RelayOutcome>> {
        let mechanisms: Vec<&str> = extensions
            .iter()
            .filter_map(|e| e.strip_prefix("AUTH "))
            .flat_map(str::split_whitespace)
            .collect();
        let b64 = |s: &[u8]| Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(s));
        let reply = if mechanisms.contains(&"PLAIN") {
            let token = Zeroizing::new(format!("\0{user}\0{password}"));
            self.command(&format!("AUTH PLAIN {}", b64(token.as_bytes()).as_str()))
                .await?
        } else if mechanisms.contains(&"LOGIN") {
            let r = self.command("AUTH LOGIN").await?;
            if r.code != 334 {
                return Ok(Some(RelayOutcome::Retry(describe(&r))));
            }
            let r = self.command(&b64(user.as_bytes())).await?;
            if r.code != 334 {
                return Ok(Some(RelayOutcome::Retry(describe(&r))));
            }
            self.command(&b64(password.as_bytes())).await?
        } else {
            return Ok(Some(RelayOutcome::Retry(
                "the smarthost offers no AUTH PLAIN or LOGIN".into(),
            )));
        };
        // A refused sign-in is a setting to fix, not a reason to bounce at once.
        Ok((reply.code != 235).then(|| RelayOutcome::Retry(describe(&reply))))
    }

    async fn transaction(
        &mut self,
        smarthost: &Smarthost,
        m: &Outgoing<'_>,
    ) -> std::io::Result<Vec<RelayOutcome>> {
        let every = |o: RelayOutcome| vec![o; m.recipients.len()];
        let greeting = self.reply().await?;
        if greeting.code != 220 {
            return Ok(every(outcome(&greeting)));
        }
        let mut extensions = match self.hello(m.hello).await? {
            Hello::Extensions(e) => e,
            Hello::Refused(r) => return Ok(every(outcome(&r))),
        };
        let offers_tls = extensions.iter().any(|e| e == "STARTTLS");
        let wants_tls = match smarthost.tls {
            SmarthostTls::StartTls => true,
            SmarthostTls::Auto | SmarthostTls::Insecure => offers_tls,
            SmarthostTls::Tls | SmarthostTls::None => false,
        };
        if wants_tls && !self.encrypted {
            if !offers_tls {
                return Ok(every(RelayOutcome::Retry(
                    "the smarthost does not offer STARTTLS".into(),
                )));
            }
            let r = self.command("STARTTLS").await?;
            if r.code != 220 {
                return Ok(every(RelayOutcome::Retry(describe(&r))));
            }
            self.start_tls(smarthost).await?;
            extensions = match self.hello(m.hello).await? {
                Hello::Extensions(e) => e,
                Hello::Refused(r) => return Ok(every(outcome(&r))),
            };
        }
        // Encrypted means checked here, unless `insecure` was asked for by name: a failed
        // check has already ended the attempt, before any password was sent. Never in the
        // clear, not even to this machine: the message waits, and the reason is recorded.
        if let Some((user, password)) = &smarthost.credentials {
            if !self.encrypted {
                return Ok(every(RelayOutcome::Retry(
                    "refusing to send the smarthost password over an unencrypted connection".into(),
                )));
            }
            if let Some(refused) = self.sign_in(&extensions, user, password).await? {
                return Ok(every(refused));
            }
        }
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
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
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
mod tests;
