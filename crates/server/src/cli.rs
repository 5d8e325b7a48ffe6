//! The command line. Stable: scripts rely on it. Exit 0 on success, 1 on an error (one line
//! on stderr), 2 on a usage error.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use clap::{Parser, Subcommand};
use postern_domain::account_password::AccountPassword;
use postern_domain::clock::{SystemClock, rfc3339};
use postern_domain::model::{Device, DeviceState};
use postern_domain::{
    Actor, Core, Description, DeviceId, DeviceRules, DomainError, Email, Expiry, Login, Networks,
    ProtocolSet,
};
use secrecy::ExposeSecret;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "postern",
    version,
    about = "A self-hosted mail service built around per-device passwords"
)]
pub struct Cli {
    /// A TOML configuration file (POSTERN_* environment variables override it).
    #[arg(long, global = true, env = "POSTERN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web app and the mail servers (the default).
    Serve,
    /// Manage accounts of the web app.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage hosted addresses.
    #[command(subcommand)]
    Address(AddressCommand),
    /// Manage the devices (passwords) of an address.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Manage the mail of an address.
    #[command(subcommand)]
    Message(MessageCommand),
    /// Move the whole store to another database.
    #[command(subcommand)]
    Store(StoreCommand),
}

#[derive(Subcommand)]
pub enum MessageCommand {
    /// Import messages from an .eml file or an mbox into a mailbox (made if missing).
    Import {
        email: String,
        file: PathBuf,
        /// The mailbox to fill (default: INBOX).
        #[arg(long, value_name = "NAME", default_value = "INBOX")]
        mailbox: String,
    },
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copy everything from one store to another, empty one (SQLite to PostgreSQL and back).
    /// Servers on the new store need the same pepper file to accept the device passwords.
    Copy {
        #[arg(long, value_name = "URL")]
        from: String,
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account; without --password-stdin a password is generated and printed.
    Create {
        login: String,
        /// Read the account password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Turn two-step verification off for an account whose owner lost both their
    /// authenticator app and their recovery codes; their password alone signs in again.
    #[command(name = "reset-2fa")]
    ResetTwoStep { login: String },
}

#[derive(Subcommand)]
pub enum AddressCommand {
    /// Create a hosted address owned by an account.
    Create {
        email: String,
        #[arg(long, value_name = "LOGIN")]
        owner: String,
    },
}

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Create a device and print its password (alone, once).
    Create {
        email: String,
        #[arg(long, value_name = "TEXT")]
        description: String,
        /// Comma-separated: imap,smtp,pop3,webmail (default: all).
        #[arg(long)]
        protocols: Option<String>,
        /// When the password stops working: Nd (N days from now), a date YYYY-MM-DD (from
        /// the start of that day, UTC) or an RFC 3339 instant (default: never).
        #[arg(long, value_name = "DATE|Nd")]
        expires: Option<String>,
        /// Stop working after N days without use (1 to 3650).
        #[arg(long, value_name = "Nd")]
        expires_unused: Option<String>,
        /// The only networks it may sign in from, comma-separated CIDR (default: anywhere).
        #[arg(long, value_name = "CIDR,CIDR")]
        networks: Option<String>,
    },
    /// List the devices of an address.
    List {
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// Disconnect a device: its password dies and its sessions close.
    Disconnect { email: String, device_id: String },
}

/// Runs a command other than `serve`.
pub async fn run(config: Config, command: Command) -> Result<()> {
    if let Command::Store(StoreCommand::Copy { from, to }) = &command {
        return store_copy(from, to).await;
    }
    let core = crate::setup::open_core(&config, Arc::new(SystemClock)).await?;
    match command {
        Command::Serve | Command::Store(_) => bail!("this command is not run here"),
        Command::Account(AccountCommand::Create {
            login,
            password_stdin,
        }) => account_create(&core, &login, password_stdin).await,
        Command::Account(AccountCommand::ResetTwoStep { login }) => {
            let parsed = Login::parse(&login)?;
            match core.reset_two_step(&parsed).await {
                Ok(true) => println!("two-step verification of {parsed} is off"),
                Ok(false) => println!("two-step verification of {parsed} was off already"),
                Err(DomainError::NotFound(_)) => bail!("no account {parsed}"),
                Err(e) => return Err(e.into()),
            }
            Ok(())
        }
        Command::Address(AddressCommand::Create { email, owner }) => {
            let email = Email::parse(&email)?;
            let owner = Login::parse(&owner)?;
            core.create_address(&email, &owner)
                .await
                .map_err(|e| match e {
                    DomainError::NotFound(_) => anyhow!("no account {owner}"),
                    other => other.into(),
                })?;
            Ok(())
        }
        Command::Device(DeviceCommand::Create {
            email,
            description,
            protocols,
            expires,
            expires_unused,
            networks,
        }) => {
            let email = Email::parse(&email)?;
            let description = Description::parse(&description)?;
            let protocols = match protocols {
                Some(p) => ProtocolSet::parse(&p)?,
                None => ProtocolSet::ALL,
            };
            let now = core.clock().now();
            let expiry = Expiry {
                at: expires
                    .map(|e| Expiry::parse_end(&e, now))
                    .transpose()
                    .map_err(|e| flag_error("--expires", e))?,
                after_unused_days: expires_unused
                    .map(|e| Expiry::parse_unused_days(&e))
                    .transpose()
                    .map_err(|e| flag_error("--expires-unused", e))?,
            };
            let networks = Networks::parse(networks.as_deref().unwrap_or(""))
                .map_err(|e| flag_error("--networks", e))?;
            let rules = DeviceRules { expiry, networks };
            let issued = core
                .create_device_with(&Actor::CommandLine, &email, description, protocols, rules)
                .await
                .map_err(|e| no_address(e, &email))?;
            println!("{}", issued.password.expose_secret());
            Ok(())
        }
        Command::Device(DeviceCommand::List { email, json }) => {
            let email = Email::parse(&email)?;
            let devices = core
                .devices(&Actor::CommandLine, &email, true)
                .await
                .map_err(|e| no_address(e, &email))?;
            if json {
                let list: Vec<_> = devices.iter().map(device_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&devices);
            }
            Ok(())
        }
        Command::Message(MessageCommand::Import {
            email,
            file,
            mailbox,
        }) => {
            let email = Email::parse(&email)?;
            let address = core
                .owned_address(&Actor::CommandLine, &email)
                .await
                .map_err(|e| no_address(e, &email))?;
            let (count, name) = crate::import::import(&core, &address, &file, &mailbox).await?;
            let noun = if count == 1 { "message" } else { "messages" };
            eprintln!("Imported {count} {noun} into {name} of {email}.");
            Ok(())
        }
        Command::Device(DeviceCommand::Disconnect { email, device_id }) => {
            let email = Email::parse(&email)?;
            core.owned_address(&Actor::CommandLine, &email)
                .await
                .map_err(|e| no_address(e, &email))?;
            let unknown = || anyhow!("no active device {device_id} for {email}");
            let id = DeviceId::parse(&device_id).map_err(|_| unknown())?;
            match core.device(&Actor::CommandLine, id).await {
                Ok(d) if d.email == email => {}
                Ok(_) | Err(DomainError::NotFound(_)) => return Err(unknown()),
                Err(e) => return Err(e.into()),
            }
            let device = core
                .disconnect_device(&Actor::CommandLine, id)
                .await
                .map_err(|e| match e {
                    DomainError::NotFound(_) => unknown(),
                    other => other.into(),
                })?;
            eprintln!("Disconnected {} ({}).", device.description, device.id);
            Ok(())
        }
    }
}

async fn store_copy(from: &str, to: &str) -> Result<()> {
    if from == to {
        bail!("--from and --to name the same store");
    }
    let options = postern_store::PoolOptions::default();
    let source = postern_store::SqlStore::open(from, options)
        .await
        .map_err(|e| anyhow!("cannot open {from}: {e}"))?;
    let target = postern_store::SqlStore::open(to, options)
        .await
        .map_err(|e| anyhow!("cannot open {to}: {e}"))?;
    let report = source.copy_to(&target).await?;
    for (table, rows) in report {
        println!("{table}: {rows}");
    }
    println!("The search index is rebuilt when Postern first starts on the copy.");
    source.close().await;
    target.close().await;
    Ok(())
}

async fn account_create(core: &Core, login: &str, password_stdin: bool) -> Result<()> {
    let login = Login::parse(login)?;
    let (password, shown) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            bail!("no password on standard input");
        }
        (AccountPassword::parse_new(line)?, None)
    } else {
        let (p, shown) = AccountPassword::generate()?;
        (p, Some(shown))
    };
    core.create_account(&login, password).await?;
    if let Some(shown) = shown {
        println!("{}", shown.expose_secret());
    }
    Ok(())
}

