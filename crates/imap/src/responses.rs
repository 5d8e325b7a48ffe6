//! Building responses with imap-types: status lines, capabilities, flags, dates.

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::core::{Atom, Tag, Text, Vec1};
use imap_codec::imap_types::datetime::DateTime;
use imap_codec::imap_types::flag::{Flag, FlagFetch, FlagPerm};
use imap_codec::imap_types::response::{
    Bye, Capability, Code, CodeOther, Greeting, GreetingKind, Status, StatusBody, StatusKind,
    Tagged,
};
use postern_domain::mail::Flags;
use time::OffsetDateTime;

/// Status text: printable ASCII on one line, never empty.
pub(crate) fn text(s: impl Into<Cow<'static, str>>) -> Text<'static> {
    let s: Cow<'static, str> = s.into();
    let valid = !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b));
    let s = if valid {
        s
    } else {
        let cleaned: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if cleaned.is_empty() {
            Cow::Borrowed(".")
        } else {
            Cow::Owned(cleaned)
        }
    };
    Text::unvalidated(s)
}

/// An RFC 5530 response code (or any code without a variant in imap-types).
pub(crate) fn code(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}

/// A tagged status.
pub(crate) fn tagged(
    tag: Tag<'static>,
    kind: StatusKind,
    code: Option<Code<'static>>,
    t: impl Into<Cow<'static, str>>,
) -> Status<'static> {
    Status::Tagged(Tagged {
        tag,
        body: StatusBody {
            kind,
            code,
            text: text(t),
        },
    })
}

/// An untagged status.
pub(crate) fn untagged(
    kind: StatusKind,
    code: Option<Code<'static>>,
    t: impl Into<Cow<'static, str>>,
) -> Status<'static> {
    Status::Untagged(StatusBody {
        kind,
        code,
        text: text(t),
    })
}

/// `* BYE`.
pub(crate) fn bye(t: impl Into<Cow<'static, str>>) -> Status<'static> {
    Status::Bye(Bye {
        code: None,
        text: text(t),
    })
}

/// `BAD` for a command that is not allowed or not known, tagged when the tag is known.
pub(crate) fn bad(tag: Option<Tag<'static>>, t: impl Into<Cow<'static, str>>) -> Status<'static> {
    match tag {
        Some(tag) => tagged(tag, StatusKind::Bad, None, t),
        None => untagged(StatusKind::Bad, None, t),
    }
}

/// A capability imap-types has no variant for; `None` for a name that is no atom, which
/// the names used here all are (the tests read them on the wire).
fn other(s: &'static str) -> Option<Capability<'static>> {
    Capability::try_from(s).ok()
}

/// Where a session stands, for the capability list.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CapabilityState {
    pub tls: bool,
    pub loopback: bool,
    pub authenticated: bool,
    pub max_literal: u32,
}

impl CapabilityState {
    /// Whether a password may be sent now.
    pub fn plaintext_allowed(&self) -> bool {
        self.tls || self.loopback
    }
}

/// The capabilities of a session.
pub(crate) fn capabilities(s: CapabilityState) -> Vec1<Capability<'static>> {
    let mut caps = vec![
        Capability::Imap4Rev1,
        Capability::LiteralPlus,
        Capability::SaslIr,
        Capability::Id,
        Capability::Enable,
        Capability::Idle,
    ];
    if s.authenticated {
        caps.extend([
            Capability::Namespace,
            Capability::UidPlus,
            Capability::Move,
            Capability::Unselect,
        ]);
        caps.extend(["SPECIAL-USE", "CHILDREN"].into_iter().filter_map(other));
        if let Ok(limit) = Capability::try_from(format!("APPENDLIMIT={}", s.max_literal)) {
            caps.push(limit);
        }
    } else {
        if !s.tls {
            caps.push(Capability::StartTls);
        }
        if s.plaintext_allowed() {
            caps.push(Capability::Auth(AuthMechanism::Plain));
        } else {
            caps.push(Capability::LoginDisabled);
        }
    }
    // Never empty: the list starts with IMAP4rev1.
    Vec1::unvalidated(caps)
}

