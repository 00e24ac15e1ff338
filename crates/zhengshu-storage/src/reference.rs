//! Changes to the reference data the platform operator manages — issuing
//! bodies, the qualification-type catalogue with its verification scope
//! settings, service-terms versions — each written with its audit event
//! in one transaction. An update names the row as the operator saw it, so
//! that a change made meanwhile by someone else is refused rather than
//! overwritten (and the event's `before` is what was really replaced).

use zhengshu_domain::{IssuingBody, QualificationType};

/// One change to the reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceChange {
    /// A new body; `Conflict::Exists` when its code is taken.
    AddBody(IssuingBody),
    /// The body `before.code` becomes `after`, only while it is still
    /// `before` (`Conflict::Changed` otherwise).
    UpdateBody {
        before: IssuingBody,
        after: IssuingBody,
    },
    /// A new qualification type; `Conflict::Exists` when its code is taken.
    AddType(QualificationType),
    /// The type `before.code` becomes `after`, only while it is still
    /// `before` (`Conflict::Changed` otherwise).
    UpdateType {
        before: QualificationType,
        after: QualificationType,
    },
    /// Terms version `version` with `text`: only when the newest version
    /// is `version - 1` (`Conflict::Changed` otherwise).
    PublishTerms { version: i32, text: String },
}
