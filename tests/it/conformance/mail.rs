//! The mail store's behaviour: mailboxes with children, flags, copies sharing content,
//! moves, expunges with tombstones, and changes since a modseq.

use postern_domain::mail::{FlagOp, Flags, MailRepo, MailboxId};
use postern_domain::repo::{AccountRepo, AddressRepo};
use postern_domain::search::MessageIndex;
use postern_domain::{AddressId, DomainError, Email, Login};
use time::OffsetDateTime;

use postern_store::{Backend, SqlStore};

async fn store(backend: Backend) -> (SqlStore, AddressId, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("t.db").display()),
        Backend::Postgres => postern_testkit::postgres::fresh_database(),
    };
    let store = SqlStore::open(&url, Default::default()).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let hash = postern_domain::account_password::AccountPasswordHash("x".into());
    let account = store
        .create_account(&Login::parse("o@example.org").unwrap(), &hash, now)
        .await
        .unwrap();
    let address = store
        .create_address(&Email::parse("m@example.org").unwrap(), account.id, now)
        .await
        .unwrap();
    (store, address.id, dir)
}

async fn id(store: &SqlStore, address: AddressId, name: &str) -> MailboxId {
    store.mailbox(address, name).await.unwrap().unwrap().id
}

fn flags(system: u8, keywords: &[&str]) -> Flags {
    Flags {
        system,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

async fn add(store: &SqlStore, mailbox: MailboxId, text: &str) -> u32 {
    store
        .append(
            mailbox,
            &Flags::default(),
            OffsetDateTime::now_utc(),
            text.as_bytes(),
            &MessageIndex::of(text.as_bytes(), OffsetDateTime::now_utc()),
        )
        .await
        .unwrap()
        .uid
}

async fn changes_since_tells_new_changed_and_expunged(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let inbox = id(&store, address, "INBOX").await;
    let start = store.changes_since(inbox, 0).await.unwrap().unwrap().modseq;
    let (a, b, c) = (
        add(&store, inbox, "a").await,
        add(&store, inbox, "b").await,
        add(&store, inbox, "c").await,
    );
    let after_adds = store.changes_since(inbox, start).await.unwrap().unwrap();
    assert_eq!(
        after_adds.changed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        [a, b, c]
    );
    assert_eq!(after_adds.uidnext, c + 1);
    let changed = store
        .store_flags(
            inbox,
            &[a, 99],
            FlagOp::Add,
            &flags(Flags::SEEN | Flags::DELETED, &["$Work"]),
        )
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    // Adding what is there changes nothing and raises no modseq.
    let again = store
        .store_flags(inbox, &[a], FlagOp::Add, &flags(Flags::SEEN, &["$work"]))
        .await
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(
        store.expunge_deleted(inbox, Some(&[b, c])).await.unwrap(),
        Vec::<u32>::new()
    );
    assert_eq!(store.expunge_deleted(inbox, None).await.unwrap(), vec![a]);
    let delta = store
        .changes_since(inbox, after_adds.modseq)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delta.expunged, vec![a]);
    assert!(delta.changed.is_empty(), "the flagged message is gone");
    let quiet = store
        .changes_since(inbox, delta.modseq)
        .await
        .unwrap()
        .unwrap();
    assert!(quiet.changed.is_empty() && quiet.expunged.is_empty());
    let replaced = store
        .store_flags(
            inbox,
            &[b],
            FlagOp::Replace,
            &flags(Flags::FLAGGED, &["b", "a", "b"]),
        )
        .await
        .unwrap();
    assert_eq!(replaced[0].flags, flags(Flags::FLAGGED, &["a", "b"]));
    let removed = store
        .store_flags(inbox, &[b], FlagOp::Remove, &flags(Flags::FLAGGED, &["A"]))
        .await
        .unwrap();
    assert_eq!(removed[0].flags, flags(0, &["b"]));
}

async fn copies_share_content_and_moves_leave_tombstones(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let inbox = id(&store, address, "INBOX").await;
    let archive = id(&store, address, "Archive").await;
    let a = add(&store, inbox, "first").await;
    let b = add(&store, inbox, "second").await;
    let copied = store
        .copy_messages(inbox, &[a, b, 42], archive)
        .await
        .unwrap();
    assert_eq!(copied.uids, vec![(a, 1), (b, 2)]);
    store.expunge(inbox, &[a]).await.unwrap();
    assert_eq!(
        store.message_content(archive, 1).await.unwrap().unwrap(),
        b"first"
    );
    let since = store.changes_since(inbox, 0).await.unwrap().unwrap().modseq;
    let moved = store.move_messages(inbox, &[b], archive).await.unwrap();
    assert_eq!(moved.uids, vec![(b, 3)]);
    assert_eq!(store.uids(inbox).await.unwrap(), Vec::<u32>::new());
    assert_eq!(
        store
            .changes_since(inbox, since)
            .await
            .unwrap()
            .unwrap()
            .expunged,
        vec![b]
    );
    assert_eq!(
        store.message_content(archive, 3).await.unwrap().unwrap(),
        b"second"
    );
    let counts = store.mailbox_counts(archive).await.unwrap();
    assert_eq!(
        (counts.messages, counts.unseen, counts.first_unseen_uid),
        (3, 3, Some(1))
    );
    // UIDs are never given twice, whatever was expunged.
    assert_eq!(add(&store, inbox, "third").await, 3);
}

async fn mailbox_hierarchy(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let now = OffsetDateTime::now_utc();
    store.create_mailbox(address, "a/b/c", now).await.unwrap();
    assert!(
        store
            .mailbox(address, "a/b")
            .await
            .unwrap()
            .unwrap()
            .selectable
    );
    assert!(matches!(
        store.create_mailbox(address, "a/b", now).await,
        Err(DomainError::Conflict(_))
    ));
    let ab = id(&store, address, "a/b").await;
    add(&store, ab, "in a/b").await;
    store.delete_mailbox(address, "a/b").await.unwrap();
    let kept = store.mailbox(address, "a/b").await.unwrap().unwrap();
    assert!(!kept.selectable);
    assert!(store.changes_since(ab, 0).await.unwrap().is_none());
    assert!(
        store.delete_mailbox(address, "a/b").await.is_err(),
        "unselectable with children"
    );
    store
        .rename_mailbox(address, "a", "z/y", now)
        .await
        .unwrap();
    let mut names: Vec<String> = store
        .mailboxes(address)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .filter(|n| n.starts_with('a') || n.starts_with('z'))
        .collect();
    names.sort();
    assert_eq!(names, ["z", "z/y", "z/y/b", "z/y/b/c"]);
    assert!(
        store
            .rename_mailbox(address, "z", "z/y/q", now)
            .await
            .is_err()
    );
    assert!(matches!(
        store.delete_mailbox(address, "INBOX").await,
        Err(DomainError::Invalid { .. })
    ));
    store.set_subscribed(address, "z", false).await.unwrap();
    assert!(
        !store
            .mailbox(address, "z")
            .await
            .unwrap()
            .unwrap()
            .subscribed
    );
    assert!(matches!(
        store.set_subscribed(address, "nope", true).await,
        Err(DomainError::NotFound(_))
    ));
}

async fn renaming_inbox_moves_its_messages(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let now = OffsetDateTime::now_utc();
    let inbox = id(&store, address, "INBOX").await;
    store
        .create_mailbox(address, "INBOX/child", now)
        .await
        .unwrap();
    let a = add(&store, inbox, "one").await;
    store.copy_messages(inbox, &[a], inbox).await.unwrap();
    store
        .rename_mailbox(address, "INBOX", "Old", now)
        .await
        .unwrap();
    let old = id(&store, address, "Old").await;
    assert_eq!(store.uids(old).await.unwrap(), vec![1, 2]);
    assert_eq!(store.uids(inbox).await.unwrap(), Vec::<u32>::new());
    assert!(
        store
            .mailbox(address, "INBOX/child")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(add(&store, inbox, "next").await, 3);
    store.expunge(old, &[1]).await.unwrap();
    assert_eq!(
        store.message_content(old, 2).await.unwrap().unwrap(),
        b"one"
    );
}

async fn recent_messages_are_claimed_once(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let inbox = id(&store, address, "INBOX").await;
    for text in ["a", "b", "c"] {
        add(&store, inbox, text).await;
    }
    let found = store.mailbox(address, "INBOX").await.unwrap().unwrap();
    assert_eq!((found.recent_uid, found.uidnext), (1, 4));
    assert_eq!(store.mailbox_counts(inbox).await.unwrap().recent, 3);
    // Claims race: exactly one of them gets the three messages.
    let claims = tokio::join!(
        store.claim_recent(inbox, 4),
        store.claim_recent(inbox, 4),
        store.claim_recent(inbox, 4),
        store.claim_recent(inbox, 4),
    );
    let claims = [claims.0, claims.1, claims.2, claims.3].map(Result::unwrap);
    assert_eq!(
        claims.iter().filter(|from| **from == 1).count(),
        1,
        "{claims:?}"
    );
    assert!(
        claims.iter().all(|from| *from == 1 || *from == 4),
        "{claims:?}"
    );
    assert_eq!(store.mailbox_counts(inbox).await.unwrap().recent, 0);
    add(&store, inbox, "d").await;
    assert_eq!(store.mailbox_counts(inbox).await.unwrap().recent, 1);
    assert_eq!(store.claim_recent(inbox, 5).await.unwrap(), 4);
    // A claim below the mark takes nothing.
    assert_eq!(store.claim_recent(inbox, 3).await.unwrap(), 3);
    assert!(matches!(
        store.claim_recent(MailboxId(i64::MAX), 5).await,
        Err(DomainError::NotFound(_))
    ));
}

/// A mailbox keeps the newest 10,000 tombstones: whoever last looked before the oldest kept
/// one is told that the list is incomplete, so that it compares UIDs instead.
async fn old_tombstones_are_pruned(backend: Backend) {
    let (store, address, _dir) = store(backend).await;
    let inbox = id(&store, address, "INBOX").await;
    let first = add(&store, inbox, "Subject: one\r\n\r\nx").await;
    // 10,001 messages sharing one content, made by copying the mailbox into itself.
    for _ in 0..13 {
        let all = store.uids(inbox).await.unwrap();
        store.copy_messages(inbox, &all, inbox).await.unwrap();
    }
    let all = store.uids(inbox).await.unwrap();
    store
        .copy_messages(inbox, &all[..10_001 - all.len()], inbox)
        .await
        .unwrap();
    let all = store.uids(inbox).await.unwrap();
    assert_eq!(all.len(), 10_001);
    let before = store.changes_since(inbox, 0).await.unwrap().unwrap().modseq;
    store.expunge(inbox, &[first]).await.unwrap();
    let between = store.changes_since(inbox, 0).await.unwrap().unwrap().modseq;
    store.expunge(inbox, &all[1..]).await.unwrap();

    let since_before = store.changes_since(inbox, before).await.unwrap().unwrap();
    assert!(
        since_before.expunged_pruned,
        "the first expunge's tombstone is gone"
    );
    assert!(!since_before.expunged.contains(&first));
    let since_between = store.changes_since(inbox, between).await.unwrap().unwrap();
    assert!(!since_between.expunged_pruned);
    assert_eq!(since_between.expunged, all[1..].to_vec());
    assert_eq!(store.mailbox_counts(inbox).await.unwrap().messages, 0);
}

/// Each check, on each backend.
macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                if !postern_testkit::requires(&[postern_testkit::Need::Postgres]) {
                    return;
                }
                super::$name(super::Backend::Postgres).await;
            })*
        }
    };
}

on_both!(
    changes_since_tells_new_changed_and_expunged,
    copies_share_content_and_moves_leave_tombstones,
    mailbox_hierarchy,
    old_tombstones_are_pruned,
    recent_messages_are_claimed_once,
    renaming_inbox_moves_its_messages
);
