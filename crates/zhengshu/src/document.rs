//! `zhengshu keys` and `zhengshu render`, and the document renderer the
//! server uses: fonts found, seal keys made or loaded (one seal per issuing
//! body in the database, plus the ministry's).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::Timestamp;
use zhengshu_document::{Fonts, Issue, Pki, RenderSettings, Renderer};
use zhengshu_domain::{CertificateNumber, VerificationCode};
use zhengshu_storage::annotations::sha256_hex;
use zhengshu_storage::{IssuedDocument, Storage, StorageError};

use crate::Failure;
use crate::config::Config;
use crate::storage::open_storage;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make what is missing: the platform root CA, the ministry's seal and
    /// one seal per issuing body (existing keys are kept)
    Init,
    /// Install a seal key and certificate issued elsewhere (PEM files)
    Import(KeysImportArgs),
}

#[derive(Debug, Args)]
pub struct KeysImportArgs {
    /// The seal: an issuing body code, or `ministry`
    #[arg(long, value_name = "CODE")]
    pub seal: String,
    /// The private key (PKCS#8 PEM, ECDSA P-256)
    #[arg(long, value_name = "KEY.pem")]
    pub key: PathBuf,
    /// The seal certificate, optionally followed by its chain (PEM)
    #[arg(long, value_name = "CERT.pem")]
    pub cert: PathBuf,
    /// The root certificate to publish and trust instead of the current one
    #[arg(long, value_name = "CA.pem")]
    pub ca: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Certificate number (证书编号)
    #[arg(long, value_name = "NO")]
    pub certificate: String,
    /// Render the document of this annotation (加注) instead
    #[arg(long, value_name = "ID")]
    pub annotation: Option<i64>,
    /// Signing time recorded in the signatures [default: now]
    #[arg(long, value_name = "RFC3339")]
    pub signed_at: Option<Timestamp>,
    /// Where to write the PDF
    #[arg(short = 'o', long, value_name = "OUT.pdf")]
    pub output: PathBuf,
}

/// The fonts the configuration names, or the system's; a missing font is an
/// environment error naming the package to install.
pub fn fonts(config: &Config) -> Result<Fonts, Failure> {
    let fonts = match &config.document.font_dir {
        Some(dir) => Fonts::from_dir(dir),
        None => Fonts::discover(),
    };
    fonts.map_err(|e| anyhow::anyhow!("{e}").into())
}

/// Loads the seal keys, making those that are missing (the root, the
/// ministry's seal, a seal for each issuing body); logs one line when it
/// made any. With an imported root no seal can be made here: a body
/// without one (added on the operator's console) is named in a warning
/// and its documents fail until its seal is imported — the service still
/// starts.
pub async fn keys(config: &Config, storage: &dyn Storage) -> Result<Pki, Failure> {
    let dir = config.keys_dir();
    let bodies = storage.issuing_bodies().await?;
    let loaded = Pki::load(&dir).ok();
    let before: Vec<String> = loaded
        .as_ref()
        .map(|p| p.codes().map(str::to_owned).collect())
        .unwrap_or_default();
    let can_make = loaded.as_ref().is_none_or(Pki::can_issue);
    let (pairs, unsealed): (Vec<_>, Vec<_>) = bodies
        .iter()
        .map(|b| (b.code.as_str(), b.name.as_str()))
        .partition(|(code, _)| can_make || before.iter().any(|b| b == code));
    if !unsealed.is_empty() {
        let codes: Vec<&str> = unsealed.iter().map(|(c, _)| *c).collect();
        tracing::warn!(
            dir = %dir.display(),
            bodies = %codes.join(","),
            "issuing bodies without a seal (the root is imported, so none can be made here): \
             their certificates get no document until `zhengshu keys import --seal CODE` installs one"
        );
    }
    let pki = Pki::init(&dir, &pairs)
        .map_err(|e| anyhow::anyhow!("seal keys in {}: {e}", dir.display()))?;
    let made: Vec<&str> = pki
        .codes()
        .filter(|c| !before.iter().any(|b| b == c))
        .collect();
    if !made.is_empty() {
        tracing::info!(
            dir = %dir.display(),
            seals = %made.join(","),
            "generated seal keys (private keys mode 0600); trust root: {}",
            dir.join("ca.pem").display()
        );
    }
    Ok(pki)
}

