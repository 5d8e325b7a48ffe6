//! The protocols a device may use, and sets of them.

use std::fmt;

use crate::error::{DomainError, Result};

/// One way in to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Imap,
    Smtp,
    Pop3,
    /// The Web app Mail of another account that linked the address.
    Webmail,
}

impl Protocol {
    /// Every protocol, in display order.
    pub const ALL: [Protocol; 4] = [
        Protocol::Imap,
        Protocol::Smtp,
        Protocol::Pop3,
        Protocol::Webmail,
    ];

    /// The stable lower-case name used on the command line, in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Imap => "imap",
            Protocol::Smtp => "smtp",
            Protocol::Pop3 => "pop3",
            Protocol::Webmail => "webmail",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Webmail => "Web app Mail",
        }
    }

    /// Parses one protocol name (case-insensitive).
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim().to_ascii_lowercase();
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                DomainError::invalid(
                    "protocols",
                    format!("unknown protocol {input:?}; use imap, smtp, pop3 or webmail"),
                )
            })
    }

    fn bit(self) -> u8 {
        match self {
            Protocol::Imap => 1,
            Protocol::Smtp => 2,
            Protocol::Pop3 => 4,
            Protocol::Webmail => 8,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A non-empty set of protocols. All four unless narrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProtocolSet(u8);

impl Default for ProtocolSet {
    fn default() -> Self {
        ProtocolSet::ALL
    }
}

impl ProtocolSet {
    /// Every protocol.
    pub const ALL: ProtocolSet = ProtocolSet(0b1111);

    /// Parses a comma-separated list such as `imap,smtp`. Duplicates are harmless; empty is not.
    pub fn parse(input: &str) -> Result<Self> {
        let mut bits = 0;
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            bits |= Protocol::parse(part)?.bit();
        }
        Self::from_bits(bits)
    }

    /// Builds a set from protocols; refuses the empty set.
    pub fn from_protocols(protocols: impl IntoIterator<Item = Protocol>) -> Result<Self> {
        Self::from_bits(protocols.into_iter().fold(0, |acc, p| acc | p.bit()))
    }

    /// Rebuilds a set from its stored bit pattern.
    pub fn from_bits(bits: u8) -> Result<Self> {
        if bits == 0 || bits & !Self::ALL.0 != 0 {
            return Err(DomainError::invalid(
                "protocols",
                "choose at least one of imap, smtp, pop3, webmail",
            ));
        }
        Ok(ProtocolSet(bits))
    }

    /// The stored bit pattern.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether the set allows `protocol`.
    pub fn contains(self, protocol: Protocol) -> bool {
        self.0 & protocol.bit() != 0
    }

    /// The protocols in display order.
    pub fn iter(self) -> impl Iterator<Item = Protocol> {
        Protocol::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// The comma-separated stable names, e.g. `imap,smtp`.
    pub fn to_names(self) -> Vec<&'static str> {
        self.iter().map(Protocol::as_str).collect()
    }
}

impl fmt::Display for ProtocolSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<_> = self.iter().map(Protocol::label).collect();
        f.write_str(&labels.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_lists() {
        let s = ProtocolSet::parse("IMAP, smtp,imap").unwrap();
        assert!(s.contains(Protocol::Imap) && s.contains(Protocol::Smtp));
        assert!(!s.contains(Protocol::Pop3) && !s.contains(Protocol::Webmail));
        assert_eq!(s.to_names(), ["imap", "smtp"]);
        assert_eq!(
            ProtocolSet::parse("imap,smtp,pop3,webmail").unwrap(),
            ProtocolSet::ALL
        );
        assert!(ProtocolSet::parse("").is_err());
        assert!(ProtocolSet::parse(",").is_err());
        assert!(ProtocolSet::parse("imap,ftp").is_err());
        assert!(ProtocolSet::from_bits(16).is_err());
    }

    proptest! {
        #[test]
        fn bits_round_trip(bits in 1u8..16) {
            let s = ProtocolSet::from_bits(bits).unwrap();
            prop_assert_eq!(ProtocolSet::parse(&s.to_names().join(",")).unwrap(), s);
        }
    }
}
