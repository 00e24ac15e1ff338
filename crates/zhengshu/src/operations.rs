//! `zhengshu backup OUT`, `zhengshu restore IN` and `zhengshu check`.
//!
//! A backup is a new folder: the database (SQLite: `VACUUM INTO`, one
//! snapshot taken while the service runs; PostgreSQL: `pg_dump`, likewise),
//! the secrets file, the seal keys, the photos, the configuration file of
//! the data directory, the audit head committed before the snapshot, and a
//! manifest (`backup.json`) with every file's SHA-256 and what the backup
//! does not hold (secrets given by the configuration or the environment,
//! a configuration file outside the data directory). Everything in it is
//! private (0700/0600): it holds the keys to the ID numbers.
//!
//! A restore checks every file against the manifest, then fills an empty
//! data directory (and, for PostgreSQL, an empty database), and runs the
//! check. The check tells whether the database, the keys and the secrets
//! belong together: the keys' fingerprints against the database's record
//! ([`crate::binding`]), a seal for every issuing body, the audit chain
//! against the recorded head.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zhengshu_storage::IdVault;

use crate::Failure;
use crate::config::Config;
use crate::storage::{open_storage, sqlite_file, verify_chain};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The folder to create (it must not exist, or be empty)
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A folder made by `zhengshu backup`
    #[arg(value_name = "IN")]
    pub input: PathBuf,
}

const MANIFEST: &str = "backup.json";
const SQLITE_FILE: &str = "zhengshu.db";
const PG_FILE: &str = "zhengshu.pgdump";
/// Files of the data directory a backup copies, when present.
const FILES: [&str; 2] = [crate::secrets::FILE_NAME, "zhengshu.toml"];
const HEAD_FILE: &str = "audit-head.json";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    zhengshu_version: String,
    backend: String,
    created_at: Timestamp,
    /// The audit chain's head committed before the database snapshot.
    audit_head_count: i64,
    files: Vec<FileEntry>,
    /// What must be kept besides this backup.
    not_included: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    path: String,
    bytes: u64,
    sha256: String,
}

fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((total, hex::encode(h.finalize())))
}

/// Copies `from` to `to` (a new file, 0600).
fn copy_private(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        crate::files::private_dir(dir)?;
    }
    let mut out = crate::files::create_private(to)?;
    std::io::copy(&mut std::fs::File::open(from)?, &mut out)?;
    out.sync_all()
}

