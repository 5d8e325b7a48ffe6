//! A hostile HTML mail opened in Chromium: every trick aims at a canary web server on this
//! machine, and none reaches it; no script runs; remote images load only when asked for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::Locator;
use postern_domain::Email;
use postern_testkit::{Need, requires};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{Browser, Setup, within_limit};

/// The smallest GIF, so that an image request gets a real image.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Paths requested from the canary, in order.
type Hits = Arc<Mutex<Vec<String>>>;

async fn canary() -> (u16, Hits) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits: Hits = Arc::default();
    let seen = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = tcp.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                if let Some(path) = head.split_whitespace().nth(1) {
                    seen.lock().unwrap().push(path.to_owned());
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    GIF.len()
                );
                let _ = tcp.write_all(reply.as_bytes()).await;
                let _ = tcp.write_all(GIF).await;
            });
        }
    });
    (port, hits)
}

fn hostile_mail(port: u16) -> String {
    let at = format!("http://127.0.0.1:{port}");
    format!(
        "From: Mallory <mallory@evil.test>\r\nTo: admin@localhost\r\nSubject: Hostile\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <p id=\"first\">Open me</p>\
         <script>new Image().src='{at}/script'; parent.document.title='owned';</script>\
         <img src=\"x\" onerror=\"this.src='{at}/onerror'\" alt=\"broken\">\
         <p onmouseover=\"new Image().src='{at}/onmouseover'\">hover</p>\
         <iframe src=\"{at}/iframe\"></iframe>\
         <form action=\"{at}/form\" method=\"get\"><input name=\"q\" value=\"1\"><button id=\"go\">Go</button></form>\
         <div style=\"background:url({at}/css);width:expression(alert(1))\">css</div>\
         <style>body{{background-image:url({at}/style)}}</style>\
         <link rel=\"stylesheet\" href=\"{at}/link.css\">\
         <meta http-equiv=\"refresh\" content=\"0;url={at}/refresh\">\
         <a id=\"js\" href=\"javascript:new Image().src='{at}/jslink'\">click me</a>\
         <img src=\"{at}/remote.gif\" alt=\"remote picture\">\r\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_mail_is_inert_in_the_browser() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let (port, hits) = canary().await;
        let b = Browser::start(Setup::Desktop).await;
        let core = b.server.core();
        let address = core
            .store()
            .address_by_email(&Email::parse("admin@localhost").unwrap())
            .await
            .unwrap()
            .unwrap();
        core.deliver(&address, hostile_mail(port).as_bytes())
            .await
            .unwrap();
        b.sign_in_admin().await;
        b.follow("Hostile").await;
        b.wait("//h2[normalize-space(.)='Hostile']").await;
        let notice = b
            .wait("//p[contains(@class,'remote-notice')]")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            notice.contains("Remote images in this message are blocked"),
            "{notice}"
        );

        // Inside the frame: the text is there, the tricks are not.
        let frame = b.wait("//iframe[@title='Message']").await;
        frame.enter_frame().await.unwrap();
        b.wait("//p[normalize-space(.)='Open me']").await;
        for (css, allowed) in [
            ("script", 0),
            ("iframe", 0),
            ("form", 0),
            ("input", 0),
            ("button", 0),
            ("link", 0),
            ("meta[http-equiv]", 0),
            ("[onerror], [onmouseover], [style*='url']", 0),
            // The frame document's own style sheet.
            ("style", 1),
        ] {
            let found = b.c.find_all(Locator::Css(css)).await.unwrap();
            assert_eq!(found.len(), allowed, "{css} in the frame");
        }
        let click_me =
            b.c.find(Locator::XPath("//a[normalize-space(.)='click me']"))
                .await
                .unwrap();
        assert_eq!(click_me.attr("href").await.unwrap(), None);
        click_me.click().await.unwrap();
        if let Ok(hover) =
            b.c.find(Locator::XPath("//p[normalize-space(.)='hover']"))
                .await
        {
            let _ = hover.click().await;
        }
        b.c.enter_parent_frame().await.unwrap();

        // Give anything that slipped through time to call home.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(b.c.title().await.unwrap(), "Hostile · Postern");
        assert!(b.c.get_alert_text().await.is_err(), "no alert opened");
        assert!(
            hits.lock().unwrap().is_empty(),
            "the canary was reached: {:?}",
            hits.lock().unwrap()
        );

        // Asked for, remote images load; nothing else does.
        b.follow("Show remote images").await;
        b.wait("//iframe[@title='Message']").await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while hits.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(*hits.lock().unwrap(), ["/remote.gif"]);
        b.close().await;
    })
    .await;
}
