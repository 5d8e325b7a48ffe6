//! Exact replies of the POP3 state machine, driven without any I/O.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;

const MESSAGES: [(u32, &[u8]); 3] = [
    (4, b"Subject: one\r\n\r\n.dot\r\nbody\r\n"),
    (7, b"Subject: two\r\n\r\nl1\r\nl2\r\nl3\r\n"),
    (9, b"Subject: three\r\n\r\nx\r\n"),
];

/// Answers events from fixed data; records what QUIT removed.
#[derive(Default)]
struct World {
    expunged: Vec<u32>,
    /// UIDs that vanish before they are fetched.
    gone: Vec<u32>,
}

impl World {
    fn drive(&mut self, s: &mut Session, input: &[u8], chunk: usize) -> (String, bool) {
        let mut closed = false;
        for piece in input.chunks(chunk.max(1)) {
            let mut rest = piece;
            loop {
                match s.feed(&mut rest) {
                    Event::NeedInput => break,
                    Event::Request(Request::Authenticate { login, password }) => {
                        let ok = login == "me@example.org" && password.as_str() == "pw w";
                        s.authenticated(if ok {
                            AuthOutcome::SignedIn(Maildrop {
                                uidvalidity: 42,
                                messages: MESSAGES
                                    .iter()
                                    .map(|(uid, c)| Entry {
                                        uid: *uid,
                                        size: c.len() as u64,
                                    })
                                    .collect(),
                            })
                        } else {
                            AuthOutcome::Failed
                        });
                    }
                    Event::Request(Request::Fetch { uid }) => {
                        let content = MESSAGES
                            .iter()
                            .find(|(u, _)| *u == uid && !self.gone.contains(u))
                            .map(|(_, c)| *c);
                        s.fetched(content);
                    }
                    Event::Request(Request::Update { deleted }) => {
                        self.expunged.extend(deleted);
                        s.updated(true);
                    }
                    Event::StartTls | Event::Close => {
                        closed = true;
                        break;
                    }
                }
            }
            if closed {
                break;
            }
        }
        (String::from_utf8(s.take_output()).unwrap(), closed)
    }
}

fn session(loopback: bool) -> Session {
    Session::new(Settings::default(), false, true, loopback)
}

#[test]
fn capabilities_depend_on_the_connection() {
    let mut w = World::default();
    let mut s = session(false);
    let (out, _) = w.drive(&mut s, b"CAPA\r\nUSER me@example.org\r\n", 100);
    assert_eq!(
        out,
        "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
         PIPELINING\r\nSTLS\r\nIMPLEMENTATION Postern\r\n.\r\n\
         -ERR [AUTH] Passwords are not accepted over an unencrypted connection: use STLS first\r\n"
    );
    let mut s = session(true);
    let (out, _) = w.drive(&mut s, b"CAPA\r\n", 100);
    assert!(out.contains("USER\r\nSASL PLAIN\r\nSTLS\r\n"), "{out}");
    let (out, closed) = w.drive(&mut s, b"STLS\r\n", 100);
    assert_eq!(out, "+OK Begin TLS negotiation\r\n");
    assert!(closed);
}

