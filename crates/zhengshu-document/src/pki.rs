//! Seal keys and certificates. A data directory holds:
//!
//! ```text
//! ca.pem            platform root CA certificate (published for verifiers)
//! ca.key            its private key, when the root was made here (0600)
//! seals/CODE.pem    a seal certificate, optionally followed by its chain
//! seals/CODE.key    the seal's private key, PKCS#8 (0600)
//! ```
//!
//! `CODE` is an issuing body's code, or [`MINISTRY_CODE`] for the ministry's
//! seal. [`Pki::init`] makes whatever is missing; [`Pki::import`] installs
//! keys and certificates issued elsewhere (a real deployment's CA).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use der::asn1::{PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Any, DecodePem, Encode, EncodePem, pem::LineEnding};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::{OsRng, RngCore};
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use crate::DocumentError;
use crate::seal::{BODY_SEAL_PURPOSE, MINISTRY_SEAL_NAME};

/// The code under which the ministry's seal is kept.
pub const MINISTRY_CODE: &str = "ministry";
/// Organisation name of the ministry, in its seal certificate.
const MINISTRY_ORG: &str = "中华人民共和国人力资源和社会保障部";
const ROOT_CN: &str = "zhengshu 电子印章根证书";

const DAY: u64 = 86_400;
const ROOT_DAYS: u64 = 20 * 366;
const SEAL_DAYS: u64 = 10 * 366;

/// One seal: its signing key and certificate chain (seal certificate first).
#[derive(Clone)]
pub struct SealKey {
    pub(crate) key: SigningKey,
    pub(crate) cert: Certificate,
    pub(crate) cert_der: Vec<u8>,
    /// Intermediate certificates, if the seal was issued under one.
    pub(crate) chain: Vec<Certificate>,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("subject", &self.cert.tbs_certificate.subject.to_string())
            .field("key", &"…")
            .finish()
    }
}

impl SealKey {
    fn new(key: SigningKey, chain: Vec<Certificate>) -> Result<SealKey, DocumentError> {
        let cert = chain
            .first()
            .cloned()
            .ok_or_else(|| DocumentError::Keys("empty certificate file".into()))?;
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
            .map_err(|e| DocumentError::Keys(e.to_string()))?;
        if spki != cert.tbs_certificate.subject_public_key_info {
            return Err(DocumentError::Keys(format!(
                "the key does not belong to the certificate {}",
                cert.tbs_certificate.subject
            )));
        }
        let der = |c: &Certificate| c.to_der().map_err(|e| DocumentError::Keys(e.to_string()));
        Ok(SealKey {
            cert_der: der(&cert)?,
            chain: chain[1..].to_vec(),
            key,
            cert,
        })
    }

    /// The seal certificate's subject, RFC 4514 style.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// When the seal certificate's validity begins.
    pub fn not_before(&self) -> jiff::Timestamp {
        time_of(&self.cert.tbs_certificate.validity.not_before)
    }

    /// When the seal certificate's validity ends.
    pub fn not_after(&self) -> jiff::Timestamp {
        time_of(&self.cert.tbs_certificate.validity.not_after)
    }

    /// The SHA-256 fingerprint of the seal certificate (DER), upper-case
    /// hexadecimal pairs separated by colons, as certificate viewers show it.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(&self.cert_der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The seal certificate in PEM.
    pub fn cert_pem(&self) -> String {
        self.cert
            .to_pem(LineEnding::LF)
            .expect("a parsed certificate encodes")
    }
}

/// The platform's trust root and seal keys.
#[derive(Clone, Debug)]
pub struct Pki {
    ca: Certificate,
    ca_key: Option<SigningKey>,
    seals: BTreeMap<String, SealKey>,
    dir: PathBuf,
}

