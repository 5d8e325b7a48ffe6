//! `postern-loadgen`: bounded load on a loopback IMAP or SMTP server; prints one JSON line.

fn main() -> std::process::ExitCode {
    postern_loadgen::main()
}
