//! An uploaded import: a CSV file, or a zip holding the CSV file and its
//! photos, laid out in a fresh private folder so that the importer and
//! its photo checks ([`crate::photo`]) apply as to a file on the server.
//!
//! A zip is hostile until proven otherwise: at most [`MAX_ENTRIES`]
//! entries and [`MAX_TOTAL`] bytes once decompressed (counted while
//! decompressing, never taken from the archive's own claims), the CSV at
//! most [`MAX_CSV`] and every other entry at most the photo limit; names
//! must be relative, stay inside the folder and be no links; only stored
//! and deflated entries, none encrypted; exactly one `.csv` file. Folders
//! a Mac adds (`__MACOSX/`) are skipped.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use zhengshu_storage::Storage;

use crate::{ImportError, ImportOptions, Report, import_path};

/// The most entries a zip may hold.
pub const MAX_ENTRIES: usize = 5_000;
/// The most bytes a zip's entries may hold in all, decompressed.
pub const MAX_TOTAL: u64 = 512 * 1024 * 1024;
/// The largest CSV file, inside a zip or alone.
pub const MAX_CSV: u64 = 64 * 1024 * 1024;
/// The longest entry name, in bytes, and the deepest folder nesting.
pub const MAX_NAME: usize = 255;
pub const MAX_DEPTH: usize = 8;

/// Why an upload cannot be laid out; each has a stable [`code`](Self::code)
/// for translated messages and the values it names.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the file is empty")]
    Empty,
    #[error("the zip file cannot be read: {0}")]
    BrokenZip(String),
    #[error("the zip file has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("the zip file holds more than {} MiB once decompressed", MAX_TOTAL >> 20)]
    TooLarge,
    #[error("zip entry {0:?} is larger than allowed")]
    EntryTooLarge(String),
    #[error("zip entry {0:?} has a name that leaves the folder or is too long")]
    BadName(String),
    #[error("zip entry {0:?} is a link")]
    Link(String),
    #[error("zip entry {0:?} is encrypted or compressed in an unsupported way")]
    Unsupported(String),
    #[error("zip entry {0:?} appears twice")]
    Duplicate(String),
    #[error("the zip file holds no .csv file")]
    NoCsv,
    #[error("the zip file holds more than one .csv file")]
    SeveralCsv,
    #[error("the CSV file is larger than {} MiB", MAX_CSV >> 20)]
    CsvTooLarge,
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl UnpackError {
    /// A stable code naming the reason.
    pub fn code(&self) -> &'static str {
        match self {
            UnpackError::Empty => "upload_empty",
            UnpackError::BrokenZip(_) => "zip_broken",
            UnpackError::TooManyEntries => "zip_too_many_entries",
            UnpackError::TooLarge => "zip_too_large",
            UnpackError::EntryTooLarge(_) => "zip_entry_too_large",
            UnpackError::BadName(_) => "zip_bad_name",
            UnpackError::Link(_) => "zip_link",
            UnpackError::Unsupported(_) => "zip_unsupported",
            UnpackError::Duplicate(_) => "zip_duplicate",
            UnpackError::NoCsv => "zip_no_csv",
            UnpackError::SeveralCsv => "zip_several_csv",
            UnpackError::CsvTooLarge => "upload_csv_too_large",
            UnpackError::Io(_) => "upload_io",
        }
    }

    /// The entry the reason is about, if any.
    pub fn entry(&self) -> Option<&str> {
        match self {
            UnpackError::EntryTooLarge(n)
            | UnpackError::BadName(n)
            | UnpackError::Link(n)
            | UnpackError::Unsupported(n)
            | UnpackError::Duplicate(n) => Some(n),
            _ => None,
        }
    }
}

