//! Bulk import of certificates (§8): a UTF-8 CSV file with a header row,
//! streamed and validated row by row, written in batches, each a short
//! transaction, and published at once when the file is accepted
//! ([`zhengshu_storage::ImportTx`]): the service keeps answering meanwhile,
//! and a refused or interrupted import leaves nothing. By default a file with any refused row imports
//! nothing and the report lists every refusal by line and column; with
//! `partial` the valid rows are kept and the refused ones are written, with
//! their reasons, to a rejects file. Existing certificate numbers are
//! refused unless `update` is asked for. Memory stays flat whatever the size
//! of the file: a reader thread parses at most a few batches ahead.
#![forbid(unsafe_code)]

mod header;
pub mod photo;
pub mod reason;
mod row;
pub mod upload;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use zhengshu_domain::{
    Actor, BodyCode, NewAuditEvent, NewCertificate, QualificationCode, spreadsheet_safe,
};
use zhengshu_storage::{ImportTx, RowOutcome, Storage, StorageError};

pub use header::{COLUMNS, REQUIRED};
pub use reason::Reason;
pub use row::{MAX_FIELD_CHARS, Rejection};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub body: BodyCode,
    /// Keep the valid rows when some are refused.
    pub partial: bool,
    /// Replace the stored fields of existing certificate numbers.
    pub update: bool,
    /// Where `partial` writes refused rows (CSV: line, column, reason).
    pub rejects: Option<PathBuf>,
    /// Directory photo paths are relative to (the CSV file's).
    pub photo_base: Option<PathBuf>,
    /// Where photos are copied to, named by their SHA-256.
    pub photo_store: Option<PathBuf>,
    /// Rows per write; by default the storage's choice
    /// ([`ImportTx::batch_rows`]).
    pub batch_size: Option<usize>,
    /// Who imports, for the audit log.
    pub actor: Actor,
    /// Check only: every row is read, checked and written as an import
    /// would (so that numbers on record are found too), then the whole
    /// import is discarded; the report counts what an import would do.
    pub dry_run: bool,
    /// Keep writing the valid rows after a refusal (then discard them all
    /// unless `partial`), so that every refusal is found, also those only
    /// the database can tell (numbers on record); a dry run always does.
    /// Without it an all-or-nothing import stops writing at the first
    /// refusal and only checks the rest.
    pub find_every_refusal: bool,
}

impl ImportOptions {
    pub fn new(body: BodyCode, actor: Actor) -> Self {
        Self {
            body,
            partial: false,
            update: false,
            rejects: None,
            photo_base: None,
            photo_store: None,
            batch_size: None,
            actor,
            dry_run: false,
            find_every_refusal: false,
        }
    }
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Data rows read.
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows refused (all of them, even past those kept in `rejections`).
    pub refused: u64,
    /// The first refusals, for display.
    pub rejections: Vec<Rejection>,
    /// Whether anything was written.
    pub committed: bool,
}

/// Refusals kept in memory for the report; the rest are counted (and, with
/// `partial`, written to the rejects file).
pub const MAX_REPORTED: usize = 1000;

/// Problems with the file as a whole, or with the environment.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty: the first line must be a header naming the columns")]
    Empty,
    #[error("the file has a header but no data rows")]
    NoRows,
    #[error("missing required column(s): {0}")]
    MissingColumns(String),
    #[error("unknown column {column:?}; the columns are: {known}")]
    UnknownColumn { column: String, known: String },
    #[error("column {0:?} appears twice in the header")]
    RepeatedColumn(String),
    #[error(
        "line {line}: the file is not UTF-8; it looks GBK/GB18030-encoded. Save it as UTF-8 \
         (for example: iconv -f GB18030 -t UTF-8 in.csv > out.csv) and import it again"
    )]
    Gbk { line: u64 },
    #[error("line {line}: the file is not UTF-8 text (is it a CSV file?)")]
    NotText { line: u64 },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("unknown issuing body {0:?}")]
    UnknownBody(String),
    #[error("issuing body {0:?} has no qualification types")]
    NoQualifications(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Storage(#[from] StorageError),
}

enum Parsed {
    Batch(Vec<(u64, Result<NewCertificate, Vec<Rejection>>)>),
    Fatal(ImportError),
}

/// Imports the CSV file at `path`, its photos relative to its folder:
/// what the command line and an uploaded import both run.
pub async fn import_path(
    storage: &dyn Storage,
    path: &Path,
    options: &ImportOptions,
    progress: impl FnMut(u64) + Send,
) -> Result<Report, ImportError> {
    let input = std::fs::File::open(path)?;
    let mut options = options.clone();
    options.photo_base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf);
    import(storage, input, &options, progress).await
}

