//! One-time codes in storage: what a code is for, the code to store (only
//! its keyed hash), and what checking one answers. The code itself, its
//! hash key and the limits are the caller's; storage makes each code
//! single-use and counts its tries however many checks arrive at once.

use jiff::Timestamp;

/// What a code proves or unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodePurpose {
    /// Proving the identity an account registered with.
    Identity,
    /// Setting a new password after forgetting it.
    Recovery,
}

impl CodePurpose {
    pub fn code(self) -> &'static str {
        match self {
            CodePurpose::Identity => "identity",
            CodePurpose::Recovery => "recovery",
        }
    }
}

/// A code to store. Storing it ends the holder's earlier live code of the
/// same purpose: only the newest one sent works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub holder_id: i64,
    pub purpose: CodePurpose,
    /// A keyed hash of the code; the code itself is never stored.
    pub hash: Vec<u8>,
    pub expires_at: Timestamp,
}

/// The answer to [`crate::Storage::use_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code matched and is used up.
    Accepted,
    /// It did not match; this many tries remain on the live code.
    Wrong { tries_left: i32 },
    /// No live code: none was sent, it expired, was used, superseded, or
    /// its tries are spent.
    NoLiveCode,
}
