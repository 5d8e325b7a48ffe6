//! The names the web app answers to, and the one origin its pages post from.
//!
//! A request whose `Host` names anything else is refused (`421 Misdirected Request`): a page
//! of another site whose name was made to resolve to this server (DNS rebinding) is
//! same-origin with itself in the browser's eyes, so only the name it sends in `Host` gives
//! it away. When the public URL is a loopback address, every loopback name is the same
//! server, so `localhost`, `127.0.0.1` and `[::1]` are all accepted.

use axum::http::Uri;
use axum::http::uri::Authority;

use crate::settings::Settings;

/// Names of the loopback interface, as they appear in a `Host` header or an origin.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The accepted hosts and origins, worked out once from the settings.
#[derive(Clone, Debug)]
pub struct Hosts {
    /// `http` or `https`, from the public URL.
    scheme: String,
    /// The public URL's host, lowercase (an IPv6 address in brackets).
    host: String,
    /// The public URL's port, or the scheme's default.
    port: u16,
    /// Whether the public URL names the loopback interface.
    loopback: bool,
    /// The port the listener is bound to, reached directly on loopback.
    listen_port: Option<u16>,
    /// Other names (`web.extra_hosts`), each with a port or for any port.
    extra: Vec<(String, Option<u16>)>,
}

impl Hosts {
    /// The rules for `settings`. A public URL that does not parse accepts no host at all
    /// (the configuration is checked at start, so this is for hand-made settings).
    pub fn new(settings: &Settings) -> Self {
        let uri = settings
            .public_url
            .trim()
            .parse::<Uri>()
            .unwrap_or_default();
        let scheme = uri.scheme_str().unwrap_or("http").to_ascii_lowercase();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or_else(|| default_port(&scheme));
        let loopback = is_loopback(&host);
        let extra = settings
            .extra_hosts
            .iter()
            .filter_map(|h| {
                let a = h.trim().parse::<Authority>().ok()?;
                Some((a.host().to_ascii_lowercase(), a.port_u16()))
            })
            .collect();
        Hosts {
            scheme,
            host,
            port,
            loopback,
            listen_port: settings.listen_port,
            extra,
        }
    }

    /// Whether a request that names `host` (a `Host` header: a name and maybe a port) is
    /// for this web app. The public host is matched by name alone, since a reverse proxy
    /// may pass it on without its port; loopback names need the public or listening port.
    pub fn accepts_host(&self, host: &str) -> bool {
        let Ok(authority) = host.trim().parse::<Authority>() else {
            return false;
        };
        let name = authority.host().to_ascii_lowercase();
        let port = authority.port_u16();
        if self.loopback && is_loopback(&name) {
            return port.is_none_or(|p| self.loopback_port(p));
        }
        if name == self.host {
            return true;
        }
        self.extra
            .iter()
            .any(|(extra, extra_port)| *extra == name && extra_port.is_none_or(|p| Some(p) == port))
    }

    /// Whether `origin` (an `Origin` header) is the public URL's scheme, host and port, or,
    /// on loopback, the same scheme with another loopback name or the listening port.
    pub fn accepts_origin(&self, origin: &str) -> bool {
        let Ok(uri) = origin.trim().parse::<Uri>() else {
            return false;
        };
        let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
            return false;
        };
        let scheme = scheme.to_ascii_lowercase();
        let host = host.to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or_else(|| default_port(&scheme));
        if scheme != self.scheme {
            return false;
        }
        if self.loopback && is_loopback(&host) {
            return self.loopback_port(port);
        }
        host == self.host && port == self.port
    }

    fn loopback_port(&self, port: u16) -> bool {
        port == self.port || Some(port) == self.listen_port
    }
}

/// Whether `url` can be the web app's public URL: `http` or `https` with a host.
pub fn check_public_url(url: &str) -> Result<(), String> {
    let uri = url.trim().parse::<Uri>().ok();
    let usable = uri.as_ref().is_some_and(|u| {
        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some_and(|h| !h.is_empty())
    });
    if usable {
        Ok(())
    } else {
        Err(format!(
            "{url:?} is not a URL like https://mail.example.com"
        ))
    }
}

/// Whether `host` can be an extra name of the web app: a host name, maybe with a port.
pub fn check_extra_host(host: &str) -> Result<(), String> {
    let ok = host
        .trim()
        .parse::<Authority>()
        .is_ok_and(|a| !a.host().is_empty() && !a.as_str().contains('@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{host:?} is not a host name (with an optional :port)"
        ))
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

fn is_loopback(host: &str) -> bool {
    LOOPBACK_NAMES.contains(&host)
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(public_url: &str, extra: &[&str], listen_port: Option<u16>) -> Hosts {
        let mut o = Settings::new(public_url);
        o.extra_hosts = extra.iter().map(|s| (*s).to_owned()).collect();
        o.listen_port = listen_port;
        Hosts::new(&o)
    }

    #[test]
    fn the_public_host_and_extra_names_only() {
        let h = hosts(
            "https://Mail.Example.com/",
            &["autoconfig.example.com", "autodiscover.example.com:8443"],
            Some(8080),
        );
        assert!(h.accepts_host("mail.example.com"));
        assert!(h.accepts_host("MAIL.example.com:443"));
        assert!(h.accepts_host("autoconfig.example.com:8080"));
        assert!(h.accepts_host("autodiscover.example.com:8443"));
        assert!(!h.accepts_host("autodiscover.example.com"));
        assert!(!h.accepts_host("attacker.test"));
        assert!(!h.accepts_host("mail.example.com.attacker.test"));
        assert!(!h.accepts_host("127.0.0.1:8080"));
        assert!(!h.accepts_host(""));
        assert!(!h.accepts_host("a b"));
    }

    #[test]
    fn every_loopback_name_on_a_loopback_url() {
        let h = hosts("http://127.0.0.1:8080", &[], Some(4000));
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "[::1]:8080",
            "LOCALHOST:4000",
            "127.0.0.1",
        ] {
            assert!(h.accepts_host(ok), "{ok}");
        }
        assert!(!h.accepts_host("localhost:9999"));
        assert!(!h.accepts_host("attacker.test:8080"));
        assert!(h.accepts_origin("http://localhost:8080"));
        assert!(h.accepts_origin("http://[::1]:4000"));
        assert!(!h.accepts_origin("https://localhost:8080"));
        assert!(!h.accepts_origin("http://localhost:9999"));
        assert!(!h.accepts_origin("http://attacker.test:8080"));
    }

    #[test]
    fn origins_match_scheme_host_and_port() {
        let h = hosts(
            "https://mail.example.com",
            &["autoconfig.example.com"],
            None,
        );
        assert!(h.accepts_origin("https://mail.example.com"));
        assert!(h.accepts_origin("https://Mail.Example.com:443"));
        assert!(!h.accepts_origin("http://mail.example.com"));
        assert!(!h.accepts_origin("https://mail.example.com:8443"));
        assert!(!h.accepts_origin("https://autoconfig.example.com"));
        assert!(!h.accepts_origin("null"));
        assert!(!h.accepts_origin("https://evil.test"));
    }
}
