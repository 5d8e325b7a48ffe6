//! Mailbox commands of RFC 3501: CREATE, DELETE, RENAME, SUBSCRIBE, LIST, LSUB, STATUS,
//! NAMESPACE, with the CHILDREN and SPECIAL-USE attributes.

use super::{Env, message};

#[tokio::test]
async fn create_list_and_hierarchy() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    assert_eq!(
        c.run("LIST \"\" \"\"").await,
        "* LIST (\\Noselect) \"/\" \"\"\r\nt3 OK LIST completed\r\n"
    );
    c.ok("CREATE Projects/2024/Q1").await;
    c.ok("CREATE Entw&APw-rfe/").await;
    assert_eq!(
        c.run("CREATE Projects").await,
        "t6 NO [ALREADYEXISTS] Mailbox already exists\r\n"
    );
    assert_eq!(
        c.run("CREATE inbox").await,
        "t7 NO [ALREADYEXISTS] INBOX always exists\r\n"
    );
    assert_eq!(
        c.run("LIST \"\" *").await,
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n\
         * LIST (\\HasNoChildren \\Archive) \"/\" Archive\r\n\
         * LIST (\\HasNoChildren \\Drafts) \"/\" Drafts\r\n\
         * LIST (\\HasNoChildren) \"/\" Entw&APw-rfe\r\n\
         * LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n\
         * LIST (\\HasChildren) \"/\" Projects\r\n\
         * LIST (\\HasChildren) \"/\" Projects/2024\r\n\
         * LIST (\\HasNoChildren) \"/\" Projects/2024/Q1\r\n\
         * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
         * LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n\
         t8 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("LIST Projects/ %").await,
        "* LIST (\\HasChildren) \"/\" Projects/2024\r\nt9 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("LIST \"\" P%/%").await,
        "* LIST (\\HasChildren) \"/\" Projects/2024\r\nt10 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("LIST \"\" inbox").await,
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\nt11 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("CREATE \"bad*name\"").await,
        "t12 NO [CANNOT] Invalid mailbox name\r\n"
    );
}

#[tokio::test]
async fn delete_keeps_a_parent_as_noselect() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE a/b").await;
    c.append("a", "", &message("InA", "x")).await;
    c.ok("DELETE a").await;
    assert_eq!(
        c.run("LIST \"\" a*").await,
        "* LIST (\\Noselect \\HasChildren) \"/\" a\r\n\
         * LIST (\\HasNoChildren) \"/\" a/b\r\nt6 OK LIST completed\r\n"
    );
    assert_eq!(
        c.run("SELECT a").await,
        "t7 NO [CANNOT] This name holds other mailboxes only\r\n"
    );
    assert_eq!(
        c.run("DELETE a").await,
        "t8 NO [CANNOT] a has children; delete them first\r\n"
    );
    c.ok("DELETE a/b").await;
    // CREATE makes a name selectable again, with a new UIDVALIDITY.
    c.ok("CREATE a").await;
    let select = c.ok("SELECT a").await;
    assert!(select.contains("* 0 EXISTS\r\n"), "{select}");
    assert_eq!(
        c.run("DELETE INBOX").await,
        "t12 NO [CANNOT] INBOX cannot be deleted\r\n"
    );
    assert_eq!(
        c.run("DELETE nothere").await,
        "t13 NO [NONEXISTENT] No such mailbox\r\n"
    );
}

