//! How a revocation trial disconnects the device: a command (`postern device disconnect`,
//! `doveadm kick`), Postern's JSON API, or the domain's own call on a Postern running in this
//! process.

use postern_domain::DeviceId;

use crate::embedded::Embedded;
use crate::error::{LoadError, Result};
use crate::http::ApiClient;

/// The device whose sessions a trial opens.
#[derive(Debug, PartialEq)]
pub struct Device {
    pub id: Option<String>,
    pub password: String,
}

/// Reads the last non-empty line of a device command's output: `PASSWORD` or `ID PASSWORD`.
pub fn parse_device_line(output: &str) -> Result<Device> {
    let line = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [password] => Ok(Device {
            id: None,
            password: (*password).to_owned(),
        }),
        [id, password] => Ok(Device {
            id: Some((*id).to_owned()),
            password: (*password).to_owned(),
        }),
        _ => Err(LoadError::Command(format!(
            "the device command printed {line:?}, not PASSWORD or ID PASSWORD"
        ))),
    }
}

/// The disconnect command's arguments, split at white space, with `{id}` filled in.
pub fn disconnect_argv(template: &str, id: Option<&str>) -> Result<Vec<String>> {
    let argv: Vec<String> = template.split_whitespace().map(str::to_owned).collect();
    if argv.is_empty() {
        return Err(LoadError::Usage("empty --disconnect-cmd".into()));
    }
    argv.into_iter()
        .map(|arg| match (arg.contains("{id}"), id) {
            (false, _) => Ok(arg),
            (true, Some(id)) => Ok(arg.replace("{id}", id)),
            (true, None) => Err(LoadError::Usage(
                "--disconnect-cmd uses {id} but no device id is known".into(),
            )),
        })
        .collect()
}

/// The means of disconnecting.
pub(crate) enum Disconnect {
    Command(String),
    Api(ApiClient),
    InProcess(Embedded),
}

impl Disconnect {
    /// How the disconnect is made, for the result line.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Disconnect::Command(_) => "command",
            Disconnect::Api(_) => "api",
            Disconnect::InProcess(_) => "in-process",
        }
    }
}

pub(crate) async fn shell(cmd: &str) -> Result<String> {
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .await?;
    if !out.status.success() {
        return Err(LoadError::Command(format!(
            "{cmd}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Disconnects `device`; returns when the disconnect did.
pub(crate) async fn run_disconnect(disconnect: &mut Disconnect, device: &Device) -> Result<()> {
    match disconnect {
        Disconnect::Api(api) => {
            let id = device
                .id
                .as_deref()
                .ok_or(LoadError::Usage("no device id".into()))?;
            api.delete_device(id).await
        }
        Disconnect::InProcess(embedded) => {
            let id = device
                .id
                .as_deref()
                .and_then(|id| DeviceId::parse(id).ok())
                .ok_or(LoadError::Usage("no device id".into()))?;
            embedded.disconnect(id).await
        }
        Disconnect::Command(template) => {
            let argv = disconnect_argv(template, device.id.as_deref())?;
            let out = tokio::process::Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(std::process::Stdio::null())
                .output()
                .await
                .map_err(|e| LoadError::Command(format!("{}: {e}", argv[0])))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(LoadError::Command(format!(
                    "{template}: {} {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_lines() {
        assert_eq!(
            parse_device_line("k3vq-8mzt-aaaa-bbbb-cccc-dddd\n").unwrap(),
            Device {
                id: None,
                password: "k3vq-8mzt-aaaa-bbbb-cccc-dddd".into()
            }
        );
        assert_eq!(
            parse_device_line("noise\n0192abcd pw-1\n\n").unwrap(),
            Device {
                id: Some("0192abcd".into()),
                password: "pw-1".into()
            }
        );
        assert!(parse_device_line("").is_err());
        assert!(parse_device_line("a b c").is_err());
    }

    #[test]
    fn disconnect_commands_fill_in_the_id() {
        assert_eq!(
            disconnect_argv("postern device disconnect a@x.test {id}", Some("42")).unwrap(),
            ["postern", "device", "disconnect", "a@x.test", "42"]
        );
        assert_eq!(
            disconnect_argv("doveadm -c /d/dovecot.conf  kick plain@example.test", None).unwrap(),
            [
                "doveadm",
                "-c",
                "/d/dovecot.conf",
                "kick",
                "plain@example.test"
            ]
        );
        assert!(disconnect_argv("kick {id}", None).is_err());
        assert!(disconnect_argv("   ", None).is_err());
    }
}
