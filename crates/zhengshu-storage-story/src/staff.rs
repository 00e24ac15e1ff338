//! Stories of staff accounts, their second factor and console sessions,
//! and of the audit chain: appended one at a time however many writers
//! append at once, verifiable from the first event to the head.

use zhengshu_domain::{Actor, AuditContext, BodyCode, ChainCheck, NewAuditEvent, Role, Username};
use zhengshu_storage::{
    AuditFilter, Conflict, Enrolment, NewStaff, NewStaffSession, Storage, StorageError,
};

use crate::{T0, at, seed_reference};

fn event(body: Option<&str>, subject: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: body.map(str::to_owned),
            role: Some("admin".into()),
            address: Some("192.0.2.1".into()),
        },
        actor: Actor::Staff("someone".into()),
        action: "test.event".into(),
        subject: subject.into(),
        before: None,
        after: Some("{}".into()),
    }
}

/// Walks the whole chain as `zhengshu audit verify` does.
pub async fn verify_whole_chain(s: &dyn Storage) -> zhengshu_domain::AuditHead {
    let mut check = ChainCheck::new(None);
    let mut after = 0;
    loop {
        let page = s.audit_chain(after, 100).await.unwrap();
        if page.is_empty() {
            break;
        }
        for e in &page {
            check
                .push(e)
                .unwrap_or_else(|b| panic!("chain broken: {b}"));
            after = e.seq;
        }
    }
    check.finish().unwrap()
}

pub async fn forty_simultaneous_appends_make_one_chain(s: &dyn Storage) {
    seed_reference(s).await;
    let events: Vec<_> = (0..40)
        .map(|i| event(Some("pharmacist_center"), &format!("x:{i}")))
        .collect();
    let results =
        futures_util::future::join_all(events.iter().map(|e| s.record_audit(e, at(T0)))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let head = verify_whole_chain(s).await;
    assert_eq!(head, s.audit_head().await.unwrap());
    assert!(head.count >= 40);
    let mut seqs: Vec<i64> = s
        .audit_chain(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    seqs.dedup();
    assert_eq!(seqs, (1..=head.count).collect::<Vec<_>>());
}

pub async fn audit_pages_filter_by_body_and_sort(s: &dyn Storage) {
    seed_reference(s).await;
    for i in 0..5 {
        s.record_audit(&event(Some("pharmacist_center"), &format!("a:{i}")), at(T0))
            .await
            .unwrap();
    }
    s.record_audit(&event(Some("economist_association"), "b:1"), at(T0))
        .await
        .unwrap();
    let mut f = AuditFilter {
        body: Some("pharmacist_center".into()),
        limit: 2,
        ..AuditFilter::default()
    };
    let (page, total) = s.audit_page(&f).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].subject, "a:4");
    assert!(
        page.iter()
            .all(|e| e.body.as_deref() == Some("pharmacist_center"))
    );
    f.ascending = true;
    f.offset = 4;
    let (page, _) = s.audit_page(&f).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].subject, "a:4");
    assert_eq!(page[0].address.as_deref(), Some("192.0.2.1"));
    f.action = Some("test.%".into());
    assert_eq!(s.audit_page(&f).await.unwrap().1, 0, "no wildcards");
    f.action = Some("test.".into());
    assert_eq!(s.audit_page(&f).await.unwrap().1, 5);
}

