//! Browser tests: Debian's Chromium, headless, driven through chromedriver with fantoccini.
//! One browser at a time: every test holds [`BROWSER`] while its browser runs.

mod automatic;
mod hostile;
mod linked;
mod policy;
mod reset;
mod seed;
mod seed_without_js;
mod two_step;
mod webmail;

use std::ops::Deref;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use postern_domain::clock::ManualClock;
use postern_testkit::TestServer;
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

use super::start_time;
use postern_testkit::Listener;

/// Browsers are heavy on a small machine: one at a time.
static BROWSER: Mutex<()> = Mutex::const_new(());

/// Runs a browser test with a time limit: a hung browser fails the test, and dropping the
/// test's `Browser` takes Chromium down with it.
pub async fn within_limit(test: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(240), test)
        .await
        .expect("the browser test finished within its time limit");
}

/// chromedriver, leading its own process group so that Chromium and its helpers go with it.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Kill the group directly (never through the `kill` command, whose parsing of
        // negative ids is unsafe), and only if chromedriver really leads it.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32)
            && pid.as_raw_nonzero().get() > 1
            && rustix::process::getpgid(Some(pid)).ok() == Some(pid)
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> Driver {
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("postern-chromium-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&profile).unwrap();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) runs");
    let driver = Driver {
        child,
        port,
        profile,
    };
    let status = format!("http://127.0.0.1:{port}/status");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = reqwest::get(&status).await
            && let Ok(v) = r.json::<serde_json::Value>().await
            && v["value"]["ready"] == true
        {
            return driver;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How the browser is set up.
#[derive(Clone, Copy)]
pub enum Setup {
    /// A desktop window with JavaScript on.
    Desktop,
    /// A phone-sized screen (390×844) with JavaScript off.
    PhoneWithoutJs,
}

/// One Chromium, with its own chromedriver and profile, pointed at a server.
pub struct Tab {
    pub c: Client,
    pub base: String,
    /// Whether the page's script runs.
    pub js: bool,
    _driver: Driver,
}

/// A running Postern server and a browser pointed at it. More browsers (another person's)
/// can be opened on the same server with [`Browser::another`].
pub struct Browser {
    pub tab: Tab,
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
    _turn: MutexGuard<'static, ()>,
}

impl Deref for Browser {
    type Target = Tab;

    fn deref(&self) -> &Tab {
        &self.tab
    }
}

impl Browser {
    pub async fn start(setup: Setup) -> Self {
        let turn = BROWSER.lock().await;
        let clock = Arc::new(ManualClock::new(start_time()));
        // Every listener runs, on random ports; mail programs are told the default ports,
        // so that the settings the pages show (and the screenshots) are the same every run.
        let server = TestServer::start_with_clock(
            |c| {
                c.imap.public_port = 1143;
                c.imap.public_port_tls = 1993;
                c.smtp.public_port = 1587;
                c.smtp.public_port_tls = 1465;
                c.pop3.public_port = 1110;
                c.pop3.public_port_tls = 1995;
            },
            clock.clone(),
        )
        .await;
        let base = format!("http://{}", server.addr(Listener::Web));
        let tab = Tab::open(&base, setup).await;
        Browser {
            tab,
            server,
            clock,
            _turn: turn,
        }
    }

    /// Another browser, with its own profile (another person), on the same server.
    pub async fn another(&self, setup: Setup) -> Tab {
        Tab::open(&self.base, setup).await
    }

    pub async fn close(self) {
        self.tab.close().await;
        self.server.stop().await;
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(time::Duration::minutes(minutes));
    }

    /// Signs the first account in from the sign-in page.
    pub async fn sign_in_admin(&self) {
        let (login, password) = self.server.admin();
        self.sign_in(&login, &password, "admin@localhost").await;
    }
}

impl Tab {
    /// Starts chromedriver and a Chromium session on `base`.
    pub async fn open(base: &str, setup: Setup) -> Self {
        let driver = start_driver().await;
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-crash-reporter".into(),
            "--disable-breakpad".into(),
            "--hide-scrollbars".into(),
            "--lang=en-US".into(),
            format!("--user-data-dir={}", driver.profile.display()),
        ];
        let chromium = postern_testkit::needs::chromium().expect("Chromium on PATH");
        let mut options = json!({"binary": chromium, "args": []});
        match setup {
            Setup::Desktop => args.push("--window-size=1280,1040".into()),
            Setup::PhoneWithoutJs => {
                options["prefs"] =
                    json!({"profile.managed_default_content_settings.javascript": 2});
            }
        }
        options["args"] = json!(args);
        let caps = json!({"browserName": "chrome", "goog:chromeOptions": options});
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let c = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a browser session");
        if let Setup::PhoneWithoutJs = setup {
            c.set_window_size(390, 844).await.unwrap();
        }
        Tab {
            c,
            base: base.to_owned(),
            js: matches!(setup, Setup::Desktop),
            _driver: driver,
        }
    }

    pub async fn close(self) {
        self.c.clone().close().await.unwrap();
    }

    /// Signs in from the sign-in page and waits for the Mail home with `address` in it.
    pub async fn sign_in(&self, login: &str, password: &str, address: &str) {
        self.goto("/").await;
        self.heading("Sign in to Postern").await;
        self.fill("Login", login).await;
        self.fill("Password", password).await;
        self.follow("Sign in").await;
        self.wait(&format!(
            "//*[@aria-label={}]",
            lit(&format!("Actions for {address}"))
        ))
        .await;
    }

    pub async fn goto(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits for an element; fails with the page's address and text if it never comes.
    pub async fn wait(&self, xpath: &str) -> Element {
        match self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(xpath))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let url = self
                    .c
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let text = match self.c.find(Locator::Css("body")).await {
                    Ok(b) => b.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                panic!("{xpath} never appeared ({e}) on {url}:\n{text}");
            }
        }
    }

    /// The heading of the page, once it is there.
    pub async fn heading(&self, text: &str) {
        self.wait(&format!("//h1[normalize-space(.)={}]", lit(text)))
            .await;
    }

    /// Clicks the button, link or summary with this visible text.
    pub async fn click(&self, text: &str) {
        let t = lit(text);
        self.click_xpath(
            &format!("//*[self::button or self::a or self::summary][normalize-space(.)={t}]"),
            text,
        )
        .await;
    }

    /// Clicks a link or button that loads another page, and waits until it has replaced
    /// this one (so that nothing is read from the page being left).
    pub async fn follow(&self, text: &str) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        self.click(text).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while old.attr("lang").await.is_ok() {
            assert!(Instant::now() < deadline, "{text} did not load a page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a tab: in place with the script, as a new page without it.
    pub async fn tab(&self, text: &str) {
        if self.js {
            self.click(text).await;
        } else {
            self.follow(text).await;
        }
    }

    /// Clicks the element with this accessible name (`aria-label`).
    pub async fn click_named(&self, name: &str) {
        self.click_xpath(&format!("//*[@aria-label={}]", lit(name)), name)
            .await;
    }

    /// Clicks the first displayed match, waiting for one (a page may still be loading).
    async fn click_xpath(&self, xpath: &str, what: &str) {
        eprintln!("click {what}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::from("nothing displayed");
        loop {
            for el in self
                .c
                .find_all(Locator::XPath(xpath))
                .await
                .unwrap_or_default()
            {
                if el.is_displayed().await.unwrap_or(false) {
                    match el.click().await {
                        Ok(()) => return,
                        Err(e) => last = e.to_string(),
                    }
                }
            }
            if Instant::now() > deadline {
                let url = self
                    .c
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                panic!(
                    "could not click {what} ({last}) on {url}:\n{}",
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The form field labelled `label`.
    pub async fn field(&self, label: &str) -> Element {
        self.wait(&format!(
            "//*[@id=//label[normalize-space(.)={}]/@for]",
            lit(label)
        ))
        .await
    }

    pub async fn fill(&self, label: &str, text: &str) {
        let f = self.field(label).await;
        f.clear().await.unwrap();
        f.send_keys(text).await.unwrap();
    }

    pub async fn choose(&self, label: &str, option: &str) {
        self.field(label)
            .await
            .select_by_label(option)
            .await
            .unwrap();
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.c
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Saves a screenshot for the documentation, into [`screenshots`].
    pub async fn screenshot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

/// Where screenshots go: the folder `POSTERN_SCREENSHOTS` names (relative to the checkout;
/// `scripts/screenshots.sh` names docs/screenshots), else a temporary folder, so that a test
/// run leaves the checkout as it found it.
fn screenshots() -> PathBuf {
    match std::env::var_os("POSTERN_SCREENSHOTS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir),
        _ => std::env::temp_dir().join("postern-screenshots"),
    }
}

/// An XPath string literal for `text` (which may hold either kind of quote).
pub fn lit(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
