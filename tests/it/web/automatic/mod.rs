//! Automatic configuration: what mail programs fetch by themselves (Thunderbird autoconfig,
//! Microsoft Autodiscover), the Apple profile with its QR code and one-time link, and the
//! setup assistant's form for them. Settings are checked against the running listeners by
//! signing in with Python's imaplib, poplib and smtplib.

mod discovery;
mod ownership;
mod profile;
mod profile_session;
mod setup_form;

use std::sync::Arc;

use postern_domain::clock::ManualClock;
use postern_server::config::Config;
use postern_testkit::TestServer;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::harness::form;
use super::start_time;
use postern_testkit::Listener;

pub const ADMIN: &str = "admin@localhost";

/// A response read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Page {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }
}

/// A whole server on port 0 with a manual clock, and a browser-like HTTP client of its web
/// app that keeps the session cookie and does not follow redirects.
pub struct Site {
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub cookie: Option<String>,
    http: reqwest::Client,
}

impl Site {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let server = TestServer::start_with_clock(adjust, clock.clone()).await;
        let base = format!("http://{}", server.addr(Listener::Web));
        Site {
            server,
            clock,
            base,
            cookie: None,
            http: client(None),
        }
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(time::Duration::minutes(minutes));
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// A form POST as a page of this site sends it.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .body(form(fields)),
        )
        .await
    }

    /// A request with its own body and headers, as a mail program sends it.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Page {
        read(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", content_type)
                .body(body.to_owned())
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Signs the first account in through the sign-in form.
    pub async fn sign_in_admin(&mut self) {
        let (login, password) = self.server.admin();
        self.sign_in(&login, &password).await;
    }

    /// Signs an account in through the sign-in form; its session replaces any other.
    pub async fn sign_in(&mut self, login: &str, password: &str) {
        self.cookie = None;
        let p = self
            .post(
                "/sign-in",
                &[("login", login), ("password", password), ("next", "")],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
        let cookie = p
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with("postern_session="))
            .expect("a session cookie");
        self.cookie = Some(cookie.split(';').next().unwrap().to_owned());
    }

    /// A listener's port.
    pub fn port(&self, key: Listener) -> u16 {
        self.server.addr(key).port()
    }
}

/// An HTTP client that does not follow redirects, optionally sending from `source`.
pub fn client(source: Option<std::net::IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(source)
        .build()
        .unwrap()
}

pub async fn read(res: reqwest::Response) -> Page {
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.unwrap().to_vec();
    Page {
        status,
        headers,
        body,
    }
}

/// Signs in to a mail server as a mail program configured with these settings would:
/// Python's imaplib, poplib or smtplib, TLS from the start (`SSL`) or after STARTTLS/STLS,
/// the server's certificate checked against `cafile` for `host`.
const SIGN_IN: &str = r#"
import ssl, sys, imaplib, poplib, smtplib
kind, host, port, security, user, password, cafile = sys.argv[1:]
port = int(port)
ctx = ssl.create_default_context(cafile=cafile)
ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
if security not in ("SSL", "STARTTLS"):
    sys.exit("unknown security " + security)
tls = security == "SSL"
if kind == "imap":
    c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=10) if tls else imaplib.IMAP4(host, port, timeout=10)
    if not tls:
        c.starttls(ssl_context=ctx)
    c.login(user, password)
    c.logout()
elif kind == "pop3":
    c = poplib.POP3_SSL(host, port, context=ctx, timeout=10) if tls else poplib.POP3(host, port, timeout=10)
    if not tls:
        c.stls(context=ctx)
    c.user(user)
    c.pass_(password)
    c.quit()
elif kind == "smtp":
    c = smtplib.SMTP_SSL(host, port, context=ctx, timeout=10) if tls else smtplib.SMTP(host, port, timeout=10)
    if not tls:
        c.starttls(context=ctx)
    c.login(user, password)
    c.quit()
else:
    sys.exit("unknown kind " + kind)
print("signed in")
"#;

/// Whether a mail program with these settings signs in (`Err` holds Python's complaint).
pub async fn sign_in_with(
    server: &TestServer,
    kind: &str,
    host: &str,
    port: u16,
    security: &str,
    user: &str,
    password: &str,
) -> Result<(), String> {
    let cafile = server.data_dir().join("tls-cert.pem");
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(SIGN_IN)
        .args([kind, host, &port.to_string(), security, user, password])
        .arg(&cafile)
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains("signed in") {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The text a QR code drawn as SVG (`<svg … viewBox><rect/><path d="M…h…v…H…V…"/>`, as the
/// profile page draws it) decodes to, read by rqrr from a raster made of the path's squares.
pub fn decode_qr_svg(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let size = |name: &str| -> usize { root.attribute(name).unwrap().parse().unwrap() };
    let (width, height) = (size("width"), size("height"));
    let mut dark = vec![false; width * height];
    let path = root
        .descendants()
        .find(|n| n.tag_name().name() == "path")
        .expect("a path of dark modules");
    let d = path.attribute("d").unwrap();
    // Each square is `M{left} {top}h{w}v{h}H{left}V{top}`.
    for square in d.split('M').filter(|s| !s.is_empty()) {
        let numbers: Vec<usize> = square
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let [left, top, w, h, ..] = numbers[..] else {
            panic!("not a square: {square}")
        };
        for y in top..top + h {
            for x in left..left + w {
                dark[y * width + x] = true;
            }
        }
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark[y * width + x] { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

/// The `<svg class="qr-code">` element of a page.
pub fn qr_svg_of(html: &str) -> &str {
    let start = html.find(r#"<svg class="qr-code""#).expect("a QR code");
    let end = html[start..].find("</svg>").unwrap() + start + "</svg>".len();
    &html[start..end]
}
