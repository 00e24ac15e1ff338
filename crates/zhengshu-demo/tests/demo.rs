//! Loading the demo data: what the README promises is there, and a second load
//! changes nothing.

use zhengshu_demo::*;
use zhengshu_domain::{
    AnnotationPolicy, CertificateStatus, HolderName, IdDocument, IdType, Username, verify_password,
};
use zhengshu_storage::Storage;
use zhengshu_storage_sqlite::SqliteStore;

#[tokio::test]
async fn demo_data_is_as_promised_and_loading_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let db = SqliteStore::connect(&url, zhengshu_storage_story::test_vault())
        .await
        .unwrap();
    let now = "2026-11-22T02:00:00Z".parse().unwrap();

    let first = load(&db, now).await.unwrap();
    assert_eq!(first.holders, 2);
    assert_eq!(first.certificates, u64::from(SYNTHETIC_COUNT) + 4);
    assert_eq!(
        db.count_certificates().await.unwrap(),
        i64::from(SYNTHETIC_COUNT) + 4
    );

    let demo = db
        .holder_by_username(&Username::parse("demo").unwrap())
        .await
        .unwrap();
    assert_eq!(demo.name.as_str(), "张三");
    assert!(demo.accepted_terms.is_none(), "terms not yet agreed");
    assert!(verify_password(&demo.password_hash, DEMO_PASSWORD));
    assert!(db.current_terms().await.unwrap().is_some());

    let id = IdDocument::parse(IdType::ResidentId, DEMO.id_number).unwrap();
    let certs = db
        .certificates_of(&id, &HolderName::parse("张三").unwrap())
        .await
        .unwrap();
    assert_eq!(certs.len(), 3);
    let policy = AnnotationPolicy::default();
    let by = |n: &str| certs.iter().find(|c| c.data.number.as_str() == n).unwrap();
    let pharmacist = by(PHARMACIST_NUMBER);
    assert!(pharmacist.data.issue_date >= policy.cutover);
    assert!(policy.needs_annotation(
        pharmacist.data.issue_date,
        pharmacist.body_exempt_before_cutover
    ));
    let economist = by(ECONOMIST_NUMBER);
    assert_eq!(economist.data.issue_date.year(), 2019);
    assert!(!policy.needs_annotation(
        economist.data.issue_date,
        economist.body_exempt_before_cutover
    ));
    match &by(REVOKED_NUMBER).status {
        CertificateStatus::Revoked(r) => assert!(!r.reason.is_empty()),
        other => panic!("expected revoked, got {other:?}"),
    }

    let ext_b = db
        .holder_by_username(&Username::parse("demo2").unwrap())
        .await
        .unwrap();
    assert!(
        ext_b
            .name
            .as_str()
            .chars()
            .any(|c| ('\u{20000}'..='\u{2A6DF}').contains(&c))
    );

    let entries = showcase(&db, &policy).await.unwrap();
    assert_eq!(entries.len(), 9);
    assert!(entries.iter().any(|e| e.status == "revoked"));

    let dump = db.dump().await.unwrap();
    assert_eq!(load(&db, now).await.unwrap(), Loaded::default());
    assert_eq!(
        db.dump().await.unwrap(),
        dump,
        "a second load changes nothing"
    );
}
