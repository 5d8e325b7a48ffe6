//! Apple configuration profiles: the `.mobileconfig` file itself, and the tickets that let
//! a phone download one once. The pages that offer them are `pages/profile.rs`.

mod mobileconfig;
mod tickets;

pub use mobileconfig::{available, file_name, mobileconfig, servers_for};
pub use tickets::{Profiles, Stage, Ticket};
