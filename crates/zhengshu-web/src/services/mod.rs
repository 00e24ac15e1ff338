//! The service layer: what a holder can do, as plain Rust over
//! [`zhengshu_storage::Storage`] and the domain types, shared by the JSON
//! API (`api/`) and the pages (`pages/`), which turn requests into calls
//! here and the answers into JSON or HTML. Nothing here knows of HTTP
//! statuses, JSON bodies or templates: a refusal is an [`Error`] variant,
//! a refused input a [`FieldError`] naming a message code, and each side
//! renders them its own way.
//!
//! Which error type belongs where: storage answers with
//! [`zhengshu_storage::StorageError`]; services answer with [`Error`]; the
//! HTTP error of the floor above (`error::Error`) gives each its status
//! and code; `api/` renders that as JSON and `pages/` as an HTML page.

pub mod accounts;
pub mod annotations;
pub mod certificates;
pub mod corrections;
pub mod document_check;
pub mod federated;
pub mod files;
pub mod identity;
pub mod import_tokens;
pub mod imports;
pub mod operator;
pub mod rarechars;
pub mod recovery;
pub mod revocation;
pub mod scope;
pub mod sessions;
pub mod staff;
pub mod support;
pub mod terms;
pub mod throttle;
pub mod verification;

use zhengshu_storage::StorageError;

/// A refused field: which one, a stable code, and the values its message
/// names. The message itself is looked up as `field-<code>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str) -> Self {
        Self {
            field,
            code,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// Why a service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Absent, or somebody else's: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// The same for an unknown username and a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed log-ins; try again after this many seconds.
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    #[error("username taken")]
    UsernameTaken,
    /// The account has not proven the identity it registered with: it
    /// sees no certificate until it has.
    #[error("identity not proven")]
    IdentityNotProven,
    /// Another account holds this identity with an equal or stronger
    /// proof.
    #[error("identity held")]
    IdentityHeld,
    /// No recorded contact that a code can be sent to.
    #[error("no contact")]
    NoContact,
    /// The code could not be handed to the mail server or SMS gateway.
    #[error("code not sent")]
    CodeNotSent,
    /// A wrong code; this many tries remain on the live code, when known.
    #[error("code wrong")]
    CodeWrong { tries_left: Option<i32> },
    /// No live code: expired, used, superseded, tries spent, or never sent.
    #[error("code expired")]
    CodeExpired,
    /// The 管理号 is not that of a certificate of this identity without a
    /// recorded contact.
    #[error("management number wrong")]
    ManagementNumberWrong,
    /// A federated log-in that cannot be completed: the callback's state
    /// is not this browser's (forged, replayed, expired), the provider
    /// refused or the holder cancelled, the code or the ID token failed a
    /// check.
    #[error("federated log-in refused")]
    FederatedRefused,
    /// The identity provider could not be reached.
    #[error("federated provider unavailable")]
    FederatedUnavailable,
    /// The provider's verified claims carry no usable name or ID document.
    #[error("federated claims unusable")]
    FederatedClaims,
    /// The signed-in account registered another identity than the one the
    /// provider vouches for.
    #[error("federated identity mismatch")]
    FederatedMismatch,
    /// Refused input, one entry per field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A rare-character query that cannot be run.
    #[error("invalid query")]
    InvalidQuery(Vec<FieldError>),
    /// 3 annotations in 90 days: the next is possible on that day.
    #[error("annotation limit")]
    AnnotationLimit {
        next_possible_on: zhengshu_domain::Day,
    },
    /// The certificate's document needs an annotation.
    #[error("annotation required")]
    AnnotationRequired,
    /// The certificate needs no annotation: view or download it directly.
    #[error("annotation not needed")]
    AnnotationNotNeeded,
    /// Still being generated.
    #[error("annotation not ready")]
    AnnotationNotReady,
    /// Generation failed; apply again.
    #[error("annotation failed")]
    AnnotationFailed,
    /// Its validity has ended.
    #[error("annotation expired")]
    AnnotationExpired,
    #[error("annotation withdrawn")]
    AnnotationWithdrawn,
    /// Only a ready annotation can be withdrawn.
    #[error("annotation not withdrawable")]
    AnnotationNotWithdrawable,
    /// A revoked certificate has no document and takes no annotation.
    #[error("certificate revoked")]
    CertificateRevoked,
    /// Too many verifications from this address, or in all; try again
    /// after this many seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The database is busy (another writer held it past the busy
    /// timeout): try again shortly.
    #[error("database busy")]
    Busy,
    /// Anything else: logged by the renderer, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => Error::NotFound,
            StorageError::Busy => Error::Busy,
            StorageError::Conflict(zhengshu_storage::Conflict::IdentityHeld) => Error::IdentityHeld,
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Counts a refused log-in in the metrics, by why it was refused.
pub(crate) fn count_refusal<T>(account: &'static str, checked: &Result<T, Error>) {
    let reason = match checked {
        Err(Error::InvalidCredentials) => "credentials",
        Err(Error::Throttled { .. }) => "throttled",
        _ => return,
    };
    zhengshu_metrics::metrics().login_refused(account, reason);
}
