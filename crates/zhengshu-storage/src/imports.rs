//! What storage keeps of the imports an issuing body runs from the console
//! or with an import token: each upload (its file until the import ends,
//! its state, counts and refusals) and the body's import tokens (only a
//! hash of each). An upload and a token belong to one body; every read
//! here names the body, so that one body never reaches another's.

use jiff::Timestamp;
use zhengshu_domain::BodyCode;

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Being read and checked, nothing written.
    Checking,
    /// Checked: the counts and refusals are the preview; awaiting
    /// confirmation.
    Checked,
    /// Being imported.
    Importing,
    /// Imported (or, all-or-nothing with refusals, nothing imported): the
    /// counts are the outcome.
    Imported,
    /// The file as a whole was refused, or the import failed: `error`.
    Failed,
}

impl UploadState {
    pub fn code(self) -> &'static str {
        match self {
            UploadState::Checking => "checking",
            UploadState::Checked => "checked",
            UploadState::Importing => "importing",
            UploadState::Imported => "imported",
            UploadState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "checking" => UploadState::Checking,
            "checked" => UploadState::Checked,
            "importing" => UploadState::Importing,
            "imported" => UploadState::Imported,
            "failed" => UploadState::Failed,
            _ => return None,
        })
    }

    /// Whether work on the upload is still running.
    pub fn running(self) -> bool {
        matches!(self, UploadState::Checking | UploadState::Importing)
    }

    /// Whether nothing more will happen to the upload.
    pub fn finished(self) -> bool {
        matches!(self, UploadState::Imported | UploadState::Failed)
    }
}

/// The error of an upload whose check or import gave no sign of life for
/// a while: the process running it ended
/// ([`crate::Storage::sweep_uploads`]).
pub const UPLOAD_STOPPED: &str =
    "stopped: the process checking or importing it ended; upload the file again";
/// The error of a checked upload nobody confirmed in time; its file is
/// dropped ([`crate::Storage::sweep_uploads`]).
pub const UPLOAD_EXPIRED: &str = "expired: not confirmed in time; upload the file again";

/// An upload to store.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub body: BodyCode,
    /// The actor's label (a staff member or an import token).
    pub created_by: String,
    pub file_name: String,
    pub content: Vec<u8>,
    /// The state it starts in: `Checking` from the console, `Importing`
    /// from the API (which imports without a preview).
    pub state: UploadState,
    /// Keep the valid rows when some are refused.
    pub valid_only: bool,
}

/// The counts and refusals of a check or an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadCounts {
    pub rows: i64,
    pub refused: i64,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// The refusals as JSON: `[{"line", "column", "reason"}]`.
    pub rejections: String,
    /// Why the file as a whole was refused or the import failed.
    pub error: Option<String>,
}

/// A stored upload (without its file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: i64,
    pub body: BodyCode,
    pub created_by: String,
    pub file_name: String,
    pub state: UploadState,
    pub valid_only: bool,
    pub counts: UploadCounts,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// An import token to store.
#[derive(Debug, Clone)]
pub struct NewImportToken {
    pub body: BodyCode,
    pub label: String,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    pub created_by: String,
}

/// A stored import token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportToken {
    pub id: i64,
    pub body: BodyCode,
    pub label: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}
