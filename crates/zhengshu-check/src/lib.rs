//! Checking a document file (证书查验 by upload, and `zhengshu verify`):
//! bytes, the trusted roots and what the record says of the document go
//! in; a [`Report`] of named checks comes out, each `passed`, `failed`,
//! `indeterminate` or `skipped` with a reason code (the web and the
//! command line translate codes into sentences), and an [`Indication`] in
//! the vocabulary of PAdES validators. "Broken" (a failed check) is never
//! confused with "could not be checked" (indeterminate: the status could
//! not be reached offline).
//!
//! The checks, in order: the file reads as a PDF (`pdf`); the expected
//! signatures are present (`signatures`); per signature the digest of the
//! signed byte ranges (`digest`), the signature value (`signature`), the
//! chain to a trusted root (`chain`), the signer is the seal expected in
//! that place (`seal`), the seal certificate was valid at the signing time
//! (`seal_validity`); the last signature covers the whole file
//! (`whole_file`); the document is on record (`on_record`); the
//! annotation's and the certificate's status (`annotation_status`,
//! `certificate_status`).
//!
//! Hostile input ends in a report: the reader is bounded (see `reader`),
//! and nothing here indexes without checking.
//!
//! The seals' names ([`MINISTRY_SEAL_NAME`], [`BODY_SEAL_PURPOSE`]) live
//! here, below the renderer that writes them (`zhengshu-document`
//! re-exports them and this crate as `check`).

#![forbid(unsafe_code)]

mod reader;
mod signature;

use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use zhengshu_domain::{Day, Outcome};

use reader::{Bad, Pdf, SigDict};

/// Whether `bytes` read as a PDF: the header, the end of the file, and
/// either a classic cross-reference chain whose trailer names a catalog
/// that resolves to a dictionary, or a cross-reference stream naming one.
/// Bounded like every read here; used to refuse files that only claim to
/// be PDFs.
pub fn pdf_parses(bytes: &[u8]) -> bool {
    match Pdf::read(bytes) {
        Ok(pdf) => pdf
            .trailer
            .get(b"Root")
            .is_some_and(|root| matches!(pdf.resolve(root), Ok(reader::Obj::Dict(_)))),
        Err(_) => Pdf::xref_stream(bytes),
    }
}

/// The name of the ministry's seal.
pub const MINISTRY_SEAL_NAME: &str = "人力资源和社会保障部专业技术人员职业资格证书专用章";
/// Purpose line of an issuing body's seal, the end of its name.
pub const BODY_SEAL_PURPOSE: &str = "证书专用章";

/// A trust root file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(String);

/// The largest file the checker reads at all; callers cap lower (the web
/// takes 5 MiB).
pub const MAX_FILE: usize = 64 * 1024 * 1024;

/// The roots a signer's chain must end in.
#[derive(Clone, Debug)]
pub struct Trust {
    roots: Vec<Certificate>,
}

impl Trust {
    /// Every certificate of a PEM file (one root, or several).
    pub fn from_pem(pem: &[u8]) -> Result<Trust, TrustError> {
        let roots = Certificate::load_pem_chain(pem)
            .map_err(|e| TrustError(format!("not a PEM certificate: {e}")))?;
        if roots.is_empty() {
            return Err(TrustError("no certificate in the PEM file".into()));
        }
        Ok(Trust { roots })
    }

    /// These certificates as the roots.
    pub fn of(roots: Vec<Certificate>) -> Trust {
        Trust { roots }
    }
}

/// What the record says of the document (by its SHA-256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No record was consulted (offline): status checks are indeterminate.
    Unknown,
    /// No document with this SHA-256 was handed out.
    NotOnRecord,
    /// Handed out for this certificate (and annotation).
    OnRecord(OnRecord),
}