impl Pki {
    /// Makes what is missing in `dir`: the root CA, the ministry's seal and
    /// one seal per issuing body `(code, name)`; then loads everything.
    /// Existing keys are kept. Private keys are written with mode 0600.
    pub fn init(dir: impl AsRef<Path>, bodies: &[(&str, &str)]) -> Result<Pki, DocumentError> {
        let dir = dir.as_ref();
        create_dir(dir)?;
        // One maker at a time, across threads and processes (a `serve`
        // and a `worker` starting together on a fresh data directory);
        // the lock ends when the file is closed.
        let lock_path = dir.join(".init.lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        lock.lock().map_err(|e| io(&lock_path, e))?;
        create_dir(&dir.join("seals"))?;
        if !dir.join("ca.pem").exists() {
            let key = SigningKey::random(&mut OsRng);
            let subject = name(&[("C", "CN"), ("O", "zhengshu"), ("CN", ROOT_CN)])?;
            let cert = issue(Profile::Root, subject, key.verifying_key(), &key, ROOT_DAYS)?;
            write_private(&dir.join("ca.key"), &key)?;
            write_file(&dir.join("ca.pem"), cert_pem(&cert)?.as_bytes())?;
        }
        let mut pki = Pki::load(dir)?;
        if !pki.seals.contains_key(MINISTRY_CODE) {
            pki.add_seal(MINISTRY_CODE, MINISTRY_ORG, MINISTRY_SEAL_NAME)?;
        }
        for (code, body_name) in bodies {
            if !pki.seals.contains_key(*code) {
                pki.add_body(code, body_name)?;
            }
        }
        Ok(pki)
    }

    /// Loads the root certificate and every seal in `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Pki, DocumentError> {
        let dir = dir.as_ref();
        let ca_pem = read(&dir.join("ca.pem"))?;
        let ca = Certificate::from_pem(&ca_pem)
            .map_err(|e| DocumentError::Keys(format!("ca.pem: {e}")))?;
        let ca_key = match dir.join("ca.key") {
            p if p.exists() => Some(read_private(&p)?),
            _ => None,
        };
        let mut seals = BTreeMap::new();
        let seal_dir = dir.join("seals");
        if seal_dir.is_dir() {
            let entries = fs::read_dir(&seal_dir).map_err(|e| io(&seal_dir, e))?;
            for entry in entries {
                let path = entry.map_err(|e| io(&seal_dir, e))?.path();
                if path.extension().is_some_and(|e| e == "pem") {
                    let code = path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or_default()
                        .to_string();
                    let key = read_private(&path.with_extension("key"))?;
                    let chain = read_chain(&path)?;
                    seals.insert(code, SealKey::new(key, chain)?);
                }
            }
        }
        Ok(Pki {
            ca,
            ca_key,
            seals,
            dir: dir.to_path_buf(),
        })
    }

    /// Installs a seal key and certificate issued elsewhere under `code`
    /// (PEM files; the certificate file may continue with its chain), and
    /// `ca_pem` as the trust root when given.
    pub fn import(
        dir: impl AsRef<Path>,
        code: &str,
        key_file: impl AsRef<Path>,
        cert_file: impl AsRef<Path>,
        ca_pem: Option<&Path>,
    ) -> Result<Pki, DocumentError> {
        let dir = dir.as_ref();
        check_code(code)?;
        create_dir(dir)?;
        create_dir(&dir.join("seals"))?;
        let key = read_private(key_file.as_ref())?;
        let chain = read_chain(cert_file.as_ref())?;
        SealKey::new(key.clone(), chain.clone())?;
        if let Some(ca) = ca_pem {
            let pem = read(ca)?;
            Certificate::from_pem(&pem)
                .map_err(|e| DocumentError::Keys(format!("{}: {e}", ca.display())))?;
            replace_file(&dir.join("ca.pem"), &pem, 0o644)?;
        }
        let mut pem = String::new();
        for c in &chain {
            pem.push_str(&cert_pem(c)?);
        }
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| DocumentError::Keys(e.to_string()))?;
        replace_file(
            &dir.join("seals").join(format!("{code}.key")),
            key_pem.as_bytes(),
            0o600,
        )?;
        replace_file(
            &dir.join("seals").join(format!("{code}.pem")),
            pem.as_bytes(),
            0o644,
        )?;
        Pki::load(dir)
    }

    /// Issues a seal for a new issuing body with the root key made by
    /// [`Pki::init`], and stores it.
    pub fn add_body(&mut self, code: &str, body_name: &str) -> Result<(), DocumentError> {
        self.add_seal(code, body_name, &format!("{body_name}{BODY_SEAL_PURPOSE}"))
    }

    fn add_seal(&mut self, code: &str, org: &str, seal_name: &str) -> Result<(), DocumentError> {
        check_code(code)?;
        let ca_key = self.ca_key.as_ref().ok_or_else(|| {
            DocumentError::Keys(
                "the root CA key is not here (imported root): import the seal instead".into(),
            )
        })?;
        let key = SigningKey::random(&mut OsRng);
        let subject = name(&[("C", "CN"), ("O", org), ("CN", seal_name)])?;
        let profile = Profile::Leaf {
            issuer: self.ca.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let cert = issue(profile, subject, key.verifying_key(), ca_key, SEAL_DAYS)?;
        let seals = self.dir.join("seals");
        write_private(&seals.join(format!("{code}.key")), &key)?;
        write_file(
            &seals.join(format!("{code}.pem")),
            cert_pem(&cert)?.as_bytes(),
        )?;
        self.seals
            .insert(code.to_string(), SealKey::new(key, vec![cert])?);
        Ok(())
    }

    /// The root certificate in PEM, as published at
    /// `/.well-known/zhengshu/ca.pem`.
    pub fn ca_pem(&self) -> String {
        self.ca
            .to_pem(LineEnding::LF)
            .expect("a parsed certificate encodes")
    }

    /// The platform root as the document checker trusts it.
    pub fn trust(&self) -> zhengshu_check::Trust {
        zhengshu_check::Trust::of(vec![self.ca.clone()])
    }

    /// The seal kept under `code` (a body code or [`MINISTRY_CODE`]).
    pub fn seal(&self, code: &str) -> Result<&SealKey, DocumentError> {
        self.seals
            .get(code)
            .ok_or_else(|| DocumentError::NoSealKey(code.to_string()))
    }

    /// Codes of all seals present.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.seals.keys().map(String::as_str)
    }

    /// Every seal present, by code.
    pub fn seals(&self) -> impl Iterator<Item = (&str, &SealKey)> {
        self.seals.iter().map(|(c, k)| (c.as_str(), k))
    }

    /// The directory the keys are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether new seals can be made here (the root's key is here, not an
    /// imported root's).
    pub fn can_issue(&self) -> bool {
        self.ca_key.is_some()
    }
}

