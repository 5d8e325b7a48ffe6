//! The networks a device may sign in from: IPv4 and IPv6 CIDR blocks. An empty list allows
//! anywhere. A sign-in from elsewhere is refused like a wrong password.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{DomainError, Result};

/// Networks one device may list, at most.
pub const MAX_NETWORKS: usize = 32;

const FIELD: &str = "networks";

/// A device's allowed networks, in the order given; empty means anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Networks(Vec<IpNet>);

impl Networks {
    /// No restriction.
    pub const ANYWHERE: Networks = Networks(Vec::new());

    /// Reads networks separated by commas (the command line, the assistant's field, the
    /// store); an empty text is anywhere.
    pub fn parse(text: &str) -> Result<Networks> {
        if text.trim().is_empty() {
            return Ok(Networks::ANYWHERE);
        }
        Self::parse_list(text.split(','))
    }

    /// Reads a list of networks (the API's `networks`). Every entry must be a network in
    /// CIDR notation with no host bits set (`10.0.0.0/8`, not `10.0.0.1/8`).
    pub fn parse_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Networks> {
        let mut nets = Vec::new();
        for item in items {
            let item = item.trim();
            if item.is_empty() {
                return Err(DomainError::invalid(FIELD, "an entry of the list is empty"));
            }
            let net: IpNet = item.parse().map_err(|_| {
                DomainError::invalid(
                    FIELD,
                    format!("“{item}” is not a network like 192.0.2.0/24 or 2001:db8::/48"),
                )
            })?;
            if net.trunc() != net {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("“{item}” has host bits set: the network is {}", net.trunc()),
                ));
            }
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > MAX_NETWORKS {
            return Err(DomainError::invalid(
                FIELD,
                format!("at most {MAX_NETWORKS} networks"),
            ));
        }
        Ok(Networks(nets))
    }

    /// Whether a sign-in from `ip` is allowed (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.is_empty() || self.0.iter().any(|n| n.contains(&ip))
    }

    pub fn is_anywhere(&self) -> bool {
        self.0.is_empty()
    }

    /// Each network as text, for JSON and the pages.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// Comma-separated, as the store keeps it and [`Networks::parse`] reads it.
impl fmt::Display for Networks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_strings().join(","))
    }
}

/// The network alerts compare sign-ins by: the /24 of an IPv4 address, the /48 of an IPv6 one.
pub fn sign_in_network(ip: IpAddr) -> String {
    let net = match ip.to_canonical() {
        IpAddr::V4(v4) => IpNet::new(IpAddr::V4(v4), 24),
        IpAddr::V6(v6) => IpNet::new(IpAddr::V6(v6), 48),
    };
    net.map(|n| n.trunc().to_string())
        .unwrap_or_else(|_| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lists_and_what_they_allow() {
        let n = Networks::parse("192.0.2.0/24, 2001:db8::/48").unwrap();
        assert_eq!(n.to_string(), "192.0.2.0/24,2001:db8::/48");
        assert!(n.allows(ip("192.0.2.77")));
        assert!(n.allows(ip("::ffff:192.0.2.77")));
        assert!(n.allows(ip("2001:db8:0:1::5")));
        assert!(!n.allows(ip("192.0.3.1")));
        assert!(!n.allows(ip("2001:db9::1")));
        assert!(Networks::parse("").unwrap().allows(ip("203.0.113.1")));
        assert_eq!(Networks::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn bad_entries_are_refused_with_why() {
        for (text, why) in [
            ("10.0.0.1/8", "host bits set: the network is 10.0.0.0/8"),
            ("10.0.0.0/8,", "empty"),
            ("10.0.0.0/33", "not a network"),
            ("example.com", "not a network"),
            ("2001:db8::1/32", "host bits"),
        ] {
            match Networks::parse(text) {
                Err(DomainError::Invalid { field, message }) => {
                    assert_eq!(field, "networks");
                    assert!(message.contains(why), "{text}: {message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn networks_of_sign_ins() {
        assert_eq!(sign_in_network(ip("192.0.2.77")), "192.0.2.0/24");
        assert_eq!(sign_in_network(ip("::ffff:192.0.2.77")), "192.0.2.0/24");
        assert_eq!(sign_in_network(ip("2001:db8:1:2::5")), "2001:db8:1::/48");
    }
}
