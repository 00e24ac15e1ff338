//! The keys zhengshu cannot run without. Each one the configuration does
//! not give is read from `<data-dir>/secrets.toml`; on a first start the
//! file is created (mode 0600) with fresh random keys, and one log line
//! says so.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zhengshu_storage::VaultKeys;

use crate::config::{Config, Secret};

/// The keys in effect.
#[derive(Debug, Clone)]
pub struct Keys {
    pub vault: VaultKeys,
    pub session: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    vault_encryption_key: String,
    vault_index_key: String,
    session_key: String,
}

pub const FILE_NAME: &str = "secrets.toml";

pub fn load_or_create(config: &Config) -> anyhow::Result<Keys> {
    let s = &config.secrets;
    let configured = [&s.vault_encryption_key, &s.vault_index_key, &s.session_key];
    let file = if configured.iter().all(|k| k.is_some()) {
        None
    } else {
        Some(read_or_create(&config.data_dir.join(FILE_NAME))?)
    };
    let pick = |own: &Option<Secret>, name: &str, from_file: fn(&SecretsFile) -> &String| {
        let hex_key = match (own, &file) {
            (Some(k), _) => k.expose().to_owned(),
            (None, Some(f)) => from_file(f).clone(),
            (None, None) => unreachable!("the file is read when a key is missing"),
        };
        key32(&hex_key).with_context(|| format!("secrets.{name} must be 64 hex digits"))
    };
    Ok(Keys {
        vault: VaultKeys {
            encryption: pick(&s.vault_encryption_key, "vault_encryption_key", |f| {
                &f.vault_encryption_key
            })?,
            index: pick(&s.vault_index_key, "vault_index_key", |f| {
                &f.vault_index_key
            })?,
        },
        session: pick(&s.session_key, "session_key", |f| &f.session_key)?,
    })
}

fn key32(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim())?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(k) => Ok(k),
        Err(_) => bail!("{} bytes instead of 32", bytes.len()),
    }
}

fn read_or_create(path: &Path) -> anyhow::Result<SecretsFile> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("invalid secrets file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fresh = || {
                let mut k = [0u8; 32];
                rand::rng().fill_bytes(&mut k);
                hex::encode(k)
            };
            let file = SecretsFile {
                vault_encryption_key: fresh(),
                vault_index_key: fresh(),
                session_key: fresh(),
            };
            write_private(path, &toml::to_string(&file)?)
                .with_context(|| format!("cannot write the secrets file {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "generated new secret keys (mode 0600); back the file up: without it the ID numbers in the database cannot be read"
            );
            Ok(file)
        }
        Err(e) => {
            Err(e).with_context(|| format!("cannot read the secrets file {}", path.display()))
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_private_keys_and_later_starts_reuse_them() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let a = load_or_create(&config).unwrap();
        let b = load_or_create(&config).unwrap();
        assert_eq!(a.vault.encryption, b.vault.encryption);
        assert_ne!(a.vault.encryption, a.vault.index);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut configured = config.clone();
        configured.secrets.session_key = Some(Secret::new("ab".repeat(32)));
        assert_eq!(load_or_create(&configured).unwrap().session, [0xab; 32]);
        configured.secrets.session_key = Some(Secret::new("abc".into()));
        assert!(load_or_create(&configured).is_err());
    }
}
