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
            scenarios: vec![Scenario::SelfUse],
        }
    }
}

/// 使用场景: what a holder states the annotated copy is for. Each
/// scenario has a stable code (configuration, API, stored rows), a label in
/// the translations (`scenario-<code>`) and one printed on the document;
/// adding a use means adding a variant here and its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// `self_use`: 本人调用.
    SelfUse,
}

impl Scenario {
    /// Every scenario there is.
    pub const ALL: [Scenario; 1] = [Scenario::SelfUse];

    pub fn code(self) -> &'static str {
        match self {
            Scenario::SelfUse => "self_use",
        }
    }

    /// The scenario of `code`, if there is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The scenario as printed on the (Chinese) document.
    pub fn document_label(self) -> &'static str {
        match self {
            Scenario::SelfUse => "本人调用",
        }
    }
}

/// 加注有效期 in days: from 1 to the configured maximum, by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ValidityDays(u16);

impl ValidityDays {
    /// `days` if it is from 1 to `max`.
    pub fn parse(days: i64, max: u16) -> Result<Self, ApplicationError> {
        match u16::try_from(days) {
            Ok(d) if (1..=max).contains(&d) => Ok(Self(d)),
            _ => Err(ApplicationError::BadDays { max }),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// An application's parameters, parsed: an offered scenario and a validity
/// within the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Application {
    pub scenario: Scenario,
    pub days: ValidityDays,
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

    /// Parses an application's scenario code and validity length (the
    /// validity is reported first when both are refused).
    pub fn check_application(
        &self,
        scenario: &str,
        days: i64,
    ) -> Result<Application, ApplicationError> {
        let days = self.validity_days(days)?;
        let scenario = self.scenario(scenario)?;
        Ok(Application { scenario, days })
    }

    /// `days` as a validity under this policy's maximum.
    pub fn validity_days(&self, days: i64) -> Result<ValidityDays, ApplicationError> {
        ValidityDays::parse(days, self.max_validity_days)
    }

    /// The offered scenario of `code`.
    pub fn scenario(&self, code: &str) -> Result<Scenario, ApplicationError> {
        Scenario::from_code(code)
            .filter(|s| self.scenarios.contains(s))
            .ok_or(ApplicationError::UnknownScenario)
    }

    /// The limit: counting back from `today` (inclusive), within
    /// `window_days` days a certificate may have at most `max_in_window`
    /// annotations. `applications` are the application day and state of
    /// the certificate's annotations (any, or only those inside the window);
    /// which of them count is [`AnnotationState::counts_toward_limit`]. A
    /// refusal names the first day a new application is possible.
    pub fn check_limit(
        &self,
        applications: impl IntoIterator<Item = (Day, AnnotationState)>,
        today: Day,
    ) -> Result<(), LimitReached> {
        let first_day = self.window_start(today);
        let mut inside: Vec<Day> = applications
            .into_iter()
            .filter(|(d, state)| state.counts_toward_limit() && *d >= first_day && *d <= today)
            .map(|(d, _)| d)
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

    /// Whether an annotation in this state counts against the limit of
    /// annotations in a window: every one the holder obtained or is about
    /// to obtain does — generating, ready, expired, and withdrawn (ending
    /// one early does not give the holder another) — but a failed one does
    /// not, since the holder never got a document.
    pub fn counts_toward_limit(self) -> bool {
        !matches!(self, AnnotationState::Failed)
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
    use crate::clock::{Clock, FixedClock, china_tz};
    use jiff::{Timestamp, civil::date};

    /// A fixed clock at `hh:mm` local time in Asia/Shanghai on `day`.
    fn clock_at(day: Day, hour: i8, minute: i8) -> FixedClock {
        let at = day
            .at(hour, minute, 0, 0)
            .to_zoned(china_tz())
            .expect("a valid time in Asia/Shanghai")
            .timestamp();
        FixedClock::new(at)
    }

    fn utc(s: &str) -> Timestamp {
        s.parse().expect("a valid RFC 3339 timestamp")
    }

    fn plus(d: Day, n: i64) -> Day {
        d.saturating_add(n.days())
    }

    fn policy(window_days: u16, max_in_window: u16) -> AnnotationPolicy {
        AnnotationPolicy {
            window_days,
            max_in_window,
            ..AnnotationPolicy::default()
        }
    }

    #[test]
    fn limit_window_edges() {
        let d = date(2024, 1, 1);
        let default = AnnotationPolicy::default();
        let configured = policy(30, 1);
        /// A new application on day `new_on` (offset from D) after earlier
        /// ones on days `earlier` (offsets from D); `refused_until`: `None`
        /// if allowed, `Some(n)` if refused with `next_possible_on` = D + n.
        struct Row<'a> {
            desc: &'a str,
            policy: &'a AnnotationPolicy,
            earlier: &'a [i64],
            new_on: i64,
            refused_until: Option<i64>,
        }
        let rows = [
            Row {
                desc: "default 3/90: three on D, new one 89 days later is refused until D+90",
                policy: &default,
                earlier: &[0, 0, 0],
                new_on: 89,
                refused_until: Some(90),
            },
            Row {
                desc: "default 3/90: three on D, new one 90 days later is allowed",
                policy: &default,
                earlier: &[0, 0, 0],
                new_on: 90,
                refused_until: None,
            },
            Row {
                desc: "default 3/90: three on D, new one 91 days later is allowed",
                policy: &default,
                earlier: &[0, 0, 0],
                new_on: 91,
                refused_until: None,
            },
            Row {
                desc: "default 3/90: two on D, a third on D+89 fits",
                policy: &default,
                earlier: &[0, 0],
                new_on: 89,
                refused_until: None,
            },
            Row {
                desc: "default 3/90: no earlier application",
                policy: &default,
                earlier: &[],
                new_on: 0,
                refused_until: None,
            },
            Row {
                desc: "default 3/90: three on the same day as the new one",
                policy: &default,
                earlier: &[0, 0, 0],
                new_on: 0,
                refused_until: Some(90),
            },
            Row {
                desc: "default 3/90: spread out, refusal names the day the oldest leaves",
                policy: &default,
                earlier: &[0, 10, 20],
                new_on: 30,
                refused_until: Some(90),
            },
            Row {
                desc: "default 3/90: two spread out, a third fits",
                policy: &default,
                earlier: &[0, 10],
                new_on: 30,
                refused_until: None,
            },
            Row {
                desc: "default 3/90: oldest of four already outside, the other three refuse until D+100",
                policy: &default,
                earlier: &[0, 10, 20, 30],
                new_on: 90,
                refused_until: Some(100),
            },
            Row {
                desc: "default 3/90: four inside (after a configuration change), the oldest two must leave",
                policy: &default,
                earlier: &[0, 1, 2, 3],
                new_on: 4,
                refused_until: Some(91),
            },
            Row {
                desc: "default 3/90: applications after the new day are not counted",
                policy: &default,
                earlier: &[5, 5, 5],
                new_on: 4,
                refused_until: None,
            },
            Row {
                desc: "configured 1/30: one on D, new one 29 days later is refused until D+30",
                policy: &configured,
                earlier: &[0],
                new_on: 29,
                refused_until: Some(30),
            },
            Row {
                desc: "configured 1/30: one on D, new one 30 days later is allowed",
                policy: &configured,
                earlier: &[0],
                new_on: 30,
                refused_until: None,
            },
            Row {
                desc: "configured 1/30: one on D, new one 31 days later is allowed",
                policy: &configured,
                earlier: &[0],
                new_on: 31,
                refused_until: None,
            },
            Row {
                desc: "configured 1/30: one on D, new one 89 days later is allowed (not the default 90)",
                policy: &configured,
                earlier: &[0],
                new_on: 89,
                refused_until: None,
            },
        ];
        for Row {
            desc,
            policy: p,
            earlier,
            new_on,
            refused_until,
        } in rows
        {
            // "Today" comes from a fixed clock at noon in Asia/Shanghai.
            let clock = clock_at(plus(d, new_on), 12, 0);
            let today = clock.today();
            assert_eq!(today, plus(d, new_on), "{desc}: clock day");
            let applied: Vec<(Day, AnnotationState)> = earlier
                .iter()
                .map(|&n| (plus(d, n), AnnotationState::Ready))
                .collect();
            let expected = match refused_until {
                None => Ok(()),
                Some(n) => Err(LimitReached {
                    next_possible_on: plus(d, n),
                }),
            };
            assert_eq!(p.check_limit(applied, today), expected, "{desc}");
        }
    }

    #[test]
    fn which_annotations_count_against_the_limit() {
        use AnnotationState::{Expired, Failed, Generating, Ready, Withdrawn};
        let p = AnnotationPolicy::default();
        let d = date(2024, 1, 1);
        let today = plus(d, 10);
        // (description, states of three earlier applications on D, D+1, D+2,
        // expected: Ok or the first possible day)
        let refused = Err(LimitReached {
            next_possible_on: plus(d, 90),
        });
        let rows: &[(&str, [AnnotationState; 3], Result<(), LimitReached>)] = &[
            ("three ready count", [Ready, Ready, Ready], refused),
            ("withdrawn counts", [Withdrawn, Ready, Ready], refused),
            ("expired counts", [Expired, Ready, Ready], refused),
            (
                "one being generated counts",
                [Ready, Ready, Generating],
                refused,
            ),
            ("failed does not count", [Failed, Ready, Ready], Ok(())),
            (
                "only failed ones: nothing counts",
                [Failed, Failed, Failed],
                Ok(()),
            ),
            (
                "withdrawn, expired and generating together count",
                [Withdrawn, Expired, Generating],
                refused,
            ),
        ];
        for (desc, states, expected) in rows {
            let applications = states
                .iter()
                .enumerate()
                .map(|(i, st)| (plus(d, i as i64), *st));
            assert_eq!(&p.check_limit(applications, today), expected, "{desc}");
        }
        // A failed one does not push the next possible day either: with
        // D failed and D+1..D+3 ready, the window frees up when D+1 leaves.
        let applications = [
            (d, Failed),
            (plus(d, 1), Ready),
            (plus(d, 2), Ready),
            (plus(d, 3), Ready),
        ];
        assert_eq!(
            p.check_limit(applications, today),
            Err(LimitReached {
                next_possible_on: plus(d, 91),
            }),
            "a failed annotation is not the one that leaves the window"
        );
    }

    #[test]
    fn window_start_follows_configuration() {
        let today = date(2024, 3, 31);
        // (description, window_days, expected first day of the window)
        let rows = [
            ("default 90-day window", 90, date(2024, 1, 2)),
            ("configured 30-day window", 30, date(2024, 3, 2)),
            ("1-day window is today only", 1, today),
        ];
        for (desc, window, expected) in rows {
            assert_eq!(policy(window, 3).window_start(today), expected, "{desc}");
        }
    }

    #[test]
    fn validity_days() {
        let p = AnnotationPolicy::default();
        let from = date(2024, 1, 1);
        // (description, scenario, days, expected: Ok(last valid day) or the error)
        let rows: &[(&str, &str, i64, Result<Day, ApplicationError>)] = &[
            (
                "0 days is refused",
                "self_use",
                0,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "negative days are refused",
                "self_use",
                -1,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "1 day: valid on the day it starts only",
                "self_use",
                1,
                Ok(from),
            ),
            (
                "90 days: last valid day is from + 89",
                "self_use",
                90,
                Ok(plus(from, 89)),
            ),
            (
                "91 days is refused",
                "self_use",
                91,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "unknown scenario is refused",
                "other",
                30,
                Err(ApplicationError::UnknownScenario),
            ),
            (
                "bad days are reported before an unknown scenario",
                "other",
                0,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
        ];
        for (desc, scenario, days, expected) in rows {
            let got = p.check_application(scenario, *days).map(|app| {
                assert_eq!(app.scenario.code(), *scenario, "{desc}: scenario");
                let days = u16::try_from(*days).expect("accepted days fit in u16");
                assert_eq!(app.days.get(), days, "{desc}: days");
                AnnotationPolicy::valid_until(from, days)
            });
            assert_eq!(&got, expected, "{desc}");
        }
        // The 90-day example in calendar terms (2024 is a leap year).
        assert_eq!(
            AnnotationPolicy::valid_until(date(2024, 1, 1), 90),
            date(2024, 3, 30)
        );
    }

    #[test]
    fn validity_follows_configuration() {
        let p = AnnotationPolicy {
            max_validity_days: 30,
            scenarios: vec![Scenario::SelfUse],
            ..AnnotationPolicy::default()
        };
        // (description, scenario, days, accepted)
        let rows = [
            ("configured max 30: 30 days accepted", "self_use", 30, true),
            ("configured max 30: 31 days refused", "self_use", 31, false),
            ("configured scenario accepted", "self_use", 1, true),
        ];
        for (desc, scenario, days, accepted) in rows {
            let got = p.check_application(scenario, days);
            assert_eq!(got.is_ok(), accepted, "{desc}: {got:?}");
            if !accepted {
                assert_eq!(got, Err(ApplicationError::BadDays { max: 30 }), "{desc}");
            }
        }
    }

    #[test]
    fn validity_days_are_parsed_against_the_maximum() {
        // (description, days, configured maximum, expected)
        let rows: &[(&str, i64, u16, Result<u16, ApplicationError>)] = &[
            ("1 day is the least", 1, 90, Ok(1)),
            ("the maximum itself", 90, 90, Ok(90)),
            ("0 days", 0, 90, Err(ApplicationError::BadDays { max: 90 })),
            (
                "negative",
                -3,
                90,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "one past the maximum",
                91,
                90,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "past a configured 30",
                31,
                30,
                Err(ApplicationError::BadDays { max: 30 }),
            ),
            (
                "beyond u16",
                70_000,
                90,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
            (
                "beyond i32",
                i64::MAX,
                90,
                Err(ApplicationError::BadDays { max: 90 }),
            ),
        ];
        for (desc, days, max, expected) in rows {
            let got = ValidityDays::parse(*days, *max).map(ValidityDays::get);
            assert_eq!(&got, expected, "{desc}");
        }
        let p = AnnotationPolicy::default();
        assert_eq!(p.validity_days(90).map(ValidityDays::get), Ok(90));
    }

    #[test]
    fn scenarios_by_code() {
        let none_offered = AnnotationPolicy {
            scenarios: Vec::new(),
            ..AnnotationPolicy::default()
        };
        let default = AnnotationPolicy::default();
        // (description, policy, code, expected)
        let rows = [
            (
                "self_use is offered by default",
                &default,
                "self_use",
                Ok(Scenario::SelfUse),
            ),
            (
                "unknown code",
                &default,
                "lend_out",
                Err(ApplicationError::UnknownScenario),
            ),
            (
                "codes are exact",
                &default,
                "Self_Use",
                Err(ApplicationError::UnknownScenario),
            ),
            (
                "empty code",
                &default,
                "",
                Err(ApplicationError::UnknownScenario),
            ),
            (
                "known but not offered",
                &none_offered,
                "self_use",
                Err(ApplicationError::UnknownScenario),
            ),
        ];
        for (desc, p, code, expected) in rows {
            assert_eq!(p.scenario(code), expected, "{desc}");
        }
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_code(s.code()), Some(s), "{s:?}");
        }
        assert_eq!(Scenario::SelfUse.document_label(), "本人调用");
        // The configuration names scenarios by their codes.
        let configured: Vec<Scenario> = serde_json::from_str(r#"["self_use"]"#).unwrap();
        assert_eq!(configured, [Scenario::SelfUse]);
    }

    #[test]
    fn cutover_and_exemption() {
        let default = AnnotationPolicy::default();
        let configured = AnnotationPolicy {
            cutover: date(2023, 6, 1),
            ..AnnotationPolicy::default()
        };
        // (description, policy, issue date, body exempt before the cut-over, needs annotation)
        let rows = [
            (
                "default: day before cut-over, exempt body",
                &default,
                date(2021, 12, 16),
                true,
                false,
            ),
            (
                "default: day before cut-over, non-exempt body",
                &default,
                date(2021, 12, 16),
                false,
                true,
            ),
            (
                "default: cut-over day, exempt body",
                &default,
                date(2021, 12, 17),
                true,
                true,
            ),
            (
                "default: cut-over day, non-exempt body",
                &default,
                date(2021, 12, 17),
                false,
                true,
            ),
            (
                "configured 2023-06-01: day before, exempt body",
                &configured,
                date(2023, 5, 31),
                true,
                false,
            ),
            (
                "configured 2023-06-01: 2021-12-17 is now before the cut-over, exempt body",
                &configured,
                date(2021, 12, 17),
                true,
                false,
            ),
            (
                "configured 2023-06-01: day before, non-exempt body",
                &configured,
                date(2023, 5, 31),
                false,
                true,
            ),
            (
                "configured 2023-06-01: cut-over day, exempt body",
                &configured,
                date(2023, 6, 1),
                true,
                true,
            ),
        ];
        for (desc, p, issued, exempt, expected) in rows {
            assert_eq!(p.needs_annotation(issued, exempt), expected, "{desc}");
        }
    }

    #[test]
    fn states_on_a_day() {
        let until = Some(date(2024, 3, 30));
        // (description, stored state, valid until, today, expected state)
        let rows = [
            (
                "ready on its last valid day",
                AnnotationState::Ready,
                until,
                date(2024, 3, 30),
                AnnotationState::Ready,
            ),
            (
                "ready the day after its last valid day is expired",
                AnnotationState::Ready,
                until,
                date(2024, 3, 31),
                AnnotationState::Expired,
            ),
            (
                "ready without a validity never expires",
                AnnotationState::Ready,
                None,
                date(2099, 1, 1),
                AnnotationState::Ready,
            ),
            (
                "withdrawn stays withdrawn after the validity",
                AnnotationState::Withdrawn,
                until,
                date(2024, 4, 1),
                AnnotationState::Withdrawn,
            ),
            (
                "failed stays failed after the validity",
                AnnotationState::Failed,
                until,
                date(2024, 4, 1),
                AnnotationState::Failed,
            ),
            (
                "generating stays generating after the validity",
                AnnotationState::Generating,
                until,
                date(2024, 4, 1),
                AnnotationState::Generating,
            ),
        ];
        for (desc, stored, until, today, expected) in rows {
            assert_eq!(stored.on(until, today), expected, "{desc}");
        }
    }

    #[test]
    fn state_codes_round_trip() {
        for st in [
            AnnotationState::Generating,
            AnnotationState::Ready,
            AnnotationState::Expired,
            AnnotationState::Withdrawn,
            AnnotationState::Failed,
        ] {
            assert_eq!(AnnotationState::from_code(st.code()), Some(st), "{st:?}");
        }
        assert_eq!(AnnotationState::from_code("unknown"), None);
    }

    /// The rules count calendar days in Asia/Shanghai: 15:59 UTC on 03-31 is
    /// still 03-31 (23:59 local), 16:01 UTC is already 04-01 (00:01 local).
    #[test]
    fn day_boundaries_in_shanghai() {
        let p = AnnotationPolicy::default();
        let last_day = date(2024, 3, 31);
        // Applied on 2024-01-02 for 90 days: 01-02 + 89 = 03-31 (leap year).
        let from = date(2024, 1, 2);
        let until = AnnotationPolicy::valid_until(from, 90);
        assert_eq!(until, last_day);
        // Three applications on 2024-01-02; 03-31 is D+89, 04-01 is D+90.
        let three = [from, from, from];
        let refused = Err(LimitReached {
            next_possible_on: date(2024, 4, 1),
        });
        // (description, UTC instant, expected today in Shanghai,
        //  expected state of the annotation, expected limit decision)
        let rows = [
            (
                "23:59 local on 03-31 (15:59 UTC): last valid day, limit still reached",
                "2024-03-31T15:59:00Z",
                last_day,
                AnnotationState::Ready,
                refused,
            ),
            (
                "00:01 local on 04-01 (16:01 UTC, still 03-31 in UTC): expired, limit lifted",
                "2024-03-31T16:01:00Z",
                date(2024, 4, 1),
                AnnotationState::Expired,
                Ok(()),
            ),
            (
                "00:00 local on 03-31 (16:00 UTC the day before): first minute of the last day",
                "2024-03-30T16:00:00Z",
                last_day,
                AnnotationState::Ready,
                refused,
            ),
            (
                "00:00 local on 04-01 (16:00 UTC on 03-31): the new day starts exactly then",
                "2024-03-31T16:00:00Z",
                date(2024, 4, 1),
                AnnotationState::Expired,
                Ok(()),
            ),
        ];
        for (desc, at, today, state, limit) in rows {
            let clock = FixedClock::new(utc(at));
            assert_eq!(clock.today(), today, "{desc}: today");
            assert_eq!(
                AnnotationState::Ready.on(Some(until), clock.today()),
                state,
                "{desc}: state"
            );
            assert_eq!(
                p.check_limit(three.map(|d| (d, AnnotationState::Ready)), clock.today()),
                limit,
                "{desc}: limit"
            );
        }

        // The same clock moved across local midnight by two minutes.
        let clock = clock_at(last_day, 23, 59);
        assert_eq!(clock.now(), utc("2024-03-31T15:59:00Z"));
        assert_eq!(clock.today(), last_day);
        assert_eq!(
            p.check_limit(three.map(|d| (d, AnnotationState::Ready)), clock.today()),
            refused
        );
        clock.advance(jiff::SignedDuration::from_mins(2));
        assert_eq!(clock.now(), utc("2024-03-31T16:01:00Z"));
        assert_eq!(clock.today(), date(2024, 4, 1));
        assert_eq!(
            AnnotationState::Ready.on(Some(until), clock.today()),
            AnnotationState::Expired
        );
        assert_eq!(
            p.check_limit(three.map(|d| (d, AnnotationState::Ready)), clock.today()),
            Ok(())
        );
    }
}
