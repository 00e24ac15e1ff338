//! The storage story suite: one set of scenarios, written once against the
//! [`Storage`] trait, that every backend runs on a fresh database of its own
//! (`story_tests!` in each backend's tests). A backend is correct when it
//! tells these stories the same way as the others.
#![forbid(unsafe_code)]
#![allow(clippy::missing_panics_doc)]

mod annotations;
mod cache;
mod certificates;
mod documents;
mod identity;
mod reference;
mod scope;
mod staff;
mod throttle;
mod uploads;
mod verifications;
mod verify_index;

pub use annotations::*;
pub use cache::*;
pub use certificates::*;
pub use documents::*;
pub use identity::*;
pub use reference::*;
pub use scope::*;
pub use staff::*;
pub use throttle::*;
pub use uploads::*;
pub use verifications::*;
pub use verify_index::*;

use jiff::Timestamp;
use zhengshu_domain::{
    Actor, BodyCode, CertificateNumber, CertificateStatus, HolderName, IdDocument, IdType,
    IssuingBody, NewAuditEvent, NewCertificate, QualificationCode, QualificationType, Revocation,
    Sex, Username,
};
use zhengshu_storage::{
    Conflict, IdVault, LoginFailures, NewHolder, NewSession, RowOutcome, SessionKind, Storage,
    StorageError, VaultKeys,
};

/// The vault every story uses (fixed test keys).
pub fn test_vault() -> IdVault {
    IdVault::new(&VaultKeys {
        encryption: [7; 32],
        index: [9; 32],
    })
}