/// The greeting: `* OK [CAPABILITY ...] Postern ready.`
pub(crate) fn greeting(s: CapabilityState) -> Greeting<'static> {
    Greeting {
        kind: GreetingKind::Ok,
        code: Some(Code::Capability(capabilities(s))),
        text: text("Postern ready."),
    }
}

/// The system flags a mailbox knows.
pub(crate) fn system_flags() -> Vec<Flag<'static>> {
    vec![
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Seen,
        Flag::Draft,
    ]
}

/// The flags of a mailbox for FLAGS: the system flags and the keywords in use.
pub(crate) fn mailbox_flags(keywords: &[String]) -> Vec<Flag<'static>> {
    let mut flags = system_flags();
    flags.extend(
        keywords
            .iter()
            .filter_map(|k| Atom::try_from(k.clone()).ok())
            .map(Flag::Keyword),
    );
    flags
}

/// The flags a client may store: the system flags, the keywords in use and any new keyword.
pub(crate) fn permanent_flags(keywords: &[String]) -> Vec<FlagPerm<'static>> {
    let mut perm: Vec<FlagPerm<'static>> = mailbox_flags(keywords)
        .into_iter()
        .map(FlagPerm::Flag)
        .collect();
    perm.push(FlagPerm::Asterisk);
    perm
}

/// Stored flags as a FETCH FLAGS list, with `\Recent` for a message recent to the session.
pub(crate) fn flag_list(flags: &Flags, recent: bool) -> Vec<FlagFetch<'static>> {
    let mut out = Vec::with_capacity(6 + flags.keywords.len());
    if recent {
        out.push(FlagFetch::Recent);
    }
    for (bit, flag) in [
        (Flags::SEEN, Flag::Seen),
        (Flags::ANSWERED, Flag::Answered),
        (Flags::FLAGGED, Flag::Flagged),
        (Flags::DELETED, Flag::Deleted),
        (Flags::DRAFT, Flag::Draft),
    ] {
        if flags.has(bit) {
            out.push(FlagFetch::Flag(flag));
        }
    }
    for k in &flags.keywords {
        if let Ok(atom) = Atom::try_from(k.clone()) {
            out.push(FlagFetch::Flag(Flag::Keyword(atom)));
        }
    }
    out
}

/// Flags of a command (STORE, APPEND) as stored flags; `None` for flags that cannot be
/// stored (`\Recent` or unknown system flags).
pub(crate) fn parse_flags(flags: &[Flag<'_>]) -> Option<Flags> {
    let mut out = Flags::default();
    for flag in flags {
        match flag {
            Flag::Seen => out.system |= Flags::SEEN,
            Flag::Answered => out.system |= Flags::ANSWERED,
            Flag::Flagged => out.system |= Flags::FLAGGED,
            Flag::Deleted => out.system |= Flags::DELETED,
            Flag::Draft => out.system |= Flags::DRAFT,
            Flag::Keyword(atom) => {
                let k = atom.inner().to_owned();
                if !out
                    .keywords
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(&k))
                {
                    out.keywords.push(k);
                }
            }
            Flag::Extension(_) => return None,
        }
    }
    Some(out)
}

/// A stored time as an IMAP date-time (in UTC).
pub(crate) fn imap_date(t: OffsetDateTime) -> Option<DateTime> {
    let utc = chrono::FixedOffset::east_opt(0)?;
    let secs = t.unix_timestamp();
    let dt = chrono::DateTime::from_timestamp(secs, 0)?.with_timezone(&utc);
    DateTime::try_from(dt).ok()
}

/// An IMAP date-time as a stored time.
pub(crate) fn from_imap_date(d: &DateTime) -> Option<OffsetDateTime> {
    let dt: &chrono::DateTime<chrono::FixedOffset> = d.as_ref();
    OffsetDateTime::from_unix_timestamp(dt.timestamp()).ok()
}

/// A number that IMAP requires to be non-zero.
pub(crate) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}
