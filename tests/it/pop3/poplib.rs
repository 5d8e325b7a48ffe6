//! Python's poplib over STLS and implicit TLS: listing, reading, deleting; deletions are
//! committed at QUIT and announced to other sessions of the mailbox.

use postern_domain::Email;
use postern_testkit::{Need, requires};

use crate::smtp::{args, cert, inbox, printed, python, server_with};
use postern_testkit::Listener;

const SESSION: &str = r#"
import poplib, ssl, sys
mode, host, port, user, password, cafile = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
if mode == "stls":
    p = poplib.POP3(host, int(port))
    print("CAPA", sorted(p.capa().keys()))
    p.stls(context=ctx)
else:
    p = poplib.POP3_SSL(host, int(port), context=ctx)
print("CAPA-TLS", sorted(p.capa().keys()))
p.user(user)
p.pass_(password)
print("STAT", p.stat())
print("UIDL", p.uidl()[1])
print("TOP", p.top(2, 1)[1])
print("RETR", p.retr(1)[1])
p.dele(1)
print("STAT-AFTER-DELE", p.stat())
p.quit()
"#;

async fn deliver(server: &postern_testkit::TestServer, email: &str, content: &[u8]) {
    let store = server.core().store();
    let address = store
        .address_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    server.core().deliver(&address, content).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn poplib_reads_and_deletes_over_stls_and_implicit_tls() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let (_, pw) = server.device("alice@example.org", "Phone", "pop3").await;
    for i in 1..=3 {
        let content = format!("Subject: number {i}\r\n\r\n.first\r\nsecond\r\nthird\r\n");
        deliver(&server, "alice@example.org", content.as_bytes()).await;
    }
    let store = server.core().store();
    let alice = store
        .address_by_email(&Email::parse("alice@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    let inbox_box = store.mailbox(alice.id, "INBOX").await.unwrap().unwrap();
    let mut changes = server.core().mailbox_changes.watch(inbox_box.id);
    let cert = cert(&server).display().to_string();

    let stls = python(
        SESSION,
        args(&[
            "stls",
            "localhost",
            &server.addr(Listener::Pop3).port().to_string(),
            "alice@example.org",
            &pw,
            &cert,
        ]),
    )
    .await;
    assert!(stls.status.success(), "{}", printed(&stls));
    let out = String::from_utf8_lossy(&stls.stdout);
    let v = inbox_box.uidvalidity;
    assert!(
        out.contains("CAPA ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'STLS', 'TOP', 'UIDL', 'USER']"),
        "{out}"
    );
    assert!(out.contains("CAPA-TLS ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'SASL', 'TOP', 'UIDL', 'USER']"), "{out}");
    assert!(out.contains("STAT (3, 132)"), "{out}");
    assert!(
        out.contains(&format!("UIDL [b'1 {v}.1', b'2 {v}.2', b'3 {v}.3']")),
        "{out}"
    );
    assert!(
        out.contains("TOP [b'Subject: number 2', b'', b'.first']"),
        "{out}"
    );
    assert!(
        out.contains("RETR [b'Subject: number 1', b'', b'.first', b'second', b'third']"),
        "{out}"
    );
    assert!(out.contains("STAT-AFTER-DELE (2, 88)"), "{out}");

    // QUIT removed message 1 and told followers of the INBOX (IMAP's IDLE) about it.
    tokio::time::timeout(std::time::Duration::from_secs(5), changes.changed())
        .await
        .expect("a change notification")
        .unwrap();
    let modseq = *changes.borrow();
    assert_eq!(
        modseq,
        store
            .mailbox(alice.id, "INBOX")
            .await
            .unwrap()
            .unwrap()
            .modseq
    );
    let left = inbox(&server, "alice@example.org").await;
    assert_eq!(left.len(), 2);
    assert!(left[0].starts_with("Subject: number 2"));

    // Over implicit TLS, the numbering starts again from what is left.
    let tls = python(
        SESSION,
        args(&[
            "tls",
            "localhost",
            &server.addr(Listener::Pop3Tls).port().to_string(),
            "alice@example.org",
            &pw,
            &cert,
        ]),
    )
    .await;
    assert!(tls.status.success(), "{}", printed(&tls));
    let out = String::from_utf8_lossy(&tls.stdout);
    assert!(
        out.contains(&format!("UIDL [b'1 {v}.2', b'2 {v}.3']")),
        "{out}"
    );
    assert_eq!(inbox(&server, "alice@example.org").await.len(), 1);
    server.stop().await;
}