/// Generates one `#[tokio::test]` per story, each on a database made by
/// `$fresh` (an async expression yielding something that derefs to a
/// `Storage`, kept alive for the test).
#[macro_export]
macro_rules! story_tests {
    ($fresh:expr) => {
        $crate::story_tests!(@each $fresh;
            reference_data_round_trips,
            reference_changes_land_with_their_event_or_not_at_all,
            import_reads_back_by_holder_number_and_id,
            import_skips_existing_and_updates_with_audit,
            rolled_back_import_leaves_nothing,
            an_import_is_invisible_until_published,
            revocation_is_atomic_with_its_audit,
            holders_are_unique_by_username_only,
            a_stronger_proof_takes_an_identity_a_weaker_cannot,
            a_correction_moves_an_identity_to_the_corrected_details,
            the_proven_holder_of_an_identity_is_found_by_its_document,
            twenty_simultaneous_proofs_leave_one_holder,
            a_new_password_ends_every_session,
            terms_versions_and_acceptance,
            the_first_keys_bind_the_installation,
            id_numbers_are_never_stored_in_clear,
            audit_log_filters_newest_first,
            missing_things_are_not_found,
            sessions_live_until_they_expire_or_end,
            login_failures_count_by_key_within_the_window,
            sixty_simultaneous_reservations_get_five_slots,
            annotations_count_against_the_limit,
            fifty_simultaneous_applications_make_three,
            a_lost_lease_cannot_complete,
            failed_attempts_wait_then_give_up,
            only_a_ready_valid_annotation_is_withdrawn,
            verification_codes_find_their_annotation,
            the_verification_index_answers_as_the_database,
            simultaneous_look_ups_each_get_their_own_answer,
            verifications_round_trip_counted_newest_first,
            five_hundred_verifications_are_written_at_once,
            verifiers_are_kept_only_as_keyed_hashes,
            number_and_name_answer_a_wrong_name_like_an_unknown_number,
            issue_years_span_each_types_certificates,
            issued_documents_are_found_by_code_and_hash,
            forty_simultaneous_appends_make_one_chain,
            audit_pages_filter_by_body_and_sort,
            staff_enrol_once_and_use_each_code_once,
            events_about_a_certificate_carry_its_body,
            holder_accounts_are_found_and_unlinked_by_their_body_only,
            a_cached_store_reads_its_own_writes,
            uploads_and_import_tokens_stay_with_their_body,
            uploads_nobody_will_finish_are_swept,
            certificates_are_revoked_by_their_body_only_and_reinstated,
            a_search_pages_in_number_order,
            corrections_keep_every_version_and_tell_the_old_identity_when,
            files_are_stored_by_hash_attached_by_their_body_and_retired
        );
    };
    (@each $fresh:expr; $($story:ident),*) => {
        $(
            #[tokio::test]
            async fn $story() {
                let db = $fresh.await;
                $crate::$story(&*db).await;
            }
        )*
    };
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

pub(crate) const T0: &str = "2024-05-01T08:00:00Z";

pub async fn seed_reference(s: &dyn Storage) {
    s.migrate().await.expect("migrate");
    for (code, name, exempt) in [
        (
            "pharmacist_center",
            "国家药品监督管理局执业药师资格认证中心",
            false,
        ),
        ("economist_association", "中国经济专业技术资格协会", true),
    ] {
        s.put_issuing_body(&IssuingBody {
            code: BodyCode::parse(code).unwrap(),
            name: name.into(),
            exempt_before_cutover: exempt,
        })
        .await
        .expect("body");
    }
    for (code, name, body) in [
        ("licensed_pharmacist", "执业药师", "pharmacist_center"),
        ("economist", "经济专业技术资格", "economist_association"),
    ] {
        s.put_qualification_type(&QualificationType {
            code: QualificationCode::parse(code).unwrap(),
            name: name.into(),
            body: BodyCode::parse(body).unwrap(),
            in_scope: true,
            years_from: 2016,
            years_to: None,
        })
        .await
        .expect("qualification");
    }
}

pub fn certificate(number: &str, name: &str, id: &str, qualification: &str) -> NewCertificate {
    NewCertificate {
        number: CertificateNumber::parse(number).unwrap(),
        management_number: Some(format!("M-{number}")),
        name: HolderName::parse(name).unwrap(),
        sex: Some(Sex::Male),
        birth_date: Some(jiff::civil::date(1949, 12, 31)),
        id: IdDocument::parse(IdType::ResidentId, id).unwrap(),
        qualification: QualificationCode::parse(qualification).unwrap(),
        category: None,
        specialty: Some("药学".into()),
        level: None,
        approval_date: Some(jiff::civil::date(2023, 5, 1)),
        issue_date: jiff::civil::date(2023, 6, 1),
        photo: None,
        contacts: Default::default(),
    }
}

pub(crate) const ZHANG_ID: &str = "11010519491231002X";
pub(crate) const OTHER_ID: &str = "110101199003070011";

async fn import(s: &dyn Storage, rows: &[NewCertificate], update: bool) -> Vec<RowOutcome> {
    let mut tx = s
        .begin_import(&Actor::Cli("story".into()))
        .await
        .expect("begin");
    let out = tx.write(rows, update, at(T0)).await.expect("write");
    tx.commit().await.expect("commit");
    out
}

pub async fn reference_data_round_trips(s: &dyn Storage) {
    seed_reference(s).await;
    let bodies = s.issuing_bodies().await.unwrap();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0].code.as_str(), "economist_association");
    assert!(bodies[0].exempt_before_cutover);
    // Upsert changes in place.
    let mut b = bodies[1].clone();
    b.name = "新名称".into();
    s.put_issuing_body(&b).await.unwrap();
    assert_eq!(s.issuing_bodies().await.unwrap()[1].name, "新名称");
    let quals = s.qualification_types().await.unwrap();
    assert_eq!(quals.len(), 2);
    assert_eq!(quals[1].code.as_str(), "licensed_pharmacist");
    assert_eq!(quals[1].years_to, None);
    s.ping().await.unwrap();
}

pub async fn import_reads_back_by_holder_number_and_id(s: &dyn Storage) {
    seed_reference(s).await;
    let rare = "王\u{2003E}";
    let rows = vec![
        certificate("ZY2023000001", "张三", ZHANG_ID, "licensed_pharmacist"),
        certificate("JJ2019000001", "张三", ZHANG_ID, "economist"),
        certificate("ZY2023000002", rare, OTHER_ID, "licensed_pharmacist"),
    ];
    assert_eq!(import(s, &rows, false).await, vec![RowOutcome::Inserted; 3]);
    assert_eq!(s.count_certificates().await.unwrap(), 3);

    let zhang = IdDocument::parse(IdType::ResidentId, ZHANG_ID).unwrap();
    let mine = s
        .certificates_of(&zhang, &HolderName::parse("张三").unwrap())
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|c| c.data.id == zhang));
    // Same document, other name: nothing (names are compared exactly).
    let none = s
        .certificates_of(&zhang, &HolderName::parse("张四").unwrap())
        .await
        .unwrap();
    assert!(none.is_empty());

    let c = s.certificate_by_number(&rows[2].number).await.unwrap();
    assert_eq!(c.data, rows[2]);
    assert_eq!(c.data.name.as_str(), rare);
    assert_eq!(c.qualification_name, "执业药师");
    assert_eq!(c.body.as_str(), "pharmacist_center");
    assert!(!c.body_exempt_before_cutover);
    assert_eq!(c.status, CertificateStatus::Valid);
    assert_eq!(s.certificate(c.id).await.unwrap(), c);
}

