//! Annotation (加注) rules: which certificates need one, the usage
//! scenarios, the validity period and the limit of applications in a
//! rolling window. Plain functions of their inputs; "today" comes from the
//! caller's clock.

use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::Day;

/// The configurable numbers of the annotation rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnnotationPolicy {
    /// Certificates issued on or after this day must be annotated.
    pub cutover: Day,
    /// Length of the rolling window, in days, ending on the day of an
    /// application.
    pub window_days: u16,
    /// Annotations of one certificate allowed inside the window.
    pub max_in_window: u16,
    /// Longest validity of one annotation, in days.
    pub max_validity_days: u16,
    /// Usage scenarios offered (codes; labels come from the translations).
    pub scenarios: Vec<Scenario>,
}

impl Default for AnnotationPolicy {
    fn default() -> Self {
        Self {
            cutover: jiff::civil::date(2021, 12, 17),
            window_days: 90,
            max_in_window: 3,
            max_validity_days: 90,
            scenarios: vec![Scenario::new("self_use")],
        }
    }
}

/// 使用场景: a usage scenario code such as `self_use` (本人调用).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scenario(String);

impl Scenario {
    pub fn new(code: &str) -> Self {
        Self(code.to_owned())
    }
    pub fn code(&self) -> &str {
        &self.0
    }
}

/// A refused application: the limit is reached until `next_possible_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the annotation limit is reached; the next application is possible on {next_possible_on}")]
pub struct LimitReached {
    pub next_possible_on: Day,
}

/// Why an application's parameters are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("the validity must be between 1 and {max} days")]
    BadDays { max: u16 },
    #[error("unknown usage scenario")]
    UnknownScenario,
}

impl AnnotationPolicy {
    /// Whether a certificate must be annotated before it is viewed or
    /// downloaded: every certificate issued on or after the cut-over date,
    /// and earlier ones unless their body is exempt (industry associations
    /// and designated bodies).
    pub fn needs_annotation(&self, issue_date: Day, body_exempt_before_cutover: bool) -> bool {
        issue_date >= self.cutover || !body_exempt_before_cutover
    }

    /// Checks an application's scenario and validity length.
    pub fn check_application(
        &self,
        scenario: &str,
        days: i64,
    ) -> Result<Scenario, ApplicationError> {
        if days < 1 || days > i64::from(self.max_validity_days) {
            return Err(ApplicationError::BadDays {
                max: self.max_validity_days,
            });
        }
        self.scenarios
            .iter()
            .find(|s| s.code() == scenario)
            .cloned()
            .ok_or(ApplicationError::UnknownScenario)
    }

    /// The limit: counting back from `today` (inclusive), within
    /// `window_days` days a certificate may have at most `max_in_window`
    /// annotations. `applied_on` are the application days of the
    /// certificate's annotations that count (withdrawn ones do, failed ones
    /// don't). A refusal names the first day a new application is possible.
    pub fn check_limit(
        &self,
        applied_on: impl IntoIterator<Item = Day>,
        today: Day,
    ) -> Result<(), LimitReached> {
        let first_day = self.window_start(today);
        let mut inside: Vec<Day> = applied_on
            .into_iter()
            .filter(|d| *d >= first_day && *d <= today)
            .collect();
        let max = usize::from(self.max_in_window);
        if inside.len() < max {
            return Ok(());
        }
        inside.sort();
        // The day the oldest application that keeps us at the limit leaves
        // the window.
        let leaving = inside[inside.len() - max];
        Err(LimitReached {
            next_possible_on: leaving.saturating_add(i64::from(self.window_days).days()),
        })
    }

    /// First day of the window that ends on `today`.
    pub fn window_start(&self, today: Day) -> Day {
        today.saturating_sub((i64::from(self.window_days) - 1).days())
    }

    /// The last day (inclusive) of an annotation valid `days` days from
    /// `from`.
    pub fn valid_until(from: Day, days: u16) -> Day {
        from.saturating_add((i64::from(days) - 1).max(0).days())
    }
}

