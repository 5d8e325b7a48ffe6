//! MIME trees of any depth and shape, built from a small grammar, through every walk over a
//! message's structure: the bounded parse (`postern_domain::mime`), IMAP's BODYSTRUCTURE,
//! BODY, ENVELOPE, sections and SEARCH text (encoded as a FETCH response), and the webmail's
//! summary, reading view (with the HTML sanitiser) and attachments.
//!
//! The input is a list of operations, one byte each with its arguments in the bytes after
//! it (see [`Op`]): open a multipart or an encapsulated message, add a leaf (text, HTML
//! nested `n` deep, a binary attachment, header fields with comments and groups nested `n`
//! deep), close the innermost container, open `n` containers at once (how the deep cases are
//! reached in a few bytes), or write stray bytes (a boundary of an open multipart, garbage).
//! Whatever the tree, no walk may overflow the stack, and the parsed structure is never deeper
//! than `MAX_DEPTH`.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use postern_domain::mime;
use postern_web::mail::read;

/// Operations in one input, at most.
const MAX_OPS: usize = 256;

const SUBTYPES: &[&str] = &[
    "mixed",
    "alternative",
    "related",
    "digest",
    "signed",
    "report",
];
const TAGS: &[(&str, &str)] = &[
    ("<div>", ""),
    ("<b><i>", ""),
    ("<table><tr><td>", ""),
    ("<ul><li>", "</li></ul>"),
    ("<span style=\"color:red\">", "</span>"),
    ("<blockquote>", "</blockquote>"),
    ("<svg><g>", ""),
    ("<a href=\"http://x.example/\">", "</a>"),
];

/// One step of the grammar, chosen by the low three bits of a byte.
enum Op {
    /// A multipart (subtype from the next byte; without a boundary when it is odd).
    Multipart,
    /// An encapsulated message/rfc822; the next byte picks its header fields.
    Message,
    /// A leaf part: the next byte picks its kind, two more bytes a nesting depth.
    Leaf,
    /// Ends the innermost open container.
    Close,
    /// Opens 0–16383 containers at once (two bytes), of the kind the next byte picks.
    Repeat,
    /// Stray bytes: a boundary of an open multipart, or up to 64 bytes of input as they are.
    Raw,
}

enum Frame {
    Multipart(String),
    Message { filled: bool, header: String },
}

/// Writes a message as operations arrive.
struct Builder {
    out: Vec<u8>,
    stack: Vec<Frame>,
    next: usize,
    root_done: bool,
}

impl Builder {
    fn new() -> Self {
        Builder {
            out: b"From: Fuzz <fuzz@example.test>\r\nTo: a@example.test\r\nSubject: fuzz\r\n\
                   Date: Mon, 2 Mar 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                .to_vec(),
            stack: Vec::new(),
            next: 0,
            root_done: false,
        }
    }