/// The renderer the server and the commands use.
pub async fn renderer(config: &Config, storage: &dyn Storage) -> Result<Renderer, Failure> {
    let fonts = fonts(config)?;
    let pki = keys(config, storage).await?;
    Ok(Renderer::new(
        fonts,
        pki,
        RenderSettings {
            public_base_url: config.public_base_url.clone(),
            ministry_seal_since: config.annotation.cutover,
            photo_dir: Some(config.data_dir.join("photos")),
        },
    ))
}

pub async fn keys_command(config: &Config, command: KeysCommand) -> Result<(), Failure> {
    let dir = config.keys_dir();
    match command {
        KeysCommand::Init => {
            let storage = open_storage(config).await?;
            storage.migrate().await?;
            let pki = keys(config, &*storage).await?;
            println!(
                "seal keys in {}: {}; trust root {}",
                dir.display(),
                pki.codes().collect::<Vec<_>>().join(", "),
                dir.join("ca.pem").display()
            );
        }
        KeysCommand::Import(a) => {
            let pki = Pki::import(&dir, &a.seal, &a.key, &a.cert, a.ca.as_deref())
                .map_err(|e| anyhow::anyhow!("cannot import the seal {:?}: {e}", a.seal))?;
            let seal = pki.seal(&a.seal).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("seal {} imported: {}", a.seal, seal.subject());
        }
    }
    Ok(())
}

pub async fn render_command(config: &Config, args: RenderArgs) -> Result<(), Failure> {
    let number = CertificateNumber::parse(&args.certificate).map_err(|e| {
        eprintln!(
            "zhengshu: invalid certificate number {:?}: {e}",
            args.certificate
        );
        Failure::Rejected
    })?;
    let storage = open_storage(config).await?;
    let certificate = match storage.certificate_by_number(&number).await {
        Ok(c) => c,
        Err(StorageError::NotFound) => {
            eprintln!("zhengshu: no certificate numbered {}", number.as_str());
            return Err(Failure::Rejected);
        }
        Err(e) => return Err(e.into()),
    };
    let block = match args.annotation {
        None => None,
        Some(id) => {
            let a = match storage.annotation(id).await {
                Ok(a) if a.certificate_id == certificate.id => a,
                Ok(_) | Err(StorageError::NotFound) => {
                    eprintln!(
                        "zhengshu: certificate {} has no annotation {id}",
                        number.as_str()
                    );
                    return Err(Failure::Rejected);
                }
                Err(e) => return Err(e.into()),
            };
            let Some((from, until)) = a.valid_from.zip(a.valid_until) else {
                eprintln!(
                    "zhengshu: annotation {id} is {}: it has no validity yet, so no document",
                    a.stored_state.code()
                );
                return Err(Failure::Rejected);
            };
            Some(zhengshu_worker::block(&a, from, until))
        }
    };
    let renderer = renderer(config, &*storage).await?;
    let signing_time = args.signed_at.unwrap_or_else(Timestamp::now);
    // A certificate's own document is recorded under a fresh 查验码, so
    // that its QR code leads to a verify page of the certificate.
    let plain_code = {
        let mut bytes = [0u8; VerificationCode::LEN];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        VerificationCode::from_random(bytes)
    };
    let issue = match &block {
        Some(b) => Issue::Annotated(b),
        None => Issue::Plain {
            verification_code: plain_code.as_str(),
        },
    };
    let pdf = match renderer.render(&certificate, issue, signing_time) {
        Ok(pdf) => pdf,
        Err(e @ zhengshu_document::DocumentError::Revoked(_)) => {
            eprintln!("zhengshu: {e}");
            return Err(Failure::Rejected);
        }
        Err(e) => return Err(anyhow::anyhow!("cannot render: {e}").into()),
    };
    if block.is_none() {
        storage
            .record_issued_document(&IssuedDocument {
                code: plain_code.clone(),
                sha256: sha256_hex(&pdf),
                certificate_id: certificate.id,
                annotation_id: None,
                issued_at: signing_time,
            })
            .await?;
    }
    std::fs::write(&args.output, &pdf)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.output.display()))?;
    println!("{} ({} bytes)", args.output.display(), pdf.len());
    Ok(())
}
