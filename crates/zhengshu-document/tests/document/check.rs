//! The document checker on documents made by our renderer and then
//! tampered with: each case gives its indication and fails on its named
//! check; pyHanko agrees on integrity and trust.

use tempfile::TempDir;
use zhengshu_document::check::{self, Indication, OnRecord, Report, Standing, Status};
use zhengshu_document::{BODY_SEAL_PURPOSE, Pki, render};
use zhengshu_domain::{Outcome, Revocation};

use crate::support::*;

fn on_record(ministry: bool) -> Standing {
    Standing::OnRecord(OnRecord {
        ministry_seal: ministry,
        body_seal_name: format!("{BODY_NAME}{BODY_SEAL_PURPOSE}"),
        annotation: Some((Outcome::Valid, Some(jiff::civil::date(2025, 5, 29)))),
        certificate: Outcome::Valid,
    })
}

fn status(r: &Report, name: &str, seal: Option<&str>) -> Status {
    r.find(name, seal)
        .unwrap_or_else(|| panic!("no check {name} {seal:?}: {r:#?}"))
        .status
}

fn reason<'a>(r: &'a Report, name: &str, seal: Option<&str>) -> &'a str {
    &r.find(name, seal).unwrap().reason
}

/// The checks that failed, by name.
fn failed(r: &Report) -> Vec<(String, Option<String>)> {
    r.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.check.clone(), c.seal.clone()))
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An incremental revision re-writing the catalog unchanged, as any PDF
/// editor appends one.
pub fn append_revision(pdf: &[u8]) -> Vec<u8> {
    let tail = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
    let prev: usize = tail
        .split("startxref")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let trailer_at = pdf.len() - 400 + find(&pdf[pdf.len() - 400..], b"trailer").unwrap();
    let trailer = String::from_utf8_lossy(&pdf[trailer_at..]).into_owned();
    let grab = |key: &str| {
        let rest = &trailer[trailer.find(key).unwrap() + key.len()..];
        rest.split(['/', '>']).next().unwrap().trim().to_string()
    };
    let (size, root) = (grab("/Size"), grab("/Root"));
    let root_num: u32 = root.split_whitespace().next().unwrap().parse().unwrap();
    let needle = format!("\n{root_num} 0 obj");
    let root_at = pdf
        .windows(needle.len())
        .rposition(|w| w == needle.as_bytes())
        .unwrap()
        + 1;
    let end = root_at + find(&pdf[root_at..], b"endobj").unwrap() + 6;
    let mut out = pdf.to_vec();
    let at = out.len();
    out.extend_from_slice(&pdf[root_at..end]);
    out.extend_from_slice(
        format!(
            "\nxref\n{root_num} 1\n{at:010} 00000 n\r\ntrailer\n<</Size {size} /Root {root} /Prev {prev}>>\nstartxref\n{}\n%%EOF\n",
            at + (end - root_at) + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_genuine_document_passes_every_check_and_is_indeterminate_offline() {
    let keys = Keys::new();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let trust = keys.pki.trust();

    let r = check::check(&pdf, &trust, &on_record(true));
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:#?}");
    for seal in ["ministry", "body"] {
        for name in ["digest", "signature", "chain", "seal", "seal_validity"] {
            assert_eq!(
                status(&r, name, Some(seal)),
                Status::Passed,
                "{name} {seal}"
            );
        }
    }
    assert_eq!(status(&r, "whole_file", None), Status::Passed);
    assert_eq!(r.sha256, check::sha256_hex(&pdf));

    // Offline: the same checks pass, the status could not be reached.
    let r = check::check(&pdf, &trust, &Standing::Unknown);
    assert_eq!(r.indication(), Indication::Indeterminate, "{r:#?}");
    assert!(failed(&r).is_empty());
    assert_eq!(status(&r, "annotation_status", None), Status::Indeterminate);
    assert_eq!(reason(&r, "on_record", None), "status_unreachable");

    // A certificate issued before the cut-over carries the body's seal only.
    let old = render(&older_input(), fonts(), &keys.pki, now()).unwrap();
    let mut standing = on_record(false);
    if let Standing::OnRecord(rec) = &mut standing {
        rec.annotation = None;
    }
    let r = check::check(&old, &trust, &standing);
    assert_eq!(r.indication(), Indication::TotalPassed, "{r:#?}");
    assert!(r.find("digest", Some("ministry")).is_none());
    assert_eq!(reason(&r, "annotation_status", None), "no_annotation");
    // …and a body-only document where two seals are due is missing one.
    let r = check::check(&old, &trust, &on_record(true));
    assert_eq!(failed(&r), [("signatures".to_string(), None)]);
}

#[test]
fn tampered_copies_fail_on_their_named_check() {
    let keys = Keys::new();
    let trust = keys.pki.trust();
    let t = now();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, t).unwrap();
    let tmp = TempDir::new().unwrap();
    let ca = keys.ca_pem();

    // An edited byte in the page (a field's drawing): both digests break.
    let first_sig = find(&pdf, b"/Contents <").unwrap();
    let mut edited = pdf.clone();
    let at = find(&edited, b"stream").unwrap() + 40;
    assert!(at < first_sig);
    edited[at] ^= 0x01;
    let r = check::check(&edited, &trust, &Standing::NotOnRecord);
    assert_eq!(r.indication(), Indication::TotalFailed);
    assert_eq!(status(&r, "digest", Some("ministry")), Status::Failed);
    assert_eq!(reason(&r, "digest", Some("body")), "digest_mismatch");
    assert_eq!(status(&r, "chain", Some("body")), Status::Passed);
    assert_eq!(reason(&r, "on_record", None), "not_on_record");

    // A copy re-signed with the platform's own keys at another time: the
    // signatures hold, but it is not a document that was handed out.
    let resigned = render(
        &annotated_input(),
        fonts(),
        &keys.pki,
        t + jiff::SignedDuration::from_secs(60),
    )
    .unwrap();
    let r = check::check(&resigned, &trust, &Standing::NotOnRecord);
    assert_eq!(failed(&r), [("on_record".to_string(), None)]);

    // A copy signed under another root by seals with the same names.
    let other_dir = TempDir::new().unwrap();
    let other = Pki::init(other_dir.path(), &[(BODY_CODE, BODY_NAME)]).unwrap();
    let forged = render(&annotated_input(), fonts(), &other, t).unwrap();
    let r = check::check(&forged, &trust, &Standing::Unknown);
    assert_eq!(r.indication(), Indication::TotalFailed);
    assert_eq!(
        failed(&r),
        [
            ("chain".to_string(), Some("ministry".to_string())),
            ("chain".to_string(), Some("body".to_string()))
        ]
    );
    assert_eq!(reason(&r, "chain", Some("body")), "untrusted_root");
    assert_eq!(
        status(&r, "seal", Some("body")),
        Status::Passed,
        "names look alike"
    );

    // An incremental revision appended after the last seal.
    let revised = append_revision(&pdf);
    let r = check::check(&revised, &trust, &Standing::Unknown);
    assert_eq!(failed(&r), [("whole_file".to_string(), None)], "{r:#?}");
    assert_eq!(reason(&r, "whole_file", None), "revision_appended");
    // Bytes appended without a revision.
    let mut junk = pdf.clone();
    junk.extend_from_slice(b"% appended\n");
    let r = check::check(&junk, &trust, &Standing::Unknown);
    assert_eq!(reason(&r, "whole_file", None), "bytes_appended");

    // A truncated file does not read as a PDF; a picture is not one.
    let r = check::check(&pdf[..pdf.len() / 2], &trust, &Standing::Unknown);
    assert_eq!(failed(&r), [("pdf".to_string(), None)]);
    assert_eq!(reason(&r, "pdf", None), "pdf_truncated");
    let r = check::check(b"\x89PNG\r\n\x1a\n", &trust, &Standing::Unknown);
    assert_eq!(reason(&r, "pdf", None), "not_pdf");
    assert_eq!(r.indication(), Indication::TotalFailed);

    // pyHanko agrees on integrity and trust.
    for (name, bytes, ours_ok) in [
        ("genuine.pdf", &pdf, true),
        ("edited.pdf", &edited, false),
        ("forged.pdf", &forged, false),
    ] {
        let path = write(tmp.path(), name, bytes);
        let (ok, out) = pyhanko(&ca, &path);
        assert_eq!(ok, ours_ok, "{name}: pyHanko says\n{out}");
        let r = check::check(bytes, &trust, &Standing::Unknown);
        let crypto_ok = !r.checks.iter().any(|c| c.status == Status::Failed);
        assert_eq!(crypto_ok, ours_ok, "{name}: {r:#?}");
    }
}

#[test]
fn the_status_on_record_decides_between_valid_and_failed() {
    let keys = Keys::new();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let trust = keys.pki.trust();
    let with = |annotation: Outcome, certificate: Outcome| {
        let Standing::OnRecord(mut rec) = on_record(true) else {
            unreachable!()
        };
        rec.annotation = Some((annotation, None));
        rec.certificate = certificate;
        check::check(&pdf, &trust, &Standing::OnRecord(rec))
    };
    let day = jiff::civil::date(2025, 5, 29);
    for (annotation, certificate, name, why) in [
        (
            Outcome::Expired { last_day: day },
            Outcome::Valid,
            "annotation_status",
            "annotation_expired",
        ),
        (
            Outcome::Withdrawn { on: day },
            Outcome::Valid,
            "annotation_status",
            "annotation_withdrawn",
        ),
        (
            Outcome::Valid,
            Outcome::Revoked(Revocation {
                at: now(),
                reason: "以不正当手段取得".into(),
            }),
            "certificate_status",
            "certificate_revoked",
        ),
    ] {
        let r = with(annotation, certificate);
        assert_eq!(r.indication(), Indication::TotalFailed);
        assert_eq!(failed(&r), [(name.to_string(), None)]);
        assert_eq!(reason(&r, name, None), why);
    }
}