/// The life of an annotation as a holder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationState {
    /// 证书生成中…
    Generating,
    Ready,
    /// 加注件已过期: computed from the validity, never stored.
    Expired,
    Withdrawn,
    Failed,
}

impl AnnotationState {
    pub fn code(self) -> &'static str {
        match self {
            AnnotationState::Generating => "generating",
            AnnotationState::Ready => "ready",
            AnnotationState::Expired => "expired",
            AnnotationState::Withdrawn => "withdrawn",
            AnnotationState::Failed => "failed",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            Self::Generating,
            Self::Ready,
            Self::Expired,
            Self::Withdrawn,
            Self::Failed,
        ]
        .into_iter()
        .find(|st| st.code() == s)
    }

    /// The state on `today` of an annotation stored as `self`: a ready one
    /// whose last valid day has passed is expired.
    pub fn on(self, valid_until: Option<Day>, today: Day) -> Self {
        match (self, valid_until) {
            (AnnotationState::Ready, Some(until)) if today > until => AnnotationState::Expired,
            (s, _) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn limit_window_edges() {
        let p = AnnotationPolicy::default();
        let d0 = date(2024, 1, 1);
        let today = |n: i64| d0.saturating_add(n.days());
        // Three applications on the same day; a fourth 89 days later is refused,
        // 90 days later allowed.
        let three = [d0, d0, d0];
        assert_eq!(
            p.check_limit(three, today(89)),
            Err(LimitReached {
                next_possible_on: today(90)
            })
        );
        assert_eq!(p.check_limit(three, today(90)), Ok(()));
        assert_eq!(p.check_limit(three, today(91)), Ok(()));
        // Spread out: refusal names the day the oldest leaves the window.
        let spread = [d0, today(10), today(20)];
        assert_eq!(
            p.check_limit(spread, today(30)),
            Err(LimitReached {
                next_possible_on: today(90)
            })
        );
        assert_eq!(p.check_limit([d0, today(10)], today(30)), Ok(()));
        // Four inside (possible after a configuration change): the oldest two
        // must leave before a new one fits.
        let four = [d0, today(1), today(2), today(3)];
        assert_eq!(
            p.check_limit(four, today(4)),
            Err(LimitReached {
                next_possible_on: today(91)
            })
        );
    }

    #[test]
    fn validity_days() {
        let p = AnnotationPolicy::default();
        assert!(p.check_application("self_use", 0).is_err());
        assert!(p.check_application("self_use", 1).is_ok());
        assert!(p.check_application("self_use", 90).is_ok());
        assert_eq!(
            p.check_application("self_use", 91),
            Err(ApplicationError::BadDays { max: 90 })
        );
        assert_eq!(
            p.check_application("other", 30),
            Err(ApplicationError::UnknownScenario)
        );
        assert_eq!(
            AnnotationPolicy::valid_until(date(2024, 1, 1), 1),
            date(2024, 1, 1)
        );
        assert_eq!(
            AnnotationPolicy::valid_until(date(2024, 1, 1), 90),
            date(2024, 3, 30)
        );
    }

    #[test]
    fn cutover_and_exemption() {
        let p = AnnotationPolicy::default();
        let before = date(2021, 12, 16);
        let on = date(2021, 12, 17);
        assert!(!p.needs_annotation(before, true));
        assert!(p.needs_annotation(before, false));
        assert!(p.needs_annotation(on, true));
        assert!(p.needs_annotation(on, false));
    }

    #[test]
    fn ready_turns_expired_after_the_last_day() {
        let until = Some(date(2024, 3, 30));
        assert_eq!(
            AnnotationState::Ready.on(until, date(2024, 3, 30)),
            AnnotationState::Ready
        );
        assert_eq!(
            AnnotationState::Ready.on(until, date(2024, 3, 31)),
            AnnotationState::Expired
        );
        assert_eq!(
            AnnotationState::Withdrawn.on(until, date(2024, 4, 1)),
            AnnotationState::Withdrawn
        );
    }
}
