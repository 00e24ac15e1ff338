//! At-rest protection of ID numbers: each number is sealed with
//! AES-256-GCM (random 96-bit nonce, the ID type as associated data) and
//! indexed by HMAC-SHA256 over type and number, so equal documents can be
//! found without decrypting anything. Other secrets kept for later use
//! (staff members' TOTP keys) are sealed with the same key, bound to the
//! row they belong to. The keys come from configuration and are never
//! printed.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zhengshu_domain::{IdDocument, IdNumber, IdType};

use crate::StorageError;

/// The two 256-bit keys.
#[derive(Clone)]
pub struct VaultKeys {
    pub encryption: [u8; 32],
    pub index: [u8; 32],
}

impl std::fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKeys(<redacted>)")
    }
}

/// An ID number as stored: ciphertext (nonce ‖ sealed bytes) and blind index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedId {
    pub cipher: Vec<u8>,
    pub index: Vec<u8>,
}

#[derive(Clone)]
pub struct IdVault {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for IdVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdVault(<keys redacted>)")
    }
}

const NONCE_LEN: usize = 12;

impl IdVault {
    pub fn new(keys: &VaultKeys) -> Self {
        Self {
            cipher: Aes256Gcm::new(&keys.encryption.into()),
            index_key: keys.index,
        }
    }

    pub fn seal(&self, doc: &IdDocument) -> SealedId {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: doc.number.expose().as_bytes(),
                    aad: doc.id_type.code().as_bytes(),
                },
            )
            // Encryption of a short message with a valid key cannot fail.
            .unwrap_or_default();
        let mut cipher = Vec::with_capacity(NONCE_LEN + sealed.len());
        cipher.extend_from_slice(&nonce);
        cipher.extend_from_slice(&sealed);
        SealedId {
            cipher,
            index: self.blind_index(doc),
        }
    }

    /// Seals another secret (a staff member's TOTP key) the same way,
    /// bound to `context` (associated data naming what it belongs to), so
    /// a sealed value copied to another row does not open.
    pub fn seal_secret(&self, secret: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: context,
                },
            )
            // Encryption of a short message with a valid key cannot fail.
            .unwrap_or_default();
        let mut cipher = Vec::with_capacity(NONCE_LEN + sealed.len());
        cipher.extend_from_slice(&nonce);
        cipher.extend_from_slice(&sealed);
        cipher
    }

    /// Opens what [`IdVault::seal_secret`] sealed for `context`.
    pub fn open_secret(&self, cipher: &[u8], context: &[u8]) -> Result<Vec<u8>, StorageError> {
        if cipher.len() <= NONCE_LEN {
            return Err(StorageError::corrupt("sealed secret too short"));
        }
        let (nonce, sealed) = cipher.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context,
                },
            )
            .map_err(|_| {
                StorageError::corrupt("sealed secret does not open with the configured key")
            })
    }

    /// The look-up key of a document.
    pub fn blind_index(&self, doc: &IdDocument) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC takes keys of any length");
        mac.update(doc.id_type.code().as_bytes());
        mac.update(&[0]);
        mac.update(doc.number.expose().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Seals another personal text (a recorded phone number or e-mail
    /// address) the same way, `label` as associated data, so a sealed
    /// phone number does not open as an e-mail address.
    pub fn seal_text(&self, label: &str, text: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: text.as_bytes(),
                    aad: label.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut cipher = Vec::with_capacity(NONCE_LEN + sealed.len());
        cipher.extend_from_slice(&nonce);
        cipher.extend_from_slice(&sealed);
        cipher
    }

    /// Opens what [`IdVault::seal_text`] sealed under `label`.
    pub fn open_text(&self, label: &str, cipher: &[u8]) -> Result<String, StorageError> {
        if cipher.len() <= NONCE_LEN {
            return Err(StorageError::corrupt("sealed text too short"));
        }
        let (nonce, sealed) = cipher.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| {
                StorageError::corrupt("sealed text does not open with the configured key")
            })?;
        String::from_utf8(plain).map_err(|_| StorageError::corrupt("sealed text not UTF-8"))
    }

    pub fn open(&self, id_type: IdType, cipher: &[u8]) -> Result<IdDocument, StorageError> {
        if cipher.len() <= NONCE_LEN {
            return Err(StorageError::corrupt("sealed ID too short"));
        }
        let (nonce, sealed) = cipher.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: id_type.code().as_bytes(),
                },
            )
            .map_err(|_| {
                StorageError::corrupt("sealed ID does not open with the configured key")
            })?;
        let s =
            String::from_utf8(plain).map_err(|_| StorageError::corrupt("sealed ID not UTF-8"))?;
        let number = IdNumber::parse(id_type, &s)
            .map_err(|e| StorageError::corrupt(format!("sealed ID invalid: {e}")))?;
        Ok(IdDocument { id_type, number })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(k: u8) -> IdVault {
        IdVault::new(&VaultKeys {
            encryption: [k; 32],
            index: [k + 1; 32],
        })
    }

    #[test]
    fn seals_and_opens() {
        let v = vault(1);
        let doc = IdDocument::parse(IdType::ResidentId, "11010519491231002X").unwrap();
        let s1 = v.seal(&doc);
        let s2 = v.seal(&doc);
        assert_ne!(s1.cipher, s2.cipher, "random nonces");
        assert_eq!(s1.index, s2.index, "deterministic index");
        assert!(!s1.cipher.windows(8).any(|w| w == b"19491231"));
        assert_eq!(v.open(IdType::ResidentId, &s1.cipher).unwrap(), doc);
        // Wrong type (associated data), wrong key, tampering: refused.
        assert!(v.open(IdType::Passport, &s1.cipher).is_err());
        assert!(vault(7).open(IdType::ResidentId, &s1.cipher).is_err());
        let mut t = s1.cipher.clone();
        t[15] ^= 1;
        assert!(v.open(IdType::ResidentId, &t).is_err());
        assert_ne!(vault(7).blind_index(&doc), s1.index);
    }

    #[test]
    fn secrets_open_only_for_their_context_and_key() {
        let v = vault(1);
        let secret = [0x5a_u8; 20];
        let sealed = v.seal_secret(&secret, b"totp:1");
        assert_ne!(sealed, v.seal_secret(&secret, b"totp:1"), "random nonces");
        assert!(!sealed.windows(4).any(|w| w == [0x5a; 4]));
        assert_eq!(v.open_secret(&sealed, b"totp:1").unwrap(), secret);
        assert!(v.open_secret(&sealed, b"totp:2").is_err(), "another row");
        assert!(vault(7).open_secret(&sealed, b"totp:1").is_err());
        assert!(v.open_secret(&sealed[..12], b"totp:1").is_err());
    }

    #[test]
    fn texts_seal_under_their_label() {
        let v = vault(1);
        let c = v.seal_text("phone", "13812341234");
        assert!(!c.windows(4).any(|w| w == b"1381"));
        assert_eq!(v.open_text("phone", &c).unwrap(), "13812341234");
        assert!(v.open_text("email", &c).is_err());
        assert!(vault(7).open_text("phone", &c).is_err());
    }
}
