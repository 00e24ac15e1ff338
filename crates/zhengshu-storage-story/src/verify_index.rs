//! Public verification held in memory ([`Storage::index_verifications`])
//! answers as the database does: a store's own withdrawals, revocations,
//! reinstatements and corrections show at its next check, loaded or kept
//! entries alike; another process's show once announced (PostgreSQL) or,
//! for an import — the only other process that changes certificates beside
//! a server on SQLite — within a second or two. The index loads what is
//! issued and visible, and reports it.

use std::time::{Duration, Instant};

use jiff::ToSpan;
use zhengshu_domain::{
    Actor, AnnotationState, AuditContext, CertificateNumber, CertificateStatus, HolderName,
    NewAuditEvent, Revocation, VerificationCode,
};
use zhengshu_storage::annotations::sha256_hex;
use zhengshu_storage::{Correction, Storage};

use crate::annotations::seed_annotatable;
use crate::verifications::ready_annotation;
use crate::{T0, ZHANG_ID, at, certificate, import};

fn code(n: u8) -> VerificationCode {
    VerificationCode::from_random([n; VerificationCode::LEN])
}

fn number() -> CertificateNumber {
    CertificateNumber::parse("ZY2024000001").unwrap()
}

fn event(action: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: Some("pharmacist_center".into()),
            role: Some("officer".into()),
            address: None,
        },
        actor: Actor::Staff("officer_a".into()),
        action: action.into(),
        subject: "certificate:ZY2024000001".into(),
        before: None,
        after: None,
    }
}

fn revocation() -> Revocation {
    Revocation {
        at: at("2024-05-06T02:00:00Z"),
        reason: "以不正当手段取得".into(),
    }
}

async fn revoked(s: &dyn Storage, code: &VerificationCode) -> bool {
    matches!(
        s.verify_code(code).await.unwrap().certificate.status,
        CertificateStatus::Revoked(_)
    )
}

/// Waits until `done` holds: a hang guard, not a timing assertion, and
/// shorter than PostgreSQL's time to live of the other hot reads.
async fn eventually<F: AsyncFn() -> bool>(what: &str, done: F) {
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the verification index never saw: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn the_verification_index_answers_as_the_database(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let (a, content) = ready_annotation(s, cert, holder, &code(1)).await;
    ready_annotation(s, cert, holder, &code(2)).await;
    s.cache_hot_reads().await.unwrap();
    s.index_verifications(100).await.unwrap();
    // Twice: the second answer comes from memory, and is the same.
    for _ in 0..2 {
        let v = s.verify_code(&code(1)).await.unwrap();
        assert_eq!(v.id, a.id);
        assert_eq!(&*v.number, a.number);
        assert_eq!(v.stored_state, AnnotationState::Ready);
        assert_eq!(v.document_sha256_hex(), Some(sha256_hex(&content)));
        assert_eq!(v.certificate.id, cert);
        assert_eq!(&*v.certificate.number, "ZY2024000001");
        assert_eq!(&*v.certificate.holder_name, "张三");
        assert_eq!(&*v.certificate.qualification, "执业药师");
        let masked = &v.certificate.id_number_masked;
        assert!(masked.contains('*') && !masked.contains(&ZHANG_ID[6..14]));
        assert_eq!(s.verify_number(&number()).await.unwrap().id, cert);
    }
    assert!(matches!(
        s.verify_code(&code(9)).await,
        Err(zhengshu_storage::StorageError::NotFound)
    ));

    let today = jiff::civil::date(2024, 5, 1) + 4.days();
    s.withdraw_annotation(a.id, today, &Actor::Holder(holder), at(T0))
        .await
        .unwrap();
    let v = s.verify_code(&code(1)).await.unwrap();
    assert_eq!(v.stored_state, AnnotationState::Withdrawn);
    assert_eq!(v.withdrawn_at, Some(at(T0)));

    s.revoke_certificate(&number(), &revocation(), &Actor::Cli("story".into()))
        .await
        .unwrap();
    assert!(revoked(s, &code(2)).await);
    assert_eq!(
        s.verify_number(&number()).await.unwrap().status,
        CertificateStatus::Revoked(revocation())
    );
    s.reinstate_certificate(cert, &event("certificate.reinstate"), at(T0))
        .await
        .unwrap();
    assert!(!revoked(s, &code(2)).await);
    assert_eq!(
        s.verify_number(&number()).await.unwrap().status,
        CertificateStatus::Valid
    );

    let before = s.certificate(cert).await.unwrap().data;
    let mut after = before.clone();
    after.name = HolderName::parse("张叁").unwrap();
    let correction = Correction {
        before,
        after,
        reason: "姓名录入错误".into(),
        actor: "staff:officer_a".into(),
        at: at(T0),
    };
    s.correct_certificate(
        cert,
        "pharmacist_center",
        &correction,
        &event("certificate.correct"),
    )
    .await
    .unwrap();
    assert_eq!(
        &*s.verify_number(&number()).await.unwrap().holder_name,
        "张叁"
    );
    assert_eq!(
        &*s.verify_code(&code(2))
            .await
            .unwrap()
            .certificate
            .holder_name,
        "张叁"
    );
}

/// `cached` and `other` are two stores on one database, as two processes;
/// `announced`: the engine announces every write (PostgreSQL), not only
/// an import's publication.
pub async fn the_verification_index_sees_another_processs_writes(
    cached: &dyn Storage,
    other: &dyn Storage,
    announced: bool,
) {
    let (cert, holder) = seed_annotatable(other).await;
    let (a, _) = ready_annotation(other, cert, holder, &code(1)).await;
    ready_annotation(other, cert, holder, &code(2)).await;
    cached.cache_hot_reads().await.unwrap();
    cached.index_verifications(100).await.unwrap();
    // Loaded: what follows is answered from memory until it is told.
    eventually("a load", async || cached.verify_index_status().loads > 0).await;
    let status = cached.verify_index_status();
    assert_eq!((status.annotations, status.certificates), (2, 1));
    cached.verify_code(&code(1)).await.unwrap();
    cached.verify_code(&code(2)).await.unwrap();
    cached.verify_number(&number()).await.unwrap();

    // Another process's import updates the certificate.
    let renamed = certificate("ZY2024000001", "张叁", ZHANG_ID, "licensed_pharmacist");
    import(other, &[renamed], true).await;
    eventually("the updated name", async || {
        &*cached.verify_number(&number()).await.unwrap().holder_name == "张叁"
    })
    .await;
    eventually("the updated name by code", async || {
        &*cached
            .verify_code(&code(2))
            .await
            .unwrap()
            .certificate
            .holder_name
            == "张叁"
    })
    .await;
    if !announced {
        return;
    }
    // Loaded again after the import: the withdrawal below is told, not
    // found in an empty index.
    eventually("a second load", async || {
        cached.verify_index_status().loads > status.loads
    })
    .await;
    cached.verify_code(&code(1)).await.unwrap();
    let today = jiff::civil::date(2024, 5, 1) + 4.days();
    other
        .withdraw_annotation(a.id, today, &Actor::Holder(holder), at(T0))
        .await
        .unwrap();
    eventually("the withdrawal", async || {
        cached.verify_code(&code(1)).await.unwrap().stored_state == AnnotationState::Withdrawn
    })
    .await;
    other
        .revoke_certificate(&number(), &revocation(), &Actor::Cli("story".into()))
        .await
        .unwrap();
    eventually("the revocation", async || revoked(cached, &code(2)).await).await;
}