/// A document on record: which seals it must carry and its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnRecord {
    /// The ministry's seal comes first (certificates since the cut-over).
    pub ministry_seal: bool,
    /// The issuing body's seal name (`{body name}证书专用章`).
    pub body_seal_name: String,
    /// The annotation's outcome judged alone (with the certificate taken
    /// as valid) and its last day; `None` for a certificate needing none.
    pub annotation: Option<(Outcome, Option<Day>)>,
    /// The certificate's outcome: valid or revoked.
    pub certificate: Outcome,
}

/// A check's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The check was made and holds.
    Passed,
    /// The check was made and does not hold: the document is broken,
    /// forged or no longer valid.
    Failed,
    /// The check could not be made (offline, or a value it needs is absent).
    Indeterminate,
    /// The check does not apply (nothing to check after an earlier failure).
    Skipped,
}

impl Status {
    /// `passed`, `failed`, `indeterminate` or `skipped`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Indeterminate => "indeterminate",
            Status::Skipped => "skipped",
        }
    }

    /// The status of a [`Status::code`].
    pub fn from_code(code: &str) -> Option<Status> {
        [
            Status::Passed,
            Status::Failed,
            Status::Indeterminate,
            Status::Skipped,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// The overall verdict, as PAdES validators name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indication {
    /// Every check passed (or did not apply).
    TotalPassed,
    /// At least one check failed.
    TotalFailed,
    /// Nothing failed, but something could not be checked.
    Indeterminate,
}

impl Indication {
    /// `TOTAL_PASSED`, `TOTAL_FAILED` or `INDETERMINATE`.
    pub fn code(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL_PASSED",
            Indication::TotalFailed => "TOTAL_FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        }
    }
}

/// One named check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `pdf`, `signatures`, `digest`, … (see the module).
    pub check: String,
    /// For a signature's checks: `ministry`, `body` or `extra`.
    pub seal: Option<String>,
    /// What came out.
    pub status: Status,
    /// A reason code, e.g. `digest_mismatch`.
    pub reason: String,
    /// Values the reason's sentence names (bytes appended, a seal's name…).
    pub args: Vec<(String, String)>,
}

impl Check {
    fn new(check: &str, status: Status, reason: &str) -> Check {
        Check {
            check: check.into(),
            seal: None,
            status,
            reason: reason.into(),
            args: vec![],
        }
    }

    fn arg(mut self, name: &str, value: impl ToString) -> Check {
        self.args.push((name.into(), value.to_string()));
        self
    }

    fn of(mut self, seal: &str) -> Check {
        self.seal = Some(seal.into());
        self
    }
}

/// What the checker found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// SHA-256 (hex) of the file.
    pub sha256: String,
    /// The checks, in the order of the module's list.
    pub checks: Vec<Check>,
}

/// The checks a record answers; offline they are indeterminate.
pub const STATUS_CHECKS: [&str; 3] = ["on_record", "annotation_status", "certificate_status"];

impl Report {
    /// Failed if any check failed; else indeterminate if any could not be
    /// made; else passed.
    pub fn indication(&self) -> Indication {
        if self.checks.iter().any(|c| c.status == Status::Failed) {
            Indication::TotalFailed
        } else if self
            .checks
            .iter()
            .any(|c| c.status == Status::Indeterminate)
        {
            Indication::Indeterminate
        } else {
            Indication::TotalPassed
        }
    }

    /// The first check named `name` (and of seal `seal`).
    pub fn find(&self, name: &str, seal: Option<&str>) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.check == name && c.seal.as_deref() == seal)
    }

    /// Replaces the check of the same name and seal by `check` (a
    /// server's answer to a status check).
    pub fn replace(&mut self, check: Check) {
        if let Some(c) = self
            .checks
            .iter_mut()
            .find(|c| c.check == check.check && c.seal == check.seal)
        {
            *c = check;
        }
    }
}