/// Every regular file under `dir`, relative to it; symbolic links and
/// other special files are refused, not followed.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        for entry in std::fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = rel.join(entry.file_name());
            if kind.is_dir() {
                todo.push(path);
            } else if kind.is_file() {
                out.push(path);
            } else {
                return Err(std::io::Error::other(format!(
                    "{} is not a regular file or folder",
                    dir.join(&path).display()
                )));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `dir` absent or empty.
fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn setup(msg: String) -> Failure {
    Failure::Setup(anyhow::anyhow!(msg))
}

pub async fn backup(config: &Config, args: BackupArgs) -> Result<(), Failure> {
    let out = &args.out;
    if !is_empty_dir(out)? {
        return Err(setup(format!(
            "{} exists and is not empty: back up into a new folder",
            out.display()
        )));
    }
    crate::files::private_dir(out)?;
    let storage = open_storage(config).await?;
    let head = storage.audit_head().await?;
    let url = config.database_url();
    let database = match storage.backend() {
        "sqlite" => {
            let keys = crate::secrets::load_or_create(config)?;
            let store =
                zhengshu_storage_sqlite::SqliteStore::connect(&url, IdVault::new(&keys.vault))
                    .await?;
            zhengshu_storage_sqlite::backup_into(&store, &out.join(SQLITE_FILE)).await?;
            SQLITE_FILE
        }
        _ => {
            zhengshu_storage_postgres::backup::dump_to(&url, &out.join(PG_FILE)).await?;
            PG_FILE
        }
    };
    crate::files::private_database(&out.join(database))?;
    let mut copied = vec![PathBuf::from(database)];
    for name in FILES {
        let from = config.data_dir.join(name);
        if from.is_file() {
            copy_private(&from, &out.join(name))?;
            copied.push(name.into());
        }
    }
    let folders = [
        ("keys", config.keys_dir()),
        ("photos", config.data_dir.join("photos")),
    ];
    for (name, dir) in folders {
        if !dir.is_dir() {
            continue;
        }
        for rel in files_under(&dir)? {
            let to = Path::new(name).join(&rel);
            copy_private(&dir.join(&rel), &out.join(&to))?;
            copied.push(to);
        }
    }
    std::fs::write(out.join(HEAD_FILE), serde_json::to_string(&head)?)?;
    copied.push(HEAD_FILE.into());

    let mut not_included = Vec::new();
    let s = &config.secrets;
    if [
        &s.vault_encryption_key,
        &s.vault_index_key,
        &s.session_key,
        &s.verifier_key,
    ]
    .iter()
    .any(|k| k.is_some())
    {
        not_included.push(
            "secrets set in the configuration or the ZHENGSHU_SECRETS__* environment: keep them \
             with this backup"
                .to_owned(),
        );
    }
    if !out.join("zhengshu.toml").exists() {
        not_included.push(
            "the configuration (zhengshu.toml outside the data directory, ZHENGSHU_* environment)"
                .to_owned(),
        );
    }
    let mut files = Vec::new();
    for rel in copied {
        let (bytes, sha256) = sha256_file(&out.join(&rel))?;
        files.push(FileEntry {
            path: rel.to_string_lossy().into_owned(),
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        format: 1,
        zhengshu_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: storage.backend().to_owned(),
        created_at: Timestamp::now(),
        audit_head_count: head.count,
        files,
        not_included,
    };
    std::fs::write(out.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    println!(
        "backup of the {} database, {} files, {} audit events: {}",
        manifest.backend,
        manifest.files.len(),
        head.count,
        out.display()
    );
    for n in &manifest.not_included {
        println!("not included: {n}");
    }
    Ok(())
}

pub async fn restore(config: &Config, args: RestoreArgs) -> Result<(), Failure> {
    let input = &args.input;
    let text = std::fs::read_to_string(input.join(MANIFEST)).map_err(|e| {
        setup(format!(
            "{} is not a backup ({MANIFEST}: {e})",
            input.display()
        ))
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| setup(format!("{MANIFEST} is unreadable: {e}")))?;
    if manifest.format != 1 {
        return Err(setup(format!(
            "backup format {} is not known to this version",
            manifest.format
        )));
    }
    for f in &manifest.files {
        let rel = Path::new(&f.path);
        if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
            return Err(setup(format!(
                "{MANIFEST} names a path outside the backup: {}",
                f.path
            )));
        }
        match sha256_file(&input.join(rel)) {
            Ok((bytes, sha)) if bytes == f.bytes && sha == f.sha256 => {}
            Ok(_) => {
                println!("damaged: {} differs from the manifest", f.path);
                return Err(Failure::Rejected);
            }
            Err(e) => {
                println!("missing: {} ({e})", f.path);
                return Err(Failure::Rejected);
            }
        }
    }
    if !is_empty_dir(&config.data_dir)? {
        return Err(setup(format!(
            "the data directory {} is not empty: restore into a new one (--data-dir)",
            config.data_dir.display()
        )));
    }
    let url = config.database_url();
    let is_sqlite = url.starts_with("sqlite:");
    match (manifest.backend.as_str(), is_sqlite) {
        ("sqlite", false) => {
            return Err(setup(
                "this is a backup of a SQLite database: restore it with a sqlite:// --db (the default)"
                    .into(),
            ));
        }
        ("postgres", true) => {
            return Err(setup(
                "this is a backup of a PostgreSQL database: restore it with --db postgres://… \
                 naming a new, empty database"
                    .into(),
            ));
        }
        _ => {}
    }
    crate::files::private_dir(&config.data_dir)?;
    // Secrets and keys first: opening the database without them would
    // make new ones.
    for f in &manifest.files {
        if f.path == SQLITE_FILE || f.path == PG_FILE {
            continue;
        }
        let rel = Path::new(&f.path);
        let to = match rel.strip_prefix("keys") {
            Ok(inner) => config.keys_dir().join(inner),
            Err(_) => config.data_dir.join(rel),
        };
        copy_private(&input.join(rel), &to)?;
    }
    if is_sqlite {
        let file = sqlite_file(&url)
            .ok_or_else(|| setup("restore needs a SQLite database file, not memory".into()))?;
        let file = Path::new(file);
        if file.exists() {
            return Err(setup(format!(
                "{} exists: restore into a new database file",
                file.display()
            )));
        }
        copy_private(&input.join(SQLITE_FILE), file)?;
    } else {
        zhengshu_storage_postgres::backup::restore_from(&url, &input.join(PG_FILE)).await?;
    }
    println!(
        "restored the {} backup of {} ({} audit events) into {}",
        manifest.backend,
        manifest.created_at,
        manifest.audit_head_count,
        config.data_dir.display()
    );
    check(config).await
}

/// Prints one line per check; exits 1 when any fails.
pub async fn check(config: &Config) -> Result<(), Failure> {
    let mut failed = false;
    let mut line = |ok: bool, text: String| {
        println!("{} {text}", if ok { "ok  " } else { "FAIL" });
        failed |= !ok;
    };
    let s = &config.secrets;
    let configured = [
        &s.vault_encryption_key,
        &s.vault_index_key,
        &s.session_key,
        &s.verifier_key,
    ]
    .iter()
    .all(|k| k.is_some());
    let secrets_file = config.data_dir.join(crate::secrets::FILE_NAME);
    if !configured && !secrets_file.is_file() {
        // Opening the database now would make new secrets.
        line(
            false,
            format!("secrets: no {} and none configured", secrets_file.display()),
        );
        return Err(Failure::Rejected);
    }
    let storage = open_storage(config).await?;
    let keys = crate::secrets::load_or_create(config)?;
    match storage.ping().await {
        Ok(()) => line(true, format!("database: {} answers", storage.backend())),
        Err(e) => {
            line(false, format!("database: {e}"));
            return Err(Failure::Rejected);
        }
    }
    let ours = crate::binding::fingerprints(config, &keys);
    match storage.bind_keys(&[], Timestamp::now()).await {
        Ok(on_record) => {
            let c = crate::binding::compare(&ours, &on_record);
            for n in &c.matching {
                line(true, format!("key {n}: the database's"));
            }
            for n in &c.differing {
                line(
                    false,
                    format!("key {n}: NOT the one this database was set up with"),
                );
            }
            for n in &c.unrecorded {
                line(
                    true,
                    format!("key {n}: not on record yet (recorded at the next start)"),
                );
            }
        }
        Err(e) => line(
            false,
            format!("keys: the database's record is unreadable ({e}); run `zhengshu migrate`?"),
        ),
    }
    let dir = config.keys_dir();
    match zhengshu_document::Pki::load(&dir) {
        Ok(pki) => {
            let bodies = storage.issuing_bodies().await?;
            let missing: Vec<String> = bodies
                .iter()
                .map(|b| b.code.to_string())
                .filter(|c| !pki.codes().any(|k| k == c))
                .collect();
            if missing.is_empty() {
                line(
                    true,
                    format!("seals: one for each of {} issuing bodies", bodies.len()),
                );
            } else {
                line(
                    false,
                    format!(
                        "seals: none for {} (run `zhengshu keys init`)",
                        missing.join(", ")
                    ),
                );
            }
        }
        Err(e) => line(false, format!("seals in {}: {e}", dir.display())),
    }
    match verify_chain(config, &*storage).await? {
        Ok(head) => line(true, format!("audit chain: intact, {} events", head.count)),
        Err(b) => line(false, format!("audit chain: {b}")),
    }
    if failed {
        Err(Failure::Rejected)
    } else {
        Ok(())
    }
}
