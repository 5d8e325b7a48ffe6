//! A stored message seen through IMAP: its MIME parts by IMAP part number, sections of its
//! bytes, its envelope and body structure. Parsing is mail-parser's; offsets come from it.

use imap_codec::imap_types::core::{AString, IString, Literal, NString, Quoted};
use imap_codec::imap_types::fetch::{Part, Section};
use mail_parser::{Message, MessagePart, PartType};
use postern_domain::mime;

mod envelope;
mod structure;
mod walk;

pub(crate) use envelope::envelope;
pub(crate) use structure::body_structure;
pub use walk::every_walk;

/// A parsed message with the bytes its offsets point into.
pub(crate) struct Parsed<'a> {
    message: Message<'a>,
}

/// One message level: a message (the stored one or one encapsulated in it) and the bytes
/// its part offsets point into.
#[derive(Clone, Copy)]
pub(crate) struct View<'m> {
    pub msg: &'m Message<'m>,
    pub raw: &'m [u8],
}

/// A part of a message level.
#[derive(Clone, Copy)]
pub(crate) struct PartRef<'m> {
    pub view: View<'m>,
    pub idx: usize,
}

impl<'m> PartRef<'m> {
    pub fn part(&self) -> Option<&'m MessagePart<'m>> {
        self.view.msg.parts.get(self.idx)
    }

    /// The part's MIME header block (with its blank line).
    pub fn header_bytes(&self) -> &'m [u8] {
        self.part()
            .map(|p| slice(self.view.raw, p.offset_header, p.offset_body))
            .unwrap_or_default()
    }

    /// The part's body as it is in the message (still encoded).
    pub fn body_bytes(&self) -> &'m [u8] {
        self.part()
            .map(|p| slice(self.view.raw, p.offset_body, p.offset_end))
            .unwrap_or_default()
    }

    /// The encapsulated message of a message/rfc822 part.
    pub fn nested(&self) -> Option<View<'m>> {
        match &self.part()?.body {
            PartType::Message(m) => Some(View {
                msg: m,
                raw: m.raw_message.as_ref(),
            }),
            _ => None,
        }
    }
}

impl<'m> View<'m> {
    pub fn root(self) -> PartRef<'m> {
        PartRef { view: self, idx: 0 }
    }

    /// The whole message of this level: its header and body.
    pub fn bytes(self) -> &'m [u8] {
        match self.msg.parts.first() {
            Some(p) => slice(self.raw, p.offset_header, p.offset_end),
            None => self.raw,
        }
    }
}

fn slice(raw: &[u8], from: u32, to: u32) -> &[u8] {
    let (from, to) = (from as usize, to as usize);
    raw.get(from.min(to)..to.min(raw.len())).unwrap_or_default()
}

impl<'a> Parsed<'a> {
    /// Parses a stored message, its structure cut at `mime::MAX_DEPTH` so that no walk over
    /// it recurses deeper; `None` when there is no message at all.
    pub fn new(raw: &'a [u8]) -> Option<Self> {
        mime::parse(raw).map(|message| Parsed { message })
    }

    pub fn view(&self) -> View<'_> {
        View {
            msg: &self.message,
            raw: self.message.raw_message.as_ref(),
        }
    }
}

/// The part named by an IMAP part number (RFC 3501 6.4.5).
pub(crate) fn find_part<'m>(view: View<'m>, path: &Part) -> Option<PartRef<'m>> {
    let mut at = view.root();
    // Whether `at` is the top of a message, where a single part is numbered 1.
    let mut message_top = true;
    let numbers: Vec<usize> = path.0.as_ref().iter().map(|n| n.get() as usize).collect();
    let mut i = 0;
    while i < numbers.len() {
        let n = numbers[i];
        match &at.part()?.body {
            PartType::Multipart(children) => {
                let child = *children.get(n.checked_sub(1)?)?;
                at = PartRef {
                    view: at.view,
                    idx: child as usize,
                };
                message_top = false;
                i += 1;
            }
            PartType::Message(_) if !message_top => {
                at = at.nested()?.root();
                message_top = true;
            }
            _ if message_top && n == 1 => {
                message_top = false;
                i += 1;
            }
            _ => return None,
        }
    }
    Some(at)
}