pub async fn staff_enrol_once_and_use_each_code_once(s: &dyn Storage) {
    seed_reference(s).await;
    let new = NewStaff {
        username: Username::parse("admin_a").unwrap(),
        body: Some(BodyCode::parse("pharmacist_center").unwrap()),
        role: Role::Admin,
        enrolment_hash: vec![1; 32],
        enrolment_expires: at("2024-05-02T08:00:00Z"),
    };
    let created = s
        .create_staff(
            &new,
            &event(Some("pharmacist_center"), "staff:admin_a"),
            at(T0),
        )
        .await
        .unwrap();
    assert!(!created.enrolled());
    let again = NewStaff {
        enrolment_hash: vec![8; 32],
        ..new.clone()
    };
    assert!(matches!(
        s.create_staff(&again, &event(None, "staff:admin_a"), at(T0))
            .await,
        Err(StorageError::Conflict(Conflict::Username))
    ));
    let operator = NewStaff {
        username: Username::parse("operator1").unwrap(),
        body: None,
        role: Role::Operator,
        enrolment_hash: vec![2; 32],
        ..new.clone()
    };
    s.create_staff(&operator, &event(None, "staff:operator1"), at(T0))
        .await
        .unwrap();
    assert_eq!(
        s.staff_list(Some("pharmacist_center")).await.unwrap().len(),
        1
    );
    assert_eq!(s.staff_list(None).await.unwrap().len(), 2);

    let found = s.staff_by_enrolment(&[1; 32], at(T0)).await.unwrap();
    assert_eq!(found.id, created.id);
    assert!(matches!(
        s.staff_by_enrolment(&[1; 32], at("2024-05-03T00:00:00Z"))
            .await,
        Err(StorageError::NotFound)
    ));
    let enrolment = Enrolment {
        password_hash: "hash".into(),
        totp_secret: vec![3; 20],
        totp_step: 100,
        recovery_hashes: vec![vec![4; 32], vec![5; 32]],
    };
    s.enrol_staff(created.id, &[1; 32], &enrolment, at(T0))
        .await
        .unwrap();
    assert!(matches!(
        s.enrol_staff(created.id, &[1; 32], &enrolment, at(T0))
            .await,
        Err(StorageError::NotFound)
    ));
    let enrolled = s.staff(created.id).await.unwrap();
    assert!(enrolled.enrolled());
    assert_eq!(enrolled.totp_secret.as_deref(), Some(&[3u8; 20][..]));
    // The key is stored sealed, never as its bytes.
    let dump = s.dump().await.unwrap().to_lowercase();
    assert!(dump.contains("admin_a"), "the dump shows the staff table");
    assert!(
        !dump.contains(&"03".repeat(12)),
        "TOTP key in clear in the dump"
    );
    assert!(!s.use_totp_step(created.id, 100).await.unwrap());
    assert!(s.use_totp_step(created.id, 101).await.unwrap());
    assert!(!s.use_totp_step(created.id, 101).await.unwrap());
    assert!(
        s.use_recovery_code(created.id, &[4; 32], at(T0))
            .await
            .unwrap()
    );
    assert!(
        !s.use_recovery_code(created.id, &[4; 32], at(T0))
            .await
            .unwrap()
    );
    assert!(
        !s.use_recovery_code(created.id, &[9; 32], at(T0))
            .await
            .unwrap()
    );

    let session = NewStaffSession {
        token_hash: vec![6; 32],
        staff_id: created.id,
        expires_at: at("2024-05-01T08:15:00Z"),
    };
    s.create_staff_session(&session, at(T0)).await.unwrap();
    assert_eq!(
        s.staff_session(&[6; 32], at(T0)).await.unwrap().staff_id,
        created.id
    );
    assert!(
        s.staff_session(&[6; 32], at("2024-05-01T08:15:00Z"))
            .await
            .is_err()
    );
    s.reset_staff(
        created.id,
        &[7; 32],
        at("2024-05-02T08:00:00Z"),
        &event(Some("pharmacist_center"), "staff:admin_a"),
        at(T0),
    )
    .await
    .unwrap();
    assert!(s.staff_session(&[6; 32], at(T0)).await.is_err());
    assert!(!s.staff(created.id).await.unwrap().enrolled());
    let head = verify_whole_chain(s).await;
    assert_eq!(head.count, 4, "created twice, enrolled, reset");
}