#[tokio::test]
async fn uidvalidity_changes_when_a_name_is_reused() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE Box").await;
    let first = c.ok("STATUS Box (UIDVALIDITY)").await;
    c.ok("DELETE Box").await;
    c.ok("CREATE Box").await;
    let second = c.ok("STATUS Box (UIDVALIDITY)").await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn rename_moves_children_and_inbox_rename_empties_inbox() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE Work/Old").await;
    c.append("Work/Old", "\\Seen", &message("Kept", "x")).await;
    c.ok("RENAME Work Jobs").await;
    assert_eq!(
        c.run("LIST \"\" Jobs*").await,
        "* LIST (\\HasChildren) \"/\" Jobs\r\n* LIST (\\HasNoChildren) \"/\" Jobs/Old\r\nt6 OK LIST completed\r\n"
    );
    assert!(
        c.ok("STATUS Jobs/Old (MESSAGES)")
            .await
            .contains("(MESSAGES 1)")
    );
    assert_eq!(
        c.run("RENAME Jobs Jobs/Sub").await,
        "t8 NO [CANNOT] a mailbox cannot move into itself\r\n"
    );
    assert_eq!(
        c.run("RENAME Nothing Else").await,
        "t9 NO [NONEXISTENT] No such mailbox\r\n"
    );
    assert_eq!(
        c.run("RENAME Jobs Sent").await,
        "t10 NO [ALREADYEXISTS] Mailbox already exists\r\n"
    );

    // RENAME INBOX: the messages move, INBOX stays and is empty, its UIDs go on.
    c.append("INBOX", "", &message("One", "1")).await;
    c.append("INBOX", "", &message("Two", "2")).await;
    let renamed = c.ok("RENAME INBOX Saved").await;
    assert!(
        renamed.contains("* 2 EXPUNGE\r\n* 1 EXPUNGE\r\n"),
        "{renamed}"
    );
    assert!(
        c.ok("STATUS Saved (MESSAGES)")
            .await
            .contains("(MESSAGES 2)")
    );
    let status = c.ok("STATUS INBOX (MESSAGES UIDNEXT)").await;
    assert!(status.contains("(MESSAGES 0 UIDNEXT 3)"), "{status}");
    let fetched = c.ok("SELECT Saved").await;
    assert!(fetched.contains("* 2 EXISTS"), "{fetched}");
    let body = c.ok("UID FETCH 2 BODY.PEEK[HEADER.FIELDS (Subject)]").await;
    assert!(body.contains("Subject: Two"), "{body}");
}

#[tokio::test]
async fn subscriptions_status_and_namespace() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.ok("CREATE Lists").await;
    c.ok("UNSUBSCRIBE Lists").await;
    c.ok("UNSUBSCRIBE Junk").await;
    let lsub = c.ok("LSUB \"\" *").await;
    assert!(lsub.contains("* LSUB () \"/\" INBOX\r\n"), "{lsub}");
    assert!(!lsub.contains("Lists") && !lsub.contains("Junk"), "{lsub}");
    c.ok("SUBSCRIBE Lists").await;
    assert!(
        c.ok("LSUB \"\" L*")
            .await
            .starts_with("* LSUB () \"/\" Lists\r\n")
    );
    assert_eq!(
        c.run("SUBSCRIBE Nothing").await,
        "t9 NO [NONEXISTENT] No such mailbox\r\n"
    );
    c.append("INBOX", "\\Seen", &message("a", "1")).await;
    c.append("INBOX", "", &message("b", "2")).await;
    let status = c.run("STATUS INBOX (MESSAGES RECENT UIDNEXT UNSEEN)").await;
    assert!(
        status.ends_with(
            "* STATUS INBOX (MESSAGES 2 RECENT 0 UIDNEXT 3 UNSEEN 1)\r\nt12 OK STATUS completed\r\n"
        ),
        "{status}"
    );
    assert_eq!(
        c.run("STATUS Nowhere (MESSAGES)").await,
        "t13 NO [NONEXISTENT] No such mailbox\r\n"
    );
    assert_eq!(
        c.run("NAMESPACE").await,
        "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nt14 OK NAMESPACE completed\r\n"
    );
    // CREATE subscribes to nothing; under `%` an unsubscribed parent stands in, \Noselect,
    // for its subscribed child (RFC 3501 6.3.9), and `*` names the child itself.
    c.ok("CREATE Work/Plans").await;
    assert_eq!(c.run("LSUB \"\" W*").await, "t16 OK LSUB completed\r\n");
    c.ok("SUBSCRIBE Work/Plans").await;
    assert_eq!(
        c.run("LSUB \"\" W%").await,
        "* LSUB (\\Noselect) \"/\" Work\r\nt18 OK LSUB completed\r\n"
    );
    assert_eq!(
        c.run("LSUB \"\" W*").await,
        "* LSUB () \"/\" Work/Plans\r\nt19 OK LSUB completed\r\n"
    );
}
