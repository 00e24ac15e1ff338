//! Certificate electronic files (证书电子文件): a body's officers and
//! admins attach PDF, JPEG or PNG files of at most [`MAX_FILE`] to the
//! body's certificates, each with a title. The type is judged by content,
//! never by the name or the declared type: a PDF must read as one (its
//! cross-references and catalog), an image must decode in full within
//! bounded dimensions. Contents are stored once under their SHA-256.
//! Officers retire a file with a reason (it is kept, no longer shown).
//! The holder of the certificate views or downloads its files without an
//! annotation (none of a revoked certificate); every view and download
//! is audited.

use std::io::Cursor;

use zhengshu_domain::{Actor, Certificate, Holder, NewAuditEvent, Role, Staff};
use zhengshu_storage::{CertificateFile, Conflict, NewFile, StorageError};

use super::staff::event;
use super::{Error, FieldError, certificates, revocation};
use crate::state::AppState;

/// The largest file accepted: 10 MiB.
pub const MAX_FILE: usize = 10 * 1024 * 1024;
/// The longest title, in characters.
pub const TITLE_CHARS: usize = 100;
/// The widest and tallest image accepted, in pixels.
const MAX_SIDE: usize = 10_000;

/// What a file is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Jpeg,
    Png,
}

impl Kind {
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
        }
    }

    pub fn of_media_type(media_type: &str) -> Option<Self> {
        [Kind::Pdf, Kind::Jpeg, Kind::Png]
            .into_iter()
            .find(|k| k.media_type() == media_type)
    }
}

/// The kind of `bytes`, or the field's refusal: not one of the three
/// types (`file_type`), or claiming one but not reading as it
/// (`file_unreadable`).
pub fn kind_of(bytes: &[u8]) -> Result<Kind, FieldError> {
    let kind = if bytes.starts_with(b"%PDF-") {
        Kind::Pdf
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Png
    } else {
        return Err(FieldError::new("file", "file_type"));
    };
    let readable = match kind {
        Kind::Pdf => zhengshu_document::check::pdf_parses(bytes),
        Kind::Jpeg => {
            let options = zune_core::options::DecoderOptions::default()
                .set_max_width(MAX_SIDE)
                .set_max_height(MAX_SIDE);
            zune_jpeg::JpegDecoder::new_with_options(Cursor::new(bytes), options)
                .decode()
                .is_ok()
        }
        Kind::Png => png_decodes(bytes),
    };
    if readable {
        Ok(kind)
    } else {
        Err(FieldError::new("file", "file_unreadable"))
    }
}

fn png_decodes(bytes: &[u8]) -> bool {
    let limits = png::Limits {
        bytes: MAX_SIDE * MAX_SIDE * 4,
    };
    let Ok(mut reader) = png::Decoder::new_with_limits(Cursor::new(bytes), limits).read_info()
    else {
        return false;
    };
    let info = reader.info();
    if info.width as usize > MAX_SIDE || info.height as usize > MAX_SIDE {
        return false;
    }
    let Some(size) = reader.output_buffer_size() else {
        return false;
    };
    let mut buf = vec![0; size];
    reader.next_frame(&mut buf).is_ok()
}

/// Whether `me` attaches and retires the body's files: its officers and
/// admins.
pub fn manages(me: &Staff) -> bool {
    matches!(me.role, Role::Officer | Role::Admin) && me.body.is_some()
}

fn sha256_hex(bytes: &[u8]) -> String {
    zhengshu_storage::annotations::sha256_hex(bytes)
}

/// Attaches `content` titled `title` to certificate `id` of `me`'s body;
/// answers the file's id. Every refusal of the form at once.
pub async fn attach(
    state: &AppState,
    me: &Staff,
    id: i64,
    title: &str,
    content: Option<&[u8]>,
    address: &str,
) -> Result<i64, Error> {
    if !manages(me) {
        return Err(Error::NotFound);
    }
    let c = revocation::certificate(state, me, id).await?;
    let mut errors = Vec::new();
    let title = title.trim();
    let chars = title.chars().count();
    if chars == 0 || chars > TITLE_CHARS {
        errors.push(FieldError::new("title", "file_title").with("max", TITLE_CHARS));
    }
    let kind = match content {
        None | Some([]) => {
            errors.push(FieldError::new("file", "file_missing"));
            None
        }
        Some(bytes) if bytes.len() > MAX_FILE => {
            errors.push(FieldError::new("file", "file_too_large").with("mib", MAX_FILE >> 20));
            None
        }
        Some(bytes) => kind_of(bytes).map_err(|e| errors.push(e)).ok(),
    };
    let (Some(kind), Some(bytes), true) = (kind, content, errors.is_empty()) else {
        return Err(Error::Validation(errors));
    };
    let sha256 = sha256_hex(bytes);
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let body = c.body.as_str();
    let ev = event(
        &actor,
        Some(me.role),
        Some(body),
        Some(address),
        "certificate.file.add",
        format!("certificate:{}", c.data.number),
        Some(
            serde_json::json!({
                "title": title,
                "media_type": kind.media_type(),
                "sha256": sha256,
                "size": bytes.len(),
            })
            .to_string(),
        ),
    );
    let file = NewFile {
        title: title.to_owned(),
        media_type: kind.media_type().to_owned(),
        sha256,
        content: bytes.to_vec(),
        added_by: actor.label(),
        at: state.clock.now(),
    };
    Ok(state
        .storage
        .add_certificate_file(c.id, body, &file, &ev)
        .await?)
}

