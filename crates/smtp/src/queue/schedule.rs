//! When a failed delivery to the smarthost is tried again, and when it is given up.

use std::time::Duration;

/// Pauses between attempts: after the n-th failed attempt, wait the n-th pause; after the
/// last one, give up and bounce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

/// About five days in all, like common MTAs.
pub const DEFAULT_SCHEDULE: &str = "1m 5m 15m 30m 1h 2h 4h 8h 16h 24h 24h 24h 24h";

impl RetrySchedule {
    /// Parses pauses separated by spaces or commas, each a number with a unit:
    /// `ms`, `s`, `m`, `h` or `d` (`"1m 5m 1h"`). An empty text means no retries.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split([' ', ','])
            .filter(|p| !p.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The pause after `attempts` failed attempts, or `None` to give up.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
        self.0.get(index).copied()
    }

    /// How many attempts are made at most.
    pub fn max_attempts(&self) -> usize {
        self.0.len() + 1
    }
}

impl std::str::FromStr for RetrySchedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        RetrySchedule::parse(text)
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule::parse(DEFAULT_SCHEDULE).unwrap_or(RetrySchedule(Vec::new()))
    }
}

fn parse_duration(part: &str) -> Result<Duration, String> {
    let split = part
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{part:?} has no unit (ms, s, m, h or d)"))?;
    let (number, unit) = part.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{part:?} does not start with a number"))?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{part:?} has an unknown unit (ms, s, m, h or d)")),
    };
    n.checked_mul(unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{part:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_gives_up_after_the_last_pause() {
        let s = RetrySchedule::parse("250ms, 2s 1m 1h 1d").unwrap();
        assert_eq!(s.delay_after(0), None);
        assert_eq!(s.delay_after(1), Some(Duration::from_millis(250)));
        assert_eq!(s.delay_after(2), Some(Duration::from_secs(2)));
        assert_eq!(s.delay_after(5), Some(Duration::from_secs(86_400)));
        assert_eq!(s.delay_after(6), None);
        assert_eq!(s.max_attempts(), 6);
        assert_eq!(RetrySchedule::parse("").unwrap().delay_after(1), None);
        assert!(RetrySchedule::parse("5").is_err());
        assert!(RetrySchedule::parse("5x").is_err());
        assert!(RetrySchedule::parse("m").is_err());
        assert!(RetrySchedule::parse("99999999999999999999d").is_err());
        assert_eq!(RetrySchedule::default().max_attempts(), 14);
    }
}