/// Imports `input`. `progress` is called with the number of rows read
/// after each batch. The import and its rows are counted in the metrics.
pub async fn import(
    storage: &dyn Storage,
    input: impl Read + Send + 'static,
    options: &ImportOptions,
    progress: impl FnMut(u64) + Send,
) -> Result<Report, ImportError> {
    let result = run(storage, input, options, progress).await;
    let m = zhengshu_metrics::metrics();
    match &result {
        Ok(r) => m.import(
            if r.committed {
                "committed"
            } else {
                "nothing_written"
            },
            &[
                ("inserted", r.inserted),
                ("updated", r.updated),
                ("unchanged", r.unchanged),
                ("refused", r.refused),
            ],
        ),
        Err(_) => m.import("failed", &[]),
    }
    result
}

async fn run(
    storage: &dyn Storage,
    input: impl Read + Send + 'static,
    options: &ImportOptions,
    mut progress: impl FnMut(u64) + Send,
) -> Result<Report, ImportError> {
    let qualifications = body_qualifications(storage, &options.body).await?;
    let mut report = Report::default();
    let mut rejects = match (&options.rejects, options.partial) {
        (Some(path), true) => Some(RejectsFile::new(path)?),
        _ => None,
    };
    let mut db = storage.begin_import(&options.actor).await?;
    let (tx, mut rx) = mpsc::channel::<Parsed>(4);
    let reader_options = options.clone();
    let size = options.batch_size.unwrap_or_else(|| db.batch_rows()).max(1);
    let reader =
        std::thread::spawn(move || read_rows(input, &reader_options, size, &qualifications, &tx));

    let now = Timestamp::now();
    let fatal = match read_batches(
        &mut rx,
        &mut *db,
        &mut report,
        &mut rejects,
        options,
        now,
        &mut progress,
    )
    .await
    {
        Ok(fatal) => fatal,
        Err(e) => {
            drop(rx);
            let _ = reader.join();
            // The import's own error matters more than a failed clean-up,
            // which the next import does again.
            let _ = db.rollback().await;
            return Err(e);
        }
    };
    drop(rx);
    let _ = reader.join();
    if let Some(e) = fatal {
        db.rollback().await?;
        return Err(e);
    }
    finish(db, report, rejects, options, now).await
}

/// Writes the parsed batches as they come; answers the file-level error
/// that ended them early, if any.
async fn read_batches(
    rx: &mut mpsc::Receiver<Parsed>,
    db: &mut dyn ImportTx,
    report: &mut Report,
    rejects: &mut Option<RejectsFile>,
    options: &ImportOptions,
    now: Timestamp,
    progress: &mut (impl FnMut(u64) + Send),
) -> Result<Option<ImportError>, ImportError> {
    let mut fatal = None;
    while let Some(msg) = rx.recv().await {
        let batch = match msg {
            Parsed::Fatal(e) => {
                fatal = Some(e);
                break;
            }
            Parsed::Batch(b) => b,
        };
        let mut valid = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.len());
        for (line, parsed) in batch {
            report.rows += 1;
            match parsed {
                Ok(c) => {
                    valid.push(c);
                    lines.push(line);
                }
                Err(rs) => refuse(report, rejects, rs)?,
            }
        }
        // Once the file is bound to be refused as a whole, only validate.
        let writing =
            options.partial || options.dry_run || options.find_every_refusal || report.refused == 0;
        if writing && !valid.is_empty() {
            let outcomes = db.write(&valid, options.update, now).await?;
            for ((o, line), c) in outcomes.into_iter().zip(lines).zip(&valid) {
                match o {
                    RowOutcome::Inserted => report.inserted += 1,
                    RowOutcome::Updated => report.updated += 1,
                    RowOutcome::Unchanged => report.unchanged += 1,
                    RowOutcome::Exists => {
                        let why = Reason::new(
                            "exists",
                            format!(
                                "certificate {} exists already; import with --update to change it",
                                c.number
                            ),
                        )
                        .with("number", &c.number);
                        let r = Rejection::new(line, Some(COLUMNS[0]), why);
                        refuse(report, rejects, vec![r])?;
                    }
                }
            }
        }
        progress(report.rows);
    }
    Ok(fatal)
}

