//! STAT, LIST and UIDL: counts, sizes and unique ids of the messages not marked deleted.

use super::{Event, Session};

impl Session {
    pub(super) fn stat(&mut self) -> Option<Event> {
        let (count, size) = self
            .live()
            .fold((0u64, 0u64), |(c, s), (_, m)| (c + 1, s + m.size));
        self.ok(&format!("{count} {size}"))
    }

    pub(super) fn list(&mut self, number: Option<u32>) -> Option<Event> {
        self.scan(number, |s, i| s.maildrop.messages[i].size.to_string())
    }

    pub(super) fn uidl(&mut self, number: Option<u32>) -> Option<Event> {
        self.scan(number, |s, i| s.unique_id(i))
    }

    /// A message's unique id: stable across sessions as long as the INBOX's UIDVALIDITY is.
    fn unique_id(&self, index: usize) -> String {
        format!(
            "{}.{}",
            self.maildrop.uidvalidity, self.maildrop.messages[index].uid
        )
    }

    fn scan(
        &mut self,
        number: Option<u32>,
        item: impl Fn(&Session, usize) -> String,
    ) -> Option<Event> {
        match number {
            Some(n) => match self.message(n) {
                Some(i) => {
                    let text = format!("{n} {}", item(self, i));
                    self.ok(&text)
                }
                None => self.no_such_message(n),
            },
            None => {
                let mut text = String::from("+OK Listing follows\r\n");
                let live: Vec<usize> = self.live().map(|(i, _)| i).collect();
                for i in live {
                    text.push_str(&format!("{} {}\r\n", i + 1, item(self, i)));
                }
                text.push_str(".\r\n");
                self.out.extend_from_slice(text.as_bytes());
                None
            }
        }
    }

    fn live(&self) -> impl Iterator<Item = (usize, &super::Entry)> {
        self.maildrop
            .messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
    }
}
