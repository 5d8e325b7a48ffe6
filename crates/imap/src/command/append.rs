//! APPEND (RFC 3501 6.3.11) with APPENDUID (RFC 4315).

use imap_codec::imap_types::datetime::DateTime;
use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::flag::Flag;
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Code;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::responses::{from_imap_date, nz, parse_flags};
use crate::session::Session;

pub(crate) async fn run(
    s: &mut Session,
    mailbox: &Mailbox<'_>,
    flags: &[Flag<'_>],
    date: Option<&DateTime>,
    message: &LiteralOrLiteral8<'_>,
) -> Outcome {
    let name = names::from_wire(mailbox)?;
    let mail = s.core.mailboxes();
    let target = mail
        .mailbox(s.state.address()?, &name)
        .await?
        .ok_or_else(|| Refusal::no("TRYCREATE", "No such mailbox"))?;
    if !target.selectable {
        return Err(Refusal::no(
            "CANNOT",
            "This name holds other mailboxes only",
        ));
    }
    let flags = parse_flags(flags).ok_or_else(|| Refusal::bad("That flag cannot be stored"))?;
    let content: &[u8] = match message {
        LiteralOrLiteral8::Literal(literal) => literal.data(),
        LiteralOrLiteral8::Literal8(literal) => &literal.data,
    };
    if content.is_empty() {
        return Err(Refusal::no("CANNOT", "An empty message cannot be stored"));
    }
    let internal_date = match date {
        Some(d) => from_imap_date(d).ok_or_else(|| Refusal::bad("Invalid date"))?,
        None => s.core.clock().now(),
    };
    let appended = mail
        .append(target.id, &flags, internal_date, content)
        .await?;
    Ok(Done::with(
        Code::AppendUid {
            uid_validity: nz(appended.uidvalidity),
            uid: nz(appended.uid),
        },
        "APPEND completed",
    ))
}
