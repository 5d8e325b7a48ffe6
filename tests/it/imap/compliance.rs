//! The behaviours Dovecot's imaptest checks (see `imaptest.rs`), as exact bytes, so that the
//! reason for each stays readable without the suite: UIDVALIDITY of a reused name, keywords
//! in FLAGS, LIST patterns of any list-chars, ENVELOPE groups and routes, the text of an
//! encapsulated multipart message, and oversized literals.

use super::{EMAIL, Env, message};

/// The UIDVALIDITY in a STATUS answer.
fn uidvalidity(status: &str) -> u32 {
    let at = status.find("UIDVALIDITY ").expect("UIDVALIDITY") + "UIDVALIDITY ".len();
    status[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

#[tokio::test]
async fn a_reused_name_gets_a_greater_uidvalidity_and_fresh_uids() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE Box").await;
    c.append("Box", "", &message("One", "1")).await;
    let first = uidvalidity(&c.ok("STATUS Box (UIDVALIDITY)").await);
    c.ok("DELETE Box").await;
    c.ok("CREATE Box").await;
    // Within the same second: the clock alone would give the same number again.
    let status = c.run("STATUS Box (UIDVALIDITY UIDNEXT MESSAGES)").await;
    let second = uidvalidity(&status);
    assert!(second > first, "{first} then {second}");
    assert_eq!(
        status,
        format!(
            "* STATUS Box (UIDVALIDITY {second} UIDNEXT 1 MESSAGES 0)\r\nt8 OK STATUS completed\r\n"
        )
    );

    // RENAME: the name's new holder gets a UIDVALIDITY above every one given before.
    c.ok("CREATE Other").await;
    c.append("Other", "", &message("Two", "2")).await;
    let other = uidvalidity(&c.ok("STATUS Other (UIDVALIDITY)").await);
    c.ok("RENAME Box Gone").await;
    c.ok("RENAME Other Box").await;
    let status = c.run("STATUS Box (UIDVALIDITY UIDNEXT MESSAGES)").await;
    let third = uidvalidity(&status);
    assert!(third > other.max(second), "{other}, {second} then {third}");
    assert_eq!(
        status,
        format!(
            "* STATUS Box (UIDVALIDITY {third} UIDNEXT 2 MESSAGES 1)\r\nt14 OK STATUS completed\r\n"
        )
    );
    let gone = uidvalidity(&c.ok("STATUS Gone (UIDVALIDITY)").await);
    assert!(gone > second && gone != third, "{gone}");
}

const FLAGS: &str = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

#[tokio::test]
async fn a_new_keyword_reaches_flags_before_any_fetch_shows_it() {
    let env = Env::start().await;
    env.deliver(&message("One", "1")).await;
    let mut a = env.inbox().await;
    let mut b = env.inbox().await;
    let new_flags = format!(
        "* FLAGS ({FLAGS} $label1)\r\n\
         * OK [PERMANENTFLAGS ({FLAGS} $label1 \\*)] Flags permitted\r\n"
    );
    assert_eq!(
        a.run("STORE 1 +FLAGS ($label1)").await,
        format!("{new_flags}* 1 FETCH (FLAGS (\\Recent $label1))\r\nt3 OK STORE completed\r\n")
    );
    // Told once: the same keyword again brings no FLAGS.
    assert_eq!(
        a.run("FETCH 1 FLAGS").await,
        "* 1 FETCH (FLAGS (\\Recent $label1))\r\nt4 OK FETCH completed\r\n"
    );
    // The other session hears of the keyword before the FETCH that shows it.
    assert_eq!(
        b.run("NOOP").await,
        format!("{new_flags}* 1 FETCH (UID 1 FLAGS ($label1))\r\nt3 OK NOOP completed\r\n")
    );
    // A new session finds it in SELECT's FLAGS.
    let mut c = env.connect().await;
    c.ok(&format!("LOGIN {EMAIL} {}", env.password)).await;
    let select = c.ok("EXAMINE INBOX").await;
    assert!(
        select.starts_with(&format!("* FLAGS ({FLAGS} $label1)\r\n")),
        "{select}"
    );
}

#[tokio::test]
async fn list_takes_any_list_chars() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    assert_eq!(
        c.run("LIST \"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%*").await,
        "t3 OK LIST completed\r\n"
    );
    // A reference and pattern that are not modified UTF-7 match nothing.
    assert_eq!(c.run("LIST &Jjo *").await, "t4 OK LIST completed\r\n");
    assert_eq!(
        c.run("LIST \"\" Sent*").await,
        "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\nt5 OK LIST completed\r\n"
    );
}

