//! The command line of `postern-loadgen`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "postern-loadgen",
    version,
    about = "Bounded load on a loopback IMAP or SMTP server; prints one JSON line"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// N cycles of connect, LOGIN, LOGOUT at concurrency C.
    ImapLogin(LoginArgs),
    /// N signed-in connections in IDLE, held while the server's memory is read.
    ImapIdle(IdleArgs),
    /// N live sessions of one device, then a disconnect; time until the last BYE.
    Revoke(RevokeArgs),
    /// Like `revoke`, on a Postern run inside this process, disconnected by the domain's own
    /// `disconnect_device` (the code behind the web app's button): time from its commit
    /// until the last BYE, with no web layer and no other process in between.
    RevokeInProcess(InProcessArgs),
    /// N messages submitted over C connections.
    SmtpSubmit(SubmitArgs),
    /// One IMAP command run N times, one at a time, on a selected mailbox; time of each.
    ImapCommands(CommandsArgs),
    /// Prints the Markdown comparison table from a file of result lines.
    Report(ReportArgs),
}

fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text}: not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// What every load talks to, and its bounds.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// The server (loopback addresses only).
    #[arg(long)]
    pub addr: SocketAddr,
    /// Implicit TLS (the server's certificate is not checked: loopback, self-signed).
    #[arg(long)]
    pub tls: bool,
    /// User name to sign in with.
    #[arg(long, default_value = "")]
    pub user: String,
    /// Password to sign in with.
    #[arg(
        long,
        env = "LOADGEN_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    pub password: String,
    /// Spread connections over source addresses 127.0.0.1..127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..))]
    pub source_ips: u8,
    /// Hard bound on the whole run, in seconds.
    #[arg(long, default_value = "120", value_parser = seconds)]
    pub duration_limit: Duration,
    /// Time limit of one network read or write, in seconds.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub io_timeout: Duration,
    /// A name copied into the result line (used by `report`).
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Args, Clone, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub target: Target,
    /// Sign-in cycles in all.
    #[arg(short = 'n', long, default_value_t = 1000)]
    pub count: u64,
    /// Clients running at once.
    #[arg(short = 'c', long, default_value_t = 4)]
    pub concurrency: usize,
}

#[derive(Args, Clone, Debug)]
pub struct IdleArgs {
    #[command(flatten)]
    pub target: Target,
    /// Connections to hold.
    #[arg(short = 'n', long, default_value_t = 1000)]
    pub count: usize,
    /// Connections being set up at once.
    #[arg(short = 'c', long, default_value_t = 50)]
    pub concurrency: usize,
    /// Server process(es) whose memory (with all descendants) is read; repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub pid: Vec<u32>,
    /// Seconds to wait after the last connection is idle before reading memory.
    #[arg(long, default_value = "2", value_parser = seconds)]
    pub settle: Duration,
    /// Seconds to hold the connections, reading memory every second.
    #[arg(long, default_value = "3", value_parser = seconds)]
    pub hold: Duration,
    /// Mailbox to select.
    #[arg(long, default_value = "INBOX")]
    pub mailbox: String,
}

#[derive(Args, Clone, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub target: Target,
    /// Live sessions of the device in each trial.
    #[arg(short = 'n', long, default_value_t = 1000)]
    pub count: usize,
    /// Sessions being set up at once.
    #[arg(short = 'c', long, default_value_t = 50)]
    pub concurrency: usize,
    /// Trials (each with fresh sessions).
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// The disconnect, run without a shell (split at spaces); `{id}` is the device's id.
    /// Environment (POSTERN_*) is passed on.
    #[arg(long)]
    pub disconnect_cmd: Option<String>,
    /// Run under `sh -c` before each trial; its last line is `PASSWORD` or `ID PASSWORD`
    /// of the device whose sessions are opened.
    #[arg(long)]
    pub device_cmd: Option<String>,
    /// Disconnect through Postern's JSON API at this base URL (`http://127.0.0.1:8080`):
    /// a device is created per trial and deleted with `DELETE /api/v1/devices/{id}`.
    #[arg(long)]
    pub api: Option<String>,
    /// Account login for the API.
    #[arg(long, default_value = "")]
    pub api_login: String,
    /// Account password for the API.
    #[arg(
        long,
        env = "LOADGEN_API_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    pub api_password: String,
    /// Seconds to wait for every session to close after a disconnect.
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub trial_timeout: Duration,
}

