//! The entry point services use: a [`Renderer`] holds the fonts, the seal
//! keys and the settings, and turns a stored certificate (and its
//! annotation) into the signed document.

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::Date;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use zhengshu_domain::{Certificate, CertificateStatus, IdType, Sex};

use crate::{
    AnnotationBlock, DEFAULT_TITLE, DocumentError, DocumentInput, Fonts, MINISTRY_SEAL_SINCE, Pki,
    RenderOptions, render_with,
};

/// What a deployment configures about its documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderSettings {
    /// The address the QR code points to, without a trailing slash, e.g.
    /// `https://zhengshu.example.cn`.
    pub public_base_url: String,
    /// Certificates issued on or after this day carry the ministry's seal
    /// before the issuing body's (the cut-over, 2021-12-17).
    pub ministry_seal_since: Date,
    /// Where imported photos are kept (named as stored on the certificate).
    pub photo_dir: Option<PathBuf>,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            public_base_url: "http://127.0.0.1:8080".into(),
            ministry_seal_since: MINISTRY_SEAL_SINCE,
            photo_dir: None,
        }
    }
}

/// What a document is issued as, and so where its QR code leads: both
/// open `{public_base_url}/verify/{查验码}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issue<'a> {
    /// An annotated document: the annotation block, whose 查验码 the QR
    /// code carries.
    Annotated(&'a AnnotationBlock),
    /// The document of a certificate that needs no annotation, under the
    /// 查验码 recorded for this one document.
    Plain {
        /// The document's own 查验码.
        verification_code: &'a str,
    },
}

impl<'a> Issue<'a> {
    /// The annotation block, if any.
    pub fn annotation(self) -> Option<&'a AnnotationBlock> {
        match self {
            Issue::Annotated(a) => Some(a),
            Issue::Plain { .. } => None,
        }
    }

    /// The 查验码 the QR code carries.
    pub fn verification_code(self) -> &'a str {
        match self {
            Issue::Annotated(a) => &a.verification_code,
            Issue::Plain { verification_code } => verification_code,
        }
    }
}

/// Makes signed e-certificates. It is `Send + Sync`: one renderer (in an
/// `Arc`) serves every worker thread; rendering takes `&self`.
///
/// Its seal keys are those on disk when it was made, plus any seal it
/// needed later: an issuing body added while the service runs (by the
/// operator, in another process perhaps) has no seal in memory, so the
/// first document of that body reloads the key directory — taking a seal
/// another process made or an operator imported — and makes the seal if
/// it is still missing and the root's key is here ([`Renderer::ensure_seal`]).
/// With an imported root and no imported seal the document fails with a
/// message naming the missing seal.
#[derive(Debug)]
pub struct Renderer {
    fonts: Fonts,
    pki: std::sync::RwLock<Pki>,
    settings: RenderSettings,
}

// Annotation workers share one renderer between threads.
const _: fn() = || {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Renderer>();
};

impl Renderer {
    /// A renderer over loaded fonts and keys.
    pub fn new(fonts: Fonts, pki: Pki, settings: RenderSettings) -> Self {
        Renderer {
            fonts,
            pki: std::sync::RwLock::new(pki),
            settings,
        }
    }

    /// The seal keys in use (a copy).
    pub fn pki(&self) -> Pki {
        self.read_pki().clone()
    }

    fn read_pki(&self) -> std::sync::RwLockReadGuard<'_, Pki> {
        // A writer panicking leaves the keys as they were: still usable.
        self.pki
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes sure the seal of issuing body `code` (named `body_name`) is
    /// in use: reloads the key directory when it is not, and makes the
    /// seal when it is not there either. Answers whether it made one.
    /// Fails when the seal is missing and cannot be made here (an
    /// imported root: the seal must be imported with `zhengshu keys import`).
    pub fn ensure_seal(&self, code: &str, body_name: &str) -> Result<bool, DocumentError> {
        if self.read_pki().seal(code).is_ok() {
            return Ok(false);
        }
        let mut pki = self
            .pki
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pki.seal(code).is_ok() {
            return Ok(false);
        }
        let dir = pki.dir().to_path_buf();
        let loaded = Pki::load(&dir)?;
        if loaded.seal(code).is_ok() {
            *pki = loaded;
            return Ok(false);
        }
        if !loaded.can_issue() {
            return Err(DocumentError::NoSealKey(code.to_owned()));
        }
        *pki = Pki::init(&dir, &[(code, body_name)])?;
        Ok(true)
    }

