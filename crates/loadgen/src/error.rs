//! The one error type of the load generator.

use thiserror::Error;

/// Why a connection, a command or a whole run failed.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("timed out")]
    Timeout,
    #[error("the server closed the connection")]
    Closed,
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Command(String),
}

impl From<tokio::time::error::Elapsed> for LoadError {
    fn from(_: tokio::time::error::Elapsed) -> Self {
        LoadError::Timeout
    }
}

/// Result alias of the load generator.
pub type Result<T, E = LoadError> = std::result::Result<T, E>;

/// Counts failures and keeps the first few distinct messages, for the report line.
#[derive(Debug, Default)]
pub struct Errors {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Errors {
    const SAMPLES: usize = 5;

    /// Records one failure.
    pub fn add(&mut self, error: &LoadError) {
        self.count += 1;
        let text = error.to_string();
        if self.samples.len() < Self::SAMPLES && !self.samples.contains(&text) {
            self.samples.push(text);
        }
    }

    /// Adds the failures counted elsewhere.
    pub fn merge(&mut self, other: Errors) {
        self.count += other.count;
        for text in other.samples {
            if self.samples.len() < Self::SAMPLES && !self.samples.contains(&text) {
                self.samples.push(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_all_and_keep_few_distinct_samples() {
        let mut errors = Errors::default();
        for _ in 0..3 {
            errors.add(&LoadError::Timeout);
        }
        for n in 0..10 {
            errors.add(&LoadError::Refused(format!("no {n}")));
        }
        assert_eq!(errors.count, 13);
        assert_eq!(errors.samples.len(), 5);
        assert_eq!(errors.samples[0], "timed out");
        assert_eq!(errors.samples[1], "the server refused: no 0");
    }
}
