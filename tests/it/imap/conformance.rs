//! More of RFC 3501 and its extensions: states, SEARCH keys, STORE forms, APPEND options,
//! COPY, UID semantics, ID and ENABLE.

use postern_domain::Actor;

use super::{EMAIL, Env, message};

#[tokio::test]
async fn commands_need_their_state() {
    let env = Env::start().await;
    let mut c = env.connect().await;
    assert_eq!(c.run("LIST \"\" *").await, "t1 BAD Sign in first\r\n");
    assert_eq!(c.run("FETCH 1 FLAGS").await, "t2 BAD Sign in first\r\n");
    c.ok(&format!("LOGIN {EMAIL} {}", env.password)).await;
    assert_eq!(c.run("EXPUNGE").await, "t4 BAD No mailbox selected\r\n");
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {}", env.password)).await,
        "t5 BAD Already signed in\r\n"
    );
    assert_eq!(
        c.run("SELECT Nowhere").await,
        "t6 NO [NONEXISTENT] No such mailbox\r\n"
    );
    assert_eq!(
        c.run("ENABLE CONDSTORE").await,
        "* ENABLED\r\nt7 OK ENABLE completed\r\n"
    );
    assert_eq!(
        c.run("GETQUOTAROOT INBOX").await,
        "t8 BAD Command not supported\r\n"
    );
}

#[tokio::test]
async fn id_names_the_client_of_the_device() {
    let env = Env::start().await;
    let mut c = env.connect().await;
    assert_eq!(
        c.run("ID (\"name\" \"Thunderbird\" \"version\" \"128.3\")")
            .await,
        format!(
            "* ID (\"name\" \"Postern\" \"version\" \"{}\")\r\nt1 OK ID completed\r\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    c.ok(&format!("LOGIN {EMAIL} {}", env.password)).await;
    let device = env
        .server
        .core()
        .device(&Actor::CommandLine, env.device)
        .await
        .expect("device");
    assert_eq!(device.client.as_deref(), Some("Thunderbird 128.3"));
    let last_use = device.last_use.expect("used");
    assert_eq!(last_use.protocol, postern_domain::Protocol::Imap);
    // After sign-in, ID records at once.
    c.ok("ID (\"name\" \"K-9 Mail\")").await;
    let device = env
        .server
        .core()
        .device(&Actor::CommandLine, env.device)
        .await
        .expect("device");
    assert_eq!(device.client.as_deref(), Some("K-9 Mail"));
}

#[tokio::test]
async fn search_keys() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    let old = "From: Carol <carol@example.net>\r\nTo: admin@localhost\r\nCc: dan@example.net\r\n\
               Subject: Invoice 42\r\nDate: Fri, 1 Mar 2019 08:00:00 +0000\r\nX-Tag: blue\r\n\r\nPlease pay.\r\n";
    c.append("INBOX", "\\Seen \\Answered", old).await;
    c.append(
        "INBOX",
        "\\Flagged $Work",
        &message("Meeting", "Room 4 at noon"),
    )
    .await;
    c.append(
        "INBOX",
        "\\Draft",
        &message("Draft reply", "not sent yet, invoice attached"),
    )
    .await;
    let cases = [
        ("ALL", "1 2 3"),
        ("SEEN", "1"),
        ("UNSEEN", "2 3"),
        ("ANSWERED UNFLAGGED", "1"),
        ("FLAGGED", "2"),
        ("DRAFT", "3"),
        ("UNDRAFT", "1 2"),
        ("KEYWORD $Work", "2"),
        ("UNKEYWORD $work", "1 3"),
        ("DELETED", ""),
        ("UNDELETED", "1 2 3"),
        // This session is the first to see the three messages: they are recent to it.
        ("NEW", "2 3"),
        ("OLD", ""),
        ("RECENT", "1 2 3"),
        ("NOT RECENT", ""),
        ("FROM carol", "1"),
        ("FROM \"alice@example.org\"", "2 3"),
        ("TO admin", "1 2 3"),
        ("CC dan", "1"),
        ("BCC anyone", ""),
        ("SUBJECT invoice", "1"),
        ("BODY invoice", "3"),
        ("TEXT invoice", "1 3"),
        ("HEADER X-Tag blue", "1"),
        ("HEADER X-Tag \"\"", "1"),
        ("SENTBEFORE 1-Jan-2020", "1"),
        ("SENTON 1-Mar-2019", "1"),
        ("SENTSINCE 1-Jan-2024", "2 3"),
        ("LARGER 10000", ""),
        ("SMALLER 10000", "1 2 3"),
        ("NOT SEEN", "2 3"),
        ("OR SEEN FLAGGED", "1 2"),
        ("2:*", "2 3"),
        ("UID 1,3", "1 3"),
        ("(SEEN) (ANSWERED)", "1"),
        ("CHARSET UTF-8 SUBJECT meeting", "2"),
    ];
    for (key, want) in cases {
        let expected = if want.is_empty() {
            "* SEARCH\r\n".to_owned()
        } else {
            format!("* SEARCH {want}\r\n")
        };
        let out = c.ok(&format!("SEARCH {key}")).await;
        assert!(out.starts_with(&expected), "SEARCH {key}: {out}");
    }
    let out = c.ok("UID SEARCH 2:3").await;
    assert!(out.starts_with("* SEARCH 2 3\r\n"), "{out}");
    let out = c.run("SEARCH CHARSET KOI8-R ALL").await;
    assert!(out.contains(" NO [BADCHARSET] "), "{out}");
    let today = c.ok("SEARCH SINCE 1-Jan-2020 BEFORE 1-Jan-2100").await;
    assert!(today.starts_with("* SEARCH 1 2 3\r\n"), "{today}");
}

#[tokio::test]
async fn store_forms_and_keywords() {
    let env = Env::start().await;
    env.deliver(&message("a", "1")).await;
    env.deliver(&message("b", "2")).await;
    let mut c = env.inbox().await;
    assert_eq!(
        c.run("STORE 1:2 FLAGS (\\Seen $Label1)").await,
        // A keyword new to the mailbox: FLAGS and PERMANENTFLAGS first (RFC 3501 7.2.6).
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n\
         * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] Flags permitted\r\n\
         * 1 FETCH (FLAGS (\\Recent \\Seen $Label1))\r\n* 2 FETCH (FLAGS (\\Recent \\Seen $Label1))\r\nt3 OK STORE completed\r\n"
    );
    assert_eq!(
        c.run("STORE 2 -FLAGS ($label1)").await,
        "* 2 FETCH (FLAGS (\\Recent \\Seen))\r\nt4 OK STORE completed\r\n"
    );
    assert_eq!(
        c.run("UID STORE 1 +FLAGS.SILENT (\\Answered)").await,
        "t5 OK STORE completed\r\n"
    );
    assert_eq!(
        c.run("UID STORE 1 FLAGS (\\Draft)").await,
        "* 1 FETCH (UID 1 FLAGS (\\Recent \\Draft))\r\nt6 OK STORE completed\r\n"
    );
    assert_eq!(
        c.run("STORE 1 +FLAGS (\\Recent)").await,
        "t7 BAD That flag cannot be stored\r\n"
    );
    assert_eq!(
        c.run("STORE 1 +FLAGS (\\Unknown)").await,
        "t8 BAD That flag cannot be stored\r\n"
    );
    assert_eq!(
        c.run("UID STORE 99 +FLAGS (\\Seen)").await,
        "t9 OK STORE completed\r\n"
    );
}

