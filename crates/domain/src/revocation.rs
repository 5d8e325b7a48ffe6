//! The revocation bus: a disconnect or a reset publishes "device X is revoked through
//! generation G", and every live session of that device (generation ≤ G) hears it at once.
//! A session of a device that expires also carries the instant it expires, so every node
//! closes it then without being told.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::ids::DeviceId;

/// How long a revocation is remembered for devices with no live session: long enough to
/// cover a sign-in that looked the device up just before the revocation committed.
const REMEMBER: Duration = Duration::from_secs(60);

struct Entry {
    /// The highest revoked generation (0: none).
    tx: watch::Sender<i64>,
    revoked_at: Option<Instant>,
}

/// In-process fan-out of revocations to live sessions.
#[derive(Default)]
pub struct RevocationBus {
    devices: Mutex<HashMap<DeviceId, Entry>>,
}

impl RevocationBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes a session that signed in with `generation` of `device`. If that generation
    /// was revoked moments ago, the watch fires at once.
    pub fn watch(&self, device: DeviceId, generation: i64) -> RevocationWatch {
        let mut devices = self.lock();
        let entry = devices.entry(device).or_insert_with(|| Entry {
            tx: watch::Sender::new(0),
            revoked_at: None,
        });
        RevocationWatch {
            rx: entry.tx.subscribe(),
            generation,
            deadline: None,
        }
    }

    /// Announces that every password of `device` up to `through_generation` is dead.
    /// Idempotent: the same revocation heard twice changes nothing.
    pub fn publish(&self, device: DeviceId, through_generation: i64) {
        let mut devices = self.lock();
        let entry = devices.entry(device).or_insert_with(|| Entry {
            tx: watch::Sender::new(0),
            revoked_at: None,
        });
        entry.tx.send_if_modified(|current| {
            if through_generation > *current {
                *current = through_generation;
                true
            } else {
                false
            }
        });
        entry.revoked_at = Some(Instant::now());
        Self::prune(&mut devices);
    }

    /// Devices the bus currently tracks (for tests of its bounds).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }

    fn prune(devices: &mut HashMap<DeviceId, Entry>) {
        let now = Instant::now();
        devices.retain(|_, e| {
            e.tx.receiver_count() > 0
                || e.revoked_at
                    .is_some_and(|at| now.duration_since(at) < REMEMBER)
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, Entry>> {
        self.devices.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A live session's ear on the bus.
#[derive(Clone)]
pub struct RevocationWatch {
    rx: watch::Receiver<i64>,
    generation: i64,
    /// When the password expires on its own, if it does.
    deadline: Option<tokio::time::Instant>,
}

impl RevocationWatch {
    /// The same watch, also firing once `after` has passed (the password's expiry).
    pub fn expiring_after(mut self, after: Option<std::time::Duration>) -> Self {
        self.deadline = after.map(|d| tokio::time::Instant::now() + d);
        self
    }

    /// Whether this session's password is dead.
    pub fn is_revoked(&self) -> bool {
        *self.rx.borrow() >= self.generation
            || self
                .deadline
                .is_some_and(|d| d <= tokio::time::Instant::now())
    }

    /// Resolves when this session's password dies. Cancel-safe, for `select!`.
    pub async fn revoked(&mut self) {
        let generation = self.generation;
        let expired = until(self.deadline);
        // `is_ok` drops the borrow at once, so the future stays `Send`.
        let heard = async {
            self.rx
                .wait_for(|through| *through >= generation)
                .await
                .is_ok()
        };
        tokio::select! {
            heard = heard => {
                if !heard {
                    // The bus is gone, so the server is shutting down: never fire.
                    std::future::pending::<()>().await;
                }
            }
            () = expired => {}
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending::<()>().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_for_revoked_generations_only() {
        let bus = RevocationBus::new();
        let d = DeviceId::new();
        let mut old = bus.watch(d, 1);
        let new = bus.watch(d, 2);
        let other = bus.watch(DeviceId::new(), 1);
        bus.publish(d, 1);
        old.revoked().await;
        assert!(old.is_revoked());
        assert!(!new.is_revoked());
        assert!(!other.is_revoked());
        bus.publish(d, i64::MAX);
        assert!(new.is_revoked());
    }

    #[test]
    fn a_late_subscriber_of_a_revoked_generation_hears_it() {
        let bus = RevocationBus::new();
        let d = DeviceId::new();
        bus.publish(d, 3);
        assert!(bus.watch(d, 3).is_revoked());
        assert!(!bus.watch(d, 4).is_revoked());
    }

    #[test]
    fn forgets_devices_without_sessions() {
        let bus = RevocationBus::new();
        {
            let _w = bus.watch(DeviceId::new(), 1);
        }
        bus.publish(DeviceId::new(), 1);
        // The unwatched device is dropped; the just-revoked one is remembered for a while.
        assert_eq!(bus.tracked(), 1);
    }
}
