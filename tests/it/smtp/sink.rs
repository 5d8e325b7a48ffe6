//! A small SMTP server for the tests, standing in for a smarthost: it speaks real SMTP,
//! answers RCPT as scripted, and remembers every message it accepted.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A message the sink accepted.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub from: String,
    pub recipients: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct State {
    /// Replies to `RCPT TO:<address>`, used up in order; `250` once none are left.
    scripts: HashMap<String, VecDeque<String>>,
    /// Every `RCPT TO` address seen, in order.
    attempts: Vec<String>,
    accepted: Vec<Accepted>,
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(converse(tcp, Arc::clone(&shared)));
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

async fn converse(tcp: TcpStream, state: Arc<Mutex<State>>) {
    let mut conn = BufReader::new(tcp);
    let mut out: String = "220 sink.test ESMTP\r\n".into();
    let mut from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    loop {
        if conn.get_mut().write_all(out.as_bytes()).await.is_err() {
            return;
        }
        let mut line = String::new();
        if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end().to_owned();
        let upper = line.to_ascii_uppercase();
        out = if upper.starts_with("EHLO") {
            "250-sink.test\r\n250-SIZE 10000000\r\n250 8BITMIME\r\n".into()
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

fn address_in(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}
