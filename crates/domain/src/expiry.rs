//! When a device password stops working on its own: at an end date, after a number of days
//! without use, or whichever comes first.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::error::{DomainError, Result};

/// The most days an expiry may name (about ten years).
pub const MAX_DAYS: u16 = 3650;

/// A device's expiry rules. Both empty: it never expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expiry {
    /// The instant the password stops working.
    pub at: Option<OffsetDateTime>,
    /// The password stops working this many days after its last use (or, unused, after it
    /// was issued).
    pub after_unused_days: Option<u16>,
}

impl Expiry {
    /// No expiry.
    pub const NEVER: Expiry = Expiry {
        at: None,
        after_unused_days: None,
    };

    /// Checks an end date given as an instant: it must lie in the future.
    pub fn check_at(at: OffsetDateTime, now: OffsetDateTime) -> Result<OffsetDateTime> {
        if at <= now {
            return Err(DomainError::invalid(
                "expires_at",
                "the end date must be in the future",
            ));
        }
        Ok(at)
    }

    /// Reads an RFC 3339 instant (the API's `expires_at`), which must lie in the future.
    pub fn parse_at(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
        let at = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| {
            DomainError::invalid(
                "expires_at",
                "give the end date as an RFC 3339 instant, like 2030-01-31T00:00:00Z",
            )
        })?;
        Self::check_at(at, now)
    }

    /// Reads the command line's `--expires`: `Nd` (N days from now), a date `YYYY-MM-DD`
    /// (the password stops working at the start of that day, UTC) or an RFC 3339 instant.
    pub fn parse_end(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
        let text = text.trim();
        if let Some(days) = text.strip_suffix(['d', 'D']) {
            let days = parse_days_in("expires_at", days)?;
            return Ok(now + Duration::days(i64::from(days)));
        }
        if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
            return Self::check_at(date.with_time(Time::MIDNIGHT).assume_utc(), now);
        }
        Self::parse_at(text, now).map_err(|_| {
            DomainError::invalid(
                "expires_at",
                "give the end as a number of days (30d), a date (2030-01-31) or an RFC 3339 instant",
            )
        })
        .and_then(|at| Self::check_at(at, now))
    }

    /// Checks a day count for "stop working after N days without use": 1 to 3,650.
    pub fn check_unused_days(days: i64) -> Result<u16> {
        check_days("expires_after_unused_days", days)
    }

    /// Reads the command line's `--expires-unused Nd` (the `d` may be left out).
    pub fn parse_unused_days(text: &str) -> Result<u16> {
        let text = text.trim();
        let digits = text.strip_suffix(['d', 'D']).unwrap_or(text);
        parse_days_in("expires_after_unused_days", digits)
    }

    /// When a password under these rules, issued at `issued_at` and last used at `last_used`,
    /// stops working (`None`: never).
    pub fn end(
        &self,
        issued_at: OffsetDateTime,
        last_used: Option<OffsetDateTime>,
    ) -> Option<OffsetDateTime> {
        let unused = self.after_unused_days.map(|days| {
            let since = last_used.map_or(issued_at, |u| u.max(issued_at));
            since + Duration::days(i64::from(days))
        });
        match (self.at, unused) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn parse_days_in(field: &'static str, digits: &str) -> Result<u16> {
    let days: i64 = digits
        .trim()
        .parse()
        .map_err(|_| DomainError::invalid(field, "give a number of days, like 90d"))?;
    check_days(field, days)
}

fn check_days(field: &'static str, days: i64) -> Result<u16> {
    if !(1..=i64::from(MAX_DAYS)).contains(&days) {
        return Err(DomainError::invalid(
            field,
            format!("the number of days must be between 1 and {MAX_DAYS}"),
        ));
    }
    u16::try_from(days).map_err(|_| DomainError::invalid(field, "too many days"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-01-01 12:00 UTC);

    #[test]
    fn end_dates_must_be_in_the_future() {
        assert!(Expiry::parse_at("2029-12-31T00:00:00Z", NOW).is_err());
        assert!(Expiry::parse_at("2030-01-01T12:00:00Z", NOW).is_err());
        assert!(Expiry::parse_at("tomorrow", NOW).is_err());
        assert_eq!(
            Expiry::parse_at("2030-01-02T00:00:00+01:00", NOW).unwrap(),
            datetime!(2030-01-01 23:00 UTC)
        );
        assert_eq!(
            Expiry::parse_end("30d", NOW).unwrap(),
            datetime!(2030-01-31 12:00 UTC)
        );
        assert_eq!(
            Expiry::parse_end("2030-02-01", NOW).unwrap(),
            datetime!(2030-02-01 0:00 UTC)
        );
        assert!(Expiry::parse_end("2030-01-01", NOW).is_err());
        assert!(Expiry::parse_end("0d", NOW).is_err());
        assert!(Expiry::parse_end("3651d", NOW).is_err());
    }

    #[test]
    fn day_counts_are_bounded() {
        assert!(Expiry::check_unused_days(0).is_err());
        assert!(Expiry::check_unused_days(3651).is_err());
        assert_eq!(Expiry::check_unused_days(3650).unwrap(), 3650);
        assert_eq!(Expiry::parse_unused_days("90d").unwrap(), 90);
        assert_eq!(Expiry::parse_unused_days("7").unwrap(), 7);
        assert!(Expiry::parse_unused_days("-1d").is_err());
        assert!(Expiry::parse_unused_days("").is_err());
    }

    #[test]
    fn the_earlier_rule_wins() {
        let issued = NOW;
        let used = NOW + Duration::days(10);
        let rules = Expiry {
            at: Some(NOW + Duration::days(100)),
            after_unused_days: Some(30),
        };
        assert_eq!(rules.end(issued, None), Some(NOW + Duration::days(30)));
        assert_eq!(
            rules.end(issued, Some(used)),
            Some(NOW + Duration::days(40))
        );
        let far = Expiry {
            at: Some(NOW + Duration::days(5)),
            ..rules
        };
        assert_eq!(far.end(issued, Some(used)), Some(NOW + Duration::days(5)));
        // A use of an earlier password does not count before the reset.
        let old_use = NOW - Duration::days(60);
        assert_eq!(Expiry::NEVER.end(issued, Some(old_use)), None);
        assert_eq!(
            Expiry {
                after_unused_days: Some(1),
                ..Expiry::NEVER
            }
            .end(issued, Some(old_use)),
            Some(NOW + Duration::days(1))
        );
    }
}
