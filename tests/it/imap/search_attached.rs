//! SEARCH looks inside attached messages (RFC 3501 6.4.4: BODY and TEXT search the body,
//! which holds the attached message whole), and input nested deeper than any parser should
//! follow is refused without ending the session.

use super::{Env, message};

/// A message with `attached` attached to it as message/rfc822.
fn with_attached(subject: &str, attached: &str) -> String {
    format!(
        "From: Alice <alice@example.org>\r\nTo: admin@localhost\r\nSubject: {subject}\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: text/plain\r\n\r\nA cover note.\r\n\
         --outer\r\nContent-Type: message/rfc822\r\n\r\n{attached}\r\n--outer--\r\n"
    )
}

#[tokio::test]
async fn search_text_and_body_look_inside_attached_messages() {
    let env = Env::start().await;
    let figures = "From: Dan <dan@example.org>\r\nSubject: Quarterly figures\r\n\r\n\
                   The walrus is in the attachment.";
    env.deliver(&with_attached("Forwarded", figures)).await;
    let inner = "Subject: Innermost\r\n\r\nAn okapi, two levels down.";
    let middle = format!("Subject: Middle\r\nContent-Type: message/rfc822\r\n\r\n{inner}");
    env.deliver(&with_attached("Twice forwarded", &middle))
        .await;
    env.deliver(&message("Plain", "Nothing attached here."))
        .await;
    let encoded = "From: Alice <alice@example.org>\r\nSubject: Encoded\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"e\"\r\n\r\n--e\r\nContent-Type: message/rfc822\r\n\
        Content-Transfer-Encoding: base64\r\n\r\n\
        U3ViamVjdDogQmFzZTY0DQoNCkEgbmFyd2hhbCwgaW4gYmFzZTY0Lg0K\r\n--e--\r\n";
    env.deliver(encoded).await;

    let mut c = env.inbox().await;
    for (key, want) in [
        ("BODY walrus", "1"),
        ("TEXT walrus", "1"),
        ("BODY \"quarterly figures\"", "1"),
        ("TEXT dan@example.org", "1"),
        ("SUBJECT quarterly", ""),
        ("BODY okapi", "2"),
        ("TEXT innermost", "2"),
        ("BODY narwhal", "4"),
        ("BODY nothing", "3"),
        ("NOT BODY walrus", "2 3 4"),
    ] {
        let expected = if want.is_empty() {
            "* SEARCH\r\n".to_owned()
        } else {
            format!("* SEARCH {want}\r\n")
        };
        let out = c.ok(&format!("SEARCH {key}")).await;
        assert!(out.starts_with(&expected), "SEARCH {key}: {out}");
    }
}

#[tokio::test]
async fn deeply_nested_search_keys_and_lists_are_refused_and_the_session_carries_on() {
    let env = Env::start().await;
    env.deliver(&message("One", "Hello.")).await;
    let mut c = env.inbox().await;
    let deep = 5_000;
    for command in [
        format!("SEARCH {}ALL{}", "(".repeat(deep), ")".repeat(deep)),
        format!("SEARCH {}ALL", "NOT ".repeat(deep)),
        format!("SEARCH {}ALL ALL", "OR ".repeat(deep)),
        format!("FETCH 1 {}FLAGS{}", "(".repeat(deep), ")".repeat(deep)),
        format!(
            "STORE 1 +FLAGS {}\\Seen{}",
            "(".repeat(deep),
            ")".repeat(deep)
        ),
    ] {
        let out = c.run(&command).await;
        let last = out.lines().last().unwrap_or_default();
        assert!(
            last.contains(" BAD ") || last.contains(" NO "),
            "{}…: {out}",
            &command[..40]
        );
        c.ok("NOOP").await;
    }
    // Nested as deep as a client may need, it still works.
    let out = c.ok("SEARCH (((NOT DELETED))) (OR SEEN (NOT SEEN))").await;
    assert!(out.starts_with("* SEARCH 1\r\n"), "{out}");
    // Wide rather than deep: 1,500 criteria side by side are answered.
    let wide = format!("SEARCH {}BODY hello", "SUBJECT one UNDELETED ".repeat(750));
    let out = c.ok(&wide).await;
    assert!(out.starts_with("* SEARCH 1\r\n"), "{out}");
}
