//! What templates show: the page frame, and records turned into text and links.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use postern_domain::model::{ActivityEntry, Device, DeviceState};
use postern_domain::{DeviceId, Email};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::flash::Flash;
use crate::session::Viewer;
use crate::settings::MailServer;

/// The frame around every page: who is signed in, the notice to show, where we are.
pub struct Chrome {
    pub signed_in: bool,
    pub login: String,
    pub flash: Option<String>,
    /// `mail`, `settings` or empty: which top-bar entry is current.
    pub nav: &'static str,
}

impl Chrome {
    /// The frame of a signed-in page.
    pub fn new(viewer: &Viewer, flash: Flash, nav: &'static str) -> Self {
        Chrome {
            signed_in: true,
            login: viewer.account.login.to_string(),
            flash: flash.0,
            nav,
        }
    }

    /// The frame of a page shown without looking the session up (sign-in, errors).
    pub fn bare(signed_in: bool) -> Self {
        Chrome {
            signed_in,
            login: String::new(),
            flash: None,
            nav: "",
        }
    }
}

/// Characters left as they are in a path segment; `@` keeps addresses readable.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'@')
    .remove(b'+');

/// An address as one URL path segment.
pub fn seg(email: &Email) -> String {
    utf8_percent_encode(email.as_str(), SEGMENT).to_string()
}

/// A value for a query string.
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// The device list of an address in Settings.
pub fn devices_url(email: &Email) -> String {
    format!("/settings/{}/devices", seg(email))
}

/// A device's page in Settings.
pub fn device_url(email: &Email, id: &DeviceId) -> String {
    format!("/settings/{}/devices/{id}", seg(email))
}

/// The setup assistant for an address, optionally on an existing device, on the manual tab.
pub fn setup_url(email: &Email, device: Option<&DeviceId>) -> String {
    match device {
        Some(id) => format!(
            "/setup?address={}&device={id}&tab=manual",
            query_value(email.as_str())
        ),
        None => format!("/setup?address={}", query_value(email.as_str())),
    }
}

/// A time as people read it, in UTC.
pub fn when(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

/// A time for `<time datetime>`.
pub fn machine_time(t: OffsetDateTime) -> String {
    postern_domain::clock::rfc3339(t)
}

/// A device as lists and its page show it.
pub struct DeviceView {
    pub id: String,
    pub description: String,
    pub protocols: String,
    pub created: String,
    pub created_iso: String,
    pub created_by: String,
    pub last_used: Option<LastUsedView>,
    pub client: Option<String>,
    pub url: String,
    pub reset_url: String,
    pub disconnect_url: String,
    /// `Expired` and when, or the rules by which it will stop working; `None` when never.
    pub expiry: Option<String>,
    pub expired: bool,
    /// `Allowed networks`, comma-separated; empty: anywhere.
    pub networks: String,
}

/// When, from where and how a device was last used.
pub struct LastUsedView {
    pub at: String,
    pub at_iso: String,
    pub ip: String,
    pub protocol: &'static str,
}

impl DeviceView {
    /// The view of `device`.
    pub fn of(device: &Device) -> Self {
        let url = device_url(&device.email, &device.id);
        DeviceView {
            id: device.id.to_string(),
            description: device.description.to_string(),
            protocols: device.protocols.to_string(),
            created: when(device.created_at),
            created_iso: machine_time(device.created_at),
            created_by: device.created_by.clone(),
            last_used: device.last_use.as_ref().map(|u| LastUsedView {
                at: when(u.at),
                at_iso: machine_time(u.at),
                ip: u.ip.to_string(),
                protocol: u.protocol.label(),
            }),
            client: device.client.clone(),
            reset_url: setup_url(&device.email, Some(&device.id)),
            disconnect_url: format!("{url}/disconnect"),
            url,
            expiry: expiry_text(device),
            expired: device.state == DeviceState::Expired,
            networks: device.networks.to_strings().join(", "),
        }
    }
}

/// How a device stops working on its own, for a person.
fn expiry_text(device: &Device) -> Option<String> {
    if device.state == DeviceState::Expired {
        return Some(match device.expires() {
            Some(end) => format!("Expired {}", when(end)),
            None => "Expired".to_owned(),
        });
    }
    let mut rules = Vec::new();
    if let Some(at) = device.expiry.at {
        rules.push(format!("Until {}", when(at)));
    }
    if let Some(days) = device.expiry.after_unused_days {
        rules.push(format!("Stops working after {days} days without use"));
    }
    (!rules.is_empty()).then(|| rules.join("; "))
}

/// One line of the activity log.
pub struct ActivityView {
    pub at: String,
    pub at_iso: String,
    pub what: &'static str,
    pub device: String,
    pub by: String,
}

impl ActivityView {
    /// The view of `entry`.
    pub fn of(entry: &ActivityEntry) -> Self {
        ActivityView {
            at: when(entry.at),
            at_iso: machine_time(entry.at),
            what: entry.kind.label(),
            device: entry.device_description.clone().unwrap_or_default(),
            by: entry.actor.clone(),
        }
    }
}

/// A row of the server settings table.
pub struct ServerRow {
    pub protocol: &'static str,
    pub host: String,
    pub port: u16,
    pub security: String,
}

/// The server settings a mail program needs.
pub fn server_rows(servers: &[MailServer]) -> Vec<ServerRow> {
    servers
        .iter()
        .map(|s| ServerRow {
            protocol: s.protocol,
            host: s.host.clone(),
            port: s.port,
            security: s.security.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_times() {
        let e = Email::parse("a/b+c@example.com").unwrap();
        assert_eq!(seg(&e), "a%2Fb+c@example.com");
        assert_eq!(devices_url(&e), "/settings/a%2Fb+c@example.com/devices");
        assert_eq!(
            setup_url(&e, None),
            "/setup?address=a%2Fb%2Bc%40example%2Ecom"
        );
        let t = OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(61);
        assert_eq!(when(t), "1970-01-01 01:01 UTC");
    }
}
