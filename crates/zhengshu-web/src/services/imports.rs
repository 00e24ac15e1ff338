//! An issuing body's imports from the console and the import API, over
//! the importer the command line runs (`zhengshu_import::import_upload`,
//! which lays an upload out and calls `import_path`): an upload (a CSV
//! file, or a zip of it and its photos) is refused at once when it cannot
//! be laid out (hostile zips included), else stored and checked in the
//! background — every row read, checked and written as an import would,
//! then discarded — so that the page shows the preview (rows read, valid,
//! refused, each refusal by line and column); a confirmation imports it
//! all or nothing, or its valid rows only. The import API's token imports
//! at once, without a preview, in the mode it asks for.
//!
//! The body is always the caller's own: an officer's or admin's, or the
//! token's (`import_tokens`); an upload of another body is `NotFound`.
//! Every upload and confirmation is audited.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use zhengshu_domain::{Actor, BodyCode, Role, Staff};
use zhengshu_import::upload::{UnpackError, UploadError, lay_out};
use zhengshu_import::{ImportOptions, Report};
use zhengshu_storage::{
    Conflict, ImportToken, NewUpload, StorageError, Upload, UploadCounts, UploadState,
};

use super::staff::event;
use super::{Error, FieldError};
use crate::i18n::{Arg, Lang};
use crate::state::AppState;

/// How long a running check or import may give no sign of life before its
/// upload counts as stopped (the process running it ended); a running one
/// writes its progress at least every [`HEARTBEAT`].
pub const STALLED_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(2);
/// How often a running check or import says it is alive, at the least.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a checked upload waits for its confirmation before its file
/// is dropped.
pub const UNCONFIRMED_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// The largest upload accepted (a zip with its photos).
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;
/// The uploads a page lists.
pub const LISTED: i64 = 20;
/// The body whose imports `me` runs: an officer's or admin's own.
pub fn import_body(me: &Staff) -> Result<&BodyCode, Error> {
    match (me.role, &me.body) {
        (Role::Officer | Role::Admin, Some(b)) => Ok(b),
        _ => Err(Error::NotFound),
    }
}

/// The refusal of a file that cannot be laid out, for the `file` field.
fn unpack_refusal(e: &UnpackError) -> Error {
    if let UnpackError::Io(io) = e {
        return Error::Internal(format!("laying an upload out: {io}"));
    }
    let mut f = FieldError::new("file", e.code())
        .with("entries", zhengshu_import::upload::MAX_ENTRIES)
        .with("mib", zhengshu_import::upload::MAX_TOTAL >> 20)
        .with("csv_mib", zhengshu_import::upload::MAX_CSV >> 20);
    if let Some(entry) = e.entry() {
        f = f.with("entry", entry);
    }
    Error::Validation(vec![f])
}

/// Checks that `bytes` can be laid out (then forgets the folder), so that
/// a hostile or broken file is refused before anything is stored.
async fn check_layout(bytes: &[u8]) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(Error::Validation(vec![FieldError::new(
            "file",
            "upload_empty",
        )]));
    }
    if bytes.len() > MAX_UPLOAD {
        return Err(Error::Validation(vec![
            FieldError::new("file", "upload_too_large").with("mib", MAX_UPLOAD >> 20),
        ]));
    }
    let copy = bytes.to_vec();
    let laid = tokio::task::spawn_blocking(move || lay_out(&copy).map(drop))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    laid.map_err(|e| unpack_refusal(&e))
}

/// A file name fit to show and record: its last part, printable, short.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.trim().is_empty() {
        "upload".into()
    } else {
        clean
    }
}

/// The audit record of an upload's file.
fn file_json(name: &str, bytes: &[u8]) -> String {
    serde_json::json!({
        "file": name,
        "bytes": bytes.len(),
        "sha256": hex::encode(Sha256::digest(bytes)),
    })
    .to_string()
}

/// Stores an officer's upload and starts its check; answers its id.
pub async fn upload(
    state: &AppState,
    me: &Staff,
    file_name: &str,
    bytes: Vec<u8>,
    address: &str,
) -> Result<i64, Error> {
    let body = import_body(me)?.clone();
    check_layout(&bytes).await?;
    let name = clean_name(file_name);
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let e = event(
        &actor,
        Some(me.role),
        Some(body.as_str()),
        Some(address),
        "import.upload",
        String::new(),
        Some(file_json(&name, &bytes)),
    );
    let new = NewUpload {
        body: body.clone(),
        created_by: actor.label(),
        file_name: name,
        content: bytes,
        state: UploadState::Checking,
        valid_only: false,
    };
    let id = state
        .storage
        .create_upload(&new, &e, state.clock.now())
        .await?;
    spawn(state, id, body, actor, Work::Check);
    Ok(id)
}