/// The files of `c`, retired ones included.
pub async fn of(state: &AppState, c: &Certificate) -> Result<Vec<CertificateFile>, Error> {
    Ok(state.storage.certificate_files(c.id).await?)
}

/// Retires file `file` of certificate `id` of `me`'s body, with `reason`.
pub async fn retire(
    state: &AppState,
    me: &Staff,
    id: i64,
    file: i64,
    reason: &str,
    address: &str,
) -> Result<(), Error> {
    if !manages(me) {
        return Err(Error::NotFound);
    }
    let c = revocation::certificate(state, me, id).await?;
    let found = of(state, &c).await?;
    let Some(f) = found.iter().find(|f| f.id == file) else {
        return Err(Error::NotFound);
    };
    let reason = revocation::reason(reason, "retire_reason")?;
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let ev = event(
        &actor,
        Some(me.role),
        Some(c.body.as_str()),
        Some(address),
        "certificate.file.retire",
        format!("certificate:{}", c.data.number),
        Some(
            serde_json::json!({"file": f.id, "title": f.title, "sha256": f.sha256, "reason": reason})
                .to_string(),
        ),
    );
    match state
        .storage
        .retire_certificate_file(
            f.id,
            c.body.as_str(),
            &actor.label(),
            &reason,
            &ev,
            state.clock.now(),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StorageError::Conflict(Conflict::Changed)) => {
            Err(Error::Validation(vec![FieldError::new(
                "status",
                "certificate_state_changed",
            )]))
        }
        Err(e) => Err(e.into()),
    }
}

/// The holder's current (not retired) files of certificate `id`.
pub async fn holders(
    state: &AppState,
    holder: &Holder,
    c: &Certificate,
) -> Result<Vec<CertificateFile>, Error> {
    if !c.belongs_to(holder) {
        return Err(Error::NotFound);
    }
    // A revoked certificate hands nothing out, its files included.
    if c.status != zhengshu_domain::CertificateStatus::Valid {
        return Ok(Vec::new());
    }
    Ok(of(state, c)
        .await?
        .into_iter()
        .filter(|f| f.retired.is_none())
        .collect())
}

/// A file handed to its holder: what it is, its name and its content.
#[derive(Debug)]
pub struct Delivered {
    pub kind: Kind,
    /// `证书编号-标题.ext`, and its ASCII fallback.
    pub file_name: String,
    pub ascii_name: String,
    pub content: Vec<u8>,
}

/// File `file` of the holder's certificate `id`, viewed (`inline`) or
/// downloaded, recorded in the audit log; a retired file, another
/// certificate's or another holder's is `NotFound`.
pub async fn deliver(
    state: &AppState,
    holder: &Holder,
    id: i64,
    file: i64,
    inline: bool,
) -> Result<Delivered, Error> {
    let c = certificates::own(state, holder, id).await?;
    if c.status != zhengshu_domain::CertificateStatus::Valid {
        return Err(Error::CertificateRevoked);
    }
    let (f, content) = match state.storage.certificate_file(file).await {
        Ok(found) => found,
        Err(StorageError::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if f.certificate_id != c.id || f.retired.is_some() {
        return Err(Error::NotFound);
    }
    let kind = Kind::of_media_type(&f.media_type)
        .ok_or_else(|| Error::Internal(format!("stored media type {}", f.media_type)))?;
    let action = if inline {
        "certificate.file.view"
    } else {
        "certificate.file.download"
    };
    let ev = NewAuditEvent {
        context: Default::default(),
        actor: Actor::Holder(holder.id),
        action: action.into(),
        subject: format!("certificate:{}", c.data.number),
        before: None,
        after: Some(serde_json::json!({"file": f.id, "sha256": f.sha256}).to_string()),
    };
    state.storage.record_audit(&ev, state.clock.now()).await?;
    let title: String = f
        .title
        .chars()
        .map(|ch| {
            if ch.is_control() || "/\\\"".contains(ch) {
                '_'
            } else {
                ch
            }
        })
        .collect();
    Ok(Delivered {
        file_name: format!("{}-{}.{}", c.data.number, title, kind.extension()),
        ascii_name: format!("{}-file-{}.{}", c.data.number, f.id, kind.extension()),
        kind,
        content,
    })
}
