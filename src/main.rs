//! `postern`: run the mail service, or manage accounts, addresses and devices.

fn main() -> std::process::ExitCode {
    postern_server::main()
}
