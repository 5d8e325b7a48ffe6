//! What the store keeps for large mailboxes holds after any sequence of changes: the counters
//! in the mailbox row equal a recount, and a search answered from the indexes equals a scan
//! of every message.

use std::sync::Arc;

use postern_domain::mail::{FlagOp, Flags, MailRepo, MailboxId};
use postern_domain::mime;
use postern_domain::search::{DateRel, Field, MessageIndex, Query};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use postern_store::{Backend, SqlStore};
use postern_testkit::{Need, requires};

/// Messages with the words the queries look for in their headers, text parts, attachments
/// and encodings.
const CORPUS: &[&str] = &[
    "From: Ann Example <ann@example.com>\r\nTo: bob@example.org\r\nSubject: Quarterly figures\r\n\
     Date: Tue, 1 Dec 2026 09:00:00 +0000\r\nX-Tag: blue\r\n\r\nThe WALRUS is here, 50% of it.\r\n",
    "From: bob@example.org\r\nTo: ann@example.com\r\nCc: Carol <carol@example.net>\r\n\
     Subject: Re: Quarterly figures\r\nDate: Wed, 2 Dec 2026 10:00:00 +0100\r\n\r\nNo okapi today.\r\n",
    "From: =?UTF-8?B?w4Z0aGVs?= <aethel@example.com>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\
     MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
     Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
     VGhlIHdhbHJ1cyBzd2ltcy4=\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
     Subject: Inner okapi\r\n\r\nAttached text.\r\n--b--\r\n",
    "Subject: plain\r\nX-Tag: red\r\n\r\nnothing to see\r\n",
    "no header at all",
];

const WORDS: &[&str] = &[
    "walrus",
    "WAL",
    "okapi",
    "ann",
    "example",
    "quarterly",
    "50%",
    "x",
    "",
    "grüße",
    "inner",
    "blue",
    "zzz",
    "re: q",
];

#[derive(Clone, Debug)]
enum Op {
    Append {
        message: usize,
        flags: u8,
        keyword: bool,
        day: i64,
    },
    Flags {
        pick: usize,
        op: u8,
        bits: u8,
        keyword: bool,
    },
    Copy {
        pick: usize,
    },
    Move {
        pick: usize,
    },
    Expunge {
        pick: usize,
    },
    ExpungeDeleted,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CORPUS.len(), 0u8..32, any::<bool>(), 0i64..5)
            .prop_map(|(message, flags, keyword, day)| Op::Append { message, flags, keyword, day }),
        3 => (any::<usize>(), 0u8..3, 0u8..32, any::<bool>())
            .prop_map(|(pick, op, bits, keyword)| Op::Flags { pick, op, bits, keyword }),
        1 => any::<usize>().prop_map(|pick| Op::Copy { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Move { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Expunge { pick }),
        1 => Just(Op::ExpungeDeleted),
    ]
}

fn word() -> impl Strategy<Value = String> {
    (0..WORDS.len()).prop_map(|i| Query::text(WORDS[i]))
}

fn query() -> impl Strategy<Value = Query> {
    let day = || 20_420i64..20_430;
    let rel = || {
        prop_oneof![
            Just(DateRel::Before),
            Just(DateRel::On),
            Just(DateRel::Since)
        ]
    };
    let field = prop_oneof![
        Just(Field::Subject),
        Just(Field::From),
        Just(Field::To),
        Just(Field::Cc),
        Just(Field::Bcc)
    ];
    let leaf = prop_oneof![
        Just(Query::All),
        prop_oneof![Just(1u8), Just(2), Just(4), Just(8), Just(16)].prop_map(Query::Flag),
        Just(Query::Keyword("$work".into())),
        (0i64..400).prop_map(Query::Larger),
        (0i64..400).prop_map(Query::Smaller),
        (rel(), day()).prop_map(|(r, d)| Query::Arrived(r, d)),
        (rel(), day()).prop_map(|(r, d)| Query::Sent(r, d)),
        (field, word()).prop_map(|(f, w)| Query::Field(f, w)),
        word().prop_map(|w| Query::Header("x-tag".into(), w)),
        word().prop_map(Query::Body),
        word().prop_map(Query::Text),
        proptest::collection::vec((1u32..12, 0u32..4), 0..4)
            .prop_map(|r| Query::Uids(r.into_iter().map(|(a, n)| (a, a + n)).collect())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Query::And),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Query::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|q| Query::Not(Box::new(q))),
        ]
    })
}

async fn uids(store: &SqlStore, mailbox: MailboxId) -> Vec<u32> {
    store.uids(mailbox).await.unwrap()
}

fn picked(all: &[u32], pick: usize) -> Vec<u32> {
    if all.is_empty() {
        return Vec::new();
    }
    // A run of up to three UIDs from the pick on.
    let at = pick % all.len();
    all[at..all.len().min(at + 1 + pick % 3)].to_vec()
}

