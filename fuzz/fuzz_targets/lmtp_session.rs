//! LMTP sessions from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "smtp_drive.rs"]
mod smtp_drive;

fuzz_target!(|data: &[u8]| {
    smtp_drive::run(postern_smtp::Mode::Lmtp, data);
});
