//! Opens the storage backend the database URL names: the embedded SQLite
//! file (`sqlite://…`, the default) or a PostgreSQL server
//! (`postgres://…`), with the ID vault keyed from the secrets.

use std::path::Path;
use std::sync::Arc;

use zhengshu_storage::{IdVault, Storage};

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
                .map_err(|e| anyhow::anyhow!("cannot open the SQLite database {url}: {e}"))?,
        )
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(zhengshu_storage_postgres::PgStore::connect(&url, vault).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to PostgreSQL at {}: {e}; is the server running and the URL right?",
                redact_url(&url)
            )
        })?)
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
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}
