//! The IMAP client against scripted servers.

use super::*;

#[test]
fn responses_are_classified() {
    assert_eq!(
        parse_response("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n").unwrap(),
        Response::Untagged {
            status: Some(Status::Ok),
            text: "[CAPABILITY IMAP4rev1] Dovecot ready."
        }
    );
    assert_eq!(
        parse_response("a1 OK [CAPABILITY IMAP4rev1] Logged in").unwrap(),
        Response::Tagged {
            tag: "a1",
            status: Status::Ok,
            text: "[CAPABILITY IMAP4rev1] Logged in"
        }
    );
    assert_eq!(
        parse_response("a2 no [AUTHENTICATIONFAILED] Authentication failed.").unwrap(),
        Response::Tagged {
            tag: "a2",
            status: Status::No,
            text: "[AUTHENTICATIONFAILED] Authentication failed."
        }
    );
    assert_eq!(
        parse_response("* BYE Disconnected for inactivity.").unwrap(),
        Response::Untagged {
            status: Some(Status::Bye),
            text: "Disconnected for inactivity."
        }
    );
    assert_eq!(
        parse_response("* 3 EXISTS").unwrap(),
        Response::Untagged {
            status: None,
            text: "3 EXISTS"
        }
    );
    assert_eq!(
        parse_response("+ idling").unwrap(),
        Response::Continuation("idling")
    );
    assert_eq!(parse_response("+").unwrap(), Response::Continuation(""));
    assert_eq!(
        parse_response("* BYE").unwrap(),
        Response::Untagged {
            status: Some(Status::Bye),
            text: ""
        }
    );
}

#[test]
fn malformed_lines_are_errors() {
    assert!(parse_response("").is_err());
    assert!(parse_response(" OK").is_err());
    assert!(parse_response("a1 MAYBE fine").is_err());
    assert!(parse_response("a1 BYE tagged bye is not a thing").is_err());
    assert!(parse_response("a1").is_err());
}

#[test]
fn literals_are_detected_at_the_end_only() {
    assert_eq!(literal_len("* 1 FETCH (BODY[] {342}\r\n"), Some(342));
    assert_eq!(literal_len("* LIST () \"/\" {5+}"), Some(5));
    assert_eq!(literal_len("* OK {not a literal}"), None);
    assert_eq!(literal_len("* OK {}"), None);
    assert_eq!(literal_len("* OK {12} trailing"), None);
    assert_eq!(literal_len("* OK"), None);
}

#[tokio::test]
async fn logout_expects_the_server_to_close() {
    use tokio::io::AsyncReadExt;
    // Answers every command with OK, and closes after LOGOUT only if `closes`.
    async fn server(closes: bool) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b"* OK hi\r\n").await.unwrap();
            let mut buf = [0u8; 256];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    return;
                }
                s.write_all(b"* BYE bye\r\na1 OK done\r\n").await.unwrap();
                if closes {
                    return;
                }
            }
        });
        addr
    }
    for closes in [true, false] {
        let stream = tokio::net::TcpStream::connect(server(closes).await)
            .await
            .unwrap();
        let client = ImapClient::start(Box::new(stream), Duration::from_secs(5))
            .await
            .unwrap();
        let begun = std::time::Instant::now();
        let result = client.logout(false).await;
        assert_eq!(result.is_ok(), closes, "{result:?}");
        assert!(begun.elapsed() < Duration::from_secs(3));
    }
}

#[test]
fn quoting_escapes_and_refuses_line_breaks() {
    assert_eq!(
        quote("plain@example.test").unwrap(),
        "\"plain@example.test\""
    );
    assert_eq!(quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
    assert_eq!(quote("").unwrap(), "\"\"");
    assert_eq!(quote("a\r\nb"), None);
}
