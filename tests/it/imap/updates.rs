//! What other sessions see: EXISTS, EXPUNGE and FETCH updates, IDLE woken by delivery,
//! MOVE, UID EXPUNGE, CLOSE and a selected mailbox deleted elsewhere.

use super::{Env, message};

async fn three_messages() -> Env {
    let env = Env::start().await;
    for s in ["One", "Two", "Three"] {
        env.deliver(&message(s, s)).await;
    }
    env
}

#[tokio::test]
async fn other_sessions_learn_of_changes() {
    let env = three_messages().await;
    let mut a = env.inbox().await;
    let mut b = env.inbox().await;
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    b.ok("EXPUNGE").await;
    // During a FETCH the expunge is not told (it would shift the numbers in use) ...
    assert_eq!(
        a.run("FETCH 1:3 (UID)").await,
        "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\nt3 OK FETCH completed\r\n"
    );
    // ... but at the next command that allows it.
    assert_eq!(
        a.run("NOOP").await,
        "* 2 EXPUNGE\r\nt4 OK NOOP completed\r\n"
    );
    b.ok("STORE 1 +FLAGS (\\Flagged)").await;
    env.deliver(&message("Four", "4")).await;
    assert_eq!(
        a.run("NOOP").await,
        "* 3 EXISTS\r\n* 3 RECENT\r\n* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged))\r\nt5 OK NOOP completed\r\n"
    );
    // Its own changes are not told twice.
    a.ok("STORE 1 -FLAGS (\\Flagged)").await;
    assert_eq!(a.run("NOOP").await, "t7 OK NOOP completed\r\n");
}

#[tokio::test]
async fn idle_wakes_on_delivery_and_changes() {
    let env = three_messages().await;
    let mut a = env.inbox().await;
    let mut b = env.inbox().await;
    a.send(b"i1 IDLE\r\n").await;
    assert_eq!(a.line().await, "+ idling\r\n");
    env.deliver(&message("Late", "arrives during IDLE")).await;
    assert_eq!(a.line().await, "* 4 EXISTS\r\n");
    assert_eq!(a.line().await, "* 4 RECENT\r\n");
    b.ok("STORE 2 +FLAGS (\\Seen)").await;
    assert_eq!(
        a.line().await,
        "* 2 FETCH (UID 2 FLAGS (\\Recent \\Seen))\r\n"
    );
    b.ok("STORE 1 +FLAGS (\\Deleted)").await;
    b.ok("EXPUNGE").await;
    // The flag change is told if IDLE woke between the two commands; once the message is
    // gone, only its expunge is.
    let mut next = a.line().await;
    if next.contains("FETCH") {
        assert_eq!(next, "* 1 FETCH (UID 1 FLAGS (\\Recent \\Deleted))\r\n");
        next = a.line().await;
    }
    assert_eq!(next, "* 1 EXPUNGE\r\n");
    a.send(b"DONE\r\n").await;
    assert_eq!(a.line().await, "i1 OK IDLE terminated\r\n");
    a.ok("NOOP").await;
}

