//! The storage error: what a caller may act on (`NotFound`, `Conflict`,
//! `LimitReached`, `Busy`), and everything else as `Other`, to be logged and
//! answered opaquely.

/// Which uniqueness rule a write broke. Backends map their constraint names
/// onto these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    Username,
    IdDocument,
    CertificateNumber,
    AlreadyRevoked,
    TermsAccepted,
    /// The annotation is not in a state that allows this (e.g. withdrawing
    /// one that is not ready).
    AnnotationState,
    /// Another account holds this identity with an equal or stronger
    /// proof.
    IdentityHeld,
    /// A row with this key exists already.
    Exists,
    /// The row is no longer as the caller saw it: someone changed it
    /// meanwhile.
    Changed,
    Other(String),
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// An annotation application the limit refuses.
    #[error("annotation limit reached; next possible on {}", .0.next_possible_on)]
    LimitReached(zhengshu_domain::LimitReached),
    /// Stored data that does not decode (a bug or a tampered database).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The database stayed busy (locked by another writer, or no
    /// connection free) past its timeout: nothing was changed; the caller
    /// may try again shortly.
    #[error("database busy")]
    Busy,
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    pub fn corrupt(msg: impl Into<String>) -> Self {
        StorageError::Corrupt(msg.into())
    }

    pub fn other(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageError::Other(Box::new(e))
    }
}