/// SHA-256 (hex) of a file, the key of the record.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `bytes` against `trust` and the `standing` the record gives its
/// SHA-256.
pub fn check(bytes: &[u8], trust: &Trust, standing: &Standing) -> Report {
    let mut checks = Vec::new();
    let pdf = if bytes.len() > MAX_FILE {
        Err(Bad::Malformed)
    } else {
        Pdf::read(bytes)
    };
    let sigs = pdf.and_then(|p| p.signatures());
    match sigs {
        Err(bad) => {
            let reason = match bad {
                Bad::NotPdf => "not_pdf",
                Bad::Truncated => "pdf_truncated",
                Bad::Malformed => "pdf_malformed",
            };
            checks.push(Check::new("pdf", Status::Failed, reason));
            for name in ["signatures", "whole_file"] {
                checks.push(Check::new(name, Status::Skipped, "not_checked"));
            }
        }
        Ok(mut sigs) => {
            checks.push(Check::new("pdf", Status::Passed, "pdf_read"));
            sigs.sort_by_key(|s| s.byte_range[2].saturating_add(s.byte_range[3]));
            signatures(bytes, trust, standing, &sigs, &mut checks);
        }
    }
    status_checks(standing, &mut checks);
    Report {
        sha256: sha256_hex(bytes),
        checks,
    }
}

fn signatures(
    bytes: &[u8],
    trust: &Trust,
    standing: &Standing,
    sigs: &[SigDict],
    checks: &mut Vec<Check>,
) {
    let n = sigs.len();
    let expected: Vec<&str> = match standing {
        Standing::OnRecord(r) if r.ministry_seal => vec!["ministry", "body"],
        Standing::OnRecord(_) => vec!["body"],
        _ if n >= 2 => vec!["ministry", "body"],
        _ => vec!["body"],
    };
    let present = if n == 0 {
        Check::new("signatures", Status::Failed, "no_signatures")
    } else if n < expected.len() {
        Check::new("signatures", Status::Failed, "signatures_missing")
    } else if n > expected.len() {
        Check::new("signatures", Status::Failed, "signatures_extra")
    } else {
        Check::new("signatures", Status::Passed, "signatures_present")
    };
    checks.push(present.arg("expected", expected.len()).arg("found", n));

    // The last signatures take the expected places (the body's seal is
    // always last); any before them are extra.
    let extra = n.saturating_sub(expected.len());
    let roles = expected.iter().skip(expected.len().saturating_sub(n));
    let roles: Vec<&str> = std::iter::repeat_n("extra", extra)
        .chain(roles.copied())
        .collect();
    for (sig, role) in sigs.iter().zip(roles) {
        one_signature(bytes, trust, standing, sig, role, checks);
    }

    let whole = match sigs.last() {
        None => Check::new("whole_file", Status::Skipped, "no_signatures"),
        Some(last) => {
            let end = last.byte_range[2].saturating_add(last.byte_range[3]);
            if end == bytes.len() {
                Check::new("whole_file", Status::Passed, "whole_file_signed")
            } else if end > bytes.len() {
                Check::new("whole_file", Status::Failed, "byte_range_invalid")
            } else {
                let tail = &bytes[end..];
                let revisions = reader::revisions_in(tail);
                let reason = if revisions > 0 {
                    "revision_appended"
                } else {
                    "bytes_appended"
                };
                Check::new("whole_file", Status::Failed, reason)
                    .arg("bytes", tail.len())
                    .arg("revisions", revisions)
            }
        }
    };
    checks.push(whole);
}

