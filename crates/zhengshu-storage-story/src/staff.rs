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
