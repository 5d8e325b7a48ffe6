//! A raw IMAP client for exact-bytes tests: it sends what it is told and reads what comes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Io {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf).await,
            Io::Tls(s) => s.read(buf).await,
        }
    }

    async fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Io::Plain(s) => s.write_all(buf).await,
            Io::Tls(s) => s.write_all(buf).await,
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Io::Plain(s) => s.flush().await,
            Io::Tls(s) => s.flush().await,
        }
    }
}

/// How long a test waits for the server to answer.
const WAIT: Duration = Duration::from_secs(20);

pub struct Client {
    io: Io,
    buf: Vec<u8>,
    tag: u32,
    /// The greeting, as read on connecting.
    pub greeting: String,
}

impl Client {
    /// Connects and reads the greeting line.
    pub async fn connect(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let mut c = Client {
            io: Io::Plain(tcp),
            buf: Vec::new(),
            tag: 0,
            greeting: String::new(),
        };
        c.greeting = c.line().await;
        c
    }

    /// Connects to an implicit-TLS port.
    pub async fn connect_tls(addr: SocketAddr, cert: &Path) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let tls = tls_connect(tcp, cert).await;
        let mut c = Client {
            io: Io::Tls(Box::new(tls)),
            buf: Vec::new(),
            tag: 0,
            greeting: String::new(),
        };
        c.greeting = c.line().await;
        c
    }

    /// Runs the TLS handshake on this connection (after STARTTLS was accepted).
    pub async fn start_tls(self, cert: &Path) -> Self {
        assert!(
            self.buf.is_empty(),
            "unread bytes before TLS: {:?}",
            self.buf
        );
        let Io::Plain(tcp) = self.io else {
            panic!("TLS is already on")
        };
        let tls = tls_connect(tcp, cert).await;
        Client {
            io: Io::Tls(Box::new(tls)),
            buf: Vec::new(),
            tag: self.tag,
            greeting: self.greeting,
        }
    }

    /// Sends bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.expect("write");
        self.io.flush().await.expect("flush");
    }

    /// Reads one line (with its CRLF) as text.
    pub async fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return String::from_utf8_lossy(&line).into_owned();
            }
            self.fill().await;
        }
    }

    /// Reads exactly `n` bytes.
    pub async fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            self.fill().await;
        }
        self.buf.drain(..n).collect()
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 8192];
        let n = timeout(WAIT, self.io.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer; so far: {:?}",
                    String::from_utf8_lossy(&self.buf)
                )
            })
            .expect("read");
        assert!(
            n > 0,
            "connection closed; so far: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// Reads responses (literals included) up to and including the line tagged `tag`.
    pub async fn until(&mut self, tag: &str) -> String {
        let mut out = String::new();
        loop {
            let line = self.line().await;
            out.push_str(&line);
            if let Some(n) = literal_size(&line) {
                let bytes = self.bytes(n).await;
                out.push_str(&String::from_utf8_lossy(&bytes));
                continue;
            }
            if line.starts_with(&format!("{tag} ")) {
                return out;
            }
        }
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("t{}", self.tag)
    }

    /// Sends a command with a fresh tag; returns everything up to its tagged answer.
    pub async fn run(&mut self, command: &str) -> String {
        let tag = self.next_tag();
        self.send(format!("{tag} {command}\r\n").as_bytes()).await;
        self.until(&tag).await
    }

    /// Like [`Client::run`], and the answer must be OK.
    pub async fn ok(&mut self, command: &str) -> String {
        let out = self.run(command).await;
        let last = out.lines().last().unwrap_or_default();
        assert!(
            last.split(' ').nth(1) == Some("OK"),
            "{command} failed:\n{out}"
        );
        out
    }

    /// APPENDs a message with a synchronising literal.
    pub async fn append(&mut self, mailbox: &str, flags: &str, message: &str) -> String {
        let tag = self.next_tag();
        self.send(format!("{tag} APPEND {mailbox} ({flags}) {{{}}}\r\n", message.len()).as_bytes())
            .await;
        let go_on = self.line().await;
        assert!(
            go_on.starts_with('+'),
            "no go-ahead for the literal: {go_on}"
        );
        self.send(message.as_bytes()).await;
        self.send(b"\r\n").await;
        self.until(&tag).await
    }

    /// Waits for the server to close the connection; returns what came before.
    pub async fn closed(&mut self) -> String {
        let mut chunk = [0u8; 4096];
        loop {
            match timeout(WAIT, self.io.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => panic!("still open; read {:?}", String::from_utf8_lossy(&self.buf)),
            }
        }
        String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned()
    }
}

/// `{n}` at the end of a response line.
fn literal_size(line: &str) -> Option<usize> {
    let line = line.trim_end_matches(['\r', '\n']);
    let inner = line.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    inner[open + 1..].parse().ok()
}

use rustls::pki_types::pem::PemObject;

async fn tls_connect(tcp: TcpStream, cert: &Path) -> tokio_rustls::client::TlsStream<TcpStream> {
    let pem = std::fs::read(cert).expect("the server's certificate");
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.expect("a certificate")).expect("added");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("TLS handshake")
}
