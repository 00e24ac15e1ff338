//! The e-certificate document (电子证书): this crate owns turning a
//! certificate, its optional annotation (加注) and the seal keys into a
//! signed one-page A4 PDF. It lays out the page (every field, the holder's
//! name in any CJK extension through per-character font fallback, photo,
//! annotation block, QR code), draws the electronic seals, and applies each
//! seal as a PAdES (`ETSI.CAdES.detached`) signature in its own incremental
//! update: the ministry's seal first for certificates issued since
//! 2021-12-17, then the issuing body's. It also owns the seal PKI: a
//! platform root CA and one seal certificate per seal, made here or
//! imported from PEM files. The checker of such files is `zhengshu-check`,
//! re-exported here as [`check`], with the root it trusts from
//! [`Pki::trust`].
//!
//! Rendering is deterministic: the same input, keys and signing time give
//! the same bytes (ECDSA signatures use RFC 6979 nonces).

#![forbid(unsafe_code)]

mod cms;
mod draw;
mod fonts;
#[cfg(feature = "test-support")]
pub mod independent;
mod input;
mod layout;
mod pdf;
mod pki;
mod renderer;
mod seal;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
pub use zhengshu_check as check;

pub use fonts::Fonts;
pub use input::{AnnotationBlock, DEFAULT_TITLE, DocumentInput, MINISTRY_SEAL_SINCE};
pub use pki::{MINISTRY_CODE, Pki, SealKey};
pub use renderer::{Issue, RenderSettings, Renderer};

/// The name this type had first; [`AnnotationBlock`] is the one type.
pub type Annotation = AnnotationBlock;
pub use seal::{BODY_SEAL_PURPOSE, MINISTRY_SEAL_NAME, SealFace};

/// Why a document could not be made, or keys could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A required font is not installed.
    #[error(
        "font not found: {wanted} (searched {searched}); install it with `apt-get install {package}`"
    )]
    FontMissing {
        /// Debian/Ubuntu package that provides it.
        package: &'static str,
        /// What was looked for.
        wanted: &'static str,
        /// Where it was looked for.
        searched: String,
    },
    /// A font file exists but cannot be used.
    #[error("font: {message}")]
    Font {
        /// What went wrong.
        message: String,
    },
    /// No installed font has this character.
    #[error(
        "no installed font has U+{code:04X} ({0}); install fonts-noto-cjk and fonts-hanazono",
        code = u32::from(*.0)
    )]
    UnsupportedCharacter(char),
    /// The document input cannot be rendered.
    #[error("invalid document input: {0}")]
    Input(String),
    /// The PDF writer failed.
    #[error("PDF: {0}")]
    Pdf(String),
    /// A seal key or certificate is missing for this code.
    #[error("no seal key for {0:?}; run `zhengshu keys init` or `zhengshu keys import`")]
    NoSealKey(String),
    /// Keys or certificates could not be made, read or written.
    #[error("keys: {0}")]
    Keys(String),
    /// A revoked certificate has no document.
    #[error("certificate {0} is revoked: it has no document")]
    Revoked(String),
    /// File system error on keys or photos.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How many renders a memoised font subset or stream survives unused.
const EVICT_AFTER_RENDERS: usize = 32;

/// Renders and seals one e-certificate.
///
/// Certificates with [`DocumentInput::needs_ministry_seal`] get the
/// ministry's signature first and the issuing body's second (covering the
/// first); others get the issuing body's only. `signing_time` is the time
/// recorded in each signature (`/M`) and in the document information.
pub fn render(
    input: &DocumentInput,
    fonts: &Fonts,
    pki: &Pki,
    signing_time: Timestamp,
) -> Result<Vec<u8>, DocumentError> {
    render_with(input, fonts, pki, signing_time, &RenderOptions::default())
}

/// How the PDF is written; the defaults suit production.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// Deflate content streams (default). Turning it off leaves page and
    /// seal drawing operators readable, for inspection and tamper tests.
    pub compress_content_streams: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            compress_content_streams: true,
        }
    }
}

/// [`render`] with explicit [`RenderOptions`].
pub fn render_with(
    input: &DocumentInput,
    fonts: &Fonts,
    pki: &Pki,
    signing_time: Timestamp,
    options: &RenderOptions,
) -> Result<Vec<u8>, DocumentError> {
    let body_key = pki.seal(&input.body_code)?;
    let ministry_key = if input.needs_ministry_seal {
        Some(pki.seal(MINISTRY_CODE)?)
    } else {
        None
    };
    let laid = layout::lay_out(input, fonts, signing_time, options)?;
    let mut pdf = laid.pdf;
    if let (Some(key), Some(rect)) = (ministry_key, laid.ministry_seal) {
        pdf = pdf::sign(
            &pdf,
            key,
            "ministry_seal",
            MINISTRY_SEAL_NAME,
            rect,
            signing_time,
        )?;
    }
    // Font subsets and streams krilla memoised for documents that were
    // not made in the last few renders are dropped: memory stays bounded.
    comemo::evict(EVICT_AFTER_RENDERS);
    let body_seal_name = format!("{}{}", input.issuing_body_name, BODY_SEAL_PURPOSE);
    pdf::sign(
        &pdf,
        body_key,
        "body_seal",
        &body_seal_name,
        laid.body_seal,
        signing_time,
    )
}

/// Renders the page without any signature (layout previews, tests).
pub fn render_unsigned(
    input: &DocumentInput,
    fonts: &Fonts,
    signing_time: Timestamp,
    options: &RenderOptions,
) -> Result<Vec<u8>, DocumentError> {
    Ok(layout::lay_out(input, fonts, signing_time, options)?.pdf)
}

/// China Standard Time has been UTC+8 all year since 1991.
pub(crate) fn china_time(t: Timestamp) -> DateTime {
    TimeZone::fixed(Offset::constant(8)).to_datetime(t)
}
