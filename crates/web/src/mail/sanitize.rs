//! Mail HTML made inert with ammonia: no scripts, event handlers, frames, forms, styles that
//! load or run anything, or links other than http(s) and mailto. Remote images stay out
//! unless the reader asked for them; pictures carried in the message itself come in as
//! `data:` URLs. The result is shown in a sandboxed frame under a policy that forbids
//! scripts as well (see `pages::message`), so one slip of either layer is not enough.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ammonia::{Builder, UrlRelative};

/// Tags kept besides ammonia's defaults: old-fashioned layout that mail still uses.
const EXTRA_TAGS: &[&str] = &["font", "center", "big"];

/// Attributes kept on any tag besides ammonia's defaults.
const EXTRA_ATTRIBUTES: &[&str] = &[
    "style", "align", "valign", "bgcolor", "width", "height", "border", "dir",
];

/// Attributes kept on some tags.
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("table", &["cellpadding", "cellspacing", "summary"]),
    ("td", &["colspan", "rowspan", "nowrap"]),
    ("th", &["colspan", "rowspan", "nowrap", "scope"]),
    ("font", &["color", "face", "size"]),
];

/// CSS properties kept in `style` attributes: none of them takes a URL.
const STYLE_PROPERTIES: &[&str] = &[
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "letter-spacing",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "vertical-align",
    "white-space",
    "word-break",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "border-radius",
    "width",
    "max-width",
    "min-width",
    "height",
    "max-height",
    "min-height",
    "display",
    "table-layout",
];

/// Words that never belong in a kept style value (`url(` loads, `expression(` ran script in
/// old browsers, escapes could spell either).
const STYLE_POISON: &[&str] = &[
    "url(",
    "expression",
    "javascript:",
    "behavior",
    "binding",
    "@import",
    "\\",
    "image(",
    "image-set(",
];

/// Image types a `data:` URL may carry (no SVG: it may hold script).
const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/gif",
    "image/jpeg",
    "image/jpg",
    "image/webp",
    "image/bmp",
];

/// Mail HTML made safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sanitized {
    pub html: String,
    /// Remote images left out because the reader did not ask for them.
    pub remote_blocked: usize,
}

/// Sanitises `html`. `inline` maps Content-IDs (without `<>`) to `data:` URLs of the
/// message's own pictures; `remote` lets remote images in.
pub fn sanitize(html: &str, inline: HashMap<String, String>, remote: bool) -> Sanitized {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&blocked);
    let mut builder = Builder::default();
    builder
        .add_tags(EXTRA_TAGS)
        .add_generic_attributes(EXTRA_ATTRIBUTES)
        .filter_style_properties(STYLE_PROPERTIES.iter().copied().collect::<HashSet<_>>())
        .add_url_schemes(["data", "cid"])
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            filter_attribute(element, attribute, value, &inline, remote, &counter)
        });
    for (tag, attributes) in TAG_ATTRIBUTES {
        builder.add_tag_attributes(*tag, attributes.iter().copied());
    }
    let html = builder.clean(html).to_string();
    Sanitized {
        html,
        remote_blocked: blocked.load(Ordering::Relaxed),
    }
}

fn filter_attribute<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
    inline: &HashMap<String, String>,
    remote: bool,
    blocked: &AtomicUsize,
) -> Option<Cow<'u, str>> {
    let scheme = value
        .trim_start()
        .split_once(':')
        .map(|(s, _)| s.trim().to_ascii_lowercase());
    match (element, attribute) {
        ("img", "src") => match scheme.as_deref() {
            Some("cid") => {
                let id = value.split_once(':').map(|(_, id)| id).unwrap_or_default();
                let id = id.trim().trim_matches(|c| c == '<' || c == '>');
                inline.get(id).map(|url| Cow::Owned(url.clone()))
            }
            Some("data") => safe_data_image(value).then_some(Cow::Borrowed(value)),
            Some("http" | "https") if remote => Some(Cow::Borrowed(value)),
            Some("http" | "https") => {
                blocked.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => None,
        },
        (_, "href") => match scheme.as_deref() {
            Some("http" | "https" | "mailto") => Some(Cow::Borrowed(value)),
            _ => None,
        },
        (_, "style") => {
            let kept: Vec<&str> = value
                .split(';')
                .filter(|d| {
                    let d = d.to_ascii_lowercase();
                    !d.trim().is_empty() && !STYLE_POISON.iter().any(|p| d.contains(p))
                })
                .collect();
            (!kept.is_empty()).then(|| Cow::Owned(kept.join(";")))
        }
        // Any other URL-bearing attribute (`cite`, `longdesc`…) is of no use here.
        (_, "cite" | "longdesc" | "usemap" | "srcset" | "action" | "formaction") => None,
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Whether a `data:` URL is a picture of a harmless type, base64-encoded.
fn safe_data_image(value: &str) -> bool {
    let Some(rest) = value.trim().get(5..) else {
        return false;
    };
    let Some((meta, _)) = rest.split_once(',') else {
        return false;
    };
    let meta = meta.to_ascii_lowercase();
    let mut fields = meta.split(';');
    let kind = fields.next().unwrap_or_default();
    IMAGE_TYPES.contains(&kind) && fields.any(|f| f == "base64")
}

/// The document the sandboxed frame shows: the sanitised body with a plain style sheet.
pub fn document(body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\"><base target=\"_blank\">\
         <style>body{{margin:0;padding:.25rem;font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",\
         Roboto,Arial,sans-serif;color:#1d2430;word-wrap:break-word}}img{{max-width:100%;\
         height:auto}}table{{max-width:100%}}</style></head><body>{body}</body></html>"
    )
}

#[cfg(test)]
mod tests;
