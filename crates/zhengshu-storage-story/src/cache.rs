//! Hot reads kept in memory ([`Storage::cache_hot_reads`]) stay true: a
//! cached store's own writes show at its next read; another process's
//! writes show once the database announces them (PostgreSQL) or once the
//! short time to live has passed (SQLite) — never a stale answer for long.

use std::time::{Duration, Instant};

use zhengshu_domain::{Actor, CertificateStatus, HolderName, IdDocument, IdType, Revocation};
use zhengshu_storage::{NewSession, SessionKind, Storage, StorageError};

use crate::{T0, ZHANG_ID, at, certificate, holder, import, seed_reference};

/// What the stories below read through the cached store.
struct Seen {
    holder_id: i64,
    id: IdDocument,
    name: HolderName,
}

async fn seed(s: &dyn Storage) -> Seen {
    seed_reference(s).await;
    let rows = [
        certificate("ZY2023000001", "张三", ZHANG_ID, "licensed_pharmacist"),
        certificate("ZY2023000002", "张三", ZHANG_ID, "licensed_pharmacist"),
    ];
    import(s, &rows, false).await;
    let holder_id = s
        .create_holder(&holder("zhangsan", "张三", ZHANG_ID), at(T0))
        .await
        .unwrap();
    for token in [[1u8; 32], [2u8; 32]] {
        let session = NewSession {
            token_hash: token.to_vec(),
            holder_id,
            kind: SessionKind::Api,
            expires_at: at(T0) + jiff::SignedDuration::from_hours(1),
        };
        s.create_session(&session, at(T0)).await.unwrap();
    }
    s.publish_terms("服务须知 1", at(T0)).await.unwrap();
    Seen {
        holder_id,
        id: IdDocument::parse(IdType::ResidentId, ZHANG_ID).unwrap(),
        name: HolderName::parse("张三").unwrap(),
    }
}

/// Reads everything the cache keeps once, so that it holds it.
async fn read_all(s: &dyn Storage, seen: &Seen) {
    for token in [[1u8; 32], [2u8; 32]] {
        let _ = s.session(&token, at(T0)).await;
    }
    s.holder(seen.holder_id).await.unwrap();
    s.current_terms().await.unwrap();
    s.certificates_of(&seen.id, &seen.name).await.unwrap();
}

fn revocation() -> Revocation {
    Revocation {
        at: at("2024-06-01T02:03:04Z"),
        reason: "以不正当手段取得".into(),
    }
}

async fn revoked(s: &dyn Storage, seen: &Seen, number: &str) -> bool {
    s.certificates_of(&seen.id, &seen.name)
        .await
        .unwrap()
        .iter()
        .any(|c| {
            c.data.number.as_str() == number && matches!(c.status, CertificateStatus::Revoked(_))
        })
}

pub async fn a_cached_store_reads_its_own_writes(s: &dyn Storage) {
    let seen = seed(s).await;
    s.cache_hot_reads().await.unwrap();
    read_all(s, &seen).await;
    read_all(s, &seen).await;

    s.delete_session(&[1; 32]).await.unwrap();
    assert!(matches!(
        s.session(&[1; 32], at(T0)).await,
        Err(StorageError::NotFound)
    ));
    s.accept_terms(seen.holder_id, 1, at(T0)).await.unwrap();
    assert_eq!(
        s.holder(seen.holder_id).await.unwrap().accepted_terms,
        Some(1)
    );
    let v2 = s.publish_terms("服务须知 2", at(T0)).await.unwrap();
    assert_eq!(s.current_terms().await.unwrap(), Some(v2));
    let number = zhengshu_domain::CertificateNumber::parse("ZY2023000001").unwrap();
    s.revoke_certificate(&number, &revocation(), &Actor::Cli("story".into()))
        .await
        .unwrap();
    assert!(revoked(s, &seen, "ZY2023000001").await);
    s.set_password(
        seen.holder_id,
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3",
        &zhengshu_domain::NewAuditEvent {
            context: Default::default(),
            actor: Actor::Holder(seen.holder_id),
            action: "holder.password".into(),
            subject: format!("holder:{}", seen.holder_id),
            before: None,
            after: None,
        },
        at(T0),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            s.session(&[2; 32], at(T0)).await,
            Err(StorageError::NotFound)
        ),
        "a new password ends every session, cached or not"
    );
}

/// Waits until `done` holds: a hang guard, not a timing assertion, but
/// shorter than PostgreSQL's time to live (30 s), so that there only an
/// announcement can make it hold.
async fn eventually<F: AsyncFn() -> bool>(what: &str, done: F) {
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the cached store never saw: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `cached` and `other` are two stores on one database, as two processes.
pub async fn a_cached_store_sees_another_processs_writes(
    cached: &dyn Storage,
    other: &dyn Storage,
) {
    let seen = seed(other).await;
    cached.cache_hot_reads().await.unwrap();
    read_all(cached, &seen).await;

    other.delete_session(&[1; 32]).await.unwrap();
    eventually("the session ended", async || {
        matches!(
            cached.session(&[1; 32], at(T0)).await,
            Err(StorageError::NotFound)
        )
    })
    .await;
    other.accept_terms(seen.holder_id, 1, at(T0)).await.unwrap();
    eventually("the terms agreed", async || {
        cached.holder(seen.holder_id).await.unwrap().accepted_terms == Some(1)
    })
    .await;
    other.publish_terms("服务须知 2", at(T0)).await.unwrap();
    eventually("the new terms", async || {
        cached.current_terms().await.unwrap().map(|t| t.version) == Some(2)
    })
    .await;
    let number = zhengshu_domain::CertificateNumber::parse("ZY2023000002").unwrap();
    other
        .revoke_certificate(&number, &revocation(), &Actor::Cli("story".into()))
        .await
        .unwrap();
    eventually("the revocation", async || {
        revoked(cached, &seen, "ZY2023000002").await
    })
    .await;
    let more = [certificate(
        "ZY2023000003",
        "张三",
        ZHANG_ID,
        "licensed_pharmacist",
    )];
    import(other, &more, false).await;
    eventually("the imported certificate", async || {
        cached
            .certificates_of(&seen.id, &seen.name)
            .await
            .unwrap()
            .len()
            == 3
    })
    .await;
}
