//! Seal keys: made here with private files, loaded again, or imported.

use std::os::unix::fs::PermissionsExt;

use der::Decode;
use tempfile::TempDir;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use zhengshu_document::{MINISTRY_CODE, Pki, render};

use crate::support::*;

#[test]
fn init_makes_root_ministry_and_body_seals_with_private_keys_0600() {
    let keys = Keys::new();
    let dir = keys.dir.path();
    for key in [
        "ca.key",
        "seals/ministry.key",
        "seals/pharmacist_center.key",
    ] {
        let mode = std::fs::metadata(dir.join(key))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }
    let codes: Vec<&str> = keys.pki.codes().collect();
    assert_eq!(codes, [MINISTRY_CODE, BODY_CODE]);
    assert!(keys.pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        keys.pki.ca_pem(),
        std::fs::read_to_string(keys.ca_pem()).unwrap()
    );
    let ministry = keys.pki.seal(MINISTRY_CODE).unwrap().subject();
    assert!(
        ministry.contains("人力资源和社会保障部专业技术人员职业资格证书专用章"),
        "{ministry}"
    );

    // Running init again keeps every key and adds only new bodies.
    let before = std::fs::read(dir.join("seals/ministry.key")).unwrap();
    let again = Pki::init(
        dir,
        &[
            (BODY_CODE, BODY_NAME),
            ("health_talent_center", "国家卫生健康委人才交流服务中心"),
        ],
    )
    .unwrap();
    assert_eq!(
        before,
        std::fs::read(dir.join("seals/ministry.key")).unwrap()
    );
    assert_eq!(again.codes().count(), 3);
    assert_eq!(Pki::load(dir).unwrap().codes().count(), 3);
}

#[test]
fn seal_certificates_are_for_signing_and_the_root_is_a_ca() {
    let keys = Keys::new();
    let ext = |cert: &Certificate, oid| {
        cert.tbs_certificate
            .extensions
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes().to_vec())
            .unwrap()
    };
    let pem = std::fs::read(keys.dir.path().join("seals/pharmacist_center.pem")).unwrap();
    let seal = Certificate::load_pem_chain(&pem).unwrap().remove(0);
    let usage = KeyUsage::from_der(&ext(&seal, const_oid::db::rfc5280::ID_CE_KEY_USAGE)).unwrap();
    assert!(usage.0.contains(KeyUsages::DigitalSignature));
    assert!(usage.0.contains(KeyUsages::NonRepudiation));
    let bc =
        BasicConstraints::from_der(&ext(&seal, const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS))
            .unwrap();
    assert!(!bc.ca);

    let root = Certificate::load_pem_chain(keys.pki.ca_pem().as_bytes())
        .unwrap()
        .remove(0);
    let bc =
        BasicConstraints::from_der(&ext(&root, const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS))
            .unwrap();
    assert!(bc.ca);
    assert_eq!(seal.tbs_certificate.issuer, root.tbs_certificate.subject);
}

#[test]
fn imported_keys_sign_documents_that_verify_against_their_root() {
    // Keys made elsewhere (here: another key directory) play a real CA's.
    let elsewhere = Keys::new();
    let src = elsewhere.dir.path();
    let target = TempDir::new().unwrap();
    for code in [MINISTRY_CODE, BODY_CODE] {
        Pki::import(
            target.path(),
            code,
            src.join(format!("seals/{code}.key")),
            src.join(format!("seals/{code}.pem")),
            Some(&elsewhere.ca_pem()),
        )
        .unwrap();
    }
    let pki = Pki::load(target.path()).unwrap();
    let mode = std::fs::metadata(target.path().join("seals/ministry.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let pdf = render(&annotated_input(), fonts(), &pki, now()).unwrap();
    let tmp = TempDir::new().unwrap();
    let path = write(tmp.path(), "imported.pdf", &pdf);
    let out = pdfsig_trusting(&elsewhere.ca_pem(), &path);
    assert_eq!(count(&out, "Certificate is Trusted."), 2, "{out}");

    // A body without a seal cannot be rendered, and says what to do.
    let mut input = annotated_input();
    input.body_code = "unknown_body".into();
    let err = render(&input, fonts(), &pki, now()).unwrap_err();
    assert!(err.to_string().contains("keys import"), "{err}");
}

#[test]
fn import_refuses_a_key_that_is_not_the_certificates() {
    let a = Keys::new();
    let b = Keys::new();
    let target = TempDir::new().unwrap();
    let err = Pki::import(
        target.path(),
        BODY_CODE,
        a.dir.path().join("seals/pharmacist_center.key"),
        b.dir.path().join("seals/pharmacist_center.pem"),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("does not belong"), "{err}");
}

/// Several makers at once on a fresh directory (a server and a worker
/// starting together) all succeed and end with the same keys.
#[test]
fn keys_are_made_once_when_several_start_together() {
    let dir = tempfile::tempdir().unwrap();
    let roots: Vec<String> = std::thread::scope(|scope| {
        let makers: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    Pki::init(
                        dir.path(),
                        &[(
                            "pharmacist_center",
                            "国家药品监督管理局执业药师资格认证中心",
                        )],
                    )
                    .expect("init alongside others")
                    .ca_pem()
                })
            })
            .collect();
        makers.into_iter().map(|m| m.join().unwrap()).collect()
    });
    assert!(roots.windows(2).all(|w| w[0] == w[1]), "one root");
    let loaded = Pki::load(dir.path()).unwrap();
    assert_eq!(loaded.ca_pem(), roots[0]);
    assert_eq!(
        loaded.codes().collect::<Vec<_>>(),
        ["ministry", "pharmacist_center"]
    );
}
