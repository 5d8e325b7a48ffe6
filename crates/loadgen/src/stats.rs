//! Latency percentiles (nearest rank) and the rate of a run.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile (0 < p ≤ 100) of sorted samples, by the nearest-rank method: the
/// smallest sample such that at least p % of the samples are at or below it.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Milliseconds with microsecond precision, as the report prints them.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
}

/// Summarises latencies (sorts them in place).
pub fn summarize(samples: &mut [Duration]) -> Summary {
    samples.sort_unstable();
    let mean = (!samples.is_empty())
        .then(|| samples.iter().sum::<Duration>() / samples.len() as u32)
        .map(millis);
    Summary {
        count: samples.len(),
        p50_ms: percentile(samples, 50.0).map(millis),
        p99_ms: percentile(samples, 99.0).map(millis),
        max_ms: samples.last().copied().map(millis),
        mean_ms: mean,
    }
}

/// Completions per second over `elapsed`; 0 when nothing was timed.
pub fn rate(completed: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    (completed as f64 / secs * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&sorted, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&sorted, 0.5), Some(Duration::from_millis(1)));
        // 20 trials: p99 is the largest, p50 the 10th.
        let twenty = ms(&(1..=20).collect::<Vec<_>>());
        assert_eq!(percentile(&twenty, 99.0), Some(Duration::from_millis(20)));
        assert_eq!(percentile(&twenty, 50.0), Some(Duration::from_millis(10)));
        let three = ms(&[10, 20, 30]);
        assert_eq!(percentile(&three, 50.0), Some(Duration::from_millis(20)));
    }

    #[test]
    fn percentile_of_nothing_or_nonsense_is_none() {
        assert_eq!(percentile(&[], 50.0), None);
        let one = ms(&[7]);
        assert_eq!(percentile(&one, 0.0), None);
        assert_eq!(percentile(&one, 101.0), None);
        assert_eq!(percentile(&one, f64::NAN), None);
        assert_eq!(percentile(&one, 1.0), Some(Duration::from_millis(7)));
    }

    #[test]
    fn summary_sorts_and_reports_millis() {
        let mut samples = ms(&[30, 10, 20, 40]);
        let s = summarize(&mut samples);
        assert_eq!(s.count, 4);
        assert_eq!(s.p50_ms, Some(20.0));
        assert_eq!(s.p99_ms, Some(40.0));
        assert_eq!(s.max_ms, Some(40.0));
        assert_eq!(s.mean_ms, Some(25.0));
        let empty = summarize(&mut []);
        assert_eq!(empty.p50_ms, None);
        assert_eq!(empty.mean_ms, None);
    }

    #[test]
    fn millis_keeps_microseconds_and_rate_rounds() {
        assert_eq!(millis(Duration::from_micros(1_234_567)), 1234.567);
        assert_eq!(rate(1000, Duration::from_millis(250)), 4000.0);
        assert_eq!(rate(1, Duration::from_secs(3)), 0.3);
        assert_eq!(rate(5, Duration::ZERO), 0.0);
    }
}
