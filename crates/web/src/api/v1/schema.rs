//! The bodies the API reads and writes.

use postern_domain::clock::rfc3339;
use postern_domain::model::Device;
use postern_domain::{
    Access, Description, DeviceRules, Expiry, MailAddress, Networks, Protocol, ProtocolSet,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A sign-in.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// With two-step verification on: the code from the authenticator app, or a recovery code.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub code: Option<SecretString>,
}

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    pub login: String,
}

/// The account password, confirmed again.
#[derive(Deserialize, ToSchema)]
pub struct ReauthRequest {
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// With two-step verification on: the code from the authenticator app, or a recovery code.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub code: Option<SecretString>,
}

/// A new secret for an authenticator app; two-step verification is on once a code from it
/// is confirmed.
#[derive(Serialize, ToSchema)]
pub struct TwoStepSetupJson {
    /// The secret in base32, to type into the app.
    pub secret: String,
    /// The same as an `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
pub struct TwoStepCodeRequest {
    #[schema(value_type = String, format = Password)]
    pub code: SecretString,
}

/// Two-step verification is on: the recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesJson {
    pub recovery_codes: Vec<String>,
}

/// The account password and a code, to turn two-step verification off.
#[derive(Deserialize, ToSchema)]
pub struct TwoStepOffRequest {
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    #[schema(value_type = String, format = Password)]
    pub code: SecretString,
}

/// Whether the account asks for a code after its password.
#[derive(Serialize, ToSchema)]
pub struct TwoStepJson {
    pub enabled: bool,
    /// RFC 3339; only when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Unused recovery codes; only when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<usize>,
}

/// Until when creating and resetting devices needs no new confirmation.
#[derive(Serialize, ToSchema)]
pub struct ReauthJson {
    /// RFC 3339.
    pub confirmed_until: String,
}

/// How the account reaches an address.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum AccessJson {
    Owned,
    Linked,
}

/// An address in the account's Mail.
#[derive(Serialize, ToSchema)]
pub struct AddressJson {
    pub address: String,
    pub access: AccessJson,
}

impl From<&MailAddress> for AddressJson {
    fn from(m: &MailAddress) -> Self {
        AddressJson {
            address: m.address.email.to_string(),
            access: match m.access {
                Access::Owned => AccessJson::Owned,
                Access::Linked => AccessJson::Linked,
            },
        }
    }
}

/// A device. Times are RFC 3339; the `last_used_*` fields are null until it is used.
#[derive(Serialize, ToSchema)]
pub struct DeviceJson {
    pub id: String,
    pub address: String,
    pub description: String,
    /// Some of `imap`, `smtp`, `pop3`, `webmail`.
    #[schema(example = json!(["imap", "smtp", "pop3", "webmail"]))]
    pub protocols: Vec<&'static str>,
    /// `active`, `expired` (refused like a wrong password until reset) or `disconnected`.
    pub state: &'static str,
    /// The end date it was given (RFC 3339), or null.
    pub expires_at: Option<String>,
    /// It stops working after this many days without use (1 to 3650), or null.
    pub expires_after_unused_days: Option<u16>,
    /// When it stops (or stopped) working by either rule, or null if it never does.
    pub expires: Option<String>,
    /// The networks it may sign in from (CIDR); empty: anywhere.
    #[schema(example = json!(["192.0.2.0/24", "2001:db8::/48"]))]
    pub networks: Vec<String>,
    pub created_at: String,
    pub created_by: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub last_used_protocol: Option<&'static str>,
    pub client: Option<String>,
}

impl From<&Device> for DeviceJson {
    fn from(d: &Device) -> Self {
        DeviceJson {
            id: d.id.to_string(),
            address: d.email.to_string(),
            description: d.description.to_string(),
            protocols: d.protocols.to_names(),
            state: d.state.as_str(),
            expires_at: d.expiry.at.map(rfc3339),
            expires_after_unused_days: d.expiry.after_unused_days,
            expires: d.expires().map(rfc3339),
            networks: d.networks.to_strings(),
            created_at: rfc3339(d.created_at),
            created_by: d.created_by.clone(),
            last_used_at: d.last_use.as_ref().map(|u| rfc3339(u.at)),
            last_used_ip: d.last_use.as_ref().map(|u| u.ip.to_string()),
            last_used_protocol: d.last_use.as_ref().map(|u| u.protocol.as_str()),
            client: d.client.clone(),
        }
    }
}

/// A new device.
#[derive(Deserialize, ToSchema)]
pub struct NewDeviceRequest {
    /// 1 to 64 characters, no control characters.
    pub description: String,
    /// Some of `imap`, `smtp`, `pop3`, `webmail`; all four when absent.
    #[schema(example = json!(["imap", "smtp"]))]
    pub protocols: Option<Vec<String>>,
    #[serde(flatten)]
    pub rules: RulesRequest,
}

/// When a new password stops working on its own (both absent or null: never) and where it
/// works from (absent, null or empty: anywhere).
#[derive(Deserialize, ToSchema, Default)]
pub struct RulesRequest {
    /// A future RFC 3339 instant.
    #[schema(example = "2030-01-31T00:00:00Z")]
    pub expires_at: Option<String>,
    /// Stop working after this many days without use: 1 to 3650.
    #[schema(example = 90)]
    pub expires_after_unused_days: Option<i64>,
    /// Networks in CIDR notation, no host bits set; at most 32.
    #[schema(example = json!(["192.0.2.0/24", "2001:db8::/48"]))]
    pub networks: Option<Vec<String>>,
}

impl RulesRequest {
    /// The rules, checked against `now`.
    pub fn parse(&self, now: OffsetDateTime) -> postern_domain::Result<DeviceRules> {
        let expiry = Expiry {
            at: self
                .expires_at
                .as_deref()
                .map(|t| Expiry::parse_at(t, now))
                .transpose()?,
            after_unused_days: self
                .expires_after_unused_days
                .map(Expiry::check_unused_days)
                .transpose()?,
        };
        let networks = match &self.networks {
            Some(list) => Networks::parse_list(list.iter().map(String::as_str))?,
            None => Networks::ANYWHERE,
        };
        Ok(DeviceRules { expiry, networks })
    }
}

impl NewDeviceRequest {
    /// The description and protocols, parsed; all four protocols when none are named.
    pub fn parse(&self) -> postern_domain::Result<(Description, ProtocolSet)> {
        let description = Description::parse(&self.description)?;
        let protocols = match &self.protocols {
            None => ProtocolSet::ALL,
            Some(names) => ProtocolSet::from_protocols(
                names
                    .iter()
                    .map(|n| Protocol::parse(n))
                    .collect::<postern_domain::Result<Vec<_>>>()?,
            )?,
        };
        Ok((description, protocols))
    }
}

/// A device with its new password: shown in this response only.
#[derive(Serialize, ToSchema)]
pub struct IssuedJson {
    #[serde(flatten)]
    pub device: DeviceJson,
    /// Six groups of four symbols joined by dashes.
    pub password: String,
}

/// Another account's address, added with one of its device passwords.
#[derive(Deserialize, ToSchema)]
pub struct LinkRequest {
    pub address: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorJson {
    pub error: ErrorDetail,
}

/// `code` is stable (`unauthenticated`, `auth_failed`, `throttled`, `reauth_required`,
/// `not_found`, `invalid`, `conflict`, `bad_request`, `cross_site`, `misdirected_request`,
/// `internal`);
/// `message` is for people; `field` names the bad input of an `invalid`.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}
