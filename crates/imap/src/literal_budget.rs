//! The literal bytes that the signed-in sessions of one address may be receiving at once.
//! One session's literals are bounded by `max_literal`; without a shared bound, one
//! address's password could open many sessions, announce a large literal on each and make
//! the server hold all of them. A literal that does not fit is refused like one over the
//! per-session limit (`NO [TOOBIG]`, or read and dropped when non-synchronising).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use postern_domain::AddressId;

/// Literal bytes being received, per address, shared by every session of a server.
#[derive(Debug)]
pub struct LiteralBudget {
    per_address: u64,
    held: Mutex<HashMap<AddressId, u64>>,
}

impl LiteralBudget {
    /// A budget of `per_address` bytes for each address.
    pub fn new(per_address: u64) -> Arc<Self> {
        Arc::new(LiteralBudget {
            per_address,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// One session's part of its address's budget.
    pub(crate) fn share(self: &Arc<Self>, address: AddressId) -> AddressShare {
        AddressShare {
            budget: Arc::clone(self),
            address,
            held: 0,
        }
    }

    /// Bytes held for `address` now.
    #[cfg(test)]
    fn held(&self, address: AddressId) -> u64 {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(&address).copied().unwrap_or(0)
    }
}

/// What one session holds of its address's budget; given back when dropped.
#[derive(Debug)]
pub(crate) struct AddressShare {
    budget: Arc<LiteralBudget>,
    address: AddressId,
    held: u64,
}

impl AddressShare {
    /// Takes `n` more bytes if the address's sessions stay within the budget.
    pub fn take(&mut self, n: u64) -> bool {
        let mut held = self
            .budget
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let total = held.entry(self.address).or_insert(0);
        match total.checked_add(n) {
            Some(sum) if sum <= self.budget.per_address => {
                *total = sum;
                self.held += n;
                true
            }
            _ => false,
        }
    }

    /// Gives back everything taken: the command that announced the literals is complete.
    pub fn release(&mut self) {
        if self.held == 0 {
            return;
        }
        let mut held = self
            .budget
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(total) = held.get_mut(&self.address) {
            *total = total.saturating_sub(self.held);
            if *total == 0 {
                held.remove(&self.address);
            }
        }
        self.held = 0;
    }
}

impl Drop for AddressShare {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_of_one_address_share_its_budget_and_give_it_back() {
        let budget = LiteralBudget::new(100);
        let (a, b) = (AddressId(1), AddressId(2));
        let mut first = budget.share(a);
        let mut second = budget.share(a);
        let mut other = budget.share(b);
        assert!(first.take(60));
        assert!(!second.take(41), "over the address's budget");
        assert!(second.take(40));
        assert!(other.take(100), "another address has its own");
        assert_eq!(budget.held(a), 100);
        first.release();
        assert_eq!(budget.held(a), 40);
        assert!(second.take(60));
        drop(second);
        assert_eq!(budget.held(a), 0);
        assert!(!first.take(u64::MAX), "no overflow");
    }
}
