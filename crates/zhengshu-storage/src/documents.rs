//! The record of every signed document handed out (an annotated one when
//! its annotation is generated, a certificate's own when it is downloaded):
//! its 查验码, the SHA-256 of its bytes, its certificate and, for an
//! annotated one, its annotation. A code finds the document its QR code was
//! printed on; a hash finds the document a file is.

use jiff::Timestamp;
use zhengshu_domain::VerificationCode;

/// One issued document as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    /// The 查验码 printed on it (an annotated document's is its
    /// annotation's).
    pub code: VerificationCode,
    /// SHA-256 (hex, lower case) of the PDF handed out.
    pub sha256: String,
    pub certificate_id: i64,
    /// The annotation it carries; `None` for a certificate that needs none.
    pub annotation_id: Option<i64>,
    pub issued_at: Timestamp,
}
