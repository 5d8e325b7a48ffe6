//! A device's description: what the owner calls the phone, laptop, app or person.

use std::fmt;

use crate::error::{DomainError, Result};

/// 1–64 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// The longest description accepted, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Parses a description typed by a person.
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("description", "Enter a description."));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "description",
                format!("Use at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "description",
                "Control characters are not allowed.",
            ));
        }
        Ok(Description(s.to_owned()))
    }

    /// The description as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits() {
        assert_eq!(
            Description::parse("  My phone ").unwrap().as_str(),
            "My phone"
        );
        assert!(Description::parse("   ").is_err());
        assert!(Description::parse(&"x".repeat(64)).is_ok());
        assert!(Description::parse(&"x".repeat(65)).is_err());
        assert!(Description::parse(&"é".repeat(64)).is_ok());
        assert!(Description::parse("tab\there").is_err());
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Description::parse("ne\u{85}l").is_err());
    }

    proptest! {
        #[test]
        fn accepted_descriptions_respect_the_rules(s in "\\PC{0,80}") {
            if let Ok(d) = Description::parse(&s) {
                let n = d.as_str().chars().count();
                prop_assert!((1..=64).contains(&n));
                prop_assert!(!d.as_str().chars().any(char::is_control));
                prop_assert_eq!(d.as_str(), d.as_str().trim());
            }
        }
    }
}
