//! The domain of zhengshu: the types and rules of professional-qualification
//! certificates, their holders, annotations (加注), issuing bodies and audit
//! events, with no I/O. Input becomes domain types at the edge through the
//! `parse` constructors (a value of [`IdNumber`] or [`HolderName`] is valid by
//! construction), and every rule that depends on the date takes it from an
//! injected [`Clock`] so it can be tested with a fixed one. Passwords are
//! hashed here too (argon2id), the only place that asks the system for
//! randomness. Storage and HTTP
//! build on this crate; it knows nothing of either.
#![forbid(unsafe_code)]

pub mod annotation;
pub mod applied;
pub mod audit;
pub mod certificate;
pub mod clock;
pub mod contact;
pub mod holder;
pub mod id;
pub mod identity;
pub mod name;
pub mod password;
pub mod reference;
pub mod scope;
pub mod staff;
pub mod text;
pub mod verification;

pub use annotation::{
    AnnotationPolicy, AnnotationState, Application, ApplicationError, LimitReached, Scenario,
    ValidityDays,
};
pub use applied::{Annotation, NewAnnotation};
pub use audit::{
    Actor, AuditContext, AuditEvent, AuditHead, ChainBreak, ChainCheck, ChainFields, NewAuditEvent,
    SubjectRef, chain_hash,
};
pub use certificate::{
    Certificate, CertificateNumber, CertificateStatus, NewCertificate, Revocation, Sex,
};
pub use clock::{Clock, FixedClock, SystemClock, china_tz, day_in_china};
pub use contact::{Contact, ContactError, Contacts, Email, Phone};
pub use holder::{Holder, TermsVersion, Username, UsernameError};
pub use id::{IdDocument, IdError, IdNumber, IdType, resident_check_digit};
pub use identity::{IdentityProof, OnRecord, Strength};
pub use name::{HolderName, NameError};
pub use password::{Password, PasswordError, verify_password};
pub use reference::{BodyCode, IssuingBody, QualificationCode, QualificationType};
pub use scope::{BodyScope, IssueYears, QualificationScope, Years, verification_scope};
pub use staff::{Role, Staff};
pub use text::spreadsheet_safe;
pub use verification::{Channel, MalformedCode, Outcome, Verdict, VerificationCode, names_match};

/// A calendar day (China Standard Time where it comes from a timestamp).
pub type Day = jiff::civil::Date;
