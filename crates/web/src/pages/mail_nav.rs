//! What every Mail page shares: the sidebar with the account's addresses (owned and linked,
//! each with its action menu) and the folders of the selected one, the links between Mail
//! pages, and what the page's script needs to follow the open folder.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use postern_domain::mail::{Mailbox, SpecialUse};
use postern_domain::{Access, Email, MailAddress};

use crate::error::WebResult;
use crate::pages::view::{devices_url, seg};
use crate::session::Viewer;
use crate::state::AppState;

/// An address in the sidebar.
pub struct AddressItem {
    pub email: String,
    pub initial: char,
    pub linked: bool,
    pub selected: bool,
    pub url: String,
    pub settings_url: String,
    pub devices_url: String,
    pub remove_url: String,
}

/// A folder of the selected address.
pub struct FolderItem {
    pub label: String,
    pub url: String,
    pub unseen: u32,
    pub current: bool,
}

/// The sidebar of the Mail pages.
pub struct MailNav {
    pub addresses: Vec<AddressItem>,
    /// The selected address's folders (empty when none is selected).
    pub folders: Vec<FolderItem>,
    /// `New message` for the selected address, or empty.
    pub compose_url: String,
}

/// What the script polls to learn of new mail, and of the address being taken away.
pub struct Live {
    pub url: String,
    pub modseq: i64,
    pub address: String,
}

impl Live {
    /// Following `mailbox` of `email`.
    pub fn of(email: &Email, mailbox: &Mailbox) -> Self {
        Live {
            url: format!("{}/state", folder_url(email, &mailbox.name)),
            modseq: mailbox.modseq,
            address: email.to_string(),
        }
    }
}

/// Characters left as they are in a folder name in a URL: `/` must be escaped, as it
/// separates levels of folders.
const FOLDER: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_');

/// The INBOX of an address.
pub fn mail_url(email: &Email) -> String {
    format!("/mail/{}", seg(email))
}

/// A folder's message list.
pub fn folder_url(email: &Email, folder: &str) -> String {
    format!(
        "/mail/{}/folder/{}",
        seg(email),
        utf8_percent_encode(folder, FOLDER)
    )
}

/// A message's page.
pub fn message_url(email: &Email, folder: &str, uid: u32) -> String {
    format!("{}/{uid}", folder_url(email, folder))
}

/// The compose form of an address.
pub fn compose_url(email: &Email) -> String {
    format!("/mail/{}/compose", seg(email))
}

/// How a folder is named on screen.
pub fn folder_label(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        "Inbox".to_owned()
    } else {
        name.replace('/', " / ")
    }
}

/// Folders in the order people expect: Inbox, the standard ones, then the others by name.
fn folder_rank(m: &Mailbox) -> (u8, String) {
    let rank = match (m.name.as_str(), m.special_use) {
        ("INBOX", _) => 0,
        (_, Some(SpecialUse::Drafts)) => 1,
        (_, Some(SpecialUse::Sent)) => 2,
        (_, Some(SpecialUse::Archive)) => 3,
        (_, Some(SpecialUse::Junk)) => 4,
        (_, Some(SpecialUse::Trash)) => 5,
        _ => 6,
    };
    (rank, m.name.to_lowercase())
}

/// The sidebar, with `selected` (an address and its open folder) if any.
pub async fn mail_nav(
    state: &AppState,
    viewer: &Viewer,
    selected: Option<(&MailAddress, &str)>,
) -> WebResult<MailNav> {
    let all = state.core.mail_addresses(&viewer.account).await?;
    let chosen = selected.map(|(a, _)| a.address.id);
    let addresses = all
        .iter()
        .map(|m| {
            let email = &m.address.email;
            AddressItem {
                email: email.to_string(),
                initial: email
                    .as_str()
                    .chars()
                    .next()
                    .unwrap_or('?')
                    .to_ascii_uppercase(),
                linked: m.access == Access::Linked,
                selected: Some(m.address.id) == chosen,
                url: mail_url(email),
                settings_url: format!("/addresses/{}", seg(email)),
                devices_url: devices_url(email),
                remove_url: format!("/links/{}/remove", seg(email)),
            }
        })
        .collect();
    let Some((address, current)) = selected else {
        return Ok(MailNav {
            addresses,
            folders: Vec::new(),
            compose_url: String::new(),
        });
    };
    let email = &address.address.email;
    let mail = state.core.mailboxes();
    let mut mailboxes: Vec<Mailbox> = mail
        .mailboxes(address.address.id)
        .await?
        .into_iter()
        .filter(|m| m.selectable)
        .collect();
    mailboxes.sort_by_key(folder_rank);
    let mut folders = Vec::with_capacity(mailboxes.len());
    for m in mailboxes {
        folders.push(FolderItem {
            label: folder_label(&m.name),
            url: folder_url(email, &m.name),
            unseen: m.unseen,
            current: m.name == current,
        });
    }
    Ok(MailNav {
        addresses,
        folders,
        compose_url: compose_url(email),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_labels() {
        let e = Email::parse("ann@example.com").unwrap();
        assert_eq!(mail_url(&e), "/mail/ann@example.com");
        assert_eq!(
            folder_url(&e, "Work/2026 plans"),
            "/mail/ann@example.com/folder/Work%2F2026%20plans"
        );
        assert_eq!(
            message_url(&e, "INBOX", 7),
            "/mail/ann@example.com/folder/INBOX/7"
        );
        assert_eq!(folder_label("INBOX"), "Inbox");
        assert_eq!(folder_label("Work/2026"), "Work / 2026");
    }
}