#[tokio::test]
async fn append_options_and_copy() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    let out = c
        .run("APPEND Drafts (\\Draft) \"05-Feb-2023 13:14:15 +0100\" {5+}\r\nhello")
        .await;
    assert!(out.contains(" OK [APPENDUID "), "{out}");
    assert_eq!(
        c.run("APPEND Nowhere {5+}\r\nhello").await,
        "t4 NO [TRYCREATE] No such mailbox\r\n"
    );
    assert_eq!(
        c.run("APPEND INBOX {0+}\r\n").await,
        "t5 NO [CANNOT] An empty message cannot be stored\r\n"
    );
    c.ok("SELECT Drafts").await;
    assert_eq!(
        c.run("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)").await,
        "* 1 FETCH (FLAGS (\\Recent \\Draft) INTERNALDATE \"05-Feb-2023 12:14:15 +0000\" RFC822.SIZE 5)\r\nt7 OK FETCH completed\r\n"
    );
    assert_eq!(
        c.run("COPY 1 Nowhere").await,
        "t8 NO [TRYCREATE] No such mailbox\r\n"
    );
    let copied = c.ok("COPY 1 INBOX").await;
    assert!(copied.contains(" 1 1] COPY completed"), "{copied}");
    assert_eq!(
        c.run("UID COPY 50:60 INBOX").await,
        "t10 OK COPY completed\r\n"
    );
    // Copies share their content; expunging one leaves the other whole.
    c.ok("STORE 1 +FLAGS (\\Deleted)").await;
    c.ok("EXPUNGE").await;
    c.ok("SELECT INBOX").await;
    let body = c.ok("FETCH 1 (FLAGS BODY.PEEK[])").await;
    assert!(
        body.contains("(FLAGS (\\Recent \\Draft) BODY[] {5}\r\nhello)"),
        "{body}"
    );
}

#[tokio::test]
async fn large_messages_go_in_and_out_whole() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    let line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!?\r\n";
    let body = line.repeat(40_000);
    let big = format!("Subject: big\r\n\r\n{body}");
    let out = c.append("INBOX", "", &big).await;
    assert!(out.contains(" OK [APPENDUID "), "{out}");
    // The session goes on after the large literal (its buffers are renewed when quiet).
    c.ok("NOOP").await;
    let small = c
        .append("INBOX", "\\Seen", &message("small", "after the big one"))
        .await;
    assert!(small.contains(" OK [APPENDUID "), "{small}");
    let fetched = c.ok("FETCH 1 (RFC822.SIZE BODY.PEEK[])").await;
    let head = format!(
        "* 1 FETCH (RFC822.SIZE {} BODY[] {{{}}}\r\n",
        big.len(),
        big.len()
    );
    assert!(fetched.starts_with(&head), "{}", &fetched[..200]);
    assert!(
        fetched[head.len()..].starts_with(&big),
        "the message came back whole"
    );
    let partial = c.ok("FETCH 1 BODY.PEEK[TEXT]<2639998.10>").await;
    assert!(
        partial.starts_with("* 1 FETCH (BODY[TEXT]<2639998> {2}\r\n\r\n)"),
        "{partial}"
    );
}
