//! Sending from the webmail through the domain's one delivery path, the one SMTP submission
//! uses: hosted recipients get the message in their INBOX, others go to the outbound queue.
//! A copy is kept in the sender's Sent mailbox.

use std::net::IpAddr;

use postern_domain::author::{check_authors, may_send_as};
use postern_domain::model::Address;
use postern_domain::submit::{DeliveryOutcome, Destination, Envelope, Route};
use postern_domain::{Core, Email};

use super::compose::{Draft, build};
use crate::session::random_token;
use crate::settings::Settings;

/// Why a message was not sent, in words for the person who wrote it.
pub type Refusal = String;

/// What the compose form asks to send.
pub struct Outgoing<'a> {
    /// The author asked for, if any; it must be an address the sending address may send as.
    pub from: Option<&'a str>,
    pub to: &'a [Email],
    pub cc: &'a [Email],
    pub subject: &'a str,
    pub text: &'a str,
}

/// Sends a message from `address`; `ip` is the browser's, for the trace.
pub async fn send(
    core: &Core,
    settings: &Settings,
    address: &Address,
    ip: IpAddr,
    outgoing: &Outgoing<'_>,
) -> Result<(), Refusal> {
    let Outgoing {
        from,
        to,
        cc,
        subject,
        text,
    } = *outgoing;
    if let Some(from) = from
        && !may_send_as(&address.email, from)
    {
        return Err(format!(
            "You cannot send as {from} from this address: send as {}.",
            address.email
        ));
    }
    if to.is_empty() && cc.is_empty() {
        return Err("Add at least one recipient.".into());
    }
    let mut recipients: Vec<(Email, Route)> = Vec::new();
    for email in to.iter().chain(cc) {
        if recipients.iter().any(|(e, _)| e == email) {
            continue;
        }
        recipients.push((email.clone(), route(core, settings, email).await?));
    }
    if recipients.len() > settings.max_recipients {
        return Err(format!(
            "Too many recipients: at most {} per message.",
            settings.max_recipients
        ));
    }
    let now = core.clock().now();
    let id = random_token::<16>().map_err(|_| unavailable())?;
    let message_id = format!("{id}@{}", settings.hostname);
    let message = build(&Draft {
        from: &address.email,
        to,
        cc,
        subject,
        text,
        date: now,
        message_id: &message_id,
    })
    .map_err(|_| unavailable())?;
    // The rule SMTP submission follows, on the message as it will leave.
    check_authors(&address.email, &message).map_err(|e| format!("{e}."))?;
    if message.len() > settings.max_message_bytes {
        return Err(format!(
            "The message is too large: at most {} bytes.",
            settings.max_message_bytes
        ));
    }
    let date = now
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default();
    let with = if settings.https() { "HTTPS" } else { "HTTP" };
    let hostname = &settings.hostname;
    let trace = move |rcpt: Option<&Email>| {
        let for_part = rcpt.map(|r| format!("\r\n\tfor <{r}>")).unwrap_or_default();
        format!(
            "Received: from webmail ([{ip}])\r\n\tby {hostname} (Postern) with {with}{for_part};\r\n\t{date}\r\n"
        )
    };
    let envelope = Envelope {
        sender: address.email.as_str(),
        signed_in: Some(&address.email),
        recipients: &recipients,
    };
    let outcomes = core.submit(&envelope, &message, &trace).await;
    let failed: Vec<String> = recipients
        .iter()
        .zip(&outcomes)
        .filter_map(|((email, _), outcome)| match outcome {
            DeliveryOutcome::Stored => None,
            DeliveryOutcome::TryLater(why) | DeliveryOutcome::Refused(why) => {
                Some(format!("{email} ({why})"))
            }
        })
        .collect();
    let sent_to_some = failed.len() < recipients.len();
    if sent_to_some && let Err(e) = core.keep_sent(address, &message).await {
        tracing::error!("keeping a copy of a sent message failed: {e}");
    }
    if failed.is_empty() {
        Ok(())
    } else if sent_to_some {
        Err(format!(
            "The message was sent, but not to {}.",
            failed.join(", ")
        ))
    } else {
        Err(format!("The message was not sent: {}.", failed.join(", ")))
    }
}

/// Where mail for `email` goes, or why it cannot be sent there.
async fn route(core: &Core, settings: &Settings, email: &Email) -> Result<Route, Refusal> {
    match core.destination(email).await {
        Ok(Destination::Hosted) => Ok(Route::Hosted),
        Ok(Destination::Elsewhere) if settings.relay => Ok(Route::Remote),
        Ok(Destination::Elsewhere) => Err(format!(
            "{email}: this server does not send mail to other domains (no smarthost is configured)."
        )),
        Ok(Destination::UnknownHosted) => Err(format!("{email}: there is no such address here.")),
        Err(e) => {
            tracing::error!("looking up a recipient failed: {e}");
            Err(unavailable())
        }
    }
}

fn unavailable() -> Refusal {
    "The message could not be sent just now. Try again in a moment.".into()
}
