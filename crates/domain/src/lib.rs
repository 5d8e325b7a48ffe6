//! Postern's domain: accounts, addresses, devices and their passwords, links, the activity
//! log, and the traits a store implements. No web framework, no database driver, no sockets.

pub mod account_password;
pub mod accounts;
pub mod addresses;
pub mod alerts;
pub mod author;
pub mod clock;
pub mod core;
pub mod description;
pub mod device_password;
pub mod devices;
pub mod email;
pub mod error;
pub mod expiry;
pub mod ids;
pub mod mail;
pub mod mailboxes;
pub mod mime;
pub mod model;
pub mod networks;
pub mod protocol;
pub mod queue;
pub mod repo;
pub mod revocation;
pub mod search;
pub mod sign_in_log;
pub mod submit;
pub mod throttle;
pub mod two_step;
pub mod web_sessions;
pub mod webmail;

pub use crate::addresses::{Access, MailAddress};
pub use crate::core::{Actor, Core, Policy};
pub use crate::description::Description;
pub use crate::device_password::{DevicePassword, PasswordDigest, Pepper};
pub use crate::devices::{IssuedPassword, SignedIn};
pub use crate::email::{Email, Login};
pub use crate::error::{DomainError, Result, StoreFailure};
pub use crate::expiry::Expiry;
pub use crate::ids::{AccountId, AddressId, DeviceId};
pub use crate::mailboxes::Mailboxes;
pub use crate::model::DeviceRules;
pub use crate::networks::Networks;
pub use crate::protocol::{Protocol, ProtocolSet};
