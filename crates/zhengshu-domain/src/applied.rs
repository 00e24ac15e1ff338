//! An annotation (加注) as the system keeps it: what the holder applied for,
//! where its generation stands, and the numbers printed on its document.
//! The stored state is one of generating, ready, withdrawn or failed;
//! "expired" is never stored but read off the validity with
//! [`Annotation::state_on`].

use jiff::Timestamp;

use crate::{AnnotationState, Day, Holder, Scenario, ValidityDays};

/// An application to store (the limit is checked by the store, atomically
/// with the insert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnotation {
    pub certificate_id: i64,
    pub holder_id: i64,
    /// 使用场景, one the policy offers.
    pub scenario: Scenario,
    /// Validity in days, within the policy's maximum.
    pub days: ValidityDays,
    /// 查验码: an unguessable code for the verification page and the QR
    /// code.
    pub verification_code: String,
    /// The day of the application in China Standard Time.
    pub applied_on: Day,
    pub applied_at: Timestamp,
}

/// A stored annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub id: i64,
    pub certificate_id: i64,
    pub holder_id: i64,
    pub scenario: String,
    pub days: u16,
    /// 加注编号, printed in the annotation block.
    pub number: String,
    pub verification_code: String,
    /// As stored: never [`AnnotationState::Expired`].
    pub stored_state: AnnotationState,
    pub applied_on: Day,
    pub applied_at: Timestamp,
    /// First and last day (inclusive) of 加注有效期, set when it became
    /// ready.
    pub valid_from: Option<Day>,
    pub valid_until: Option<Day>,
    pub ready_at: Option<Timestamp>,
    pub withdrawn_at: Option<Timestamp>,
}

impl Annotation {
    /// Whether `holder` applied for this annotation (and is still linked
    /// to the identity it applied with).
    pub fn belongs_to(&self, holder: &Holder) -> bool {
        self.holder_id == holder.id && holder.unlinked_at.is_none()
    }

    /// The state on `today`: a ready annotation past its last day is
    /// expired.
    pub fn state_on(&self, today: Day) -> AnnotationState {
        self.stored_state.on(self.valid_until, today)
    }

    /// The 加注编号 of the annotation stored under `id`, applied on
    /// `applied_on`: `JZ`, the day, and the id, so it is unique and sorts by
    /// day.
    pub fn number_for(id: i64, applied_on: Day) -> String {
        format!("JZ{}{id:08}", applied_on.strftime("%Y%m%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn number_is_day_and_padded_id() {
        assert_eq!(
            Annotation::number_for(42, date(2026, 11, 30)),
            "JZ2026113000000042"
        );
        assert_eq!(
            Annotation::number_for(123_456_789, date(2026, 1, 2)),
            "JZ20260102123456789"
        );
    }
}