async fn apply(store: &SqlStore, a: MailboxId, b: MailboxId, op: &Op) {
    let base = OffsetDateTime::from_unix_timestamp(20_422 * 86_400).unwrap();
    let keywords = |on: bool| {
        if on {
            vec!["$Work".to_owned()]
        } else {
            Vec::new()
        }
    };
    match op {
        Op::Append {
            message,
            flags,
            keyword,
            day,
        } => {
            let raw = CORPUS[*message].as_bytes();
            let at = base + Duration::days(*day) + Duration::hours(23);
            let flags = Flags {
                system: *flags,
                keywords: keywords(*keyword),
            };
            store
                .append(a, &flags, at, raw, &MessageIndex::of(raw, at))
                .await
                .unwrap();
        }
        Op::Flags {
            pick,
            op,
            bits,
            keyword,
        } => {
            let op = [FlagOp::Add, FlagOp::Remove, FlagOp::Replace][usize::from(*op)];
            let flags = Flags {
                system: *bits,
                keywords: keywords(*keyword),
            };
            let chosen = picked(&uids(store, a).await, *pick);
            store.store_flags(a, &chosen, op, &flags).await.unwrap();
        }
        Op::Copy { pick } => {
            let chosen = picked(&uids(store, a).await, *pick);
            store.copy_messages(a, &chosen, b).await.unwrap();
        }
        Op::Move { pick } => {
            // Out and back in, so that the searched mailbox keeps changing both ways.
            let chosen = picked(&uids(store, a).await, *pick);
            store.move_messages(a, &chosen, b).await.unwrap();
            let back = picked(&uids(store, b).await, pick / 7);
            store.move_messages(b, &back, a).await.unwrap();
        }
        Op::Expunge { pick } => {
            let chosen = picked(&uids(store, a).await, *pick);
            store.expunge(a, &chosen).await.unwrap();
        }
        Op::ExpungeDeleted => {
            store.expunge_deleted(a, None).await.unwrap();
        }
    }
}

async fn counts_equal_a_recount(store: &SqlStore, mailbox: MailboxId) {
    let kept = store.mailbox_counts(mailbox).await.unwrap();
    let messages = store.messages(mailbox).await.unwrap();
    // The UID set and its key, which the UIDs kept in memory are checked against.
    let row = store.mailbox_by_id(mailbox).await.unwrap().unwrap();
    let set = store.uid_set(mailbox).await.unwrap().unwrap();
    assert_eq!(set.key, row.uid_set_key());
    assert_eq!(set.uids, messages.iter().map(|m| m.uid).collect::<Vec<_>>());
    let unseen: Vec<_> = messages
        .iter()
        .filter(|m| !m.flags.has(Flags::SEEN))
        .collect();
    assert_eq!(kept.messages as usize, messages.len());
    assert_eq!(kept.unseen as usize, unseen.len());
    assert_eq!(
        kept.deleted as usize,
        messages
            .iter()
            .filter(|m| m.flags.has(Flags::DELETED))
            .count()
    );
    assert_eq!(
        kept.size,
        messages.iter().map(|m| m.size as u64).sum::<u64>()
    );
    assert_eq!(kept.first_unseen_uid, unseen.first().map(|m| m.uid));
    // The row carries the same counters.
    let row_counts = (row.messages, row.unseen, row.deleted, row.size);
    assert_eq!(
        row_counts,
        (kept.messages, kept.unseen, kept.deleted, kept.size)
    );
}

async fn search_equals_a_scan(store: &SqlStore, mailbox: MailboxId, query: &Query) {
    let mut scanned = Vec::new();
    for meta in store.messages(mailbox).await.unwrap() {
        let raw = store
            .message_content(mailbox, meta.uid)
            .await
            .unwrap()
            .unwrap();
        let parsed = mime::parse(&raw);
        let index = MessageIndex::of(&raw, meta.internal_date);
        if query.matches(&meta, &index, parsed.as_ref()) {
            scanned.push(meta.uid);
        }
    }
    let found = store.search(mailbox, query).await.unwrap();
    if found.exact {
        assert_eq!(found.uids, scanned, "{query:?}");
    } else {
        assert!(
            scanned.iter().all(|u| found.uids.contains(u)),
            "a superset: {query:?} found {:?}, scan {scanned:?}",
            found.uids
        );
    }
}

async fn open(
    backend: Backend,
    dir: &std::path::Path,
) -> (Arc<SqlStore>, postern_domain::AddressId) {
    use postern_domain::repo::{AccountRepo, AddressRepo};
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("k.db").display()),
        Backend::Postgres => postern_testkit::postgres::fresh_database(),
    };
    let store = SqlStore::open(&url, Default::default()).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let hash = postern_domain::account_password::AccountPasswordHash("x".into());
    let login = postern_domain::Login::parse("k@example.org").unwrap();
    let account = store.create_account(&login, &hash, now).await.unwrap();
    let email = postern_domain::Email::parse("k@example.org").unwrap();
    let address = store.create_address(&email, account.id, now).await.unwrap();
    (Arc::new(store), address.id)
}

fn property(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, address) = runtime.block_on(open(backend, dir.path()));
    let cases = std::cell::Cell::new(0u32);
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40),
                        queries in proptest::collection::vec(query(), 8))| {
        let case = cases.get() + 1;
        cases.set(case);
        runtime.block_on(async {
            let now = OffsetDateTime::now_utc();
            let a = store.create_mailbox(address, &format!("A{case}"), now).await.unwrap().id;
            let b = store.create_mailbox(address, &format!("B{case}"), now).await.unwrap().id;
            for op in &ops {
                apply(&store, a, b, op).await;
            }
            counts_equal_a_recount(&store, a).await;
            counts_equal_a_recount(&store, b).await;
            for q in &queries {
                search_equals_a_scan(&store, a, q).await;
            }
            // Deleting the other mailbox, which shares contents with this one, changes
            // nothing here.
            store.delete_mailbox(address, &format!("B{case}")).await.unwrap();
            counts_equal_a_recount(&store, a).await;
            if let Some(q) = queries.first() {
                search_equals_a_scan(&store, a, q).await;
            }
        });
    });
}

#[test]
fn sqlite_keeps_counts_and_searches_like_a_scan() {
    property(Backend::Sqlite);
}

#[test]
fn postgres_keeps_counts_and_searches_like_a_scan() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    property(Backend::Postgres);
}