/// Events recorded without a body take the body of the certificate they
/// concern: a holder's application, the worker's generation, a
/// withdrawal, a revocation, a download; a holder account's own events and
/// the events of another body's certificate do not reach this body.
pub async fn events_about_a_certificate_carry_its_body(s: &dyn Storage) {
    use crate::annotations::{application, generated, seed_annotatable};
    use zhengshu_domain::{AnnotationPolicy, Revocation};
    let (cert, holder) = seed_annotatable(s).await;
    let other = crate::certificate("JJ2023000009", "李四", crate::OTHER_ID, "economist");
    crate::import(s, std::slice::from_ref(&other), false).await;
    let day = jiff::civil::date(2024, 5, 1);
    let a = s
        .apply_annotation(
            &application(cert, holder, day, "BODY1"),
            &AnnotationPolicy::default(),
        )
        .await
        .unwrap();
    let now = at("2024-05-01T02:00:00Z");
    let job = s
        .claim_job("w", now, jiff::SignedDuration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.complete_job(&job, "w", &generated(day), now)
            .await
            .unwrap()
    );
    s.withdraw_annotation(a.id, day, &Actor::Holder(holder), now)
        .await
        .unwrap();
    let revocation = Revocation {
        at: now,
        reason: "以不正当手段取得".into(),
    };
    s.revoke_certificate(&other.number, &revocation, &Actor::Cli("story".into()))
        .await
        .unwrap();
    let plain = |subject: &str, action: &str| NewAuditEvent {
        context: AuditContext::default(),
        actor: Actor::Holder(holder),
        action: action.into(),
        subject: subject.into(),
        before: None,
        after: None,
    };
    s.record_audit(&plain("certificate:ZY2024000001", "document.download"), now)
        .await
        .unwrap();
    s.record_audit(&plain(&format!("holder:{holder}"), "holder.register"), now)
        .await
        .unwrap();
    s.record_audit(&plain("certificate:NOPE0001", "document.download"), now)
        .await
        .unwrap();
    let of = |body: &str| AuditFilter {
        body: Some(body.into()),
        ascending: true,
        limit: 100,
        ..AuditFilter::default()
    };
    let (mine, _) = s.audit_page(&of("pharmacist_center")).await.unwrap();
    let actions: Vec<&str> = mine.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "annotation.apply",
            "annotation.generate",
            "annotation.withdraw",
            "document.download"
        ],
        "{mine:#?}"
    );
    let (theirs, _) = s.audit_page(&of("economist_association")).await.unwrap();
    let actions: Vec<&str> = theirs.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["certificate.revoke"], "{theirs:#?}");
    // A holder account's events and unknown certificates belong to no body.
    let all = s.audit_events(None, 100).await.unwrap();
    for e in all
        .iter()
        .filter(|e| e.subject.starts_with("holder:") || e.subject == "certificate:NOPE0001")
    {
        assert_eq!(e.body, None, "{e:?}");
    }
    // The attributed body is part of the chain.
    verify_whole_chain(s).await;
}

