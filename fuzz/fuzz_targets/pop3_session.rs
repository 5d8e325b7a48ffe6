//! POP3 sessions from arbitrary bytes, with a fixed, fake INBOX.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_pop3::Settings;
use postern_pop3::session::{AuthOutcome, Entry, Event, LineSession, Maildrop, Request, Session};

const MESSAGES: [(u32, &[u8]); 3] = [
    (1, b"Subject: a\r\n\r\n.dot\r\nline\r\n"),
    (5, b"Subject: b\n\nbare\nlf\n.\n"),
    (9, b""),
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let settings = Settings {
        max_line_bytes: 128,
        ..Settings::default()
    };
    let mut session = Session::new(settings, flags & 1 != 0, true, flags & 2 != 0);
    let chunk = usize::from(flags >> 2).max(1);
    let mut out = session.greeting();
    let mut expunged = false;
    'feed: for piece in rest.chunks(chunk) {
        let mut input = piece;
        loop {
            match session.feed(&mut input) {
                Event::NeedInput => break,
                Event::Request(Request::Authenticate { password, .. }) => {
                    let outcome = if password.as_str() == "pw" {
                        AuthOutcome::SignedIn(Maildrop {
                            uidvalidity: 7,
                            messages: MESSAGES
                                .iter()
                                .map(|(uid, c)| Entry {
                                    uid: *uid,
                                    size: c.len() as u64,
                                })
                                .collect(),
                        })
                    } else {
                        AuthOutcome::Failed
                    };
                    session.authenticated(outcome);
                }
                Event::Request(Request::Fetch { uid }) => {
                    let content = MESSAGES.iter().find(|(u, _)| *u == uid).map(|(_, c)| *c);
                    assert!(content.is_some(), "fetched a message not in the maildrop");
                    session.fetched(content.filter(|_| uid != 5 || flags & 8 == 0));
                }
                Event::Request(Request::Update { deleted }) => {
                    assert!(!expunged, "QUIT committed twice");
                    assert!(!deleted.is_empty());
                    assert!(deleted.iter().all(|u| MESSAGES.iter().any(|(m, _)| m == u)));
                    expunged = true;
                    session.updated(flags & 16 == 0);
                }
                Event::StartTls | Event::Close => {
                    out.extend(session.take_output());
                    break 'feed;
                }
            }
        }
        out.extend(session.take_output());
    }
    assert!(out.is_empty() || out.ends_with(b"\r\n"));
});