fn no_address(e: DomainError, email: &Email) -> anyhow::Error {
    match e {
        DomainError::NotFound(_) => anyhow!("no address {email}"),
        other => other.into(),
    }
}

/// A bad flag value, named as the command line spells it.
fn flag_error(flag: &str, e: DomainError) -> anyhow::Error {
    match e {
        DomainError::Invalid { message, .. } => anyhow!("{flag}: {message}"),
        other => other.into(),
    }
}

fn device_json(d: &Device) -> serde_json::Value {
    serde_json::json!({
        "id": d.id.to_string(),
        "address": d.email.as_str(),
        "description": d.description.as_str(),
        "protocols": d.protocols.to_names(),
        "state": d.state.as_str(),
        "expires_at": d.expiry.at.map(rfc3339),
        "expires_after_unused_days": d.expiry.after_unused_days,
        "expires": d.expires().map(rfc3339),
        "networks": d.networks.to_strings(),
        "created_at": rfc3339(d.created_at),
        "created_by": d.created_by,
        "last_used_at": d.last_use.as_ref().map(|u| rfc3339(u.at)),
        "last_used_ip": d.last_use.as_ref().map(|u| u.ip.to_string()),
        "last_used_protocol": d.last_use.as_ref().map(|u| u.protocol.as_str()),
        "client": d.client,
    })
}

fn print_table(devices: &[Device]) {
    let short = |t: time::OffsetDateTime| {
        let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
        t.format(&f).unwrap_or_default()
    };
    let rows: Vec<[String; 8]> = devices
        .iter()
        .map(|d| {
            [
                d.id.to_string(),
                d.description.to_string(),
                d.protocols.to_names().join(","),
                match (d.state, d.expires()) {
                    (DeviceState::Expired, Some(at)) => format!("expired {}", short(at)),
                    (DeviceState::Active, Some(at)) => format!("active until {}", short(at)),
                    (state, _) => state.as_str().to_owned(),
                },
                short(d.created_at),
                d.last_use
                    .as_ref()
                    .map(|u| short(u.at))
                    .unwrap_or_else(|| "never".into()),
                d.last_use
                    .as_ref()
                    .map(|u| format!("{} {}", u.ip, u.protocol.as_str()))
                    .unwrap_or_default(),
                d.client.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "ID",
        "DESCRIPTION",
        "PROTOCOLS",
        "STATE",
        "CREATED",
        "LAST USED",
        "FROM",
        "CLIENT",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}