#[tokio::test]
async fn envelope_groups_and_source_routes() {
    let env = Env::start().await;
    env.deliver(
        "From: <@route:user@domain>\r\n\
         To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n\
         Cc: group:;, group2: (foo) ;\r\n\
         Subject: groups\r\n\r\nbody\r\n",
    )
    .await;
    let mut c = env.inbox().await;
    let from = "((NIL \"@route\" \"user\" \"domain\"))";
    assert_eq!(
        c.run("FETCH 1 ENVELOPE").await,
        format!(
            "* 1 FETCH (ENVELOPE (NIL \"groups\" {from} {from} {from} \
             ((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")(NIL NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)\
             (NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")(NIL NIL NIL NIL)) \
             ((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"group2\" NIL)(NIL NIL NIL NIL)) \
             NIL NIL NIL))\r\nt3 OK FETCH completed\r\n"
        )
    );
}

#[tokio::test]
async fn text_of_an_encapsulated_multipart_runs_to_the_end_of_its_part() {
    let env = Env::start().await;
    let inner_text = "inner preamble\r\n\
--inner\r\n\
Content-Type: text/plain\r\n\
\r\n\
part one\r\n\
--inner--\r\n\
inner epilogue\r\n";
    env.deliver(&format!(
        "From: a@example.org\r\n\
Subject: outer\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: b@example.org\r\n\
Subject: inner\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"inner\"\r\n\
\r\n\
{inner_text}\
--outer--\r\n"
    ))
    .await;
    let mut c = env.inbox().await;
    // The CRLF before `--outer--` belongs to the boundary.
    let text = inner_text.strip_suffix("\r\n").unwrap();
    assert_eq!(
        c.run("FETCH 1 BODY.PEEK[1.TEXT]").await,
        format!(
            "* 1 FETCH (BODY[1.TEXT] {{{}}}\r\n{text})\r\nt3 OK FETCH completed\r\n",
            text.len()
        )
    );
}

#[tokio::test]
async fn oversized_literals_are_refused_before_and_after_sign_in() {
    let env = Env::start_with(|c| c.limits.max_message_bytes = 20_000).await;
    let mut c = env.connect().await;
    // Before sign-in the bound is a few KiB, and nothing is invited.
    c.send(b"a1 LOGIN {40000000}\r\n").await;
    assert_eq!(
        c.line().await,
        "a1 NO [TOOBIG] Literal too large (the limit is 8192 bytes)\r\n"
    );
    // The literals of one command add up.
    c.send(b"a2 LOGIN {5000}\r\n").await;
    assert_eq!(c.line().await, "+ Ready for literal data\r\n");
    c.send(&[b'x'; 5000]).await;
    c.send(b" {5000}\r\n").await;
    assert_eq!(
        c.line().await,
        "a2 NO [TOOBIG] Literal too large (the limit is 8192 bytes)\r\n"
    );
    // A rightful sign-in with literals works.
    c.send(
        format!(
            "a3 LOGIN {{{}+}}\r\n{EMAIL} {}\r\n",
            EMAIL.len(),
            env.password
        )
        .as_bytes(),
    )
    .await;
    assert!(c.line().await.starts_with("a3 OK [CAPABILITY"));
    // Signed in, the bound is the message size limit.
    c.send(b"a4 APPEND INBOX {20001}\r\n").await;
    assert_eq!(
        c.line().await,
        "a4 NO [TOOBIG] Literal too large (the limit is 20000 bytes)\r\n"
    );
    c.send(b"a5 APPEND INBOX {10000}\r\n").await;
    assert_eq!(c.line().await, "+ Ready for literal data\r\n");

    // A non-synchronising literal over the bound before sign-in ends the connection.
    let mut c = env.connect().await;
    c.send(b"b1 LOGIN {40000000+}\r\n").await;
    assert_eq!(
        c.closed().await,
        "* BYE Literal too large before sign-in\r\n"
    );
}

#[tokio::test]
async fn list_extended_syntax_is_answered() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE Work/Mine").await;
    c.ok("SUBSCRIBE Work/Mine").await;
    assert_eq!(
        c.run("LIST (SUBSCRIBED) \"\" \"Work/*\"").await,
        "* LIST (\\Subscribed \\HasNoChildren) \"/\" Work/Mine\r\nt5 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("LIST \"\" (Sent \"Work\") RETURN (SUBSCRIBED CHILDREN)")
            .await,
        "* LIST (\\Subscribed \\HasNoChildren \\Sent) \"/\" Sent\r\n\
         * LIST (\\HasChildren) \"/\" Work\r\nt6 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("LIST (RECURSIVEMATCH) \"\" *").await,
        "t7 BAD Unsupported LIST selection option\r\n"
    );
}
