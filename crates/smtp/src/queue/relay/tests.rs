//! Relaying to a smarthost that answers as told.

use super::*;

#[test]
fn dot_stuffing() {
    assert_eq!(dot_stuff(b".a\r\nb\r\n.\r\n"), b"..a\r\nb\r\n..\r\n.\r\n");
    assert_eq!(dot_stuff(b"x"), b"x\r\n.\r\n");
    assert_eq!(dot_stuff(b""), b".\r\n");
}

#[tokio::test]
async fn per_recipient_outcomes_over_a_scripted_server() {
    let (client_end, mut server_end) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let script: &[(&str, &str)] = &[
            ("", "220 sink ready\r\n"),
            ("EHLO", "250-sink\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"),
            ("MAIL FROM:<me@example.org> SIZE=", "250 ok\r\n"),
            ("RCPT TO:<a@far.test>", "250 ok\r\n"),
            ("RCPT TO:<b@far.test>", "451 4.3.0 later\r\n"),
            (
                "RCPT TO:<c@far.test>",
                "550-5.1.1 no such\r\n550 5.1.1 user\r\n",
            ),
            ("DATA", "354 go\r\n"),
            ("Subject", "250 2.0.0 queued\r\n"),
            ("QUIT", "221 bye\r\n"),
        ];
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        for (expect, answer) in script {
            if !expect.is_empty() {
                loop {
                    let text = String::from_utf8_lossy(&seen).to_string();
                    if text.contains(expect) && text.ends_with("\r\n") {
                        break;
                    }
                    let n = server_end.read(&mut buf).await.unwrap();
                    assert!(n > 0, "client hung up before {expect}");
                    seen.extend_from_slice(&buf[..n]);
                }
                seen.clear();
            }
            server_end.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let mut client = Client {
        stream: Box::new(client_end) as Box<dyn Io>,
        pending: Vec::new(),
        timeout: Duration::from_secs(5),
        encrypted: false,
    };
    let smarthost = Smarthost::new("sink.test:25", SmarthostTls::Auto, None, None, None).unwrap();
    let rcpts = ["a@far.test", "b@far.test", "c@far.test"].map(String::from);
    let outcomes = client
        .transaction(
            &smarthost,
            &Outgoing {
                hello: "mail.example.org",
                sender: "me@example.org",
                recipients: &rcpts,
                content: b"Subject: x\r\n\r\n.hi\r\n",
            },
        )
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            RelayOutcome::Sent,
            RelayOutcome::Retry("451 4.3.0 later".into()),
            RelayOutcome::Permanent("550 5.1.1 no such user".into()),
        ]
    );
    client.command("QUIT").await.unwrap();
    server.await.unwrap();
}