/// Publishes the import, or discards it, by the report.
async fn finish(
    mut db: Box<dyn ImportTx>,
    mut report: Report,
    mut rejects: Option<RejectsFile>,
    options: &ImportOptions,
    now: Timestamp,
) -> Result<Report, ImportError> {
    if report.rows == 0 {
        db.rollback().await?;
        return Err(ImportError::NoRows);
    }
    if let Some(r) = rejects.as_mut() {
        r.flush()?;
    }
    let keep = report.refused == 0 || options.partial;
    let wrote = report.inserted + report.updated > 0;
    if options.dry_run {
        db.rollback().await?;
        if !keep {
            report.inserted = 0;
            report.updated = 0;
            report.unchanged = 0;
        }
    } else if keep && wrote {
        let event = NewAuditEvent {
            context: Default::default(),
            actor: options.actor.clone(),
            action: "certificate.import".into(),
            subject: format!("body:{}", options.body),
            before: None,
            after: Some(format!(
                r#"{{"rows":{},"inserted":{},"updated":{},"unchanged":{},"refused":{}}}"#,
                report.rows, report.inserted, report.updated, report.unchanged, report.refused
            )),
        };
        db.audit(&event, now).await?;
        db.commit().await?;
        report.committed = true;
    } else {
        db.rollback().await?;
        if !keep {
            report.inserted = 0;
            report.updated = 0;
            report.unchanged = 0;
        }
    }
    Ok(report)
}

fn refuse(
    report: &mut Report,
    rejects: &mut Option<RejectsFile>,
    rs: Vec<Rejection>,
) -> Result<(), ImportError> {
    report.refused += 1;
    for r in rs {
        if let Some(f) = rejects.as_mut() {
            f.write(&r)?;
        }
        if report.rejections.len() < MAX_REPORTED {
            report.rejections.push(r);
        }
    }
    Ok(())
}

async fn body_qualifications(
    storage: &dyn Storage,
    body: &BodyCode,
) -> Result<Vec<QualificationCode>, ImportError> {
    if !storage
        .issuing_bodies()
        .await?
        .iter()
        .any(|b| &b.code == body)
    {
        return Err(ImportError::UnknownBody(body.to_string()));
    }
    let quals: Vec<_> = storage
        .qualification_types()
        .await?
        .into_iter()
        .filter(|q| &q.body == body)
        .map(|q| q.code)
        .collect();
    if quals.is_empty() {
        return Err(ImportError::NoQualifications(body.to_string()));
    }
    Ok(quals)
}

/// The reader thread: CSV records to parsed rows, in batches of `size`.
fn read_rows(
    input: impl Read,
    options: &ImportOptions,
    size: usize,
    qualifications: &[QualificationCode],
    tx: &mpsc::Sender<Parsed>,
) {
    let send = |m: Parsed| tx.blocking_send(m).is_ok();
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let header = match next_record(&mut csv, &mut record) {
        Ok(false) => {
            send(Parsed::Fatal(ImportError::Empty));
            return;
        }
        Ok(true) => text_fields(&record, 1).and_then(|f| header::Header::parse(&f)),
        Err(e) => Err(e),
    };
    let header = match header {
        Ok(h) => h,
        Err(e) => {
            send(Parsed::Fatal(e));
            return;
        }
    };
    let ctx = row::RowContext {
        qualifications,
        photo_base: options.photo_base.as_deref(),
    };
    // Hashes of the numbers seen so far and their lines: duplicates inside
    // the file are found without keeping the numbers themselves.
    let hasher = RandomState::new();
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(size);
    loop {
        match next_record(&mut csv, &mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                send(Parsed::Fatal(e));
                return;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank line
        }
        let fields = match text_fields(&record, line) {
            Ok(f) => f,
            Err(e) => {
                send(Parsed::Fatal(e));
                return;
            }
        };
        let mut parsed = row::parse_row(&header, &fields, line, &ctx);
        if let Ok(c) = &parsed {
            let h = hasher.hash_one(c.number.as_str());
            if let Some(first) = seen.insert(h, line) {
                seen.insert(h, first);
                let why = Reason::new(
                    "duplicate",
                    format!("certificate {} appears already on line {first}", c.number),
                )
                .with("number", &c.number)
                .with("first", first);
                parsed = Err(vec![Rejection::new(line, Some(COLUMNS[0]), why)]);
            }
        }
        if let (Ok(c), Some(store)) = (&mut parsed, &options.photo_store)
            && let Some(src) = c.photo.take()
        {
            // Read and decoded again: the file may have changed since its
            // row was checked.
            match photo::read(Path::new(&src), &src) {
                Ok((bytes, kind)) => match store_photo(store, &bytes, kind) {
                    Ok(name) => c.photo = Some(name),
                    Err(e) => {
                        send(Parsed::Fatal(e.into()));
                        return;
                    }
                },
                Err(why) => {
                    parsed = Err(vec![Rejection::new(line, Some("photo"), why)]);
                }
            }
        }
        batch.push((line, parsed));
        if batch.len() == size
            && !send(Parsed::Batch(std::mem::replace(
                &mut batch,
                Vec::with_capacity(size),
            )))
        {
            return;
        }
    }
    if !batch.is_empty() {
        send(Parsed::Batch(batch));
    }
}

