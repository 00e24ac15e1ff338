//! Both seals are signatures that pdfsig, pyHanko and qpdf accept.

use tempfile::TempDir;
use zhengshu_document::render;

use crate::support::*;

#[test]
fn pdfsig_reports_ministry_then_body_seal_valid_trusted_and_total() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "doc.pdf", &pdf);

    let out = pdfsig_trusting(&keys.ca_pem(), &path);
    assert_eq!(
        count(&out, "Signature Validation: Signature is Valid."),
        2,
        "{out}"
    );
    assert_eq!(count(&out, "Certificate is Trusted."), 2, "{out}");
    assert_eq!(
        count(&out, "Signature Type: ETSI.CAdES.detached"),
        2,
        "{out}"
    );
    assert_eq!(count(&out, "Signing Hash Algorithm: SHA-256"), 2, "{out}");
    // The ministry's seal comes first; the body's seal covers the whole file.
    let first = out.find("Signature #1:").unwrap();
    let second = out.find("Signature #2:").unwrap();
    let (one, two) = (&out[first..second], &out[second..]);
    assert!(one.contains("Field Name: ministry_seal"), "{out}");
    assert!(
        one.contains("人力资源和社会保障部专业技术人员职业资格证书专用章"),
        "{out}"
    );
    assert!(one.contains("Not total document signed"), "{out}");
    assert!(two.contains("Field Name: body_seal"), "{out}");
    assert!(two.contains(&format!("{BODY_NAME}证书专用章")), "{out}");
    assert!(two.contains("- Total document signed"), "{out}");
}

#[test]
fn pdfsig_without_the_root_does_not_trust_the_seals() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let out = pdfsig(&write(tmp.path(), "doc.pdf", &pdf));
    assert_eq!(count(&out, "Signature is Valid."), 2, "{out}");
    assert_eq!(count(&out, "Certificate is Trusted."), 0, "{out}");
}

#[test]
fn certificate_issued_before_the_cut_over_carries_the_body_seal_only() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let input = older_input();
    assert!(!input.needs_ministry_seal);
    let pdf = render(&input, fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "older.pdf", &pdf);
    let out = pdfsig_trusting(&keys.ca_pem(), &path);
    assert!(
        out.contains("Signature #1:") && !out.contains("Signature #2:"),
        "{out}"
    );
    assert!(out.contains("Field Name: body_seal"), "{out}");
    assert!(out.contains("- Total document signed"), "{out}");
    assert!(out.contains("Certificate is Trusted."), "{out}");
    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "The signature is judged VALID."), 1, "{out}");
}

#[test]
fn pyhanko_judges_every_signature_valid_trusted_and_intact() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    let path = write(tmp.path(), "doc.pdf", &pdf);
    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "The signature is judged VALID."), 2, "{out}");
    assert_eq!(
        count(&out, "The signer's certificate is trusted."),
        2,
        "{out}"
    );
    assert_eq!(
        count(&out, "The signature is cryptographically sound."),
        2,
        "{out}"
    );
    // The ministry's signature sees only the body's seal added after it.
    assert!(
        out.contains("All modifications relate to signing and form filling operations"),
        "{out}"
    );
    assert!(
        out.contains("The signature covers the entire file."),
        "{out}"
    );
}

#[test]
fn qpdf_finds_no_problem() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    for (name, input) in [("new.pdf", annotated_input()), ("old.pdf", older_input())] {
        let pdf = render(&input, fonts(), &keys.pki, now()).unwrap();
        let path = write(tmp.path(), name, &pdf);
        let o = run("qpdf", &[&"--check", &path]);
        let out = text(&o);
        assert!(o.status.success(), "{out}");
        assert!(
            out.contains("No syntax or stream encoding errors found"),
            "{out}"
        );
        assert!(!out.contains("WARNING"), "{out}");
    }
}

#[test]
fn same_inputs_and_time_give_identical_bytes() {
    let keys = Keys::new();
    let t = now();
    let a = render(&annotated_input(), fonts(), &keys.pki, t).unwrap();
    let b = render(&annotated_input(), fonts(), &keys.pki, t).unwrap();
    assert!(a == b, "two renders of the same input differ");
    let later = t.checked_add(jiff::SignedDuration::from_secs(1)).unwrap();
    let c = render(&annotated_input(), fonts(), &keys.pki, later).unwrap();
    assert!(a != c, "the signing time is not recorded");
}

#[test]
fn a_document_without_photo_stays_under_120_kb() {
    let keys = Keys::new();
    let pdf = render(&annotated_input(), fonts(), &keys.pki, now()).unwrap();
    assert!(pdf.len() <= 120 * 1024, "{} bytes", pdf.len());
}