    fn write(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// Starts an entity where one may go: after a boundary of a multipart, as the message
    /// an encapsulating part holds, or as the root. False when there is no room for one.
    fn begin(&mut self) -> bool {
        match self.stack.last_mut() {
            None if self.root_done => false,
            None => {
                self.root_done = true;
                true
            }
            Some(Frame::Multipart(b)) => {
                let line = format!("\r\n--{b}\r\n");
                self.write(&line);
                true
            }
            Some(Frame::Message { filled: true, .. }) => false,
            Some(Frame::Message { filled, header }) => {
                *filled = true;
                let header = std::mem::take(header);
                self.write(&header);
                true
            }
        }
    }

    fn multipart(&mut self, sub: &str, boundary: bool) {
        if !self.begin() {
            return;
        }
        if boundary {
            let b = format!("b{}x", self.next);
            self.next += 1;
            self.write(&format!(
                "Content-Type: multipart/{sub}; boundary=\"{b}\"\r\n\r\npreamble"
            ));
            self.stack.push(Frame::Multipart(b));
        } else {
            self.write(&format!(
                "Content-Type: multipart/{sub}\r\n\r\nno boundary\r\n"
            ));
        }
    }

    fn message(&mut self, header: String) {
        if !self.begin() {
            return;
        }
        self.write("Content-Type: message/rfc822\r\n\r\n");
        self.stack.push(Frame::Message {
            filled: false,
            header,
        });
    }

    fn leaf(&mut self, head: &str, body: &[u8]) {
        if !self.begin() {
            return;
        }
        self.write(head);
        self.write("\r\n");
        self.out.extend_from_slice(body);
    }

    fn close(&mut self) {
        match self.stack.pop() {
            Some(Frame::Multipart(b)) => self.write(&format!("\r\n--{b}--\r\n")),
            Some(Frame::Message { filled: false, .. }) => {
                self.write("Subject: empty\r\n\r\nempty\r\n");
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Vec<u8> {
        while !self.stack.is_empty() {
            self.close();
        }
        if !self.root_done {
            self.write("\r\nA plain body.\r\n");
        }
        self.out
    }
}

fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// Two bytes, little-endian.
fn number(u: &mut Unstructured<'_>) -> usize {
    usize::from(byte(u)) | usize::from(byte(u)) << 8
}

/// Header fields of an encapsulated message: plain, with groups, or with comments and
/// groups nested `n` deep.
fn header(kind: u8, n: usize) -> String {
    match kind % 4 {
        0 => "Subject: inner\r\nFrom: <inner@example.test>\r\n".to_owned(),
        1 => "From: Team: a@example.test, \"B\" <b@example.test>;, c@example.test\r\n\
              To: undisclosed-recipients:;\r\nSubject: groups\r\n"
            .to_owned(),
        2 => format!(
            "From: {}a@example.test{}\r\nSubject: comments\r\n",
            "(".repeat(n % 5_000),
            ")".repeat(n % 5_000)
        ),
        _ => format!(
            "To: {}a@example.test\r\nCc: {}\r\n",
            "g:".repeat(n % 5_000),
            ";".repeat(n % 50)
        ),
    }
}

fn leaf(b: &mut Builder, kind: u8, n: usize) {
    match kind % 6 {
        0 => b.leaf(
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Zebra crossing, caf\u{e9}.\r\n".as_bytes(),
        ),
        1 => {
            let (open, close) = TAGS[n % TAGS.len()];
            let depth = n % 20_000;
            let mut html = String::with_capacity(depth * (open.len() + close.len() + 2) + 16);
            for i in 0..depth {
                html.push_str(open);
                if i % 16 == 15 {
                    html.push_str("\r\n");
                }
            }
            html.push_str("zebra");
            for _ in 0..depth {
                html.push_str(close);
            }
            b.leaf(
                "Content-Type: text/html; charset=utf-8\r\n",
                html.as_bytes(),
            );
        }
        2 => b.leaf(
            "Content-Type: application/pdf; name=\"a.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"a.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n",
            b"JVBERi0xLjQK\r\n",
        ),
        3 => b.leaf(
            "Content-Type: image/png\r\nContent-ID: <p@x>\r\nContent-Transfer-Encoding: base64\r\n",
            b"iVBORw0KGgo=\r\n",
        ),
        4 => {
            let head = format!(
                "Content-Type: text/plain; name={}\r\nContent-Description: {}\r\n",
                "(".repeat(n % 5_000),
                "\"".repeat(n % 97)
            );
            b.leaf(&head, b"header bomb\r\n");
        }
        _ => b.leaf(
            "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n",
            b"U3ViamVjdDogZW5jb2RlZA0KDQpib2R5DQo=\r\n",
        ),
    }
}

/// Builds a message from the operations in `u`.
fn build(u: &mut Unstructured<'_>) -> Vec<u8> {
    let mut b = Builder::new();
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let code = byte(u);
        let op = match code % 8 {
            0 | 6 => Op::Leaf,
            1 => Op::Multipart,
            2 => Op::Message,
            3 => Op::Close,
            4 => Op::Repeat,
            5 => Op::Raw,
            _ => Op::Close,
        };
        match op {
            Op::Multipart => {
                let arg = byte(u);
                b.multipart(
                    SUBTYPES[usize::from(arg >> 1) % SUBTYPES.len()],
                    arg & 1 == 0,
                );
            }
            Op::Message => {
                let kind = byte(u);
                let n = number(u);
                b.message(header(kind, n));
            }
            Op::Leaf => {
                let kind = byte(u);
                let n = number(u);
                leaf(&mut b, kind, n);
            }
            Op::Close => b.close(),
            Op::Repeat => {
                let kind = byte(u);
                let levels = number(u) % 16_384;
                for i in 0..levels {
                    match (kind % 3, i % 2) {
                        (0, _) | (2, 0) => b.multipart("mixed", true),
                        _ => b.message(header(kind >> 2, 0)),
                    }
                }
            }
            Op::Raw => {
                let arg = byte(u);
                let boundary = b.stack.iter().rev().find_map(|f| match f {
                    Frame::Multipart(x) => Some(x.clone()),
                    Frame::Message { .. } => None,
                });
                match (arg % 4, boundary) {
                    (0, Some(x)) => b.write(&format!("\r\n--{x}\r\n")),
                    (1, Some(x)) => b.write(&format!("\r\n--{x}--\r\n")),
                    _ => {
                        let len = usize::from(arg >> 2).min(u.len());
                        if let Ok(bytes) = u.bytes(len) {
                            b.out.extend_from_slice(bytes);
                        }
                    }
                }
            }
        }
    }
    b.finish()
}

fuzz_target!(|data: &[u8]| {
    let raw = build(&mut Unstructured::new(data));
    if let Some(message) = mime::parse(&raw) {
        let depth = mime::depth(&message);
        assert!(depth <= mime::MAX_DEPTH, "a structure {depth} deep");
    }
    let fetched = postern_imap::harness::every_walk(&raw);
    assert!(
        fetched.is_empty() || fetched.starts_with(b"* 1 FETCH ("),
        "not a FETCH response"
    );
    let _ = read::summary(&raw);
    let opened = read::open(&raw, false);
    for a in opened.attachments.iter().take(8) {
        let _ = read::attachment(&raw, a.part);
    }
});