/// Imports a checked upload: every row or none (`valid_only` false), or
/// the valid rows only. `Conflict` when it is not (or no longer) checked.
pub async fn confirm(
    state: &AppState,
    me: &Staff,
    id: i64,
    valid_only: bool,
    address: &str,
) -> Result<(), Error> {
    let body = import_body(me)?.clone();
    // Absent or another body's: not found, before anything else.
    state.storage.upload(id, body.as_str()).await?;
    let actor = Actor::Staff(me.username.as_str().to_owned());
    let e = event(
        &actor,
        Some(me.role),
        Some(body.as_str()),
        Some(address),
        "import.confirm",
        format!("import:{id}"),
        Some(serde_json::json!({ "valid_only": valid_only }).to_string()),
    );
    match state
        .storage
        .confirm_upload(id, body.as_str(), valid_only, &e, state.clock.now())
        .await
    {
        Ok(()) => {}
        Err(StorageError::Conflict(Conflict::Changed)) => {
            return Err(Error::Validation(vec![FieldError::new(
                "confirm",
                "import_not_checked",
            )]));
        }
        Err(e) => return Err(e.into()),
    }
    spawn(state, id, body, actor, Work::Import { valid_only });
    Ok(())
}

/// Upload `id` of `me`'s body.
pub async fn find(state: &AppState, me: &Staff, id: i64) -> Result<Upload, Error> {
    let body = import_body(me)?;
    Ok(state.storage.upload(id, body.as_str()).await?)
}

/// The newest uploads of `me`'s body.
pub async fn recent(state: &AppState, me: &Staff) -> Result<Vec<Upload>, Error> {
    let body = import_body(me)?;
    Ok(state.storage.uploads_of(body.as_str(), LISTED).await?)
}

/// One refused row or field of an upload's report, as kept: the reason in
/// English (the importer's text), its stable code and the values its
/// message names, which the pages translate ([`Refusal::message`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
    /// Empty in reports kept before codes were.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub args: std::collections::BTreeMap<String, String>,
}