#[tokio::test]
async fn move_uid_expunge_close_and_unselect() {
    let env = three_messages().await;
    let mut c = env.inbox().await;
    let archive = c.ok("STATUS Archive (UIDVALIDITY)").await;
    let validity = archive
        .split("UIDVALIDITY ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("a UIDVALIDITY")
        .to_owned();
    assert_eq!(
        c.run("MOVE 1 Archive").await,
        format!("* OK [COPYUID {validity} 1 1] Moved\r\n* 1 EXPUNGE\r\nt4 OK MOVE completed\r\n")
    );
    assert_eq!(
        c.run("UID MOVE 3 Nowhere").await,
        "t5 NO [TRYCREATE] No such mailbox\r\n"
    );
    c.ok("STORE 1:2 +FLAGS (\\Deleted)").await;
    assert_eq!(
        c.run("UID EXPUNGE 3").await,
        "* 2 EXPUNGE\r\nt7 OK EXPUNGE completed\r\n"
    );
    c.ok("UNSELECT").await;
    c.ok("SELECT INBOX").await;
    assert_eq!(
        c.run("CLOSE").await,
        "t10 OK CLOSE completed\r\n",
        "CLOSE expunges without telling"
    );
    assert!(
        c.ok("STATUS INBOX (MESSAGES)")
            .await
            .contains("(MESSAGES 0)")
    );
    assert_eq!(
        c.run("FETCH 1 FLAGS").await,
        "t12 BAD No mailbox selected\r\n"
    );
    c.ok("SELECT Archive").await;
    let moved = c
        .ok("FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        .await;
    assert!(moved.contains("Subject: One"), "{moved}");
}

#[tokio::test]
async fn a_selected_mailbox_deleted_elsewhere_ends_the_session() {
    let env = Env::start().await;
    let mut a = env.inbox().await;
    a.ok("CREATE Temp").await;
    a.ok("SELECT Temp").await;
    let mut b = env.inbox().await;
    b.ok("DELETE Temp").await;
    a.send(b"x NOOP\r\n").await;
    assert_eq!(
        a.closed().await,
        "* BYE The selected mailbox was deleted\r\n"
    );
}

/// `\Recent` (RFC 3501 2.3.2): a message is recent to exactly one session, the first to see
/// it; EXAMINE and STATUS show what is recent without taking it.
#[tokio::test]
async fn a_message_is_recent_to_the_first_session_only() {
    let env = three_messages().await;
    let mut look = env.connect().await;
    look.ok(&format!("LOGIN {} {}", super::EMAIL, env.password))
        .await;
    let status = look.ok("STATUS INBOX (MESSAGES RECENT)").await;
    assert!(
        status.starts_with("* STATUS INBOX (MESSAGES 3 RECENT 3)\r\n"),
        "{status}"
    );
    let examined = look.ok("EXAMINE INBOX").await;
    assert!(examined.contains("* 3 RECENT\r\n"), "{examined}");

    let mut first = env.inbox().await;
    let mut second = env.inbox().await;
    let status = look.ok("STATUS INBOX (RECENT)").await;
    assert!(
        status.starts_with("* STATUS INBOX (RECENT 0)\r\n"),
        "{status}"
    );
    assert!(
        first
            .ok("SEARCH RECENT")
            .await
            .starts_with("* SEARCH 1 2 3\r\n")
    );
    assert!(second.ok("SEARCH RECENT").await.starts_with("* SEARCH\r\n"));
    assert!(
        second
            .ok("SEARCH OLD")
            .await
            .starts_with("* SEARCH 1 2 3\r\n")
    );

    // A new arrival goes to whichever session hears of it first, and to no other.
    env.deliver(&message("Four", "4")).await;
    assert_eq!(
        second.run("NOOP").await,
        "* 4 EXISTS\r\n* 1 RECENT\r\nt5 OK NOOP completed\r\n"
    );
    assert_eq!(
        first.run("NOOP").await,
        "* 4 EXISTS\r\n* 3 RECENT\r\nt4 OK NOOP completed\r\n"
    );
    assert_eq!(
        second.run("FETCH 3:4 FLAGS").await,
        "* 3 FETCH (FLAGS ())\r\n* 4 FETCH (FLAGS (\\Recent))\r\nt6 OK FETCH completed\r\n"
    );
    second.ok("STORE 4 +FLAGS.SILENT (\\Seen)").await;
    assert!(
        first
            .ok("SEARCH NEW")
            .await
            .starts_with("* SEARCH 1 2 3\r\n")
    );
    assert!(second.ok("SEARCH NEW").await.starts_with("* SEARCH\r\n"));
    // Expunged messages leave the count.
    first.ok("STORE 1 +FLAGS.SILENT (\\Deleted)").await;
    first.ok("EXPUNGE").await;
    assert!(
        first
            .ok("SEARCH RECENT")
            .await
            .starts_with("* SEARCH 1 2\r\n")
    );
}
