//! `From:` forgery on submission: a device may send only as its own address, in the
//! envelope and in the `From:` and `Sender:` headers a reader's mail program shows.

use postern_testkit::TestServer;

use super::{inbox, plain};
use crate::wire::Wire;
use postern_testkit::Listener;

/// A server where mallory@ and admin@example.test are two accounts' addresses, and a device
/// of mallory's that may send mail.
async fn mallory_and_admin() -> (TestServer, String) {
    let server = TestServer::start().await;
    for who in ["mallory@example.test", "admin@example.test"] {
        server.account(who, "a long account password").await;
        server.address(who, who).await;
    }
    let (_, password) = server
        .device("mallory@example.test", "Mallory's laptop", "smtp")
        .await;
    (server, password)
}

/// Signs mallory in on submission (plain text is allowed on loopback) and sends `message`
/// to `admin@example.test`; returns the reply to the end of DATA.
async fn submit(server: &TestServer, password: &str, message: &str) -> String {
    let (mut c, greeting) = Wire::connect(server.addr(Listener::Smtp)).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(c.cmd("EHLO laptop.example").await.starts_with("250"));
    let auth = c
        .cmd(&format!(
            "AUTH PLAIN {}",
            plain("mallory@example.test", password)
        ))
        .await;
    assert!(auth.starts_with("235"), "{auth}");
    let mail = c.cmd("MAIL FROM:<mallory@example.test>").await;
    assert!(mail.starts_with("250"), "{mail}");
    assert!(
        c.cmd("RCPT TO:<admin@example.test>")
            .await
            .starts_with("250")
    );
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send_raw(message.as_bytes()).await;
    let reply = c.cmd(".").await;
    // The session carries on after a refusal.
    assert!(c.cmd("RSET").await.starts_with("250"));
    reply
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_from_is_refused_at_the_end_of_data_and_nothing_is_delivered() {
    let (server, password) = mallory_and_admin().await;
    let forged = [
        "From: Admin <admin@example.test>\r\nTo: admin@example.test\r\nSubject: Urgent\r\n\r\nPay now.\r\n",
        "From: mallory@example.test\r\nSender: admin@example.test\r\nSubject: x\r\n\r\nHi\r\n",
        "From: mallory@example.test, admin@example.test\r\nSubject: x\r\n\r\nHi\r\n",
        "From: Admin\r\nSubject: a name and no address\r\n\r\nHi\r\n",
    ];
    for message in forged {
        let reply = submit(&server, &password, message).await;
        assert!(reply.starts_with("550 5.7.1 "), "{message:?}: {reply}");
        assert!(reply.contains("<mallory@example.test>"), "{reply}");
    }
    let reply = submit(&server, &password, forged[0]).await;
    assert_eq!(
        reply,
        "550 5.7.1 The From: header names <admin@example.test>, which is not yours: \
         send as <mallory@example.test>"
    );
    assert!(inbox(&server, "admin@example.test").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rightful_from_is_delivered() {
    let (server, password) = mallory_and_admin().await;
    let message = "From: \"Mallory M.\" <Mallory@Example.test>\r\nSender: mallory@example.test\r\n\
                   To: admin@example.test\r\nSubject: Lunch?\r\n\r\nAt noon.\r\n";
    let reply = submit(&server, &password, message).await;
    assert!(reply.starts_with("250 "), "{reply}");
    let got = inbox(&server, "admin@example.test").await;
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Subject: Lunch?"), "{}", got[0]);
}
