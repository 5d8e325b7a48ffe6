//! One conformance suite for the store traits, run on every backend.

mod kept;
mod mail;

use std::sync::Arc;

use postern_domain::account_password::AccountPasswordHash;
use postern_domain::clock::from_millis;
use postern_domain::mail::Flags;
use postern_domain::model::{
    ActivityEntry, ActivityKind, DeviceState, LastUse, Link, NewDevice, WebSession,
};
use postern_domain::repo::Store;
use postern_domain::search::MessageIndex;
use postern_domain::{
    Description, DeviceId, DevicePassword, DeviceRules, DomainError, Email, Expiry, Login,
    Networks, Pepper, Protocol, ProtocolSet,
};
use postern_testkit::{Need, requires};

fn activity(
    address: postern_domain::AddressId,
    kind: ActivityKind,
    device: DeviceId,
    at: i64,
) -> ActivityEntry {
    ActivityEntry {
        address_id: address,
        at: from_millis(at),
        kind,
        device_id: Some(device),
        device_description: Some("Phone".into()),
        actor: "test".into(),
    }
}

/// Runs every check against a fresh, empty store.
pub async fn all(store: Arc<dyn Store>) {
    let t = from_millis(1_700_000_000_000);
    let hash = AccountPasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    let ann = store
        .create_account(&Login::parse("ann@example.com").unwrap(), &hash, t)
        .await
        .unwrap();
    let bob = store
        .create_account(&Login::parse("bob@example.com").unwrap(), &hash, t)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_account(&Login::parse("ann@example.com").unwrap(), &hash, t)
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(store.count_accounts().await.unwrap(), 2);
    let found = store.account_by_login(&ann.login).await.unwrap().unwrap();
    assert_eq!(found.account.id, ann.id);
    assert_eq!(found.password_hash.0, hash.0);
    assert!(
        store
            .account_by_login(&Login::parse("x@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let new_hash = AccountPasswordHash("$argon2id$other".into());
    store.set_account_password(ann.id, &new_hash).await.unwrap();
    assert_eq!(
        store
            .account(ann.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .0,
        new_hash.0
    );

    // Addresses come with their standard mailboxes.
    let email = Email::parse("ann@example.com").unwrap();
    let address = store.create_address(&email, ann.id, t).await.unwrap();
    assert!(matches!(
        store.create_address(&email, bob.id, t).await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(
        store.address_by_email(&email).await.unwrap().unwrap(),
        address
    );
    assert_eq!(
        store.addresses_of(ann.id).await.unwrap(),
        vec![address.clone()]
    );
    assert!(store.addresses_of(bob.id).await.unwrap().is_empty());
    let names: Vec<String> = store
        .mailboxes(address.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    for expected in ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    // Devices: create, look up by digest, record use, reset, disconnect.
    let pepper = Pepper::generate().unwrap();
    let password = DevicePassword::generate().unwrap();
    let id = DeviceId::new();
    let new = NewDevice {
        id,
        address_id: address.id,
        description: Description::parse("Phone").unwrap(),
        protocols: ProtocolSet::parse("imap,webmail").unwrap(),
        digest: password.digest(&pepper),
        created_at: t,
        created_by: "ann@example.com".into(),
        rules: DeviceRules {
            expiry: Expiry {
                at: Some(from_millis(1_800_000_000_000)),
                after_unused_days: Some(90),
            },
            networks: Networks::parse("192.0.2.0/24,2001:db8::/48").unwrap(),
        },
    };
    let device = store
        .create_device(
            &new,
            &activity(address.id, ActivityKind::DeviceCreated, id, 1),
        )
        .await
        .unwrap();
    assert_eq!(device.generation, 1);
    assert_eq!(device.email, email);
    assert_eq!(device.expiry, new.rules.expiry);
    assert_eq!(device.networks, new.rules.networks);
    assert_eq!(device.password_set_at, t);
    let cred = store
        .device_by_digest(&password.digest(&pepper))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cred.device.id, id);
    assert!(cred.digest.ct_eq(&password.digest(&pepper)));
    let other = DevicePassword::generate().unwrap();
    assert!(
        store
            .device_by_digest(&other.digest(&pepper))
            .await
            .unwrap()
            .is_none()
    );
    let last = LastUse {
        at: from_millis(1_700_000_100_000),
        ip: "192.0.2.7".parse().unwrap(),
        protocol: Protocol::Imap,
    };
    store.record_use(id, &last, "192.0.2.0/24").await.unwrap();
    store.record_client(id, "Thunderbird 128").await.unwrap();
    let device = store.device(id).await.unwrap().unwrap();
    assert_eq!(device.last_use, Some(last.clone()));
    assert_eq!(device.client.as_deref(), Some("Thunderbird 128"));
    // The sign-in is in the device's history, with the name its client gave after it.
    let history = store.sign_ins(id, 50).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].at, history[0].ip, history[0].protocol),
        (last.at, last.ip, last.protocol)
    );
    assert_eq!(history[0].client.as_deref(), Some("Thunderbird 128"));
    assert!(store.signed_in_from(id, "192.0.2.0/24").await.unwrap());
    assert!(!store.signed_in_from(id, "198.51.100.0/24").await.unwrap());
    assert!(store.signed_in_with(id, "Thunderbird 128").await.unwrap());
    assert!(!store.signed_in_with(id, "Mail").await.unwrap());
    // One alert an hour: the second claim within the hour fails.
    let t0 = from_millis(1_700_000_200_000);
    let hour = time::Duration::hours(1);
    assert!(store.claim_alert(id, t0, t0 - hour).await.unwrap());
    let t1 = t0 + time::Duration::minutes(10);
    assert!(!store.claim_alert(id, t1, t1 - hour).await.unwrap());
    let t2 = t0 + hour;
    assert!(store.claim_alert(id, t2, t2 - hour).await.unwrap());
    // Alerts are on until turned off.
    assert!(store.sign_in_alerts(address.id).await.unwrap());
    store.set_sign_in_alerts(address.id, false).await.unwrap();
    assert!(!store.sign_in_alerts(address.id).await.unwrap());
    store.set_sign_in_alerts(address.id, true).await.unwrap();

    // The list of an address (read in one piece) holds the same devices, newest first; quotes
    // and non-ASCII in a description survive it.
    let second = NewDevice {
        id: DeviceId::new(),
        description: Description::parse("Büro \"laptop\" \\ 2").unwrap(),
        protocols: ProtocolSet::parse("smtp").unwrap(),
        digest: DevicePassword::generate().unwrap().digest(&pepper),
        created_at: from_millis(1_700_000_000_001),
        ..new.clone()
    };
    let second = store
        .create_device(
            &second,
            &activity(address.id, ActivityKind::DeviceCreated, second.id, 1),
        )
        .await
        .unwrap();
    assert_eq!(
        store.devices_at(&email).await.unwrap().unwrap(),
        (address.clone(), vec![second.clone(), device.clone()])
    );
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert!(store.devices_at(&nobody).await.unwrap().is_none());
    let empty = Email::parse("empty@example.com").unwrap();
    let empty = store.create_address(&empty, bob.id, t).await.unwrap();
    assert_eq!(
        store.devices_at(&empty.email).await.unwrap().unwrap(),
        (empty.clone(), vec![])
    );

    // A link hangs on the device; a reset removes it and revokes generation 1.
    let link = Link {
        account_id: bob.id,
        address: address.clone(),
        device_id: id,
        generation: 1,
        created_at: t,
    };
    store
        .create_link(
            &link,
            &activity(address.id, ActivityKind::AddressLinked, id, 2),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_link(
                &link,
                &activity(address.id, ActivityKind::AddressLinked, id, 3)
            )
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(store.links_of(bob.id).await.unwrap().len(), 1);
    let since = store.last_revocation_seq().await.unwrap();
    let (device, revocation) = store
        .reset_device(
            id,
            &other.digest(&pepper),
            &DeviceRules::default(),
            &activity(address.id, ActivityKind::DeviceReset, id, 4),
        )
        .await
        .unwrap();
    assert_eq!(device.generation, 2);
    assert_eq!(device.expiry, Expiry::NEVER);
    assert_eq!(revocation.through_generation, 1);
    assert!(
        store
            .device_by_digest(&password.digest(&pepper))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .device_by_digest(&other.digest(&pepper))
            .await
            .unwrap()
            .unwrap()
            .device
            .id,
        id
    );
    assert!(store.link(bob.id, address.id).await.unwrap().is_none());

    // A link made with the password of before the reset is refused: the reset won.
    assert!(matches!(
        store
            .create_link(
                &link,
                &activity(address.id, ActivityKind::AddressLinked, id, 5)
            )
            .await,
        Err(DomainError::AuthFailed)
    ));
    assert!(store.link(bob.id, address.id).await.unwrap().is_none());

    // Linking again with the new password, and unlinking.
    let link = Link {
        generation: 2,
        ..link
    };
    store
        .create_link(
            &link,
            &activity(address.id, ActivityKind::AddressLinked, id, 5),
        )
        .await
        .unwrap();
    assert!(
        store
            .delete_link(
                bob.id,
                address.id,
                &activity(address.id, ActivityKind::AddressUnlinked, id, 6)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_link(
                bob.id,
                address.id,
                &activity(address.id, ActivityKind::AddressUnlinked, id, 7)
            )
            .await
            .unwrap()
    );
    store
        .create_link(
            &link,
            &activity(address.id, ActivityKind::AddressLinked, id, 8),
        )
        .await
        .unwrap();

    // A disconnect forgets the digest, drops the link and revokes every generation.
    let revocation = store
        .disconnect_device(
            id,
            &activity(address.id, ActivityKind::DeviceDisconnected, id, 9),
        )
        .await
        .unwrap();
    assert_eq!(revocation.through_generation, i64::MAX);
    assert!(
        store
            .device_by_digest(&other.digest(&pepper))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.links_of(bob.id).await.unwrap().is_empty());
    assert!(matches!(
        store
            .disconnect_device(
                id,
                &activity(address.id, ActivityKind::DeviceDisconnected, id, 10)
            )
            .await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        store
            .create_link(
                &link,
                &activity(address.id, ActivityKind::AddressLinked, id, 11)
            )
            .await,
        Err(DomainError::AuthFailed)
    ));
    let revocations = store.revocations_after(since).await.unwrap();
    assert_eq!(revocations.len(), 2);
    assert!(revocations[0].seq < revocations[1].seq);
    assert_eq!(
        store.last_revocation_seq().await.unwrap(),
        revocations[1].seq
    );
    let (_, devices) = store.devices_at(&email).await.unwrap().unwrap();
    let states: Vec<_> = devices.iter().map(|d| d.state).collect();
    assert_eq!(states, [DeviceState::Active, DeviceState::Disconnected]);

    let log = store.activity_of(address.id, 100).await.unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "device_disconnected",
            "address_linked",
            "address_unlinked",
            "address_linked",
            "device_reset",
            "address_linked",
            "device_created",
            "device_created"
        ]
    );
    assert_eq!(store.activity_of(address.id, 2).await.unwrap().len(), 2);

    // Web sessions.
    let token = [7u8; 32];
    let session = WebSession {
        account_id: ann.id,
        created_at: t,
        last_seen_at: t,
        confirmed_at: t,
        ip: "192.0.2.7".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".into(),
    };
    store.create_session(&token, &session).await.unwrap();
    store.create_session(&[8u8; 32], &session).await.unwrap();
    let later = from_millis(1_700_000_500_000);
    store.confirm_session(&token, later).await.unwrap();
    let (s, account) = store.session(&token).await.unwrap().unwrap();
    assert_eq!(
        (s.account_id, s.confirmed_at, s.last_seen_at),
        (ann.id, later, later)
    );
    assert_eq!(account, ann);
    assert_eq!((s.ip.as_str(), s.user_agent.len()), ("192.0.2.7", 45));
    // The account's sessions, most recently seen first; ending one writes its activity.
    store.create_session(&[9u8; 32], &session).await.unwrap();
    let listed = store.sessions_of(ann.id).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].0, token);
    assert_eq!(listed[1].1.ip, "192.0.2.7");
    let other = postern_domain::AccountId(ann.id.0 + 1000);
    let mut signed_out = activity(address.id, ActivityKind::BrowserSignedOut, id, 12);
    signed_out.device_id = None;
    assert!(
        !store
            .end_session_of(other, &[9u8; 32], std::slice::from_ref(&signed_out))
            .await
            .unwrap()
    );
    assert!(
        store
            .end_session_of(ann.id, &[9u8; 32], std::slice::from_ref(&signed_out))
            .await
            .unwrap()
    );
    assert!(store.session(&[9u8; 32]).await.unwrap().is_none());
    let newest = store.activity_of(address.id, 1).await.unwrap();
    assert_eq!(newest[0].kind, ActivityKind::BrowserSignedOut);
    assert!(
        store
            .activity_of(address.id, 100)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == ActivityKind::BrowserSignedOut)
            .count()
            == 1
    );
    store
        .delete_sessions_of(ann.id, Some(&token))
        .await
        .unwrap();
    assert!(store.session(&[8u8; 32]).await.unwrap().is_none());
    assert!(store.session(&token).await.unwrap().is_some());
    assert_eq!(
        store
            .delete_expired_sessions(from_millis(1_700_000_400_000), t)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .delete_expired_sessions(from_millis(1_700_000_600_000), t)
            .await
            .unwrap(),
        1
    );
    store.create_session(&token, &session).await.unwrap();
    store.delete_session(&token).await.unwrap();
    assert!(store.session(&token).await.unwrap().is_none());

    // Mail: append, list, read, expunge.
    let inbox = store.mailbox(address.id, "inbox").await.unwrap().unwrap();
    let first = store
        .append(
            inbox.id,
            &Flags::default(),
            t,
            b"Subject: one\r\n\r\nbody\r\n",
            &MessageIndex::of(b"Subject: one\r\n\r\nbody\r\n", t),
        )
        .await
        .unwrap();
    let flags = Flags {
        system: Flags::SEEN | Flags::FLAGGED,
        keywords: vec!["$Label1".into()],
    };
    let second = store
        .append(
            inbox.id,
            &flags,
            t,
            b"Subject: two\r\n\r\nbody\r\n",
            &MessageIndex::of(b"Subject: two\r\n\r\nbody\r\n", t),
        )
        .await
        .unwrap();
    assert!(second.uid > first.uid && second.modseq > first.modseq);
    assert_eq!(second.uidvalidity, inbox.uidvalidity);
    let metas = store.messages(inbox.id).await.unwrap();
    assert_eq!(
        metas.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![first.uid, second.uid]
    );
    assert_eq!(metas[1].flags, flags);
    assert_eq!(metas[0].size, 22);
    assert_eq!(
        (metas[1].internal_date, metas[1].modseq),
        (t, second.modseq)
    );
    // The list (read in one piece) and the changes (read row by row) agree.
    let delta = store.changes_since(inbox.id, 0).await.unwrap().unwrap();
    assert_eq!(delta.changed, metas);
    assert_eq!(
        store
            .messages_between(inbox.id, second.uid, u32::MAX)
            .await
            .unwrap(),
        metas[1..]
    );
    assert_eq!(
        store.uids(inbox.id).await.unwrap(),
        vec![first.uid, second.uid]
    );
    assert_eq!(
        store
            .message_content(inbox.id, second.uid)
            .await
            .unwrap()
            .unwrap(),
        b"Subject: two\r\n\r\nbody\r\n"
    );
    assert_eq!(
        store.expunge(inbox.id, &[first.uid, 999]).await.unwrap(),
        vec![first.uid]
    );
    assert!(
        store
            .message_content(inbox.id, first.uid)
            .await
            .unwrap()
            .is_none()
    );
    let third = store
        .append(
            inbox.id,
            &Flags::default(),
            t,
            b"x",
            &MessageIndex::of(b"x", t),
        )
        .await
        .unwrap();
    assert!(third.uid > second.uid, "UIDs are never reused");
}

#[tokio::test]
async fn sqlite_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    all(postern_store::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_conforms() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let url = postern_testkit::postgres::fresh_database();
    all(postern_store::open(&url).await.unwrap()).await;
}
