//! BODY and BODYSTRUCTURE (RFC 3501 7.4.2).

use imap_codec::imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData,
    SinglePartExtensionData, SpecificFields,
};
use imap_codec::imap_types::core::{IString, NString, Vec1};
use mail_parser::{ContentType, MimeHeaders, PartType};
use postern_domain::search::holds_parts;

use super::{PartRef, View, envelope, istring, lines, nstring};

fn upper(s: &str) -> IString<'static> {
    istring(s.to_ascii_uppercase().as_bytes())
}

fn params(ct: Option<&ContentType<'_>>) -> Vec<(IString<'static>, IString<'static>)> {
    ct.and_then(|c| c.attributes())
        .map(|attrs| {
            attrs
                .iter()
                .map(|a| (upper(&a.name), istring(a.value.as_bytes())))
                .collect()
        })
        .unwrap_or_default()
}

fn disposition(part: &mail_parser::MessagePart<'_>) -> Disposition<'static> {
    Disposition {
        disposition: part
            .content_disposition()
            .map(|d| (upper(d.ctype()), params(Some(d)))),
        tail: Some(Language {
            language: Vec::new(),
            tail: Some(Location {
                location: nstring(part.content_location().map(str::as_bytes)),
                extensions: Vec::new(),
            }),
        }),
    }
}

/// The body structure of a part; `extended` adds the extension data of BODYSTRUCTURE.
pub(crate) fn structure(
    at: PartRef<'_>,
    extended: bool,
    in_digest: bool,
) -> Option<BodyStructure<'static>> {
    let part = at.part()?;
    let ct = part.content_type();
    if let PartType::Multipart(children) = &part.body {
        let subtype = ct.and_then(|c| c.subtype()).unwrap_or("mixed");
        let digest = subtype.eq_ignore_ascii_case("digest");
        let bodies: Vec<BodyStructure<'static>> = children
            .iter()
            .filter_map(|c| {
                structure(
                    PartRef {
                        view: at.view,
                        idx: *c as usize,
                    },
                    extended,
                    digest,
                )
            })
            .collect();
        let bodies = match Vec1::try_from(bodies) {
            Ok(b) => b,
            // A multipart without parts: shown as an empty text part.
            Err(_) => return Some(empty_text()),
        };
        return Some(BodyStructure::Multi {
            bodies,
            subtype: upper(subtype),
            extension_data: extended.then(|| MultiPartExtensionData {
                parameter_list: params(ct),
                tail: Some(disposition(part)),
            }),
        });
    }
    let (main, sub) = match ct {
        Some(c) => (c.ctype().to_owned(), c.subtype().unwrap_or("").to_owned()),
        None if in_digest => ("message".to_owned(), "rfc822".to_owned()),
        None => ("text".to_owned(), "plain".to_owned()),
    };
    // A part that says it holds parts or a message that are not walked (cut at
    // `mime::MAX_DEPTH`, or not parseable as such) is an opaque body, so that no client
    // looks for parts or an envelope in it.
    let (main, sub) = if holds_parts(part) && at.nested().is_none() {
        ("application".to_owned(), "octet-stream".to_owned())
    } else {
        (main, sub)
    };
    let mut parameter_list = params(ct);
    if main.eq_ignore_ascii_case("text") && parameter_list.is_empty() {
        parameter_list.push((upper("charset"), upper("us-ascii")));
    }
    let body = at.body_bytes();
    let basic = BasicFields {
        parameter_list,
        id: nstring(
            part.content_id()
                .map(|id| format!("<{id}>"))
                .as_deref()
                .map(str::as_bytes),
        ),
        description: nstring(part.content_description().map(str::as_bytes)),
        content_transfer_encoding: upper(part.content_transfer_encoding().unwrap_or("7bit")),
        size: u32::try_from(body.len()).unwrap_or(u32::MAX),
    };
    let specific = if main.eq_ignore_ascii_case("text") {
        SpecificFields::Text {
            subtype: upper(&sub),
            number_of_lines: lines(body),
        }
    } else if let Some(nested) = at.nested().filter(|_| main.eq_ignore_ascii_case("message")) {
        SpecificFields::Message {
            envelope: Box::new(envelope(nested)),
            body_structure: Box::new(of_view(nested, extended)),
            number_of_lines: lines(body),
        }
    } else {
        SpecificFields::Basic {
            r#type: upper(&main),
            subtype: upper(&sub),
        }
    };
    Some(BodyStructure::Single {
        body: Body { basic, specific },
        extension_data: extended.then(|| SinglePartExtensionData {
            md5: NString(None),
            tail: Some(disposition(part)),
        }),
    })
}

fn empty_text() -> BodyStructure<'static> {
    BodyStructure::Single {
        body: Body {
            basic: BasicFields {
                parameter_list: vec![(upper("charset"), upper("us-ascii"))],
                id: NString(None),
                description: NString(None),
                content_transfer_encoding: upper("7bit"),
                size: 0,
            },
            specific: SpecificFields::Text {
                subtype: upper("plain"),
                number_of_lines: 0,
            },
        },
        extension_data: None,
    }
}

fn of_view(view: View<'_>, extended: bool) -> BodyStructure<'static> {
    structure(view.root(), extended, false).unwrap_or_else(empty_text)
}

/// The body structure of a whole message.
pub(crate) fn body_structure(view: View<'_>, extended: bool) -> BodyStructure<'static> {
    of_view(view, extended)
}