/// An officer's holder support: the account holding the identity of a
/// body's certificate is found by that certificate's number or by the ID
/// number (blind index), by that body only; unlinking it frees the
/// identity for a new registration, ends its sessions and is audited in
/// the same transaction; another body cannot unlink it, nor anyone twice.
pub async fn holder_accounts_are_found_and_unlinked_by_their_body_only(s: &dyn Storage) {
    use zhengshu_domain::{CertificateNumber, IdDocument, IdType};
    use zhengshu_storage::{HolderSearch, NewSession, SessionKind};
    let (_, holder) = crate::annotations::seed_annotatable(s).await;
    let other = crate::certificate("JJ2023000009", "李四", crate::OTHER_ID, "economist");
    crate::import(s, std::slice::from_ref(&other), false).await;
    s.create_holder(&crate::holder("lisi", "李四", crate::OTHER_ID), at(T0))
        .await
        .unwrap();
    let a = "pharmacist_center";
    let b = "economist_association";
    let by_number = HolderSearch::Certificate(CertificateNumber::parse("ZY2024000001").unwrap());
    let zhang_id = IdDocument::parse(IdType::ResidentId, crate::ZHANG_ID).unwrap();
    let by_id = HolderSearch::Id(vec![
        IdDocument::parse(IdType::Passport, "E12345678").unwrap(),
        zhang_id.clone(),
    ]);
    for search in [&by_number, &by_id] {
        let found = s.holders_of_body(a, search).await.unwrap();
        assert_eq!(found.len(), 1, "{search:?}");
        assert_eq!(found[0].holder.id, holder);
        assert_eq!(found[0].certificates, ["ZY2024000001"]);
        // Another body finds nothing of body A's holders.
        assert!(s.holders_of_body(b, search).await.unwrap().is_empty());
    }
    let other_id = HolderSearch::Id(vec![
        IdDocument::parse(IdType::ResidentId, crate::OTHER_ID).unwrap(),
    ]);
    assert!(s.holders_of_body(a, &other_id).await.unwrap().is_empty());
    assert_eq!(s.holders_of_body(b, &other_id).await.unwrap().len(), 1);

    s.create_session(
        &NewSession {
            token_hash: vec![9; 32],
            holder_id: holder,
            kind: SessionKind::Page,
            expires_at: at("2024-05-01T09:00:00Z"),
        },
        at(T0),
    )
    .await
    .unwrap();
    let unlink_event = |body: &str| NewAuditEvent {
        context: AuditContext {
            body: Some(body.into()),
            role: Some("officer".into()),
            address: None,
        },
        actor: Actor::Staff(format!("officer_of_{body}")),
        action: "holder.unlink".into(),
        subject: format!("holder:{holder}"),
        before: None,
        after: Some(r#"{"reason":"冒名注册"}"#.into()),
    };
    let before = s.audit_head().await.unwrap().count;
    // Body B has no claim on this account: refused, nothing written.
    assert!(matches!(
        s.unlink_holder(holder, b, &unlink_event(b), at(T0)).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.audit_head().await.unwrap().count, before);
    assert!(s.session(&[9; 32], at(T0)).await.is_ok());

    s.unlink_holder(holder, a, &unlink_event(a), at(T0))
        .await
        .unwrap();
    let unlinked = s.holder(holder).await.unwrap();
    assert_eq!(unlinked.unlinked_at, Some(at(T0)));
    assert!(s.session(&[9; 32], at(T0)).await.is_err(), "sessions end");
    assert!(s.holders_of_body(a, &by_number).await.unwrap().is_empty());
    assert!(matches!(
        s.unlink_holder(holder, a, &unlink_event(a), at(T0)).await,
        Err(StorageError::NotFound)
    ));
    let events = s
        .audit_events(Some(&format!("holder:{holder}")), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].body.as_deref(), Some(a));
    // The identity is free: its rightful holder registers with it.
    let rightful = s
        .create_holder(
            &crate::holder("zhangsan_real", "张三", crate::ZHANG_ID),
            at(T0),
        )
        .await
        .unwrap();
    let found = s.holders_of_body(a, &by_number).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].holder.id, rightful);
    verify_whole_chain(s).await;
}

/// A TOTP key stored in clear (by a release before keys were sealed) is
/// refused rather than used, and sealed by the next migration at start-up;
/// `clear` writes one behind the store's back.
pub async fn clear_totp_keys_are_sealed_at_start_up(
    s: &dyn Storage,
    clear: impl AsyncFn(i64, Vec<u8>),
) {
    seed_reference(s).await;
    let new = NewStaff {
        username: Username::parse("admin_a").unwrap(),
        body: Some(BodyCode::parse("pharmacist_center").unwrap()),
        role: Role::Admin,
        enrolment_hash: vec![1; 32],
        enrolment_expires: at("2024-05-02T08:00:00Z"),
    };
    let created = s
        .create_staff(
            &new,
            &event(Some("pharmacist_center"), "staff:admin_a"),
            at(T0),
        )
        .await
        .unwrap();
    let enrolment = Enrolment {
        password_hash: "hash".into(),
        totp_secret: vec![3; 20],
        totp_step: 100,
        recovery_hashes: vec![vec![4; 32]],
    };
    s.enrol_staff(created.id, &[1; 32], &enrolment, at(T0))
        .await
        .unwrap();
    clear(created.id, vec![7; 20]).await;
    assert!(
        s.staff(created.id).await.is_err(),
        "a key in clear is refused, not used"
    );
    s.migrate().await.unwrap();
    let sealed = s.staff(created.id).await.unwrap();
    assert_eq!(sealed.totp_secret.as_deref(), Some(&[7u8; 20][..]));
    let dump = s.dump().await.unwrap().to_lowercase();
    assert!(!dump.contains(&"07".repeat(12)), "still in clear");
}