/// An X.509 time as a timestamp.
fn time_of(t: &Time) -> jiff::Timestamp {
    let since = t.to_unix_duration();
    jiff::Timestamp::from_second(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(jiff::Timestamp::MAX)
}

fn check_code(code: &str) -> Result<(), DocumentError> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(DocumentError::Keys(format!("invalid seal code {code:?}")))
    }
}

/// A distinguished name; C is a PrintableString, the rest UTF8String.
fn name(parts: &[(&str, &str)]) -> Result<Name, DocumentError> {
    let bad = |e: der::Error| DocumentError::Keys(e.to_string());
    let mut rdns = Vec::new();
    for (attr, value) in parts {
        let oid = match *attr {
            "C" => const_oid::db::rfc4519::C,
            "O" => const_oid::db::rfc4519::O,
            _ => const_oid::db::rfc4519::CN,
        };
        let value = if *attr == "C" {
            Any::encode_from(&PrintableStringRef::new(value).map_err(bad)?).map_err(bad)?
        } else {
            Any::encode_from(&Utf8StringRef::new(value).map_err(bad)?).map_err(bad)?
        };
        let atv = AttributeTypeAndValue { oid, value };
        rdns.push(RelativeDistinguishedName(
            SetOfVec::try_from(vec![atv]).map_err(bad)?,
        ));
    }
    Ok(RdnSequence(rdns))
}

fn issue(
    profile: Profile,
    subject: Name,
    public: &VerifyingKey,
    signer: &SigningKey,
    days: u64,
) -> Result<Certificate, DocumentError> {
    let bad = |e: &dyn std::fmt::Display| DocumentError::Keys(e.to_string());
    let mut serial = [0u8; 16];
    OsRng.fill_bytes(&mut serial);
    serial[0] = (serial[0] & 0x7f) | 0x10;
    // A day's slack before now tolerates verifiers whose clocks lag.
    let now = SystemTime::now();
    let validity = Validity {
        not_before: Time::try_from(now - Duration::from_secs(DAY)).map_err(|e| bad(&e))?,
        not_after: Time::try_from(now + Duration::from_secs(days * DAY)).map_err(|e| bad(&e))?,
    };
    let spki = SubjectPublicKeyInfoOwned::from_key(*public).map_err(|e| bad(&e))?;
    let serial = SerialNumber::new(&serial).map_err(|e| bad(&e))?;
    let builder = CertificateBuilder::new(profile, serial, validity, subject, spki, signer)
        .map_err(|e| bad(&e))?;
    builder.build::<DerSignature>().map_err(|e| bad(&e))
}

fn cert_pem(cert: &Certificate) -> Result<String, DocumentError> {
    cert.to_pem(LineEnding::LF)
        .map_err(|e| DocumentError::Keys(e.to_string()))
}

fn read_chain(path: &Path) -> Result<Vec<Certificate>, DocumentError> {
    let pem = read(path)?;
    let chain = Certificate::load_pem_chain(&pem)
        .map_err(|e| DocumentError::Keys(format!("{}: {e}", path.display())))?;
    if chain.is_empty() {
        return Err(DocumentError::Keys(format!(
            "{}: no certificate",
            path.display()
        )));
    }
    Ok(chain)
}

fn read_private(path: &Path) -> Result<SigningKey, DocumentError> {
    let pem = fs::read_to_string(path).map_err(|e| io(path, e))?;
    SigningKey::from_pkcs8_pem(&pem)
        .or_else(|_| p256::SecretKey::from_sec1_pem(&pem).map(SigningKey::from))
        .map_err(|e| {
            DocumentError::Keys(format!("{}: not a P-256 private key ({e})", path.display()))
        })
}

fn write_private(path: &Path, key: &SigningKey) -> Result<(), DocumentError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| DocumentError::Keys(e.to_string()))?;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(pem.as_bytes()).map_err(|e| io(path, e))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DocumentError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(|e| io(path, e))?;
    f.write_all(bytes).map_err(|e| io(path, e))
}

/// Writes through a temporary file and renames, so a reader never sees half a key.
fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), DocumentError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| io(&tmp, e))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(|e| io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn create_dir(dir: &Path) -> Result<(), DocumentError> {
    fs::create_dir_all(dir).map_err(|e| io(dir, e))
}

fn read(path: &Path) -> Result<Vec<u8>, DocumentError> {
    fs::read(path).map_err(|e| io(path, e))
}

fn io(path: &Path, source: std::io::Error) -> DocumentError {
    DocumentError::Io {
        path: path.to_path_buf(),
        source,
    }
}
