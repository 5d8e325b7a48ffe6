//! QR codes as inline SVG, so a phone's camera can open a link shown on a screen.

use postern_domain::DomainError;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::{WebError, WebResult};

/// The QR code of `text` as an `<svg>` element to put in a page, with the accessible name
/// `label`.
///
/// Each module is drawn 4 px wide, with the quiet zone of four modules around the code that
/// scanners need.
pub fn svg(text: &str, label: &str) -> WebResult<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| WebError::Domain(DomainError::Internal(format!("QR code: {e}"))))?;
    let image = code
        .render::<svg::Color<'_>>()
        .module_dimensions(4, 4)
        .quiet_zone(true)
        .build();
    // The XML declaration is for files; inside a page the element stands alone.
    let element = image.find("<svg").map_or(image.as_str(), |at| &image[at..]);
    let label: String = label
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            c => c.to_string(),
        })
        .collect();
    Ok(element.replacen(
        "<svg ",
        &format!(r#"<svg class="qr-code" role="img" aria-label="{label}" "#),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_svg_element_with_a_name() {
        let s = svg("https://mail.example.com/profile/00", "A <code>").unwrap();
        assert!(
            s.starts_with(r#"<svg class="qr-code" role="img" aria-label="A &lt;code&gt;" xmlns="#),
            "{s}"
        );
        assert!(s.ends_with("</svg>"));
        assert!(!s.contains("<?xml"));
    }
}