/// The header fields of a header block, each with its folded lines.
fn fields(header: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out: Vec<(&[u8], &[u8])> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos < header.len() {
        let end = header[pos..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(header.len(), |i| pos + i + 1);
        let line = &header[pos..end];
        let continues = matches!(line.first(), Some(b' ' | b'\t'));
        if !continues && pos > start {
            push_field(&mut out, &header[start..pos]);
            start = pos;
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        pos = end;
    }
    if pos > start {
        push_field(&mut out, &header[start..pos]);
    }
    out
}

fn push_field<'h>(out: &mut Vec<(&'h [u8], &'h [u8])>, field: &'h [u8]) {
    if let Some(colon) = field.iter().position(|b| *b == b':') {
        let name = field[..colon].trim_ascii();
        if !name.is_empty() {
            out.push((name, field));
        }
    }
}

/// The fields of `header` whose names are (or, with `not`, are not) in `names`, followed
/// by the blank line.
fn header_fields(header: &[u8], names: &[AString<'_>], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, field) in fields(header) {
        let listed = names.iter().any(|n| {
            let n: &[u8] = n.as_ref();
            n.eq_ignore_ascii_case(name)
        });
        if listed != not {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The bytes of a section (RFC 3501 6.4.5 BODY[section]); `None` for a part that does not
/// exist (answered as an empty string).
pub(crate) fn section(view: View<'_>, section: Option<&Section<'_>>) -> Option<Vec<u8>> {
    let message_at = |part: Option<&Part>| -> Option<View<'_>> {
        match part {
            None => Some(view),
            Some(path) => find_part(view, path)?.nested(),
        }
    };
    Some(match section {
        None => view.bytes().to_vec(),
        Some(Section::Part(path)) => find_part(view, path)?.body_bytes().to_vec(),
        Some(Section::Mime(path)) => find_part(view, path)?.header_bytes().to_vec(),
        Some(Section::Header(part)) => message_at(part.as_ref())?.root().header_bytes().to_vec(),
        Some(Section::Text(None)) => view.root().body_bytes().to_vec(),
        Some(Section::Text(Some(path))) => encapsulated_text(find_part(view, path)?)?.to_vec(),
        Some(Section::HeaderFields(part, names)) => {
            let header = message_at(part.as_ref())?.root().header_bytes();
            header_fields(header, names.as_ref(), false)
        }
        Some(Section::HeaderFieldsNot(part, names)) => {
            let header = message_at(part.as_ref())?.root().header_bytes();
            header_fields(header, names.as_ref(), true)
        }
    })
}

/// The text of the message in a message/rfc822 part: from the end of its header to the end
/// of the part, so a multipart body keeps its epilogue (mail-parser ends the encapsulated
/// root at its closing boundary).
fn encapsulated_text(at: PartRef<'_>) -> Option<&[u8]> {
    let nested = at.nested()?;
    let root = nested.root().part()?;
    // An encapsulated message kept as it is points into the outer bytes; a decoded one (from
    // base64 or quoted-printable) has bytes of its own, all of them its.
    let end = if std::ptr::eq(nested.raw.as_ptr(), at.view.raw.as_ptr()) {
        at.part()?.offset_end
    } else {
        u32::try_from(nested.raw.len()).unwrap_or(u32::MAX)
    };
    Some(slice(nested.raw, root.offset_body, end))
}

/// A string for a response: quoted when it can be, a literal otherwise.
pub(crate) fn istring(bytes: &[u8]) -> IString<'static> {
    let quotable = bytes.iter().all(|b| (0x20..0x7f).contains(b));
    if quotable && let Ok(q) = Quoted::try_from(String::from_utf8_lossy(bytes).into_owned()) {
        return IString::Quoted(q);
    }
    let cleaned: Vec<u8> = bytes.iter().copied().filter(|b| *b != 0).collect();
    match Literal::try_from(cleaned) {
        Ok(l) => IString::Literal(l),
        Err(_) => IString::Quoted(Quoted::unvalidated("")),
    }
}

/// `NIL` or a string.
pub(crate) fn nstring(bytes: Option<&[u8]>) -> NString<'static> {
    NString(bytes.map(istring))
}

/// Lines of a text body, as BODYSTRUCTURE counts them.
pub(crate) fn lines(body: &[u8]) -> u32 {
    let newlines = body.iter().filter(|b| **b == b'\n').count();
    let partial = usize::from(!body.is_empty() && !body.ends_with(b"\n"));
    u32::try_from(newlines + partial).unwrap_or(u32::MAX)
}
