//! Sign-in alerts and the records behind them: a message in the address's own INBOX when a
//! device signs in for the first time, from a network (/24, /48) it has not used before, or
//! with a mail program it has not used before; at most one per device per hour, on every node.
//! Also each device's sign-in history, and how long it and the activity log are kept.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address as MailAddress;
use mail_builder::headers::date::Date;
use time::{Duration, OffsetDateTime};

use crate::core::{Actor, Core};
use crate::error::DomainError;
use crate::error::Result;
use crate::ids::DeviceId;
use crate::model::{Device, LastUse, SignInEntry};

/// Sign-ins a device page shows.
pub const HISTORY_SHOWN: u32 = 50;

/// The shortest time between two alerts about one device.
const ALERT_EVERY: Duration = Duration::hours(1);

/// Why a sign-in is news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Novelty {
    FirstSignIn,
    NewNetwork,
    NewClient,
}

impl Novelty {
    fn sentence(self) -> &'static str {
        match self {
            Novelty::FirstSignIn => "signed in for the first time",
            Novelty::NewNetwork => "signed in from a network it had not used before",
            Novelty::NewClient => "signed in with a mail program it had not used before",
        }
    }
}

/// What one alert tells.
pub(crate) struct SignInNews<'a> {
    pub device: &'a Device,
    pub novelty: Novelty,
    pub sign_in: &'a LastUse,
    pub client: Option<&'a str>,
}

impl Core {
    /// The device's latest sign-ins, newest first, for its owner.
    pub async fn sign_ins(&self, actor: &Actor, device: DeviceId) -> Result<Vec<SignInEntry>> {
        self.device(actor, device).await?;
        self.store.sign_ins(device, HISTORY_SHOWN).await
    }

    /// Whether the address gets sign-in alerts, for its owner.
    pub async fn sign_in_alerts(&self, actor: &Actor, email: &crate::Email) -> Result<bool> {
        let address = self.owned_address(actor, email).await?;
        self.store.sign_in_alerts(address.id).await
    }

    /// Turns the address's sign-in alerts on or off, for its owner.
    pub async fn set_sign_in_alerts(
        &self,
        actor: &Actor,
        email: &crate::Email,
        on: bool,
    ) -> Result<()> {
        let address = self.owned_address(actor, email).await?;
        self.store.set_sign_in_alerts(address.id, on).await
    }

    /// Deletes sign-in history and activity older than the policy's retention; returns how
    /// many lines went. The server runs it daily.
    pub async fn prune_history(&self) -> Result<u64> {
        let before = self.clock.now() - Duration::days(i64::from(self.policy.retention_days));
        let gone = self.store.prune_history(before).await?;
        if gone > 0 {
            tracing::info!(lines = gone, "old sign-in history and activity deleted");
        }
        Ok(gone)
    }

    /// Sends the alert, unless the address turned alerts off or the device had one within
    /// the hour. Failing to alert never fails the sign-in.
    pub(crate) async fn alert(&self, news: SignInNews<'_>) {
        if let Err(e) = self.try_alert(&news).await {
            tracing::warn!(device = %news.device.id, "a sign-in alert failed: {e}");
        }
    }

    async fn try_alert(&self, news: &SignInNews<'_>) -> Result<()> {
        let device = news.device;
        if !self.policy.sign_in_alerts || !self.store.sign_in_alerts(device.address_id).await? {
            return Ok(());
        }
        let now = self.clock.now();
        if !self
            .store
            .claim_alert(device.id, now, now - ALERT_EVERY)
            .await?
        {
            return Ok(());
        }
        let Some(address) = self.store.address(device.address_id).await? else {
            return Ok(());
        };
        let message = self.alert_message(news, now)?;
        self.deliver(&address, &message).await?;
        tracing::info!(device = %device.id, novelty = ?news.novelty, "sign-in alert sent");
        Ok(())
    }

    fn alert_message(&self, news: &SignInNews<'_>, now: OffsetDateTime) -> Result<Vec<u8>> {
        let device = news.device;
        let email = device.email.as_str();
        let domain = email.rsplit_once('@').map_or("localhost", |(_, d)| d);
        let link = format!(
            "{}/settings/{}/devices/{}",
            self.policy.web_url.trim_end_matches('/'),
            email,
            device.id
        );
        let when = crate::clock::rfc3339(news.sign_in.at);
        let body = format!(
            "The device “{description}” of {email} {what}.\r\n\r\n\
             When: {when}\r\n\
             Where: {ip} (network {network})\r\n\
             How: {protocol}\r\n\
             Mail program: {client}\r\n\r\n\
             If this was not you, disconnect the device: its password stops working and its \
             open connections close at once.\r\n{link}\r\n\r\n\
             Sign-in alerts can be turned off for {email} in Settings, on its Devices page.\r\n",
            description = device.description,
            what = news.novelty.sentence(),
            ip = news.sign_in.ip,
            network = crate::networks::sign_in_network(news.sign_in.ip),
            protocol = news.sign_in.protocol.label(),
            client = news.client.unwrap_or("not named"),
        );
        MessageBuilder::new()
            .from(MailAddress::new_address(
                Some("Postern"),
                format!("postmaster@{domain}"),
            ))
            .to(MailAddress::new_address(None::<&str>, email.to_owned()))
            .subject(format!("New sign-in to {email}: {}", device.description))
            .date(Date::new(now.unix_timestamp()))
            .message_id(format!(
                "alert-{}-{}@{domain}",
                device.id,
                now.unix_timestamp()
            ))
            .text_body(body)
            .write_to_vec()
            .map_err(|e| DomainError::Internal(format!("writing an alert: {e}")))
    }
}
