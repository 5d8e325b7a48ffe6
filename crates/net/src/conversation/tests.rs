//! The loop over a real socket with a toy protocol: `SIGN` signs a device in, `DROP` revokes
//! it, `SAVE` commits, `TLS` asks for TLS, `QUIT` closes, anything else is echoed.

use std::sync::Arc;

use postern_domain::DeviceId;
use postern_domain::revocation::RevocationBus;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::{LineBuffer, Peer, tls};

struct Toy {
    line: LineBuffer,
    waiting: bool,
    closed: bool,
    out: Vec<u8>,
}

enum Ask {
    Sign,
    Drop,
    Save,
}

impl LineSession for Toy {
    type Request = Ask;

    const REVOKED: &'static [u8] = b"revoked\r\n";
    const TIMEOUT: &'static [u8] = b"timeout\r\n";
    const SHUTDOWN: &'static [u8] = b"shutdown\r\n";

    fn greeting(&self) -> Vec<u8> {
        b"hello\r\n".to_vec()
    }

    fn is_closed(&self) -> bool {
        self.closed
    }

    fn is_waiting(&self) -> bool {
        self.waiting
    }

    fn step(&mut self, input: &mut &[u8]) -> Option<Event<Ask>> {
        let Some(crate::Line::Complete(line)) = self.line.push(input) else {
            return None;
        };
        match line.as_slice() {
            b"SIGN" => self.ask(Ask::Sign),
            b"DROP" => self.ask(Ask::Drop),
            b"SAVE" => self.ask(Ask::Save),
            b"TLS" => Some(Event::StartTls),
            b"QUIT" => {
                self.out.extend_from_slice(b"bye\r\n");
                self.closed = true;
                Some(Event::Close)
            }
            _ => {
                self.out.extend_from_slice(&line);
                self.out.extend_from_slice(b"\r\n");
                None
            }
        }
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

impl Toy {
    fn ask(&mut self, request: Ask) -> Option<Event<Ask>> {
        self.waiting = true;
        Some(Event::Request(request))
    }
}

/// Signs in with a watch on the test's bus.
struct Desk {
    bus: Arc<RevocationBus>,
    device: DeviceId,
    watch: Option<RevocationWatch>,
}

impl Responder for Desk {
    type Session = Toy;

    fn start(&mut self, _tls: bool) -> Toy {
        self.watch = None;
        Toy {
            line: LineBuffer::new(64),
            waiting: false,
            closed: false,
            out: Vec::new(),
        }
    }

    async fn answer(&mut self, session: &mut Toy, request: Ask) {
        session.waiting = false;
        match request {
            Ask::Sign => {
                self.watch = Some(self.bus.watch(self.device, 1));
                session.out.extend_from_slice(b"signed in\r\n");
            }
            // As if the device were disconnected while the session was busy.
            Ask::Drop => self.bus.publish(self.device, 1),
            Ask::Save => session.out.extend_from_slice(b"saved\r\n"),
        }
    }

    fn commits(request: &Ask) -> bool {
        matches!(request, Ask::Save)
    }

    fn revocation(&mut self) -> Option<&mut RevocationWatch> {
        self.watch.as_mut()
    }
}

struct Running {
    client: TcpStream,
    bus: Arc<RevocationBus>,
    device: DeviceId,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

/// A server of one connection with the toy protocol, and its client.
async fn start(idle: Duration, login: Option<Duration>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (tcp, remote) = listener.accept().await.unwrap();
    let (cert, key) = tls::self_signed(&["localhost".into()]).unwrap();
    let acceptor = tls::acceptor(cert.as_bytes(), key.as_bytes()).unwrap();
    let bus = Arc::new(RevocationBus::new());
    let device = DeviceId::new();
    let shutdown = CancellationToken::new();
    let connection = Connection {
        peer: Peer {
            remote,
            local: tcp.local_addr().unwrap(),
        },
        stream: Stream::Plain(tcp),
        shutdown: shutdown.clone(),
    };
    let desk = Desk {
        bus: Arc::clone(&bus),
        device,
        watch: None,
    };
    let settings = LoopSettings {
        idle_timeout: idle,
        login_timeout: login,
        read_buffer: 1024,
    };
    let server = tokio::spawn(async move {
        converse(connection, &acceptor, settings, desk).await;
    });
    Running {
        client,
        bus,
        device,
        shutdown,
        server,
    }
}

impl Running {
    async fn send(&mut self, bytes: &[u8]) {
        self.client.write_all(bytes).await.unwrap();
    }

    /// Everything the server writes until it closes the connection.
    async fn rest(mut self) -> String {
        let mut text = String::new();
        self.client.read_to_string(&mut text).await.unwrap();
        self.server.await.unwrap();
        text
    }

    /// Reads exactly `expected`.
    async fn expect(&mut self, expected: &str) {
        let mut buf = vec![0u8; expected.len()];
        self.client.read_exact(&mut buf).await.unwrap();
        assert_eq!(String::from_utf8_lossy(&buf), expected);
    }
}

const LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn greets_answers_and_closes_on_quit() {
    let mut r = start(LONG, Some(LONG)).await;
    r.send(b"one\r\nSIGN\r\nSAVE\r\ntwo\r\nQUIT\r\nignored\r\n")
        .await;
    assert_eq!(
        r.rest().await,
        "hello\r\none\r\nsigned in\r\nsaved\r\ntwo\r\nbye\r\n"
    );
}

#[tokio::test]
async fn a_revoked_device_is_closed_at_once_and_commits_nothing() {
    let mut r = start(LONG, Some(LONG)).await;
    r.send(b"SIGN\r\n").await;
    r.expect("hello\r\nsigned in\r\n").await;
    r.bus.publish(r.device, 1);
    assert_eq!(r.rest().await, "revoked\r\n");

    // Revoked while the input is being handled: the commit is refused.
    let mut r = start(LONG, Some(LONG)).await;
    r.send(b"SIGN\r\nDROP\r\nSAVE\r\n").await;
    assert_eq!(r.rest().await, "hello\r\nrevoked\r\n");
}

#[tokio::test]
async fn idle_and_sign_in_deadlines() {
    let r = start(Duration::from_millis(200), Some(LONG)).await;
    assert_eq!(r.rest().await, "hello\r\ntimeout\r\n");

    // Replies renew the idle timer, but not the sign-in deadline.
    let mut r = start(
        Duration::from_millis(600),
        Some(Duration::from_millis(1500)),
    )
    .await;
    r.expect("hello\r\n").await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        r.send(b"x\r\n").await;
    }
    assert_eq!(r.rest().await, "x\r\nx\r\nx\r\ntimeout\r\n");

    // Signed in, only the idle timer counts.
    let mut r = start(Duration::from_millis(600), Some(Duration::from_millis(500))).await;
    r.send(b"SIGN\r\n").await;
    r.expect("hello\r\nsigned in\r\n").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    r.send(b"x\r\n").await;
    assert_eq!(r.rest().await, "x\r\ntimeout\r\n");
}

#[tokio::test]
async fn shutdown_says_goodbye() {
    let mut r = start(LONG, Some(LONG)).await;
    r.expect("hello\r\n").await;
    r.shutdown.cancel();
    assert_eq!(r.rest().await, "shutdown\r\n");
}

#[tokio::test]
async fn commands_pipelined_behind_starttls_close_the_connection() {
    let mut r = start(LONG, Some(LONG)).await;
    r.send(b"a\r\nTLS\r\nb\r\n").await;
    assert_eq!(r.rest().await, "hello\r\na\r\n");
}