/// Whether `bytes` look like a zip file.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Lays `bytes` (a CSV file or a zip) out in `dir`, which must be new and
/// empty; answers the CSV file's path.
pub fn unpack(bytes: &[u8], dir: &Path) -> Result<PathBuf, UnpackError> {
    if bytes.is_empty() {
        return Err(UnpackError::Empty);
    }
    if !is_zip(bytes) {
        if bytes.len() as u64 > MAX_CSV {
            return Err(UnpackError::CsvTooLarge);
        }
        let path = dir.join("upload.csv");
        write_new(&path, &mut &bytes[..], MAX_CSV)
            .map_err(|e| e.unwrap_or(UnpackError::CsvTooLarge))?;
        return Ok(path);
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| UnpackError::BrokenZip(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(UnpackError::TooManyEntries);
    }
    let mut total = 0u64;
    let mut csv: Option<PathBuf> = None;
    for i in 0..zip.len() {
        let listed: String = match zip.name_for_index(i) {
            Some(Ok(n)) => n.chars().take(100).collect(),
            _ => "?".to_owned(),
        };
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(_)) => {
                return Err(UnpackError::Unsupported(listed));
            }
            Err(e) => return Err(UnpackError::BrokenZip(e.to_string())),
        };
        let name = entry
            .name()
            .map_err(|_| UnpackError::BadName(String::from_utf8_lossy(entry.name_raw()).into()))?
            .into_owned();
        let shown: String = name.chars().take(100).collect();
        if name.starts_with("__MACOSX/") {
            continue;
        }
        if entry.is_symlink() {
            return Err(UnpackError::Link(shown));
        }
        if entry.encrypted() {
            return Err(UnpackError::Unsupported(shown));
        }
        let rel = safe_name(&name).ok_or_else(|| UnpackError::BadName(shown.clone()))?;
        let path = dir.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        let is_csv = rel
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let limit = if is_csv {
            MAX_CSV
        } else {
            crate::photo::MAX_BYTES
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let written = write_new(&path, &mut entry, limit).map_err(|e| match e {
            Some(UnpackError::Io(io)) if io.kind() == std::io::ErrorKind::AlreadyExists => {
                UnpackError::Duplicate(shown.clone())
            }
            Some(other) => other,
            None => UnpackError::EntryTooLarge(shown.clone()),
        })?;
        total += written;
        if total > MAX_TOTAL {
            return Err(UnpackError::TooLarge);
        }
        if is_csv {
            if csv.is_some() {
                return Err(UnpackError::SeveralCsv);
            }
            csv = Some(path);
        }
    }
    csv.ok_or(UnpackError::NoCsv)
}

/// `name` as a relative path inside the folder, if it is one: no root, no
/// `..`, no drive or backslash, not too long or deep.
fn safe_name(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name.len() > MAX_NAME || name.contains('\\') || name.contains('\0') {
        return None;
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let depth = out.components().count();
    (depth > 0 && depth <= MAX_DEPTH).then_some(out)
}

/// Copies at most `limit` bytes of `from` into the new file `path`
/// (private, never an existing file or a link); answers the bytes written,
/// `Err(None)` when there were more.
fn write_new(path: &Path, from: &mut dyn Read, limit: u64) -> Result<u64, Option<UnpackError>> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| Some(UnpackError::Io(e)))?;
    let written = std::io::copy(&mut from.take(limit + 1), &mut file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Some(UnpackError::BrokenZip(e.to_string()))
        } else {
            Some(UnpackError::Io(e))
        }
    })?;
    if written > limit {
        return Err(None);
    }
    file.flush().map_err(|e| Some(UnpackError::Io(e)))?;
    Ok(written)
}

/// Why an uploaded import did not run to a report.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// Imports an upload (a CSV file, or a zip of it and its photos) as
/// [`import_path`] imports a file: laid out in a fresh private temporary
/// folder, removed afterwards whatever happens.
pub async fn import_upload(
    storage: &dyn Storage,
    bytes: Vec<u8>,
    options: &ImportOptions,
    progress: impl FnMut(u64) + Send,
) -> Result<Report, UploadError> {
    let (dir, csv) = tokio::task::spawn_blocking(move || lay_out(&bytes))
        .await
        .map_err(|e| UnpackError::Io(std::io::Error::other(e)))??;
    let report = import_path(storage, &csv, options, progress).await?;
    drop(dir);
    Ok(report)
}

/// Lays `bytes` out in a fresh private temporary folder (removed when the
/// answer's handle is dropped); answers it and the CSV file's path.
pub fn lay_out(bytes: &[u8]) -> Result<(tempfile::TempDir, PathBuf), UnpackError> {
    let dir = tempfile::Builder::new()
        .prefix("zhengshu-upload-")
        .tempdir()?;
    let csv = unpack(bytes, dir.path())?;
    Ok((dir, csv))
}
