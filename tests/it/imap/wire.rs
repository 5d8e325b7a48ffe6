//! Exact bytes on the wire: greeting, capabilities before and after STARTTLS and sign-in,
//! failed sign-ins, malformed lines, and limits.

use super::{Client, EMAIL, Env};
use postern_testkit::Listener;

const CAPS_PLAIN: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE STARTTLS AUTH=PLAIN";
const CAPS_TLS: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN";
const CAPS_SIGNED_IN: &str = "IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE \
     UNSELECT SPECIAL-USE CHILDREN APPENDLIMIT=52428800";

#[tokio::test]
async fn greeting_starttls_and_sign_in() {
    let env = Env::start().await;
    let mut c = env.connect().await;
    assert_eq!(
        c.greeting,
        format!("* OK [CAPABILITY {CAPS_PLAIN}] Postern ready.\r\n")
    );
    assert_eq!(
        c.run("CAPABILITY").await,
        format!("* CAPABILITY {CAPS_PLAIN}\r\nt1 OK CAPABILITY completed\r\n")
    );
    assert_eq!(
        c.run("STARTTLS").await,
        "t2 OK Begin TLS negotiation now\r\n"
    );
    let mut c = c.start_tls(&env.cert_path()).await;
    // No greeting after TLS; the capabilities lose STARTTLS.
    assert_eq!(
        c.run("CAPABILITY").await,
        format!("* CAPABILITY {CAPS_TLS}\r\nt3 OK CAPABILITY completed\r\n")
    );
    assert_eq!(c.run("STARTTLS").await, "t4 BAD TLS is already active\r\n");
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {}", env.password)).await,
        format!("t5 OK [CAPABILITY {CAPS_SIGNED_IN}] Signed in\r\n")
    );
    assert_eq!(
        c.run("CAPABILITY").await,
        format!("* CAPABILITY {CAPS_SIGNED_IN}\r\nt6 OK CAPABILITY completed\r\n")
    );
    assert_eq!(c.run("STARTTLS").await, "t7 BAD Already signed in\r\n");
    assert_eq!(
        c.run("LOGOUT").await,
        "* BYE Logging out\r\nt8 OK LOGOUT completed\r\n"
    );
    assert_eq!(c.closed().await, "");
}

#[tokio::test]
async fn implicit_tls_port() {
    let env = Env::start().await;
    let mut c = Client::connect_tls(env.server.addr(Listener::ImapTls), &env.cert_path()).await;
    assert_eq!(
        c.greeting,
        format!("* OK [CAPABILITY {CAPS_TLS}] Postern ready.\r\n")
    );
    let tag = "a1";
    c.send(format!("{tag} AUTHENTICATE PLAIN\r\n").as_bytes())
        .await;
    assert_eq!(c.line().await, "+ \r\n");
    let plain = format!("\0{EMAIL}\0{}", env.password);
    c.send(format!("{}\r\n", b64(plain.as_bytes())).as_bytes())
        .await;
    assert_eq!(
        c.until(tag).await,
        format!("a1 OK [CAPABILITY {CAPS_SIGNED_IN}] Signed in\r\n")
    );
}

#[tokio::test]
async fn pipelined_commands_after_starttls_are_dropped() {
    let env = Env::start().await;
    let mut c = env.connect().await;
    // A command injected behind STARTTLS in plaintext must never run.
    c.send(format!("s1 STARTTLS\r\nx1 LOGIN {EMAIL} {}\r\n", env.password).as_bytes())
        .await;
    assert_eq!(c.line().await, "s1 OK Begin TLS negotiation now\r\n");
    let mut c = c.start_tls(&env.cert_path()).await;
    assert_eq!(
        c.run("CAPABILITY").await,
        format!("* CAPABILITY {CAPS_TLS}\r\nt1 OK CAPABILITY completed\r\n")
    );
}

#[tokio::test]
async fn failed_sign_ins() {
    let env = Env::start().await;
    let (_, pop_only) = env.server.device(EMAIL, "Old phone", "pop3").await;
    let mut c = env.connect().await;
    let failed = "NO [AUTHENTICATIONFAILED] Authentication failed\r\n";
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} aaaa-bbbb-cccc-dddd-eeee-ffff"))
            .await,
        format!("t1 {failed}")
    );
    assert_eq!(
        c.run(&format!("LOGIN nobody@localhost {}", env.password))
            .await,
        format!("t2 {failed}")
    );
    // A device not allowed to use IMAP.
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {pop_only}")).await,
        format!("t3 {failed}")
    );
    // SASL-IR with a wrong password.
    let plain = b64(format!("\0{EMAIL}\0wrong").as_bytes());
    assert_eq!(
        c.run(&format!("AUTHENTICATE PLAIN {plain}")).await,
        format!("t4 {failed}")
    );
    assert_eq!(c.run("SELECT INBOX").await, "t5 BAD Sign in first\r\n");
    // The session is still usable: the right password works.
    assert!(
        c.run(&format!("LOGIN {EMAIL} {}", env.password))
            .await
            .starts_with("t6 OK [CAPABILITY")
    );
}

#[tokio::test]
async fn malformed_lines_get_bad_and_the_session_goes_on() {
    let env = Env::start().await;
    let mut c = env.connect().await;
    c.send(b"a1 FROBNICATE\r\n").await;
    assert_eq!(c.line().await, "a1 BAD Syntax error in the command\r\n");
    c.send(b"NOOP\r\n").await;
    assert_eq!(c.line().await, "* BAD Syntax error in the command\r\n");
    c.send(b"a2 LOGIN onlyone\r\n").await;
    assert_eq!(c.line().await, "a2 BAD Syntax error in the command\r\n");
    c.send(b"a3 AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ \r\n");
    c.send(b"!!not base64!!\r\n").await;
    assert_eq!(c.line().await, "a3 BAD Invalid SASL response\r\n");
    c.send(b"a4 NOOP\r\n").await;
    assert_eq!(c.line().await, "a4 OK NOOP completed\r\n");
}

#[tokio::test]
async fn oversized_literal_and_line_are_refused() {
    let env = Env::start_with(|c| c.limits.max_message_bytes = 1000).await;
    let mut c = env.inbox().await;
    c.send(b"a1 APPEND INBOX {2000}\r\n").await;
    assert_eq!(
        c.line().await,
        "a1 NO [TOOBIG] Literal too large (the limit is 1000 bytes)\r\n"
    );
    c.send(b"a2 NOOP\r\n").await;
    assert_eq!(c.line().await, "a2 OK NOOP completed\r\n");
    // A non-synchronising literal comes anyway: it is read, dropped and refused.
    c.send(b"a3 APPEND INBOX {2000+}\r\n").await;
    c.send(&[b'x'; 2000]).await;
    c.send(b"\r\n").await;
    assert_eq!(
        c.line().await,
        "a3 BAD Literal too large (the limit is 1000 bytes)\r\n"
    );
    let mut long = b"a4 NOOP ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 70_000));
    long.extend_from_slice(b"\r\na5 NOOP\r\n");
    c.send(&long).await;
    assert_eq!(
        c.line().await,
        "a4 BAD Line too long (the limit is 65536 bytes)\r\n"
    );
    assert_eq!(c.line().await, "a5 OK NOOP completed\r\n");
    // Nothing was stored.
    assert!(
        c.ok("STATUS INBOX (MESSAGES)")
            .await
            .contains("(MESSAGES 0)")
    );
}

/// Base64 (standard alphabet, padded) without a dependency.
pub fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
