//! Stories of identity proof: several accounts may claim one ID document,
//! at most one holds it proven; a strictly stronger proof takes it (the
//! loser is marked to be told, its annotations pass to the prover, both
//! audited), an equal or weaker one is refused, and simultaneous proofs
//! leave exactly one holder. After a correction of the holder's name, an
//! account registered with the corrected name takes the identity from the
//! account of the old name by a proof at least as strong, and no other
//! account does.

use zhengshu_domain::IdentityProof;
use zhengshu_storage::{Conflict, NewSession, SessionKind, Storage, StorageError};

use crate::{OTHER_ID, T0, ZHANG_ID, at, holder, seed_reference};

async fn register(s: &dyn Storage, username: &str) -> i64 {
    s.create_holder(&holder(username, "张三", ZHANG_ID), at(T0))
        .await
        .expect("any number of accounts may claim one ID document")
}

fn held(r: Result<zhengshu_storage::Proven, StorageError>) -> bool {
    matches!(r, Err(StorageError::Conflict(Conflict::IdentityHeld)))
}

pub async fn a_stronger_proof_takes_an_identity_a_weaker_cannot(s: &dyn Storage) {
    seed_reference(s).await;
    let squatter = register(s, "squatter").await;
    let genuine = register(s, "genuine").await;
    let late = register(s, "late").await;
    assert_eq!(
        s.holder(genuine).await.unwrap().identity,
        IdentityProof::None
    );

    // The squatter knows the 管理号 printed on the paper certificate.
    let p = s
        .prove_identity(squatter, IdentityProof::ManagementNumber, at(T0))
        .await
        .unwrap();
    assert_eq!(p.proof, IdentityProof::ManagementNumber);
    assert_eq!(p.taken_from, None);
    // Another weak proof does not take it back.
    assert!(held(
        s.prove_identity(genuine, IdentityProof::ManagementNumber, at(T0))
            .await
    ));

    // The genuine holder receives the code: strong, and takes it.
    let t1 = at("2024-05-02T08:00:00Z");
    let p = s
        .prove_identity(genuine, IdentityProof::Code, t1)
        .await
        .unwrap();
    assert_eq!(p.proof, IdentityProof::Code);
    assert_eq!(p.taken_from, Some(squatter));
    let lost = s.holder(squatter).await.unwrap();
    assert_eq!(lost.identity, IdentityProof::None);
    assert_eq!(lost.identity_taken_at, Some(t1));
    let won = s.holder(genuine).await.unwrap();
    assert_eq!(won.identity, IdentityProof::Code);
    assert_eq!(won.identity_taken_at, None);

    // Neither a weak nor an equal proof takes it from a strong one.
    assert!(held(
        s.prove_identity(squatter, IdentityProof::ManagementNumber, t1)
            .await
    ));
    assert!(held(s.prove_identity(late, IdentityProof::Code, t1).await));
    assert!(held(
        s.prove_identity(late, IdentityProof::Federated, t1).await
    ));
    // The holder's own weaker proof does not lower its proof.
    let again = s
        .prove_identity(genuine, IdentityProof::ManagementNumber, t1)
        .await
        .unwrap();
    assert_eq!(again.proof, IdentityProof::Code);

    // Both events are audited.
    let taken = s
        .audit_events(Some(&format!("holder:{squatter}")), 10)
        .await
        .unwrap();
    assert_eq!(taken[0].action, "holder.identity_taken");
    assert_eq!(taken[0].actor, format!("holder:{genuine}"));
    let proven = s
        .audit_events(Some(&format!("holder:{genuine}")), 10)
        .await
        .unwrap();
    assert!(proven.iter().any(|e| {
        e.action == "holder.identity_proven"
            && e.after
                .as_deref()
                .unwrap()
                .contains(&format!("holder:{squatter}"))
    }));

    // Told once, the mark goes.
    s.clear_identity_taken(squatter).await.unwrap();
    assert_eq!(s.holder(squatter).await.unwrap().identity_taken_at, None);
    assert!(matches!(
        s.prove_identity(9_999_999, IdentityProof::Code, t1).await,
        Err(StorageError::NotFound)
    ));
}

