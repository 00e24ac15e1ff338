//! Attempt throttling over storage, for any kind of secret check (holder
//! log-ins today): an attempt takes a slot under each of its keys *before*
//! the secret is checked ([`reserve`]), atomically in the database, so
//! however many arrive at once no more than a key's limit are checked
//! within the window; a success gives its slot back ([`Slot::succeeded`]),
//! a failure keeps it. Refusals carry the seconds until the oldest attempt
//! of the full key leaves the window.

use jiff::{SignedDuration, Timestamp};
use zhengshu_storage::{Reservation, ThrottleRule};

use super::Error;
use crate::state::AppState;

/// An attempt counted under every key, until it succeeds.
#[derive(Debug)]
#[must_use = "a succeeded attempt gives its slot back"]
pub struct Slot {
    ids: Vec<i64>,
}

impl Slot {
    /// The attempt succeeded: it no longer counts.
    pub async fn succeeded(self, state: &AppState) -> Result<(), Error> {
        state.storage.release_attempt(&self.ids).await?;
        Ok(())
    }
}

/// Takes a slot under every rule's key within `window`, or answers
/// [`Error::Throttled`] with the time to wait.
pub async fn reserve(
    state: &AppState,
    rules: &[ThrottleRule],
    window: SignedDuration,
    now: Timestamp,
) -> Result<Slot, Error> {
    // Attempts strictly inside the window: one exactly a window old no
    // longer counts.
    let since = now - window + SignedDuration::from_millis(1);
    match state.storage.reserve_attempt(rules, since, now).await? {
        Reservation::Granted(ids) => Ok(Slot { ids }),
        Reservation::Refused { oldest } => {
            let wait = (oldest + window).duration_since(now);
            Err(Error::Throttled {
                retry_after_secs: u64::try_from(wait.as_secs()).unwrap_or(0).max(1),
            })
        }
    }
}
