//! Opens the storage backend the database URL names: the embedded SQLite
//! file (`sqlite://…`, the default) or a PostgreSQL server
//! (`postgres://…`), with the ID vault keyed from the secrets, and the
//! audit head kept outside the database: every committed append of the
//! audit chain is logged and written to `<data_dir>/audit-head.json`, so
//! that `zhengshu audit verify` notices the newest events cut off.

use std::path::Path;
use std::sync::Arc;

use std::path::PathBuf;
use std::sync::Mutex;

use zhengshu_domain::{AuditHead, ChainCheck};
use zhengshu_storage::{AuditHeadSink, IdVault, Storage};

use crate::Failure;
use crate::config::{Config, redact_url};

/// Opens the database the configuration names: `sqlite://…` or
/// `postgres://…`.
pub async fn open_storage(config: &Config) -> Result<Arc<dyn Storage>, Failure> {
    crate::files::private_dir(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let keys = crate::secrets::load_or_create(config)?;
    let vault = IdVault::new(&keys.vault);
    let url = config.database_url();
    let storage: Arc<dyn Storage> = if url.starts_with("sqlite:") {
        if let Some(file) = sqlite_file(&url) {
            crate::files::private_database(Path::new(file)).map_err(|e| {
                anyhow::anyhow!("cannot make the SQLite database {file} private: {e}")
            })?;
        }
        Arc::new(
            zhengshu_storage_sqlite::SqliteStore::connect(&url, vault)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?
                .with_audit_sink(HeadFile::sink(config)),
        )
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(
            zhengshu_storage_postgres::PgStore::connect(&url, vault)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot connect to PostgreSQL at {}: {e}; is the server running and the URL right?",
                        redact_url(&url)
                    )
                })?
                .with_audit_sink(HeadFile::sink(config)),
        )
    } else {
        return Err(anyhow::anyhow!(
            "unsupported database URL {:?}: use sqlite://FILE or postgres://USER@HOST/DB",
            redact_url(&url)
        )
        .into());
    };
    Ok(storage)
}

/// The file of a `sqlite://PATH[?options]` URL; `None` for an in-memory
/// database.
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

fn head_path(config: &Config) -> PathBuf {
    config.data_dir.join("audit-head.json")
}

/// The head recorded in the data directory, if any.
pub fn read_head(config: &Config) -> Result<Option<AuditHead>, Failure> {
    let path = head_path(config);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("the audit head {} is unreadable: {e}", path.display())
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display()).into()),
    }
}

/// Recomputes the audit chain from its first event and compares its end
/// with the head recorded in the data directory: the chain's head, or the
/// first break (an event edited or deleted, the newest ones cut off).
pub async fn verify_chain(
    config: &Config,
    storage: &dyn Storage,
) -> Result<Result<AuditHead, String>, Failure> {
    let recorded = read_head(config)?;
    let mut check = ChainCheck::new(recorded.as_ref());
    let mut after = 0;
    loop {
        let page = storage.audit_chain(after, 1000).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if let Err(b) = check.push(e) {
                return Ok(Err(b.to_string()));
            }
            after = e.seq;
        }
    }
    Ok(check.finish().map_err(|b| b.to_string()))
}

/// Writes each new head, logged and to the head file (replaced atomically;
/// never by an older head, since transactions may announce out of order).
#[derive(Debug)]
struct HeadFile {
    path: PathBuf,
    written: Mutex<i64>,
}

impl HeadFile {
    fn sink(config: &Config) -> Arc<dyn AuditHeadSink> {
        Arc::new(Self {
            path: head_path(config),
            written: Mutex::new(0),
        })
    }

    fn write(&self, head: &AuditHead) -> std::io::Result<()> {
        let on_disk = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str::<AuditHead>(&t).ok())
            .map_or(0, |h| h.count);
        if on_disk >= head.count {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self
            .path
            .with_extension(format!("json.{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_string(head).unwrap_or_default())?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl AuditHeadSink for HeadFile {
    fn appended(&self, head: &AuditHead) {
        let hash = zhengshu_domain::audit::to_hex(&head.hash);
        tracing::info!(count = head.count, %hash, "audit head");
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if head.count <= *written {
            return;
        }
        match self.write(head) {
            Ok(()) => *written = head.count,
            Err(e) => {
                tracing::error!(path = %self.path.display(), "cannot write the audit head: {e}")
            }
        }
    }
}