impl Refusal {
    /// The reason in `lang`: the code's message with its values; the
    /// English text for a report kept without a code.
    pub fn message(&self, lang: Lang) -> String {
        if !zhengshu_import::reason::CODES.contains(&self.code.as_str()) {
            return self.reason.clone();
        }
        let args: Vec<(&str, Arg<'_>)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), Arg::Str(v.as_str())))
            .collect();
        lang.t_args(&format!("import-refusal-{}", self.code), &args)
    }
}

/// Ends the uploads nobody will finish: checks and imports whose process
/// ended (no sign of life for [`STALLED_AFTER`]) and checked uploads not
/// confirmed within [`UNCONFIRMED_FOR`], whose files are dropped. `serve`
/// runs it at start and every minute; with several nodes each does,
/// harmlessly. Answers how many of each it ended.
pub async fn sweep(state: &AppState) -> zhengshu_storage::Result<(u64, u64)> {
    let now = state.clock.now();
    let swept = state
        .storage
        .sweep_uploads(now - STALLED_AFTER, now - UNCONFIRMED_FOR, now)
        .await?;
    if swept != (0, 0) {
        tracing::info!(
            stopped = swept.0,
            expired = swept.1,
            "uploads nobody will finish ended"
        );
    }
    Ok(swept)
}

/// The refusals of an upload's report.
pub fn refusals(u: &Upload) -> Vec<Refusal> {
    serde_json::from_str(&u.counts.rejections).unwrap_or_default()
}

/// What to do with an upload in the background.
#[derive(Debug, Clone, Copy)]
enum Work {
    Check,
    Import { valid_only: bool },
}

/// Runs `work` on upload `id` in the background, recording its progress
/// and its end on the upload.
fn spawn(state: &AppState, id: i64, body: BodyCode, actor: Actor, work: Work) {
    let state = state.clone();
    tokio::spawn(async move {
        let (next, counts) = run(&state, id, body, actor, work).await;
        if let Err(e) = state
            .storage
            .finish_upload(id, next, &counts, state.clock.now())
            .await
        {
            tracing::error!(upload = id, error = %e, "recording the end of an import failed");
        }
    });
}

async fn run(
    state: &AppState,
    id: i64,
    body: BodyCode,
    actor: Actor,
    work: Work,
) -> (UploadState, UploadCounts) {
    let failed = |error: String| {
        (
            UploadState::Failed,
            UploadCounts {
                rejections: "[]".into(),
                error: Some(error),
                ..UploadCounts::default()
            },
        )
    };
    let content = match state.storage.upload_content(id, body.as_str()).await {
        Ok(c) => c,
        Err(e) => return failed(format!("the uploaded file cannot be read: {e}")),
    };
    let mut options = ImportOptions::new(body, actor);
    match work {
        Work::Check => {
            options.dry_run = true;
            options.partial = true;
        }
        Work::Import { valid_only } => {
            options.partial = valid_only;
            // The summary counts what the preview counted.
            options.find_every_refusal = true;
            match &state.photo_store {
                Some(store) => options.photo_store = Some(store.clone()),
                None => return failed("this service keeps no photos: no data folder".into()),
            }
        }
    }
    let rows = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let reporter = {
        let (rows, done, state) = (rows.clone(), done.clone(), state.clone());
        tokio::spawn(async move {
            let mut shown = 0;
            let mut said = std::time::Instant::now();
            while !done.load(Ordering::Relaxed) {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                let now = rows.load(Ordering::Relaxed);
                // The rows read so far, and a sign of life even when a
                // batch takes long.
                if now != shown || said.elapsed() >= HEARTBEAT {
                    shown = now;
                    said = std::time::Instant::now();
                    let _ = state
                        .storage
                        .upload_progress(id, now as i64, state.clock.now())
                        .await;
                }
            }
        })
    };
    let counter = rows.clone();
    let result =
        zhengshu_import::upload::import_upload(&*state.storage, content, &options, move |n| {
            counter.store(n, Ordering::Relaxed)
        })
        .await;
    done.store(true, Ordering::Relaxed);
    let _ = reporter.await;
    match result {
        Ok(report) => (
            match work {
                Work::Check => UploadState::Checked,
                Work::Import { .. } => UploadState::Imported,
            },
            counts_of(&report),
        ),
        Err(UploadError::Unpack(e)) => failed(e.to_string()),
        Err(UploadError::Import(e)) => failed(e.to_string()),
    }
}

fn counts_of(r: &Report) -> UploadCounts {
    let refusals: Vec<Refusal> = r
        .rejections
        .iter()
        .map(|x| Refusal {
            line: x.line,
            column: x.column.clone(),
            reason: x.reason.clone(),
            code: x.code.to_owned(),
            args: x
                .args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        })
        .collect();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    UploadCounts {
        rows: n(r.rows),
        refused: n(r.refused),
        inserted: n(r.inserted),
        updated: n(r.updated),
        unchanged: n(r.unchanged),
        rejections: serde_json::to_string(&refusals).unwrap_or_else(|_| "[]".into()),
        error: None,
    }
}

/// Stores an upload made with `token` and imports it at once (all rows or
/// none, or the valid rows only); answers its id.
pub async fn upload_with_token(
    state: &AppState,
    token: &ImportToken,
    file_name: &str,
    bytes: Vec<u8>,
    valid_only: bool,
    address: &str,
) -> Result<i64, Error> {
    check_layout(&bytes).await?;
    let name = clean_name(file_name);
    let actor = Actor::ImportToken(token.id);
    let e = event(
        &actor,
        None,
        Some(token.body.as_str()),
        Some(address),
        "import.upload",
        String::new(),
        Some(file_json(&name, &bytes)),
    );
    let new = NewUpload {
        body: token.body.clone(),
        created_by: actor.label(),
        file_name: name,
        content: bytes,
        state: UploadState::Importing,
        valid_only,
    };
    let id = state
        .storage
        .create_upload(&new, &e, state.clock.now())
        .await?;
    spawn(
        state,
        id,
        token.body.clone(),
        actor,
        Work::Import { valid_only },
    );
    Ok(id)
}

/// Upload `id` of the token's body.
pub async fn find_for_token(
    state: &AppState,
    token: &ImportToken,
    id: i64,
) -> Result<Upload, Error> {
    Ok(state.storage.upload(id, token.body.as_str()).await?)
}
