//! The keys that make an installation: the ID vault's two keys, the
//! session key, the verifier key and the seal root. The database records a
//! keyed fingerprint of each (never a key) the first time a process starts
//! on it; every later `serve` or `worker` compares its own keys with the
//! record and refuses to start on a difference — a second node that made
//! fresh keys instead of sharing the first's would otherwise write ID
//! numbers nobody else can read, or seal documents under another root.
//! `zhengshu check` reads the same record.

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use zhengshu_storage::Storage;

use crate::Failure;
use crate::config::Config;
use crate::secrets::Keys;

/// A fingerprint of `key` for `name`: HMAC-SHA256 keyed by the key itself
/// over the name, cut to 128 bits. It tells keys apart and reveals none.
fn keyed(name: &str, key: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    m.update(b"zhengshu installation key: ");
    m.update(name.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The fingerprints of this process's keys, by name; the seal root's only
/// when it exists (the first start makes it).
pub fn fingerprints(config: &Config, keys: &Keys) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "vault_encryption_key".to_owned(),
            keyed("vault_encryption_key", &keys.vault.encryption),
        ),
        (
            "vault_index_key".to_owned(),
            keyed("vault_index_key", &keys.vault.index),
        ),
        (
            "session_key".to_owned(),
            keyed("session_key", &keys.session),
        ),
        (
            "verifier_key".to_owned(),
            keyed("verifier_key", &keys.verifier),
        ),
    ];
    if let Ok(root) = std::fs::read(config.keys_dir().join("ca.pem")) {
        out.push((
            "seal_root".to_owned(),
            hex::encode(&Sha256::digest(&root)[..16]),
        ));
    }
    out.sort();
    out
}

/// How this process's keys compare with the database's record.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Names whose fingerprints match the record.
    pub matching: Vec<String>,
    /// Names the record has with another fingerprint.
    pub differing: Vec<String>,
    /// Names not on record yet.
    pub unrecorded: Vec<String>,
}

pub fn compare(ours: &[(String, String)], on_record: &[(String, String)]) -> Comparison {
    let mut c = Comparison::default();
    for (name, fp) in ours {
        match on_record.iter().find(|(n, _)| n == name) {
            Some((_, recorded)) if recorded == fp => c.matching.push(name.clone()),
            Some(_) => c.differing.push(name.clone()),
            None => c.unrecorded.push(name.clone()),
        }
    }
    c
}

/// Records this process's fingerprints where none are on record, then
/// refuses to go on when any key differs from the record (`serve`,
/// `worker`).
pub async fn bind(config: &Config, storage: &dyn Storage, keys: &Keys) -> Result<(), Failure> {
    let ours = fingerprints(config, keys);
    let on_record = storage.bind_keys(&ours, Timestamp::now()).await?;
    refuse_differences(config, &ours, &on_record)
}

/// Refuses to go on when any key differs from the record, recording
/// nothing (`import`: a refused import leaves the database as it was).
pub async fn compare_with_record(
    config: &Config,
    storage: &dyn Storage,
    keys: &Keys,
) -> Result<(), Failure> {
    let ours = fingerprints(config, keys);
    let on_record = storage.bind_keys(&[], Timestamp::now()).await?;
    refuse_differences(config, &ours, &on_record)
}

fn refuse_differences(
    config: &Config,
    ours: &[(String, String)],
    on_record: &[(String, String)],
) -> Result<(), Failure> {
    let c = compare(ours, on_record);
    if c.differing.is_empty() {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "this database belongs to an installation with other keys ({}); this node's are in {} \
         and {}: copy secrets.toml and keys/ from the data directory of a node already running \
         on this database (or set the same [secrets] and document.keys_dir), then start again",
        c.differing.join(", "),
        config.data_dir.join(crate::secrets::FILE_NAME).display(),
        config.keys_dir().display()
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: &str, f: &str) -> (String, String) {
        (n.to_owned(), f.to_owned())
    }

    #[test]
    fn fingerprints_tell_keys_apart_and_hide_them() {
        let a = keyed("session_key", &[1; 32]);
        assert_eq!(a, keyed("session_key", &[1; 32]));
        assert_ne!(a, keyed("session_key", &[2; 32]));
        assert_ne!(a, keyed("verifier_key", &[1; 32]));
        assert_eq!(a.len(), 32);
        assert!(!a.contains(&hex::encode([1u8; 4])));
    }

    #[test]
    fn comparison_sorts_names_by_how_they_stand() {
        let c = compare(
            &[pair("a", "1"), pair("b", "2"), pair("c", "3")],
            &[pair("a", "1"), pair("b", "9")],
        );
        assert_eq!(c.matching, ["a"]);
        assert_eq!(c.differing, ["b"]);
        assert_eq!(c.unrecorded, ["c"]);
    }
}