fn one_signature(
    bytes: &[u8],
    trust: &Trust,
    standing: &Standing,
    sig: &SigDict,
    role: &str,
    checks: &mut Vec<Check>,
) {
    let names = ["digest", "signature", "chain", "seal", "seal_validity"];
    let r = sig.byte_range;
    let range_ok = r[0] == 0
        && r[1] == sig.contents_span.0
        && r[2] == sig.contents_span.1
        && r[2].checked_add(r[3]).is_some_and(|e| e <= bytes.len());
    let decoded = if range_ok {
        signature::decode(&sig.cms)
    } else {
        Err("byte_range_invalid")
    };
    let d = match decoded {
        Ok(d) => d,
        Err(reason) => {
            checks.push(Check::new("digest", Status::Failed, reason).of(role));
            for name in &names[1..] {
                checks.push(Check::new(name, Status::Skipped, "not_checked").of(role));
            }
            return;
        }
    };
    let result = |name: &str, r: Result<(), &str>, ok: &str| match r {
        Ok(()) => Check::new(name, Status::Passed, ok).of(role),
        Err(reason) => Check::new(name, Status::Failed, reason).of(role),
    };
    let digest = signature::range_digest(bytes, r).unwrap_or_default();
    checks.push(result("digest", d.digest(&digest), "digest_matches"));
    checks.push(result("signature", d.signature_value(), "signature_valid"));
    checks.push(result("chain", d.chain(&trust.roots), "chain_trusted"));

    let name = d
        .signer()
        .and_then(signature::common_name)
        .unwrap_or_default();
    let seal_ok = match (role, standing) {
        ("ministry", _) => name == MINISTRY_SEAL_NAME,
        ("body", Standing::OnRecord(rec)) => name == rec.body_seal_name,
        ("body", _) => name.ends_with(BODY_SEAL_PURPOSE) && name != MINISTRY_SEAL_NAME,
        _ => false,
    };
    let seal = if seal_ok {
        Check::new("seal", Status::Passed, "seal_expected")
    } else if role == "extra" {
        Check::new("seal", Status::Failed, "unexpected_signature")
    } else {
        Check::new("seal", Status::Failed, "seal_unexpected")
    };
    let mut seal = seal.of(role).arg("name", &name);
    if let Standing::OnRecord(rec) = standing {
        let wanted = if role == "ministry" {
            MINISTRY_SEAL_NAME
        } else {
            &rec.body_seal_name
        };
        seal = seal.arg("expected", wanted);
    }
    checks.push(seal);

    let validity = match sig.signed_at.as_deref().and_then(reader::pdf_date) {
        None => Check::new(
            "seal_validity",
            Status::Indeterminate,
            "signing_time_unknown",
        )
        .of(role),
        Some(at) => result("seal_validity", d.valid_at(at), "seal_valid_at_signing")
            .arg("signed_at", jiff::tz::Offset::constant(8).to_datetime(at)),
    };
    checks.push(validity);
}

fn status_checks(standing: &Standing, checks: &mut Vec<Check>) {
    match standing {
        Standing::Unknown => {
            for name in STATUS_CHECKS {
                checks.push(Check::new(
                    name,
                    Status::Indeterminate,
                    "status_unreachable",
                ));
            }
        }
        Standing::NotOnRecord => {
            checks.push(Check::new("on_record", Status::Failed, "not_on_record"));
            for name in &STATUS_CHECKS[1..] {
                checks.push(Check::new(name, Status::Skipped, "not_on_record"));
            }
        }
        Standing::OnRecord(rec) => {
            checks.push(Check::new("on_record", Status::Passed, "on_record"));
            checks.push(match &rec.annotation {
                None => Check::new("annotation_status", Status::Skipped, "no_annotation"),
                Some((Outcome::Valid, until)) => {
                    let c = Check::new("annotation_status", Status::Passed, "annotation_valid");
                    match until {
                        Some(d) => c.arg("until", d),
                        None => c,
                    }
                }
                Some((Outcome::Expired { last_day }, _)) => {
                    Check::new("annotation_status", Status::Failed, "annotation_expired")
                        .arg("until", last_day)
                }
                Some((Outcome::Withdrawn { on }, _)) => {
                    Check::new("annotation_status", Status::Failed, "annotation_withdrawn")
                        .arg("on", on)
                }
                Some(_) => Check::new("annotation_status", Status::Failed, "annotation_not_issued"),
            });
            checks.push(match &rec.certificate {
                Outcome::Revoked(r) => {
                    Check::new("certificate_status", Status::Failed, "certificate_revoked")
                        .arg("at", jiff::tz::Offset::constant(8).to_datetime(r.at))
                        .arg("reason", &r.reason)
                }
                _ => Check::new("certificate_status", Status::Passed, "certificate_valid"),
            });
        }
    }
}