#[derive(Args, Clone, Debug)]
pub struct InProcessArgs {
    /// The store of the Postern run here (`postgres://…`, a database of its own); by
    /// default a fresh SQLite file in a temporary folder.
    #[arg(long)]
    pub store: Option<String>,
    /// Live sessions of the device in each trial.
    #[arg(short = 'n', long, default_value_t = 1000)]
    pub count: usize,
    /// Sessions being set up at once.
    #[arg(short = 'c', long, default_value_t = 50)]
    pub concurrency: usize,
    /// Trials (each with a fresh device and fresh sessions).
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// Spread connections over source addresses 127.0.0.1..127.0.0.N.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..))]
    pub source_ips: u8,
    /// Seconds to wait for every session to close after a disconnect.
    #[arg(long, default_value = "10", value_parser = seconds)]
    pub trial_timeout: Duration,
    /// Hard bound on the whole run, in seconds.
    #[arg(long, default_value = "600", value_parser = seconds)]
    pub duration_limit: Duration,
    /// Time limit of one network read or write, in seconds.
    #[arg(long, default_value = "30", value_parser = seconds)]
    pub io_timeout: Duration,
    /// A name copied into the result line (used by `report`).
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Args, Clone, Debug)]
pub struct SubmitArgs {
    #[command(flatten)]
    pub target: Target,
    /// Messages in all.
    #[arg(short = 'n', long, default_value_t = 1000)]
    pub count: u64,
    /// Connections at once.
    #[arg(short = 'c', long, default_value_t = 4)]
    pub concurrency: usize,
    /// Messages per connection before QUIT.
    #[arg(long, default_value_t = 10)]
    pub per_connection: u64,
    /// Envelope sender (default: the user).
    #[arg(long)]
    pub from: Option<String>,
    /// Recipient (default: the user).
    #[arg(long)]
    pub to: Option<String>,
    /// Message size in bytes.
    #[arg(long, default_value_t = 2048)]
    pub size: usize,
}

#[derive(Args, Clone, Debug)]
pub struct CommandsArgs {
    #[command(flatten)]
    pub target: Target,
    /// The mailbox selected first.
    #[arg(long, default_value = "INBOX")]
    pub mailbox: String,
    /// The command, without its tag (`UID FETCH 1:* (FLAGS)`).
    #[arg(long)]
    pub command: String,
    /// Times it is run and timed, after one untimed run.
    #[arg(short = 'n', long, default_value_t = 9)]
    pub repeat: usize,
}

#[derive(Args, Clone, Debug)]
pub struct ReportArgs {
    /// A file of result lines (one JSON object a line).
    pub results: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent_and_parses() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "postern-loadgen",
            "imap-login",
            "--addr",
            "127.0.0.1:1143",
            "-n",
            "10",
            "-c",
            "2",
            "--duration-limit",
            "1.5",
        ])
        .unwrap();
        let Command::ImapLogin(args) = cli.command else {
            panic!("not imap-login")
        };
        assert_eq!(args.count, 10);
        assert_eq!(args.concurrency, 2);
        assert_eq!(args.target.duration_limit, Duration::from_millis(1500));
        let idle = Cli::try_parse_from([
            "postern-loadgen",
            "imap-idle",
            "--addr",
            "127.0.0.1:1",
            "--pid",
            "1,2",
            "--pid",
            "3",
        ])
        .unwrap();
        let Command::ImapIdle(idle) = idle.command else {
            panic!("not imap-idle")
        };
        assert_eq!(idle.pid, vec![1, 2, 3]);
        assert!(Cli::try_parse_from(["postern-loadgen", "imap-login", "--addr", "x"]).is_err());
        assert!(
            Cli::try_parse_from([
                "postern-loadgen",
                "imap-login",
                "--addr",
                "127.0.0.1:1",
                "--source-ips",
                "0"
            ])
            .is_err()
        );
    }
}
