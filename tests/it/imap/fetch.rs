//! FETCH (RFC 3501 6.4.5): envelope, body structure and sections of a MIME message,
//! partial fetches, the implicit `\Seen`, and UID FETCH.

use super::{Env, message};

/// A multipart message with an encapsulated message and an attachment.
pub const MULTIPART: &str = "From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.org>, \"Carol C.\" <carol@example.org>\r\n\
Cc: Friends: dave@example.org, erin@example.org;\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
Date: Tue, 2 Jan 2024 09:30:00 +0100\r\n\
Message-ID: <multi@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
preamble\r\n\
--outer\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Hello =C3=BC\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: Dave <dave@example.org>\r\n\
Subject: Inner\r\n\
Content-Type: text/plain\r\n\
\r\n\
inner body\r\n\
--outer\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Disposition: attachment; filename=\"a.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAw==\r\n\
--outer--\r\n";

async fn with_multipart() -> (Env, super::Client) {
    let env = Env::start().await;
    env.deliver(MULTIPART).await;
    let c = env.inbox().await;
    (env, c)
}

/// The single FETCH response of `FETCH 1 (<item>)`, without the tagged line.
async fn fetch1(c: &mut super::Client, item: &str) -> String {
    let out = c.ok(&format!("FETCH 1 ({item})")).await;
    let end = out.rfind("\r\nt").map_or(out.len(), |i| i + 2);
    out[..end].to_owned()
}

#[tokio::test]
async fn envelope_and_body_structure() {
    let (_env, mut c) = with_multipart().await;
    let dave = "((\"Dave\" NIL \"dave\" \"example.org\"))";
    let inner_env = format!("(NIL \"Inner\" {dave} {dave} {dave} NIL NIL NIL NIL NIL)");
    assert_eq!(
        fetch1(&mut c, "BODYSTRUCTURE").await,
        format!(
            "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 12 1 NIL NIL NIL NIL)\
             (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 85 {inner_env} (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL) 5 NIL NIL NIL NIL)\
             (\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" \"a.bin\")) NIL NIL) \
             \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL))\r\n"
        )
    );
    assert_eq!(
        fetch1(&mut c, "BODY").await,
        format!(
            "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 12 1)\
             (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 85 {inner_env} (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1) 5)\
             (\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") NIL NIL \"BASE64\" 8) \"MIXED\"))\r\n"
        )
    );
    assert_eq!(
        fetch1(&mut c, "ENVELOPE").await,
        "* 1 FETCH (ENVELOPE (\"Tue, 2 Jan 2024 09:30:00 +0100\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?=\" \
         ((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) \
         ((\"Alice\" NIL \"alice\" \"example.org\")) \
         ((\"Bob\" NIL \"bob\" \"example.org\")(\"Carol C.\" NIL \"carol\" \"example.org\")) \
         ((NIL NIL \"Friends\" NIL)(NIL NIL \"dave\" \"example.org\")(NIL NIL \"erin\" \"example.org\")(NIL NIL NIL NIL)) \
         NIL NIL \"<multi@example.org>\"))\r\n"
    );
}

#[tokio::test]
async fn sections_and_partial_fetches() {
    let (_env, mut c) = with_multipart().await;
    let cases = [
        ("BODY.PEEK[1]", "BODY[1] {12}\r\nHello =C3=BC"),
        (
            "BODY.PEEK[1.MIME]",
            "BODY[1.MIME] {88}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
        ),
        (
            "BODY.PEEK[2]",
            "BODY[2] {85}\r\nFrom: Dave <dave@example.org>\r\nSubject: Inner\r\nContent-Type: text/plain\r\n\r\ninner body",
        ),
        (
            "BODY.PEEK[2.HEADER]",
            "BODY[2.HEADER] {75}\r\nFrom: Dave <dave@example.org>\r\nSubject: Inner\r\nContent-Type: text/plain\r\n\r\n",
        ),
        ("BODY.PEEK[2.TEXT]", "BODY[2.TEXT] {10}\r\ninner body"),
        ("BODY.PEEK[2.1]", "BODY[2.1] {10}\r\ninner body"),
        (
            "BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]",
            "BODY[2.HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Inner\r\n\r\n",
        ),
        ("BODY.PEEK[3]", "BODY[3] {8}\r\nAAECAw=="),
        ("BODY.PEEK[TEXT]<0.8>", "BODY[TEXT]<0> {8}\r\npreamble"),
        ("BODY.PEEK[]<12.9>", "BODY[]<12> {9}\r\n<alice@ex"),
        ("BODY.PEEK[]<5000.10>", "BODY[]<5000> {0}\r\n"),
        (
            "BODY.PEEK[HEADER.FIELDS.NOT (To Cc From Date Message-ID MIME-Version Content-Type)]",
            "BODY[HEADER.FIELDS.NOT (To Cc From Date Message-ID MIME-Version Content-Type)] {40}\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n",
        ),
        ("BODY.PEEK[9]", "BODY[9] {0}\r\n"),
    ];
    for (item, want) in cases {
        assert_eq!(
            fetch1(&mut c, item).await,
            format!("* 1 FETCH ({want})\r\n"),
            "{item}"
        );
    }
    let whole = fetch1(&mut c, "BODY.PEEK[]").await;
    assert_eq!(
        whole,
        format!(
            "* 1 FETCH (BODY[] {{{}}}\r\n{MULTIPART})\r\n",
            MULTIPART.len()
        )
    );
    let size = fetch1(&mut c, "RFC822.SIZE").await;
    assert_eq!(
        size,
        format!("* 1 FETCH (RFC822.SIZE {})\r\n", MULTIPART.len())
    );
    // PEEK left the message unread; this session was the first to see it.
    assert_eq!(
        fetch1(&mut c, "FLAGS").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\n"
    );
}