fn next_record(
    csv: &mut csv::Reader<impl Read>,
    record: &mut csv::ByteRecord,
) -> Result<bool, ImportError> {
    csv.read_byte_record(record).map_err(|e| {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(io) => ImportError::Io(io),
            other => ImportError::Csv {
                line,
                message: format!("{other:?}"),
            },
        }
    })
}

/// The record's fields as text, or the file-level reason they are not.
fn text_fields(record: &csv::ByteRecord, line: u64) -> Result<Vec<String>, ImportError> {
    let mut out = Vec::with_capacity(record.len());
    for field in record {
        if field.contains(&0) {
            return Err(ImportError::NotText { line });
        }
        match std::str::from_utf8(field) {
            Ok(s) => out.push(s.to_owned()),
            Err(_) => {
                let all: Vec<u8> = record.iter().flatten().copied().collect();
                let (_, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&all);
                return Err(if had_errors {
                    ImportError::NotText { line }
                } else {
                    ImportError::Gbk { line }
                });
            }
        }
    }
    Ok(out)
}

/// Stores a photo (read and decoded by [`photo::read`]) under its SHA-256;
/// returns the stored name.
fn store_photo(store: &Path, bytes: &[u8], kind: photo::Kind) -> std::io::Result<String> {
    let name = format!(
        "{}.{}",
        hex::encode(Sha256::digest(bytes)),
        kind.extension()
    );
    std::fs::create_dir_all(store)?;
    let dest = store.join(&name);
    // Photos are personal data: the store and its files are private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(store, std::fs::Permissions::from_mode(0o700))?;
    }
    if !dest.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(&dest)?, bytes)?;
    }
    Ok(name)
}

/// The rejects file of a partial import: a new file, never one that
/// exists (nor a link: both are refused before the import starts), made
/// only when a row is refused, its cells safe for spreadsheets.
struct RejectsFile {
    path: PathBuf,
    out: Option<csv::Writer<std::fs::File>>,
}

impl RejectsFile {
    fn new(path: &Path) -> std::io::Result<Self> {
        if path.symlink_metadata().is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("the rejects file {} exists: name a new one", path.display()),
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            out: None,
        })
    }

    fn write(&mut self, r: &Rejection) -> std::io::Result<()> {
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                // `create_new` follows no link and fails on anything there.
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&self.path)
                    .map_err(|e| {
                        std::io::Error::new(
                            e.kind(),
                            format!("the rejects file {}: {e}", self.path.display()),
                        )
                    })?;
                let mut out = csv::Writer::from_writer(file);
                out.write_record(["line", "column", "reason"])
                    .map_err(std::io::Error::other)?;
                self.out.insert(out)
            }
        };
        let line = r.line.to_string();
        out.write_record([
            line.as_str(),
            &spreadsheet_safe(r.column.as_deref().unwrap_or("")),
            &spreadsheet_safe(&r.reason),
        ])
        .map_err(std::io::Error::other)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}