    /// The settings in use.
    pub fn settings(&self) -> &RenderSettings {
        &self.settings
    }

    /// The signed PDF of `certificate`, issued as `issue` (annotated or
    /// not). A revoked certificate has no document.
    pub fn render(
        &self,
        certificate: &Certificate,
        issue: Issue<'_>,
        signing_time: Timestamp,
    ) -> Result<Vec<u8>, DocumentError> {
        let input = self.input(certificate, issue)?;
        self.ensure_seal(&input.body_code, &input.issuing_body_name)?;
        render_with(
            &input,
            &self.fonts,
            &self.read_pki(),
            signing_time,
            &RenderOptions::default(),
        )
    }

    /// What the document of `certificate` shows (no I/O but the photo).
    pub fn input(
        &self,
        certificate: &Certificate,
        issue: Issue<'_>,
    ) -> Result<DocumentInput, DocumentError> {
        if let CertificateStatus::Revoked(_) = certificate.status {
            return Err(DocumentError::Revoked(
                certificate.data.number.as_str().to_owned(),
            ));
        }
        let data = &certificate.data;
        let base = self.settings.public_base_url.trim_end_matches('/');
        let verify_url = format!("{base}/verify/{}", url_component(issue.verification_code()));
        let photo = match (&data.photo, &self.settings.photo_dir) {
            (Some(name), Some(dir)) => {
                let path = dir.join(name);
                Some(std::fs::read(&path).map_err(|source| DocumentError::Io { path, source })?)
            }
            _ => None,
        };
        Ok(DocumentInput {
            title: DEFAULT_TITLE.into(),
            holder_name: data.name.as_str().to_owned(),
            sex: data.sex.map(|s| {
                match s {
                    Sex::Male => "男",
                    Sex::Female => "女",
                }
                .to_owned()
            }),
            birth_date: data.birth_date,
            id_type_label: id_type_label(data.id.id_type).into(),
            id_number_masked: data.id.number.masked(),
            qualification_name: certificate.qualification_name.clone(),
            category: data.category.clone(),
            specialty: data.specialty.clone(),
            level: data.level.clone(),
            management_number: data.management_number.clone(),
            certificate_number: data.number.as_str().to_owned(),
            approval_date: data.approval_date,
            issue_date: data.issue_date,
            issuing_body_name: certificate.body_name.clone(),
            body_code: certificate.body.as_str().to_owned(),
            needs_ministry_seal: data.issue_date >= self.settings.ministry_seal_since,
            photo,
            annotation: issue.annotation().cloned(),
            verify_url,
        })
    }
}

/// 证件类型 as printed on the certificate.
fn id_type_label(t: IdType) -> &'static str {
    match t {
        IdType::ResidentId => "居民身份证",
        IdType::Passport => "护照",
        IdType::HkMacaoPermit => "港澳居民来往内地通行证",
        IdType::TaiwanPermit => "台湾居民来往大陆通行证",
        IdType::ForeignPermanentResidentId => "外国人永久居留身份证",
    }
}

/// Everything but RFC 3986 unreserved characters.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn url_component(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::url_component;

    #[test]
    fn url_components_are_percent_encoded() {
        assert_eq!(url_component("ZY2023-0001"), "ZY2023-0001");
        assert_eq!(url_component("A/B C"), "A%2FB%20C");
        assert_eq!(url_component("证"), "%E8%AF%81");
    }
}
