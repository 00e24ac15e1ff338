//! The [`Renderer`] as the annotation workers call it: a stored certificate
//! (zhengshu-domain types) and an optional annotation in, a signed PDF out.

use jiff::civil::date;
use tempfile::TempDir;
use zhengshu_document::{AnnotationBlock, DocumentError, Issue, RenderSettings, Renderer};
use zhengshu_domain::{
    BodyCode, Certificate, CertificateNumber, CertificateStatus, HolderName, IdDocument, IdType,
    NewCertificate, QualificationCode, Revocation, Sex,
};

use crate::support::*;

const BASE: &str = "https://zhengshu.example.cn";

fn renderer(keys: &Keys) -> Renderer {
    Renderer::new(
        fonts().clone(),
        keys.pki.clone(),
        RenderSettings {
            public_base_url: format!("{BASE}/"),
            ..RenderSettings::default()
        },
    )
}

fn certificate(issued: jiff::civil::Date) -> Certificate {
    Certificate {
        id: 7,
        data: NewCertificate {
            number: CertificateNumber::parse("ZY2022110500123").unwrap(),
            management_number: Some("2022ZY0012345".into()),
            name: HolderName::parse("王𠀾").unwrap(),
            sex: Some(Sex::Female),
            birth_date: Some(date(1949, 12, 31)),
            id: IdDocument::parse(IdType::ResidentId, "11010519491231002X").unwrap(),
            qualification: QualificationCode::parse("licensed_pharmacist").unwrap(),
            category: Some("药学类".into()),
            specialty: None,
            level: None,
            approval_date: Some(issued),
            issue_date: issued,
            photo: None,
            contacts: Default::default(),
        },
        qualification_name: "执业药师".into(),
        body: BodyCode::parse(BODY_CODE).unwrap(),
        body_name: BODY_NAME.into(),
        body_exempt_before_cutover: false,
        status: CertificateStatus::Valid,
    }
}

fn annotation() -> AnnotationBlock {
    AnnotationBlock {
        scenario_label: "本人调用".into(),
        valid_from: date(2025, 3, 1),
        valid_until: date(2025, 5, 29),
        number: "JZ20250301000001".into(),
        verification_code: "K7Q3A9M2X5".into(),
    }
}

#[test]
fn the_qr_code_opens_the_annotation_or_the_certificate_verification() {
    let keys = Keys::new();
    let r = renderer(&keys);
    let c = certificate(date(2022, 12, 20));
    let a = annotation();
    let annotated = r.input(&c, Issue::Annotated(&a)).unwrap();
    assert_eq!(annotated.verify_url, format!("{BASE}/verify/K7Q3A9M2X5"));
    assert_eq!(annotated.annotation.as_ref(), Some(&a));
    assert_eq!(annotated.id_number_masked, "**************002X");
    assert_eq!(annotated.holder_name, "王𠀾");
    assert!(annotated.needs_ministry_seal);
    let plain = r
        .input(
            &c,
            Issue::Plain {
                verification_code: "B4T8C6N1P3",
            },
        )
        .unwrap();
    assert_eq!(plain.verify_url, format!("{BASE}/verify/B4T8C6N1P3"));
    assert!(plain.annotation.is_none());
}

#[test]
fn an_annotated_certificate_is_sealed_twice_and_validates() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let r = renderer(&keys);
    let pdf = r
        .render(
            &certificate(date(2022, 12, 20)),
            Issue::Annotated(&annotation()),
            now(),
        )
        .unwrap();
    let path = write(tmp.path(), "annotated.pdf", &pdf);
    let report = pdfsig_trusting(&keys.ca_pem(), &path);
    assert_eq!(count(&report, "Signature is Valid."), 2, "{report}");
    assert_eq!(count(&report, "Certificate is Trusted."), 2, "{report}");
    let (ok, out) = pyhanko(&keys.ca_pem(), &path);
    assert!(ok, "{out}");
    let o = run("pdftotext", &[&"-enc", &"UTF-8", &path, &"-"]);
    let text = String::from_utf8(o.stdout).unwrap();
    for field in [
        "王𠀾",
        "执业药师",
        "ZY2022110500123",
        "本人调用",
        "2025年03月01日 至 2025年05月29日",
        "JZ20250301000001",
        "K7Q3A9M2X5",
        "https://zhengshu.example.cn/verify/K7Q3A9M2X5",
    ] {
        assert!(text.contains(field), "{field:?} missing from:\n{text}");
    }
}

