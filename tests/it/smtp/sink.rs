//! A small SMTP server for the tests, standing in for a smarthost: it speaks real SMTP
//! (with STARTTLS and AUTH PLAIN/LOGIN when asked to), answers RCPT as scripted, and remembers
//! every message it accepted.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A message the sink accepted.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub from: String,
    pub recipients: Vec<String>,
    pub data: String,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The user that signed in before sending it.
    pub user: Option<String>,
}

/// What the sink offers besides plain SMTP.
#[derive(Clone, Default)]
pub struct Extras {
    /// Offer STARTTLS with this TLS server (a self-signed certificate for 127.0.0.1).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Offer AUTH and accept only this user and password.
    pub auth: Option<(String, String)>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Default)]
struct State {
    /// Replies to `RCPT TO:<address>`, used up in order; `250` once none are left.
    scripts: HashMap<String, VecDeque<String>>,
    /// Every `RCPT TO` address seen, in order.
    attempts: Vec<String>,
    accepted: Vec<Accepted>,
    /// Every user name and password an AUTH carried, right or wrong.
    captured: Vec<(String, String)>,
}

/// A running sink on 127.0.0.1.
pub struct Sink {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Sink {
    /// Starts listening on a free port.
    pub async fn start() -> Sink {
        Self::start_with(Extras::default()).await
    }

    /// Starts a sink that offers `extras`.
    pub async fn start_with(extras: Extras) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(converse(Box::new(tcp), Arc::clone(&shared), extras.clone()));
            }
        });
        Sink { addr, state, task }
    }

    /// Makes the sink answer RCPT for `address` with `replies`, one per attempt.
    pub fn script(&self, address: &str, replies: &[&str]) {
        self.state.lock().unwrap().scripts.insert(
            address.to_owned(),
            replies.iter().map(|r| (*r).to_owned()).collect(),
        );
    }

    /// The messages accepted so far.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.lock().unwrap().accepted.clone()
    }

    /// The user names and passwords sent to the sink, right or wrong: what a man in the
    /// middle would have learnt.
    pub fn captured(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().captured.clone()
    }

    /// How many times `address` was offered in RCPT.
    pub fn attempts(&self, address: &str) -> usize {
        let state = self.state.lock().unwrap();
        state.attempts.iter().filter(|a| *a == address).count()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn converse(stream: Box<dyn Io>, state: Arc<Mutex<State>>, extras: Extras) {
    let mut conn = BufReader::new(stream);
    let mut out: String = "220 sink.test ESMTP\r\n".into();
    let mut from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut tls = false;
    let mut user = None;
    loop {
        if !out.is_empty() && conn.get_mut().write_all(out.as_bytes()).await.is_err() {
            return;
        }
        let mut line = String::new();
        if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end().to_owned();
        let upper = line.to_ascii_uppercase();
        out = if upper.starts_with("EHLO") {
            let mut ehlo = String::from("250-sink.test\r\n250-SIZE 10000000\r\n");
            if extras.tls.is_some() && !tls {
                ehlo.push_str("250-STARTTLS\r\n");
            }
            if extras.auth.is_some() {
                ehlo.push_str("250-AUTH PLAIN LOGIN\r\n");
            }
            ehlo.push_str("250 8BITMIME\r\n");
            ehlo
        } else if upper == "STARTTLS" && !tls && extras.tls.is_some() {
            let Some(acceptor) = extras.tls.clone() else {
                return;
            };
            if conn
                .get_mut()
                .write_all(b"220 2.0.0 go ahead\r\n")
                .await
                .is_err()
            {
                return;
            }
            let Ok(encrypted) = acceptor.accept(conn.into_inner()).await else {
                return;
            };
            conn = BufReader::new(Box::new(encrypted));
            tls = true;
            // The client speaks first after the handshake.
            String::new()
        } else if upper.starts_with("AUTH ") {
            let given = sign_in(&mut conn, &line).await;
            if let Some(pair) = &given {
                state.lock().unwrap().captured.push(pair.clone());
            }
            let granted = match (&extras.auth, given) {
                (Some((u, p)), Some((given_user, given_password))) => {
                    (given_user == *u && given_password == *p).then_some(given_user)
                }
                _ => None,
            };
            match granted {
                Some(u) => {
                    user = Some(u);
                    "235 2.7.0 ok\r\n".into()
                }
                None => "535 5.7.8 bad credentials\r\n".into(),
            }
        } else if upper.starts_with("MAIL FROM:") {
            from = address_in(&line);
            recipients.clear();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address_in(&line);
            let reply = {
                let mut s = state.lock().unwrap();
                s.attempts.push(rcpt.clone());
                s.scripts.get_mut(&rcpt).and_then(|q| q.pop_front())
            };
            match reply {
                Some(r) => format!("{r}\r\n"),
                None => {
                    recipients.push(rcpt);
                    "250 2.1.5 ok\r\n".into()
                }
            }
        } else if upper == "DATA" {
            if conn.get_mut().write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if conn.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            state.lock().unwrap().accepted.push(Accepted {
                from: from.clone(),
                recipients: std::mem::take(&mut recipients),
                data,
                tls,
                user: user.clone(),
            });
            "250 2.0.0 queued\r\n".into()
        } else if upper == "RSET" {
            recipients.clear();
            "250 2.0.0 ok\r\n".into()
        } else if upper == "QUIT" {
            let _ = conn.get_mut().write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            "502 5.5.1 unknown\r\n".into()
        };
    }
}

/// Reads the credentials of AUTH PLAIN (with or without an initial response) or LOGIN.
async fn sign_in(conn: &mut BufReader<Box<dyn Io>>, line: &str) -> Option<(String, String)> {
    let decode = |text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let mut words = line.split_whitespace().skip(1);
    let mechanism = words.next()?.to_ascii_uppercase();
    let mut ask = async |prompt: &[u8]| {
        conn.get_mut().write_all(prompt).await.ok()?;
        let mut answer = String::new();
        conn.read_line(&mut answer).await.ok()?;
        Some(answer)
    };
    match mechanism.as_str() {
        "PLAIN" => {
            let token = match words.next() {
                Some(t) => t.to_owned(),
                None => ask(b"334 \r\n").await?,
            };
            let plain = decode(&token)?;
            let mut parts = plain.split('\0').skip(1);
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        }
        "LOGIN" => {
            let user = decode(&ask(b"334 VXNlcm5hbWU6\r\n").await?)?;
            let password = decode(&ask(b"334 UGFzc3dvcmQ6\r\n").await?)?;
            Some((user, password))
        }
        _ => None,
    }
}

fn address_in(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}