#[test]
fn a_whole_session_pipelined_in_any_chunking() {
    let input = b"USER me@example.org\r\nPASS pw w\r\nSTAT\r\nLIST\r\nUIDL 2\r\nRETR 1\r\n\
        TOP 2 1\r\nDELE 2\r\nDELE 2\r\nLIST 2\r\nSTAT\r\nRSET\r\nDELE 1\r\nDELE 3\r\nNOOP\r\nQUIT\r\n";
    for chunk in [1, 3, 10, 4096] {
        let mut w = World::default();
        let mut s = session(true);
        let (out, closed) = w.drive(&mut s, input, chunk);
        assert_eq!(
            out,
            "+OK Send the device password with PASS\r\n\
             +OK Signed in; 3 messages (77 octets)\r\n\
             +OK 3 77\r\n\
             +OK Listing follows\r\n1 28\r\n2 28\r\n3 21\r\n.\r\n\
             +OK 2 42.7\r\n\
             +OK 28 octets\r\nSubject: one\r\n\r\n..dot\r\nbody\r\n.\r\n\
             +OK 28 octets\r\nSubject: two\r\n\r\nl1\r\n.\r\n\
             +OK Message 2 deleted\r\n\
             -ERR Message 2 is already deleted\r\n\
             -ERR Message 2 is already deleted\r\n\
             +OK 2 49\r\n\
             +OK 3 messages\r\n\
             +OK Message 1 deleted\r\n\
             +OK Message 3 deleted\r\n\
             +OK OK\r\n\
             +OK Bye; 2 messages deleted\r\n",
            "chunk {chunk}"
        );
        assert!(closed);
        assert_eq!(w.expunged, vec![4, 9]);
    }
}

#[test]
fn sasl_plain_with_and_without_initial_response() {
    let ir = BASE64.encode("\0me@example.org\0pw w");
    let mut w = World::default();
    let mut s = session(true);
    let input = format!("AUTH\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n{ir}\r\nSTAT\r\n");
    let (out, _) = w.drive(&mut s, input.as_bytes(), 7);
    assert_eq!(
        out,
        "+OK Mechanisms follow\r\nPLAIN\r\n.\r\n+ \r\n-ERR Authentication cancelled\r\n\
         + \r\n+OK Signed in; 3 messages (77 octets)\r\n+OK 3 77\r\n"
    );
    let mut s = session(true);
    let (out, _) = w.drive(
        &mut s,
        format!("AUTH PLAIN {ir}\r\nQUIT\r\n").as_bytes(),
        4096,
    );
    assert_eq!(out, "+OK Signed in; 3 messages (77 octets)\r\n+OK Bye\r\n");
    assert!(w.expunged.is_empty());
}

#[test]
fn failures_states_and_limits() {
    let mut w = World::default();
    let mut s = session(true);
    let mut input = b"STAT\r\nPASS x\r\nRETR 1\r\nUSER me@example.org\r\nPASS nope\r\n".to_vec();
    input.extend_from_slice(&[b'x'; 2000]);
    input.extend_from_slice(b"\r\nFOO\r\nUSER me@example.org\r\nPASS nope\r\nUSER a\r\nPASS b\r\n");
    let (out, closed) = w.drive(&mut s, &input, 512);
    assert_eq!(
        out,
        "-ERR Command not valid in this state\r\n\
         -ERR Send USER first\r\n\
         -ERR Command not valid in this state\r\n\
         +OK Send the device password with PASS\r\n\
         -ERR [AUTH] Authentication failed\r\n\
         -ERR Line too long\r\n\
         -ERR Unknown command\r\n\
         +OK Send the device password with PASS\r\n\
         -ERR [AUTH] Authentication failed\r\n\
         +OK Send the device password with PASS\r\n\
         -ERR [AUTH] Too many failed sign-ins; closing the connection\r\n"
    );
    assert!(closed);
}

#[test]
fn transaction_errors() {
    let mut w = World {
        gone: vec![7],
        ..World::default()
    };
    let mut s = session(true);
    let input = b"USER me@example.org\r\nPASS pw w\r\nRETR 0\r\nRETR 4\r\nTOP 1\r\nRETR 2\r\n\
        USER x\r\nSTLS\r\nCAPA\r\n";
    let (out, _) = w.drive(&mut s, input, 4096);
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(
        &lines[2..8],
        &[
            "-ERR No message 0",
            "-ERR No message 4",
            "-ERR Syntax: TOP message lines",
            "-ERR [SYS/TEMP] The message was removed by another session",
            "-ERR Command not valid in this state",
            "-ERR Command not valid in this state",
        ]
    );
    assert!(!out.contains("SASL") && !out.contains("STLS\r\n"), "{out}");
}
