//! Rate limits of public verification: per client address per minute and
//! for the whole service per second, counted in fixed windows in memory
//! (one process; each replica limits its own share). A refusal says how
//! many seconds until the window that refused it ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The configured limits (`[verify]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyLimits {
    /// Verifications one client address may ask for per minute.
    pub per_address_per_minute: u32,
    /// Verifications the service answers per second, all addresses
    /// together.
    pub global_per_second: u32,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            // A full batch of 100 fits in one minute's share.
            per_address_per_minute: 120,
            global_per_second: 200,
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self {
            start: now,
            count: 0,
        }
    }

    /// Restarts the window once `len` has passed.
    fn roll(&mut self, now: Instant, len: Duration) {
        if now.duration_since(self.start) >= len {
            *self = Window::new(now);
        }
    }

    /// Whole seconds until the window ends, at least one.
    fn retry_after(&self, now: Instant, len: Duration) -> u64 {
        let left = len.saturating_sub(now.duration_since(self.start));
        (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
    }
}

#[derive(Debug)]
struct Counters {
    global: Window,
    minute_started: Instant,
    per_address: HashMap<String, Window>,
}

/// The limiter; shared by every verify route.
#[derive(Debug)]
pub struct RateLimiter {
    limits: VerifyLimits,
    counters: Mutex<Counters>,
}

impl RateLimiter {
    pub fn new(limits: VerifyLimits) -> Self {
        let now = Instant::now();
        Self {
            limits,
            counters: Mutex::new(Counters {
                global: Window::new(now),
                minute_started: now,
                per_address: HashMap::new(),
            }),
        }
    }

    /// Counts `n` verifications from `address`: `Ok` if all fit, else
    /// `Err(seconds to wait)` and nothing is counted.
    pub fn check(&self, address: &str, n: u32) -> Result<(), u64> {
        self.check_at(address, n, Instant::now())
    }

    fn check_at(&self, address: &str, n: u32, now: Instant) -> Result<(), u64> {
        let mut c = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Addresses idle for a whole minute are forgotten, so the map holds
        // only the last minute's verifiers.
        if now.duration_since(c.minute_started) >= MINUTE {
            c.per_address
                .retain(|_, w| now.duration_since(w.start) < MINUTE);
            c.minute_started = now;
        }
        c.global.roll(now, SECOND);
        if c.global.count.saturating_add(n) > self.limits.global_per_second {
            return Err(c.global.retry_after(now, SECOND));
        }
        let w = c
            .per_address
            .entry(address.to_owned())
            .or_insert_with(|| Window::new(now));
        w.roll(now, MINUTE);
        if w.count.saturating_add(n) > self.limits.per_address_per_minute {
            return Err(w.retry_after(now, MINUTE));
        }
        w.count += n;
        c.global.count += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_limit_holds_for_a_minute_and_others_go_on() {
        let l = RateLimiter::new(VerifyLimits {
            per_address_per_minute: 3,
            global_per_second: 1000,
        });
        let t = Instant::now();
        assert_eq!(l.check_at("a", 2, t), Ok(()));
        assert_eq!(l.check_at("a", 1, t), Ok(()));
        assert_eq!(l.check_at("a", 1, t), Err(60));
        assert_eq!(
            l.check_at("a", 1, t + Duration::from_millis(59_500)),
            Err(1)
        );
        assert_eq!(l.check_at("b", 3, t), Ok(()));
        assert_eq!(l.check_at("a", 3, t + MINUTE), Ok(()));
        // A refused request counts nothing: a batch too big for what is
        // left does not use up the rest.
        assert_eq!(l.check_at("c", 2, t), Ok(()));
        assert_eq!(l.check_at("c", 2, t), Err(60));
        assert_eq!(l.check_at("c", 1, t), Ok(()));
    }

    #[test]
    fn global_limit_holds_for_a_second() {
        let l = RateLimiter::new(VerifyLimits {
            per_address_per_minute: 1000,
            global_per_second: 2,
        });
        let t = Instant::now();
        assert_eq!(l.check_at("a", 1, t), Ok(()));
        assert_eq!(l.check_at("b", 1, t), Ok(()));
        assert_eq!(l.check_at("c", 1, t + Duration::from_millis(300)), Err(1));
        assert_eq!(l.check_at("c", 1, t + SECOND), Ok(()));
    }
}