pub async fn import_skips_existing_and_updates_with_audit(s: &dyn Storage) {
    seed_reference(s).await;
    let first = certificate("ZY2023000001", "张三", ZHANG_ID, "licensed_pharmacist");
    import(s, std::slice::from_ref(&first), false).await;
    let mut changed = first.clone();
    changed.level = Some("高级".into());
    // Without update: left as it was.
    assert_eq!(
        import(s, std::slice::from_ref(&changed), false).await,
        vec![RowOutcome::Exists]
    );
    assert_eq!(
        s.certificate_by_number(&first.number).await.unwrap().data,
        first
    );
    // With update: changed, audited; the same again is unchanged.
    assert_eq!(
        import(s, std::slice::from_ref(&changed), true).await,
        vec![RowOutcome::Updated]
    );
    assert_eq!(
        s.certificate_by_number(&first.number).await.unwrap().data,
        changed
    );
    assert_eq!(
        import(s, std::slice::from_ref(&changed), true).await,
        vec![RowOutcome::Unchanged]
    );
    let events = s
        .audit_events(Some("certificate:ZY2023000001"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "certificate.update");
    assert_eq!(events[0].actor, "cli:story");
    assert!(
        events[0]
            .before
            .as_deref()
            .unwrap()
            .contains("\"level\":null")
    );
    assert!(events[0].after.as_deref().unwrap().contains("高级"));
}

pub async fn rolled_back_import_leaves_nothing(s: &dyn Storage) {
    seed_reference(s).await;
    import(
        s,
        &[certificate(
            "ZY2023000001",
            "张三",
            ZHANG_ID,
            "licensed_pharmacist",
        )],
        false,
    )
    .await;
    let before = s.dump().await.unwrap();
    let mut tx = s.begin_import(&Actor::System).await.unwrap();
    let rows = [
        certificate("ZY2023000009", "张三", ZHANG_ID, "licensed_pharmacist"),
        certificate("ZY2023000001", "李四", OTHER_ID, "licensed_pharmacist"),
    ];
    tx.write(&rows, true, at(T0)).await.unwrap();
    tx.audit(
        &NewAuditEvent {
            context: Default::default(),
            actor: Actor::System,
            action: "import".into(),
            subject: "body:pharmacist_center".into(),
            before: None,
            after: None,
        },
        at(T0),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(s.dump().await.unwrap(), before);
    // Dropped unfinished: nothing visible, and the next import discards it.
    {
        let mut tx = s.begin_import(&Actor::System).await.unwrap();
        tx.write(&rows[..1], false, at(T0)).await.unwrap();
    }
    assert!(matches!(
        s.certificate_by_number(&rows[0].number).await,
        Err(StorageError::NotFound)
    ));
    let next = s.begin_import(&Actor::System).await.unwrap();
    next.rollback().await.unwrap();
    assert_eq!(s.dump().await.unwrap(), before);
}

/// An import's rows are written in short transactions, yet no read sees
/// them before the import is published, and all of them after.
pub async fn an_import_is_invisible_until_published(s: &dyn Storage) {
    seed_reference(s).await;
    let zhang = IdDocument::parse(IdType::ResidentId, ZHANG_ID).unwrap();
    let name = HolderName::parse("张三").unwrap();
    let old = certificate("JJ2019000001", "张三", ZHANG_ID, "economist");
    import(s, std::slice::from_ref(&old), false).await;
    let years = s.issue_years().await.unwrap();

    let mut tx = s.begin_import(&Actor::Cli("story".into())).await.unwrap();
    let first = certificate("ZY2023000001", "张三", ZHANG_ID, "licensed_pharmacist");
    let second = certificate("ZY2023000002", "张三", ZHANG_ID, "licensed_pharmacist");
    let mut changed = old.clone();
    changed.level = Some("高级".into());
    let out = tx
        .write(std::slice::from_ref(&first), true, at(T0))
        .await
        .unwrap();
    assert_eq!(out, vec![RowOutcome::Inserted]);
    let out = tx
        .write(&[second.clone(), changed.clone()], true, at(T0))
        .await
        .unwrap();
    assert_eq!(out, vec![RowOutcome::Inserted, RowOutcome::Updated]);

    // Between the writes and the publication, readers see the data as it was.
    assert_eq!(s.count_certificates().await.unwrap(), 1);
    assert_eq!(s.certificates_of(&zhang, &name).await.unwrap().len(), 1);
    assert_eq!(
        s.certificate_by_number(&old.number).await.unwrap().data,
        old
    );
    assert_eq!(s.issue_years().await.unwrap(), years);
    assert!(matches!(
        s.certificate_by_number(&first.number).await,
        Err(StorageError::NotFound)
    ));
    let revocation = Revocation {
        at: at(T0),
        reason: "测试".into(),
    };
    assert!(matches!(
        s.revoke_certificate(&first.number, &revocation, &Actor::System)
            .await,
        Err(StorageError::NotFound)
    ));
    // Another import meanwhile does not take the number over.
    let mut other = s.begin_import(&Actor::System).await.unwrap();
    let out = other
        .write(std::slice::from_ref(&first), false, at(T0))
        .await
        .unwrap();
    assert_eq!(out, vec![RowOutcome::Exists]);
    other.rollback().await.unwrap();

    tx.commit().await.unwrap();
    assert_eq!(s.count_certificates().await.unwrap(), 3);
    let mine = s.certificates_of(&zhang, &name).await.unwrap();
    assert_eq!(mine.len(), 3);
    assert_eq!(
        s.certificate_by_number(&old.number).await.unwrap().data,
        changed
    );
    assert_eq!(
        s.certificate_by_number(&first.number).await.unwrap().data,
        first
    );
    let events = s
        .audit_events(Some("certificate:JJ2019000001"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "certificate.update");
}

pub async fn revocation_is_atomic_with_its_audit(s: &dyn Storage) {
    seed_reference(s).await;
    let c = certificate("ZY2023000001", "张三", ZHANG_ID, "licensed_pharmacist");
    import(s, std::slice::from_ref(&c), false).await;
    let revocation = Revocation {
        at: at("2024-06-01T02:03:04Z"),
        reason: "以不正当手段取得".into(),
    };
    let actor = Actor::Staff("pharmacist_center".into());
    s.revoke_certificate(&c.number, &revocation, &actor)
        .await
        .unwrap();
    let got = s.certificate_by_number(&c.number).await.unwrap();
    assert_eq!(got.status, CertificateStatus::Revoked(revocation.clone()));
    assert!(matches!(
        s.revoke_certificate(&c.number, &revocation, &actor).await,
        Err(StorageError::Conflict(Conflict::AlreadyRevoked))
    ));
    let unknown = CertificateNumber::parse("NOPE0001").unwrap();
    assert!(matches!(
        s.revoke_certificate(&unknown, &revocation, &actor).await,
        Err(StorageError::NotFound)
    ));
    let events = s
        .audit_events(Some("certificate:ZY2023000001"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "certificate.revoke");
    assert_eq!(events[0].actor, "staff:pharmacist_center");
    assert!(
        events[0]
            .after
            .as_deref()
            .unwrap()
            .contains("以不正当手段取得")
    );
}

pub(crate) fn holder(username: &str, name: &str, id: &str) -> NewHolder {
    NewHolder {
        username: Username::parse(username).unwrap(),
        name: HolderName::parse(name).unwrap(),
        id_document: IdDocument::parse(IdType::ResidentId, id).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

pub async fn holders_are_unique_by_username_only(s: &dyn Storage) {
    seed_reference(s).await;
    let h = holder("demo", "张三", ZHANG_ID);
    let id = s.create_holder(&h, at(T0)).await.unwrap();
    let got = s.holder(id).await.unwrap();
    assert_eq!(got.username.as_str(), "demo");
    assert_eq!(got.id_document, h.id_document);
    assert_eq!(got.accepted_terms, None);
    assert_eq!(s.holder_by_username(&h.username).await.unwrap().id, id);
    assert!(matches!(
        s.create_holder(&holder("demo", "李四", OTHER_ID), at(T0))
            .await,
        Err(StorageError::Conflict(Conflict::Username))
    ));
    assert_eq!(got.identity, zhengshu_domain::IdentityProof::None);
    // A second account may claim the same ID document: only a proof
    // decides which one sees the certificates.
    let second = s
        .create_holder(&holder("other", "张三", ZHANG_ID), at(T0))
        .await
        .unwrap();
    assert_ne!(second, id);
    assert!(
        s.create_holder(&holder("third", "李四", OTHER_ID), at(T0))
            .await
            .is_ok()
    );
}

pub async fn the_first_keys_bind_the_installation(s: &dyn Storage) {
    s.migrate().await.unwrap();
    let at = Timestamp::from_second(1_700_000_000).unwrap();
    assert!(s.bind_keys(&[], at).await.unwrap().is_empty());
    let first = vec![
        ("session_key".to_owned(), "aaaa".to_owned()),
        ("vault_encryption_key".to_owned(), "bbbb".to_owned()),
    ];
    assert_eq!(s.bind_keys(&first, at).await.unwrap(), first);
    // A second node with another vault key and a new seal root: the
    // record keeps the first's, adds what was missing.
    let second = vec![
        ("seal_root".to_owned(), "cccc".to_owned()),
        ("vault_encryption_key".to_owned(), "dddd".to_owned()),
    ];
    let on_record = s.bind_keys(&second, at).await.unwrap();
    assert_eq!(
        on_record,
        vec![
            ("seal_root".to_owned(), "cccc".to_owned()),
            ("session_key".to_owned(), "aaaa".to_owned()),
            ("vault_encryption_key".to_owned(), "bbbb".to_owned()),
        ]
    );
    assert_eq!(s.bind_keys(&[], at).await.unwrap(), on_record);
}

pub async fn terms_versions_and_acceptance(s: &dyn Storage) {
    seed_reference(s).await;
    assert!(s.current_terms().await.unwrap().is_none());
    let v1 = s.publish_terms("第一版", at(T0)).await.unwrap();
    assert_eq!(v1.version, 1);
    let id = s
        .create_holder(&holder("demo", "张三", ZHANG_ID), at(T0))
        .await
        .unwrap();
    s.accept_terms(id, 1, at(T0)).await.unwrap();
    s.accept_terms(id, 1, at(T0)).await.unwrap();
    assert_eq!(s.holder(id).await.unwrap().accepted_terms, Some(1));
    let v2 = s.publish_terms("第二版", at(T0)).await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(s.current_terms().await.unwrap(), Some(v2));
    // A new version must be agreed again: the holder's version is still 1.
    assert_eq!(s.holder(id).await.unwrap().accepted_terms, Some(1));
}

pub async fn id_numbers_are_never_stored_in_clear(s: &dyn Storage) {
    seed_reference(s).await;
    import(
        s,
        &[certificate(
            "ZY2023000001",
            "张三",
            ZHANG_ID,
            "licensed_pharmacist",
        )],
        false,
    )
    .await;
    s.create_holder(&holder("demo", "张三", ZHANG_ID), at(T0))
        .await
        .unwrap();
    let dump = s.dump().await.unwrap();
    assert!(dump.contains("ZY2023000001"), "the dump shows the data");
    for needle in [ZHANG_ID, "19491231002", "3131303130353139"] {
        assert!(!dump.contains(needle), "ID number in clear: {needle}");
    }
}

pub async fn audit_log_filters_newest_first(s: &dyn Storage) {
    seed_reference(s).await;
    for (i, subject) in ["a:1", "b:2", "a:1"].iter().enumerate() {
        let e = NewAuditEvent {
            context: Default::default(),
            actor: Actor::Holder(7),
            action: format!("act{i}"),
            subject: (*subject).into(),
            before: None,
            after: Some("{}".into()),
        };
        s.record_audit(&e, at(T0)).await.unwrap();
    }
    let all = s.audit_events(None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["act2", "act1", "act0"]
    );
    let a = s.audit_events(Some("a:1"), 10).await.unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].actor, "holder:7");
    assert_eq!(s.audit_events(None, 1).await.unwrap().len(), 1);
}

pub async fn missing_things_are_not_found(s: &dyn Storage) {
    seed_reference(s).await;
    assert!(matches!(
        s.certificate(999).await,
        Err(StorageError::NotFound)
    ));
    let n = CertificateNumber::parse("NOPE0001").unwrap();
    assert!(matches!(
        s.certificate_by_number(&n).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(s.holder(999).await, Err(StorageError::NotFound)));
    let u = Username::parse("nobody").unwrap();
    assert!(matches!(
        s.holder_by_username(&u).await,
        Err(StorageError::NotFound)
    ));
}

pub async fn sessions_live_until_they_expire_or_end(s: &dyn Storage) {
    seed_reference(s).await;
    let holder_id = s
        .create_holder(&holder("demo", "张三", ZHANG_ID), at(T0))
        .await
        .unwrap();
    let minutes = |m: i64| jiff::SignedDuration::from_mins(m);
    let t0 = at(T0);
    let new = NewSession {
        token_hash: vec![1; 32],
        holder_id,
        kind: SessionKind::Page,
        expires_at: t0 + minutes(30),
    };
    s.create_session(&new, t0).await.unwrap();
    assert!(matches!(
        s.create_session(&new, t0).await,
        Err(StorageError::Conflict(_))
    ));
    let got = s.session(&[1; 32], t0).await.unwrap();
    assert_eq!(got.holder_id, holder_id);
    assert_eq!(got.kind, SessionKind::Page);
    assert_eq!((got.created_at, got.last_seen_at), (t0, t0));
    assert_eq!(got.expires_at, t0 + minutes(30));
    // Another token, or the right one once expired: not found.
    assert!(matches!(
        s.session(&[2; 32], t0).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.session(&[1; 32], t0 + minutes(30)).await,
        Err(StorageError::NotFound)
    ));
    // Use moves the expiry.
    s.touch_session(&[1; 32], t0 + minutes(20), t0 + minutes(50))
        .await
        .unwrap();
    let touched = s.session(&[1; 32], t0 + minutes(40)).await.unwrap();
    assert_eq!(touched.last_seen_at, t0 + minutes(20));
    assert_eq!(touched.created_at, t0);
    // An API session next to it; purging removes only the expired one.
    let api = NewSession {
        token_hash: vec![3; 32],
        holder_id,
        kind: SessionKind::Api,
        expires_at: t0 + minutes(120),
    };
    s.create_session(&api, t0).await.unwrap();
    s.purge_expired(t0 + minutes(60), t0).await.unwrap();
    assert_eq!(
        s.session(&[3; 32], t0).await.unwrap().kind,
        SessionKind::Api
    );
    assert!(matches!(
        s.session(&[1; 32], t0).await,
        Err(StorageError::NotFound)
    ));
    // Log-out ends a session at once; ending it twice is fine.
    s.delete_session(&[3; 32]).await.unwrap();
    s.delete_session(&[3; 32]).await.unwrap();
    assert!(matches!(
        s.session(&[3; 32], t0).await,
        Err(StorageError::NotFound)
    ));
}

pub async fn login_failures_count_by_key_within_the_window(s: &dyn Storage) {
    seed_reference(s).await;
    let t0 = at(T0);
    let minutes = |m: i64| jiff::SignedDuration::from_mins(m);
    let keys = ["account:demo".to_owned(), "client:abc".to_owned()];
    assert_eq!(
        s.login_failures("account:demo", t0).await.unwrap(),
        LoginFailures::default()
    );
    for m in [0, 5, 10] {
        s.record_login_failure(&keys, t0 + minutes(m))
            .await
            .unwrap();
    }
    s.record_login_failure(&keys[1..], t0 + minutes(11))
        .await
        .unwrap();
    let account = s.login_failures("account:demo", t0).await.unwrap();
    assert_eq!(account.count, 3);
    assert_eq!(account.earliest, Some(t0));
    let client = s.login_failures("client:abc", t0).await.unwrap();
    assert_eq!(client.count, 4);
    // Only those inside the window count.
    let later = s
        .login_failures("account:demo", t0 + minutes(5))
        .await
        .unwrap();
    assert_eq!(later.count, 2);
    assert_eq!(later.earliest, Some(t0 + minutes(5)));
    // A successful log-in clears the account's record, not the client's.
    s.clear_login_failures("account:demo").await.unwrap();
    assert_eq!(s.login_failures("account:demo", t0).await.unwrap().count, 0);
    assert_eq!(s.login_failures("client:abc", t0).await.unwrap().count, 4);
    // Housekeeping drops the old ones.
    s.purge_expired(t0, t0 + minutes(10)).await.unwrap();
    assert_eq!(s.login_failures("client:abc", t0).await.unwrap().count, 2);
}
