//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The `postern` binary built for these tests.
pub fn postern_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_postern"))
}
