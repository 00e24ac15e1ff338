//! Time as the rules see it: an injected clock and calendar days in
//! Asia/Shanghai, where every day of the annotation rules is counted.

use std::sync::{Arc, Mutex};

use jiff::{Timestamp, tz::TimeZone};

use crate::Day;

/// China Standard Time, the zone in which every calendar day is counted.
pub fn china_tz() -> TimeZone {
    // Looked up once: the database's look-up reads the clock and takes a
    // lock each time, on every verification's path.
    static CHINA: std::sync::LazyLock<TimeZone> = std::sync::LazyLock::new(|| {
        // The bundled tzdb always has it; the fixed offset is only a
        // fallback (China has kept UTC+8 without daylight saving since 1991).
        TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
    });
    CHINA.clone()
}

/// The calendar day of `at` in China Standard Time.
pub fn day_in_china(at: Timestamp) -> Day {
    at.to_zoned(china_tz()).date()
}

/// Where the rules get "now" from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;

    /// Today in China Standard Time.
    fn today(&self) -> Day {
        day_in_china(self.now())
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that says what it is told: for tests and for the test-only
/// clock control.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<Timestamp>>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t = t.checked_add(by).unwrap_or(*t);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_turn_at_midnight_in_shanghai() {
        // 15:59 UTC is 23:59 in Shanghai; 16:01 UTC is 00:01 the next day.
        let before: Timestamp = "2024-03-01T15:59:00Z".parse().unwrap();
        let after: Timestamp = "2024-03-01T16:01:00Z".parse().unwrap();
        assert_eq!(day_in_china(before), jiff::civil::date(2024, 3, 1));
        assert_eq!(day_in_china(after), jiff::civil::date(2024, 3, 2));
    }

    #[test]
    fn fixed_clock_moves_when_told() {
        let c = FixedClock::new("2024-01-01T00:00:00Z".parse().unwrap());
        c.advance(jiff::SignedDuration::from_hours(24));
        assert_eq!(c.today(), jiff::civil::date(2024, 1, 2));
    }
}