#[tokio::test]
async fn reading_sets_seen_unless_peeking_or_examining() {
    let env = Env::start().await;
    env.deliver(&message("One", "first")).await;
    env.deliver(&message("Two", "second")).await;
    let mut c = env.connect().await;
    c.ok(&format!("LOGIN {} {}", super::EMAIL, env.password))
        .await;
    c.ok("EXAMINE INBOX").await;
    c.ok("FETCH 1 BODY[TEXT]").await;
    // EXAMINE shows the messages as recent without claiming them.
    assert_eq!(
        c.run("FETCH 1 FLAGS").await,
        "* 1 FETCH (FLAGS (\\Recent))\r\nt4 OK FETCH completed\r\n"
    );
    assert_eq!(
        c.run("STORE 1 +FLAGS (\\Seen)").await,
        "t5 NO [CANNOT] The mailbox is read-only\r\n"
    );
    // SELECT claims them: recent to this session.
    c.ok("SELECT INBOX").await;
    assert_eq!(
        c.run("FETCH 1 RFC822.TEXT").await,
        "* 1 FETCH (RFC822.TEXT {7}\r\nfirst\r\n FLAGS (\\Recent \\Seen))\r\nt7 OK FETCH completed\r\n"
    );
    // UID FETCH always answers with the UID, and names UIDs.
    assert_eq!(
        c.run("UID FETCH 2 (FLAGS)").await,
        "* 2 FETCH (UID 2 FLAGS (\\Recent))\r\nt8 OK FETCH completed\r\n"
    );
    assert_eq!(
        c.run("UID FETCH 9:* (FLAGS)").await.lines().count(),
        2,
        "9:* names the last message"
    );
    assert_eq!(
        c.run("FETCH 3 FLAGS").await,
        "t10 BAD Invalid message sequence number\r\n"
    );
    assert_eq!(
        c.run("UID FETCH 7 FLAGS").await,
        "t11 OK FETCH completed\r\n"
    );
    let all = c.ok("FETCH 1:* (UID RFC822.SIZE INTERNALDATE)").await;
    assert_eq!(all.matches(" FETCH (UID ").count(), 2, "{all}");
    let fast = c.ok("FETCH 2 FAST").await;
    assert!(
        fast.starts_with("* 2 FETCH (FLAGS (\\Recent) INTERNALDATE \""),
        "{fast}"
    );
}

/// A FETCH of many messages goes out in batches (a thousand at a time without contents,
/// dozens with, fewer when they are large): every message answers once, in order, whole.
#[tokio::test]
async fn long_fetches_answer_every_message_in_order() {
    let env = Env::start().await;
    let small = 1_030;
    for i in 1..=small {
        env.deliver(&message(&format!("m{i}"), &format!("body {i}")))
            .await;
    }
    // Two messages of 2.6 MB: together past a batch's bytes.
    let big = |n: u32| {
        let line = format!("{n}123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\r\n");
        format!("Subject: big {n}\r\n\r\n{}", line.repeat(40_000))
    };
    env.deliver(&big(1)).await;
    env.deliver(&big(2)).await;
    let total = small + 2;
    let mut c = env.inbox().await;

    let flags = c.ok("UID FETCH 1:* (FLAGS)").await;
    let seqs: Vec<u32> = flags
        .lines()
        .filter_map(|l| l.strip_prefix("* ")?.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());

    let subjects = c.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])").await;
    let got: Vec<&str> = subjects
        .lines()
        .filter_map(|l| l.strip_prefix("Subject: "))
        .collect();
    let mut want: Vec<String> = (1..=small).map(|i| format!("m{i}")).collect();
    want.extend(["big 1".into(), "big 2".into()]);
    assert_eq!(got, want);

    let bodies = c.ok(&format!("FETCH {}:* (BODY.PEEK[])", total - 2)).await;
    let mut rest = bodies.as_str();
    for (seq, content) in [
        (
            total - 2,
            message(&format!("m{small}"), &format!("body {small}")),
        ),
        (total - 1, big(1)),
        (total, big(2)),
    ] {
        let head = format!("* {seq} FETCH (BODY[] {{{}}}\r\n", content.len());
        assert!(rest.starts_with(&head), "{}", &rest[..rest.len().min(200)]);
        rest = &rest[head.len()..];
        assert!(rest.starts_with(&content), "message {seq} came back whole");
        rest = &rest[content.len()..];
        assert!(rest.starts_with(")\r\n"), "{}", &rest[..rest.len().min(50)]);
        rest = &rest[3..];
    }
    assert!(
        rest.starts_with("t"),
        "nothing after the last message: {rest:.80}"
    );
}