pub async fn a_correction_moves_an_identity_to_the_corrected_details(s: &dyn Storage) {
    use zhengshu_domain::{Actor, HolderName, NewAuditEvent};
    use zhengshu_storage::Correction;
    let (cert, old) = crate::seed_annotatable(s).await;
    s.prove_identity(old, IdentityProof::Code, at(T0))
        .await
        .unwrap();
    let account = |username: &str, name: &str| holder(username, name, ZHANG_ID);
    // Before the correction: another account of the same details, or of
    // another name, proves no more than the old account did.
    let twin = s
        .create_holder(&account("twin", "张三"), at(T0))
        .await
        .unwrap();
    assert!(held(
        s.prove_identity(twin, IdentityProof::Code, at(T0)).await
    ));
    let early = s
        .create_holder(&account("early", "张叁"), at(T0))
        .await
        .unwrap();
    assert!(held(
        s.prove_identity(early, IdentityProof::Code, at(T0)).await
    ));

    // The issuing body corrects the name 张三 to 张叁.
    let seen = s.certificate(cert).await.unwrap().data;
    let mut renamed = seen.clone();
    renamed.name = HolderName::parse("张叁").unwrap();
    let t1 = at("2024-06-01T00:00:00Z");
    s.correct_certificate(
        cert,
        "pharmacist_center",
        &Correction {
            before: seen,
            after: renamed,
            reason: "姓名录入错误".into(),
            actor: "staff:officer_a".into(),
            at: t1,
        },
        &NewAuditEvent {
            context: Default::default(),
            actor: Actor::Staff("officer_a".into()),
            action: "certificate.correct".into(),
            subject: "certificate:ZY2024000001".into(),
            before: None,
            after: None,
        },
    )
    .await
    .unwrap();

    // A weaker proof by the corrected details does not take it; nor does
    // an account whose details match nothing either.
    let weak = s.create_holder(&account("weak", "张叁"), t1).await.unwrap();
    assert!(held(
        s.prove_identity(weak, IdentityProof::ManagementNumber, t1)
            .await
    ));
    let stranger = s
        .create_holder(&account("stranger", "张四"), t1)
        .await
        .unwrap();
    assert!(held(
        s.prove_identity(stranger, IdentityProof::Code, t1).await
    ));

    // The holder registered again with the corrected name: an equal proof
    // takes the identity from the account of the old name.
    let t2 = at("2024-06-02T00:00:00Z");
    let p = s
        .prove_identity(early, IdentityProof::Code, t2)
        .await
        .unwrap();
    assert_eq!(p.taken_from, Some(old));
    let lost = s.holder(old).await.unwrap();
    assert_eq!(lost.identity, IdentityProof::None);
    assert_eq!(lost.identity_taken_at, Some(t2));
    assert_eq!(s.holder(early).await.unwrap().identity, IdentityProof::Code);
    let taken = s
        .audit_events(Some(&format!("holder:{old}")), 10)
        .await
        .unwrap();
    assert_eq!(taken[0].action, "holder.identity_taken");
    assert!(
        taken[0].after.as_deref().unwrap().contains("\"corrected\""),
        "{:?}",
        taken[0].after
    );
    // The old name's accounts cannot take it back, however they prove.
    for back in [old, twin] {
        for proof in [IdentityProof::Code, IdentityProof::Federated] {
            assert!(held(s.prove_identity(back, proof, t2).await));
        }
    }
    // An account of the corrected details proving no more strongly than
    // the new holder does not take it either: both match the certificate.
    assert!(held(s.prove_identity(weak, IdentityProof::Code, t2).await));
    assert_eq!(s.proven_holder(&lost.id_document).await.unwrap().id, early);
}

pub async fn the_proven_holder_of_an_identity_is_found_by_its_document(s: &dyn Storage) {
    seed_reference(s).await;
    let doc = holder("lookup", "张三", ZHANG_ID).id_document;
    let first = register(s, "first").await;
    let _second = register(s, "second").await;
    // Claimed twice, proven by none: nobody holds it.
    assert!(matches!(
        s.proven_holder(&doc).await,
        Err(StorageError::NotFound)
    ));
    s.prove_identity(first, IdentityProof::Federated, at(T0))
        .await
        .unwrap();
    let found = s.proven_holder(&doc).await.unwrap();
    assert_eq!(found.id, first);
    assert_eq!(found.identity, IdentityProof::Federated);
    assert_eq!(found.id_document, doc);
    // Another document is held by nobody.
    let other = holder("lookup", "李四", OTHER_ID).id_document;
    assert!(matches!(
        s.proven_holder(&other).await,
        Err(StorageError::NotFound)
    ));
}

pub async fn twenty_simultaneous_proofs_leave_one_holder(s: &dyn Storage) {
    seed_reference(s).await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(register(s, &format!("claimant{i:02}")).await);
    }
    let outcomes = futures_util::future::join_all(
        ids.iter()
            .map(|&id| s.prove_identity(id, IdentityProof::Code, at(T0))),
    )
    .await;
    let mut won = 0;
    for o in outcomes {
        match o {
            Ok(p) => {
                assert_eq!(p.taken_from, None);
                won += 1;
            }
            Err(e) => assert!(
                matches!(e, StorageError::Conflict(Conflict::IdentityHeld)),
                "refused as held, not {e:?}"
            ),
        }
    }
    assert_eq!(won, 1);
    let mut proven = 0;
    for id in ids {
        if s.holder(id).await.unwrap().identity.is_proven() {
            proven += 1;
        }
    }
    assert_eq!(proven, 1);
}

pub async fn a_new_password_ends_every_session(s: &dyn Storage) {
    seed_reference(s).await;
    let id = register(s, "zhangsan").await;
    for (i, kind) in [SessionKind::Page, SessionKind::Api]
        .into_iter()
        .enumerate()
    {
        s.create_session(
            &NewSession {
                token_hash: vec![u8::try_from(i).unwrap(); 32],
                holder_id: id,
                kind,
                expires_at: at("2024-05-02T08:00:00Z"),
            },
            at(T0),
        )
        .await
        .unwrap();
    }
    let event = zhengshu_domain::NewAuditEvent {
        context: Default::default(),
        actor: zhengshu_domain::Actor::Holder(id),
        action: "holder.password_reset".into(),
        subject: format!("holder:{id}"),
        before: None,
        after: None,
    };
    s.set_password(id, "$argon2id$new", &event, at(T0))
        .await
        .unwrap();
    assert_eq!(s.holder(id).await.unwrap().password_hash, "$argon2id$new");
    for i in 0..2u8 {
        assert!(matches!(
            s.session(&[i; 32], at(T0)).await,
            Err(StorageError::NotFound)
        ));
    }
    let events = s
        .audit_events(Some(&format!("holder:{id}")), 1)
        .await
        .unwrap();
    assert_eq!(events[0].action, "holder.password_reset");
    assert!(matches!(
        s.set_password(9_999_999, "x", &event, at(T0)).await,
        Err(StorageError::NotFound)
    ));
}
