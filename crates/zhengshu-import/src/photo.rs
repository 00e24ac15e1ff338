//! Certificate photos named by an import file: what is accepted, read once
//! through these checks by the row's validation and again when stored.
//!
//! A photo is a path relative to the import file's folder whose real path
//! (links resolved) stays inside that folder, names a regular file (never
//! a FIFO, device or folder, which could hang or feed the import
//! forever), holds at most [`MAX_BYTES`], and decodes completely as a JPEG
//! or PNG of at most [`MAX_SIDE`] pixels a side: a file with the right
//! magic bytes and a broken body is refused here rather than breaking
//! every document of its certificate later. The decoders are the ones the
//! document renderer's own image support brings (`zune-jpeg`, `png`).

use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

use crate::reason::Reason;

/// The largest photo file accepted.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
/// The largest width and height accepted, in pixels.
pub const MAX_SIDE: usize = 4096;

/// The real path of photo `rel` below `base` (the current folder when
/// `None`), a regular file inside it; else why not, for the row's report.
pub fn resolve(base: Option<&Path>, rel: &str) -> Result<PathBuf, Reason> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Reason::new(
            "photo_path",
            "a photo path is relative to the CSV file and stays below it",
        )
        .with("photo", rel));
    }
    let base = base.unwrap_or(Path::new("."));
    let folder = base
        .canonicalize()
        .map_err(|e| unreadable(rel, format!("the CSV file's folder: {e}")))?;
    let real = folder.join(p).canonicalize().map_err(|_| {
        Reason::new("photo_not_found", format!("photo file {rel:?} not found")).with("photo", rel)
    })?;
    if !real.starts_with(&folder) {
        return Err(Reason::new(
            "photo_outside",
            format!("photo {rel:?} leads outside the CSV file's folder (a link?)"),
        )
        .with("photo", rel));
    }
    let meta =
        std::fs::metadata(&real).map_err(|e| unreadable(rel, format!("photo {rel:?}: {e}")))?;
    if !meta.is_file() {
        return Err(not_regular(rel));
    }
    if meta.len() > MAX_BYTES {
        return Err(too_large(rel));
    }
    Ok(real)
}

fn unreadable(rel: &str, text: String) -> Reason {
    Reason::new("photo_unreadable", text).with("photo", rel)
}

fn not_regular(rel: &str) -> Reason {
    Reason::new(
        "photo_not_regular",
        format!("photo {rel:?} is not a regular file"),
    )
    .with("photo", rel)
}

fn too_large(rel: &str) -> Reason {
    Reason::new(
        "photo_too_large",
        format!("photo file {rel:?} is larger than 2 MiB"),
    )
    .with("photo", rel)
    .with("mib", MAX_BYTES >> 20)
}

/// The kind of an accepted photo, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
}

impl Kind {
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
        }
    }
}

/// Reads the photo at `real` (from [`resolve`]) and decodes it fully: its
/// bytes and kind, or why it is refused. `rel` names it in messages.
pub fn read(real: &Path, rel: &str) -> Result<(Vec<u8>, Kind), Reason> {
    let file =
        std::fs::File::open(real).map_err(|e| unreadable(rel, format!("photo {rel:?}: {e}")))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_regular(rel));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(rel, format!("photo {rel:?}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large(rel));
    }
    let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Png
    } else {
        return Err(Reason::new(
            "photo_not_image",
            format!("photo file {rel:?} is neither JPEG nor PNG"),
        )
        .with("photo", rel));
    };
    decode(&bytes, kind).map_err(|e| {
        Reason::new(
            "photo_undecodable",
            format!("photo {rel:?} does not decode as an image: {e}"),
        )
        .with("photo", rel)
    })?;
    Ok((bytes, kind))
}

fn decode(bytes: &[u8], kind: Kind) -> Result<(), String> {
    match kind {
        Kind::Jpeg => {
            let options = zune_core::options::DecoderOptions::default()
                .set_max_width(MAX_SIDE)
                .set_max_height(MAX_SIDE);
            let mut d = zune_jpeg::JpegDecoder::new_with_options(Cursor::new(bytes), options);
            d.decode().map(drop).map_err(|e| format!("{e:?}"))
        }
        Kind::Png => {
            let limits = png::Limits {
                bytes: MAX_SIDE * MAX_SIDE * 4,
            };
            let mut reader = png::Decoder::new_with_limits(Cursor::new(bytes), limits)
                .read_info()
                .map_err(|e| e.to_string())?;
            let info = reader.info();
            if info.width as usize > MAX_SIDE || info.height as usize > MAX_SIDE {
                return Err(format!("{}×{} pixels", info.width, info.height));
            }
            let size = reader
                .output_buffer_size()
                .ok_or_else(|| "too large".to_owned())?;
            let mut buf = vec![0; size];
            reader
                .next_frame(&mut buf)
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}
