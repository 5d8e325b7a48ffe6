//! Email addresses and logins, parsed once at the boundary.

use std::fmt;

use crate::error::{DomainError, Result};

/// A syntactically valid email address (RFC 5321 dot-atom local part, a DNS domain),
/// kept in lower case so that lookups and comparisons are exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address typed by a person or sent by a client.
    pub fn parse(input: &str) -> Result<Self> {
        let field = "email address";
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(DomainError::invalid(field, "is empty"));
        }
        if s.len() > 254 {
            return Err(DomainError::invalid(field, "is longer than 254 characters"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(DomainError::invalid(
                field,
                "must look like name@example.com",
            ));
        };
        check_local(local).map_err(|m| DomainError::invalid(field, m))?;
        check_domain(domain).map_err(|m| DomainError::invalid(field, m))?;
        Ok(Email(s))
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or("")
    }
}

fn check_local(local: &str) -> std::result::Result<(), &'static str> {
    if local.is_empty() {
        return Err("has nothing before @");
    }
    if local.len() > 64 {
        return Err("has more than 64 characters before @");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("has a misplaced dot before @");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    if !local.chars().all(allowed) {
        return Err("has a character that is not allowed before @");
    }
    Ok(())
}

fn check_domain(domain: &str) -> std::result::Result<(), &'static str> {
    if domain.is_empty() {
        return Err("has no domain after @");
    }
    if domain.len() > 253 {
        return Err("has a domain longer than 253 characters");
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("has a malformed domain");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a domain label starting or ending with a dash");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("has a character that is not allowed in the domain");
        }
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The name an account signs in to the web app with: email-shaped, case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Login(String);

impl Login {
    /// Parses a login with the same rules as an email address.
    pub fn parse(input: &str) -> Result<Self> {
        Email::parse(input)
            .map(|e| Login(e.0))
            .map_err(|e| match e {
                DomainError::Invalid { message, .. } => DomainError::invalid("login", message),
                other => other,
            })
    }

    /// The login as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_lowercases() {
        let e = Email::parse("  Alice.Smith+tag@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "alice.smith+tag@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(e.local_part(), "alice.smith+tag");
        assert_eq!(
            Email::parse("admin@localhost").unwrap().domain(),
            "localhost"
        );
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@@b",
            "a b@c.d",
            "a@b..c",
            ".a@b.c",
            "a.@b.c",
            "a..b@c.d",
            "a@-b.c",
            "a@b-.c",
            "a@b_c.d",
            "a\n@b.c",
            "é@b.c",
            "a@b\r.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long_local = format!("{}@b.c", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    proptest! {
        #[test]
        fn parsed_addresses_are_stable(local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", domain in "[a-z0-9]{1,10}(\\.[a-z]{2,6}){0,2}") {
            prop_assume!(!local.contains(".."));
            let text = format!("{local}@{domain}");
            let e = Email::parse(&text).unwrap();
            prop_assert_eq!(e.as_str(), text.as_str());
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e);
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = Email::parse(&s);
            let _ = Login::parse(&s);
        }

        #[test]
        fn control_characters_are_refused(a in "[a-z]{1,5}", c in "[\\x00-\\x1f\\x7f]") {
            let text = format!("{a}{c}x@example.com");
            prop_assert!(Email::parse(&text).is_err());
        }
    }
}
