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
    pub verifier: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct SecretsFile {
    vault_encryption_key: String,
    vault_index_key: String,
    session_key: String,
    /// Absent from files written before verification was recorded; added
    /// on the next start.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    verifier_key: String,
}

pub const FILE_NAME: &str = "secrets.toml";

pub fn load_or_create(config: &Config) -> anyhow::Result<Keys> {
    let s = &config.secrets;
    let configured = [
        &s.vault_encryption_key,
        &s.vault_index_key,
        &s.session_key,
        &s.verifier_key,
    ];
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
        verifier: pick(&s.verifier_key, "verifier_key", |f| &f.verifier_key)?,
    })
}

fn key32(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim())?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(k) => Ok(k),
        Err(_) => bail!("{} bytes instead of 32", bytes.len()),
    }
}

fn fresh() -> String {
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    hex::encode(k)
}

fn read_or_create(path: &Path) -> anyhow::Result<SecretsFile> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mut file: SecretsFile = toml::from_str(&text)
                .with_context(|| format!("invalid secrets file {}", path.display()))?;
            if file.verifier_key.is_empty() {
                file.verifier_key = fresh();
                add_verifier_key(path, &toml::to_string(&file)?).with_context(|| {
                    format!(
                        "cannot add verifier_key to the secrets file {}",
                        path.display()
                    )
                })?;
                tracing::warn!(path = %path.display(), "added a new verifier_key to the secrets file");
            }
            Ok(file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let file = SecretsFile {
                vault_encryption_key: fresh(),
                vault_index_key: fresh(),
                session_key: fresh(),
                verifier_key: fresh(),
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

/// Replaces the secrets file by `text` (the old keys and the new one) at
/// once: written beside it, then renamed over it.
fn add_verifier_key(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("toml.new");
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_private(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = crate::files::create_private(path)?;
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
        assert_ne!(a.verifier, a.session);
        assert_eq!(a.verifier, b.verifier);
    }

    #[test]
    fn a_file_without_a_verifier_key_gets_one_and_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let old = format!(
            "vault_encryption_key = \"{}\"\nvault_index_key = \"{}\"\nsession_key = \"{}\"\n",
            "01".repeat(32),
            "02".repeat(32),
            "03".repeat(32)
        );
        write_private(&path, &old).unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let a = load_or_create(&config).unwrap();
        assert_eq!(a.vault.encryption, [1; 32]);
        assert_eq!(a.session, [3; 32]);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("verifier_key")
        );
        assert_eq!(load_or_create(&config).unwrap().verifier, a.verifier);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