#[test]
fn certificates_before_the_cut_over_get_the_body_seal_only() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = renderer(&keys)
        .render(
            &certificate(date(2021, 12, 16)),
            Issue::Plain {
                verification_code: "B4T8C6N1P3",
            },
            now(),
        )
        .unwrap();
    let path = write(tmp.path(), "old.pdf", &pdf);
    let report = pdfsig(&path);
    assert_eq!(count(&report, "Signature is Valid."), 1, "{report}");
    assert_eq!(widget_rects(&pdf).len(), 1);
}

#[test]
fn a_revoked_certificate_is_refused() {
    let keys = Keys::new();
    let mut c = certificate(date(2022, 12, 20));
    c.status = CertificateStatus::Revoked(Revocation {
        at: "2024-01-02T03:04:05Z".parse().unwrap(),
        reason: "以不正当手段取得".into(),
    });
    let err = renderer(&keys).render(&c, Issue::Annotated(&annotation()), now());
    match err {
        Err(e @ DocumentError::Revoked(_)) => {
            assert!(e.to_string().contains("ZY2022110500123"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn rendering_is_deterministic_and_shared_between_threads() {
    let keys = Keys::new();
    let r = std::sync::Arc::new(renderer(&keys));
    let c = certificate(date(2022, 12, 20));
    let t = now();
    let docs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (r, c) = (r.clone(), c.clone());
                s.spawn(move || r.render(&c, Issue::Annotated(&annotation()), t).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(docs[0], docs[1]);
    let later = r
        .render(
            &c,
            Issue::Annotated(&annotation()),
            t + jiff::SignedDuration::from_secs(1),
        )
        .unwrap();
    assert_ne!(docs[0], later);
}

/// The seals' rectangles (llx, lly, urx, ury) of the signature widgets, in
/// signing order.
fn widget_rects(pdf: &[u8]) -> Vec<[f32; 4]> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/FT /Sig")
        .map(|(i, _)| {
            let rest = &text[i..];
            let start = rest.find("/Rect [").expect("widget /Rect") + 7;
            let end = start + rest[start..].find(']').unwrap();
            let v: Vec<f32> = rest[start..end]
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect()
}

/// RGB of the pixel at PDF point (x, y) of a 72-dpi `pdftoppm` rendering.
fn pixel(ppm: &[u8], x: f32, y: f32) -> (u8, u8, u8) {
    // "P6\n<w> <h>\n255\n" then rows of RGB.
    let mut fields = Vec::new();
    let mut pos = 0;
    while fields.len() < 4 {
        while ppm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while !ppm[pos].is_ascii_whitespace() {
            pos += 1;
        }
        fields.push(String::from_utf8_lossy(&ppm[start..pos]).into_owned());
    }
    let data = &ppm[pos + 1..];
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let (px, py) = (x as usize, h - 1 - y as usize);
    let i = (py * w + px) * 3;
    (data[i], data[i + 1], data[i + 2])
}

#[test]
fn the_body_seal_overlaps_the_ministry_seal_and_each_widget_sits_on_its_seal() {
    let keys = Keys::new();
    let tmp = TempDir::new().unwrap();
    let pdf = renderer(&keys)
        .render(
            &certificate(date(2022, 12, 20)),
            Issue::Annotated(&annotation()),
            now(),
        )
        .unwrap();
    let rects = widget_rects(&pdf);
    assert_eq!(rects.len(), 2, "{rects:?}");
    let (ministry, body) = (rects[0], rects[1]);
    // Same size, overlapping: the body's seal (signed second) covers part
    // of the ministry's.
    assert!(
        ministry[2] > body[0] && ministry[0] < body[0],
        "{ministry:?} {body:?}"
    );
    assert!(ministry[3] > body[1] && ministry[1] < body[3]);

    // Each widget's centre is its seal's red star.
    let path = write(tmp.path(), "seals.pdf", &pdf);
    let prefix = tmp.path().join("page");
    let o = run("pdftoppm", &[&"-r", &"72", &"-singlefile", &path, &prefix]);
    assert!(o.status.success(), "{}", text(&o));
    let ppm = std::fs::read(tmp.path().join("page.ppm")).unwrap();
    for r in [ministry, body] {
        let (cx, cy) = ((r[0] + r[2]) / 2.0, (r[1] + r[3]) / 2.0);
        let (red, green, blue) = pixel(&ppm, cx, cy);
        assert!(
            red > 180 && green < 120 && blue < 120,
            "no seal at the widget's centre ({cx}, {cy}): rgb({red}, {green}, {blue})"
        );
    }
}
