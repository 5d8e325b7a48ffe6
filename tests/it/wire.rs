//! A line client for exact protocol bytes on the wire (SMTP, LMTP, POP3), plain TCP.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long any single read may take before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that sends lines and reads lines or SMTP replies.
pub struct Wire {
    stream: BufReader<TcpStream>,
}

impl Wire {
    /// Connects and returns the greeting line.
    pub async fn connect(addr: SocketAddr) -> (Self, String) {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let mut wire = Wire {
            stream: BufReader::new(tcp),
        };
        let greeting = wire.line().await.expect("a greeting");
        (wire, greeting)
    }

    /// Sends raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.expect("send");
    }

    /// Sends one line with CRLF.
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    /// One line without its CRLF; `None` when the server closed the connection.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = tokio::time::timeout(READ_TIMEOUT, self.stream.read_line(&mut line))
            .await
            .expect("a line in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// A whole SMTP reply, its lines joined by `\n`.
    pub async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await.expect("a reply line");
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    /// Sends a command and returns the SMTP reply.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await
    }

    /// Reads until the server closes the connection; returns what came before.
    pub async fn until_closed(&mut self) -> String {
        let mut rest = Vec::new();
        tokio::time::timeout(READ_TIMEOUT, self.stream.read_to_end(&mut rest))
            .await
            .expect("closed in time")
            .ok();
        String::from_utf8_lossy(&rest).into_owned()
    }
}
