//! Searching a mailbox: what a message offers to a search ([`MessageIndex`], computed once
//! when it is stored) and what a search asks ([`Query`]). The store answers a query from the
//! fields, flags and full-text index it keeps; a query the store can only narrow (a header
//! it does not keep) is confirmed here, message by message.

mod index;
mod query;
mod text;

pub use index::{MessageIndex, day_of};
pub use query::{DateRel, Field, Query};
pub use text::{body_text, header_text, holds_parts};
