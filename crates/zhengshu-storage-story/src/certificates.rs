//! Stories of the console's work on certificates: a body's staff find its
//! certificates only (by number, name or ID number through the blind
//! index), revoke one with its event or not at all, a revoked certificate
//! takes no annotation, and the operator's reinstatement undoes it.

use zhengshu_domain::{
    Actor, AnnotationPolicy, AuditContext, CertificateNumber, CertificateStatus, HolderName,
    IdDocument, IdType, NewAuditEvent, Revocation,
};
use zhengshu_storage::{CertificateSearch, Conflict, Storage, StorageError};

use crate::annotations::{application, seed_annotatable};
use crate::{at, certificate, import, seed_reference};

fn event(action: &str, body: Option<&str>, after: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: body.map(str::to_owned),
            role: Some(
                if body.is_some() {
                    "officer"
                } else {
                    "operator"
                }
                .into(),
            ),
            address: None,
        },
        actor: Actor::Staff("someone".into()),
        action: action.into(),
        subject: "certificate:ZY2024000001".into(),
        before: None,
        after: Some(after.into()),
    }
}

pub async fn a_search_pages_in_number_order(s: &dyn Storage) {
    seed_reference(s).await;
    let mut rows: Vec<_> = (1..=5)
        .map(|i| {
            certificate(
                &format!("ZY20240000{i:02}"),
                "张三",
                crate::ZHANG_ID,
                "licensed_pharmacist",
            )
        })
        .collect();
    rows.push(certificate(
        "JJ2024000001",
        "张三",
        crate::ZHANG_ID,
        "economist",
    ));
    import(s, &rows, false).await;
    let by_name = CertificateSearch::Name(HolderName::parse("张三").unwrap());
    let by_id = CertificateSearch::Id(vec![
        IdDocument::parse(IdType::Passport, "E12345678").unwrap(),
        IdDocument::parse(IdType::ResidentId, crate::ZHANG_ID).unwrap(),
    ]);
    for search in [&by_name, &by_id] {
        // Body A's five, two a page, each page after the last one's end.
        let mut seen = Vec::new();
        let mut after: Option<CertificateNumber> = None;
        loop {
            let page = s
                .find_certificates(Some("pharmacist_center"), search, after.as_ref(), 2)
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2, "{search:?}");
            after = Some(page.last().unwrap().data.number.clone());
            seen.extend(page.into_iter().map(|c| c.data.number.to_string()));
        }
        let expected: Vec<String> = (1..=5).map(|i| format!("ZY20240000{i:02}")).collect();
        assert_eq!(seen, expected, "{search:?}");
        // The operator's search spans the bodies, in number order too.
        let all = s.find_certificates(None, search, None, 3).await.unwrap();
        let numbers: Vec<&str> = all.iter().map(|c| c.data.number.as_str()).collect();
        assert_eq!(numbers, ["JJ2024000001", "ZY2024000001", "ZY2024000002"]);
    }
}

pub async fn certificates_are_revoked_by_their_body_only_and_reinstated(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let other = certificate("JJ2023000009", "李四", crate::OTHER_ID, "economist");
    import(s, std::slice::from_ref(&other), false).await;
    let a = "pharmacist_center";
    let b = "economist_association";
    let number = CertificateSearch::Number(CertificateNumber::parse("ZY2024000001").unwrap());
    let name = CertificateSearch::Name(HolderName::parse("张三").unwrap());
    let id = CertificateSearch::Id(vec![
        IdDocument::parse(IdType::Passport, "E12345678").unwrap(),
        IdDocument::parse(IdType::ResidentId, crate::ZHANG_ID).unwrap(),
    ]);
    for search in [&number, &name, &id] {
        let found = s
            .find_certificates(Some(a), search, None, 50)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{search:?}");
        assert_eq!(found[0].id, cert);
        // Another body finds nothing of body A's; the operator finds all.
        assert!(
            s.find_certificates(Some(b), search, None, 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.find_certificates(None, search, None, 50)
                .await
                .unwrap()
                .len(),
            1
        );
    }
    let li = CertificateSearch::Name(HolderName::parse("李四").unwrap());
    assert!(
        s.find_certificates(Some(a), &li, None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.find_certificates(Some(b), &li, None, 50)
            .await
            .unwrap()
            .len(),
        1
    );

    let revocation = Revocation {
        at: at("2024-06-01T02:03:04Z"),
        reason: "以不正当手段取得".into(),
    };
    let before = s.audit_head().await.unwrap().count;
    // Body B has no claim on this certificate: refused, nothing written.
    assert!(matches!(
        s.revoke_in_body(
            cert,
            b,
            &revocation,
            &event("certificate.revoke", Some(b), "{}")
        )
        .await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.revoke_in_body(
            cert + 1000,
            a,
            &revocation,
            &event("certificate.revoke", Some(a), "{}")
        )
        .await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.audit_head().await.unwrap().count, before);
    assert_eq!(
        s.certificate(cert).await.unwrap().status,
        CertificateStatus::Valid
    );
    // Reinstating a valid certificate is refused.
    assert!(matches!(
        s.reinstate_certificate(
            cert,
            &event("certificate.reinstate", None, "{}"),
            at(crate::T0)
        )
        .await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));

    s.revoke_in_body(
        cert,
        a,
        &revocation,
        &event("certificate.revoke", Some(a), "{}"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.certificate(cert).await.unwrap().status,
        CertificateStatus::Revoked(revocation.clone())
    );
    assert!(matches!(
        s.revoke_in_body(
            cert,
            a,
            &revocation,
            &event("certificate.revoke", Some(a), "{}")
        )
        .await,
        Err(StorageError::Conflict(Conflict::AlreadyRevoked))
    ));
    // A revoked certificate takes no annotation, whatever its caller checked.
    let on = jiff::civil::date(2024, 6, 2);
    assert!(matches!(
        s.apply_annotation(
            &application(cert, holder, on, "REVOKED01"),
            &AnnotationPolicy::default()
        )
        .await,
        Err(StorageError::Conflict(Conflict::AlreadyRevoked))
    ));
    assert!(s.annotations_of(cert).await.unwrap().is_empty());

    s.reinstate_certificate(
        cert,
        &event("certificate.reinstate", None, "{}"),
        at("2024-06-03T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.certificate(cert).await.unwrap().status,
        CertificateStatus::Valid
    );
    assert!(matches!(
        s.reinstate_certificate(
            cert + 1000,
            &event("certificate.reinstate", None, "{}"),
            at(crate::T0)
        )
        .await,
        Err(StorageError::NotFound)
    ));
    // Both are in the certificate's history, with its body.
    let events = s
        .audit_events(Some("certificate:ZY2024000001"), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["certificate.reinstate", "certificate.revoke"]);
    assert!(events.iter().all(|e| e.body.as_deref() == Some(a)));
    assert!(
        s.apply_annotation(
            &application(cert, holder, on, "AGAIN0001"),
            &AnnotationPolicy::default()
        )
        .await
        .is_ok()
    );
}

pub async fn corrections_keep_every_version_and_tell_the_old_identity_when(s: &dyn Storage) {
    use zhengshu_storage::Correction;
    let (cert, _) = seed_annotatable(s).await;
    let a = "pharmacist_center";
    let b = "economist_association";
    let zhang = IdDocument::parse(IdType::ResidentId, crate::ZHANG_ID).unwrap();
    let old_name = HolderName::parse("张三").unwrap();
    let seen = s.certificate(cert).await.unwrap().data;
    let mut renamed = seen.clone();
    renamed.name = HolderName::parse("张叁").unwrap();
    let correction = |before, after, at_: &str| Correction {
        before,
        after,
        reason: "姓名录入错误".into(),
        actor: "staff:officer_a".into(),
        at: at(at_),
    };
    let first = correction(seen.clone(), renamed.clone(), "2024-06-01T00:00:00Z");
    let ev = || event("certificate.correct", Some(a), "{}");
    let before = s.audit_head().await.unwrap().count;
    // Another body's, an unknown one, or a stale view: refused, nothing written.
    assert!(matches!(
        s.correct_certificate(cert, b, &first, &ev()).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.correct_certificate(cert + 1000, a, &first, &ev()).await,
        Err(StorageError::NotFound)
    ));
    let mut stale = seen.clone();
    stale.level = Some("不是这样".into());
    assert!(matches!(
        s.correct_certificate(
            cert,
            a,
            &correction(stale, renamed.clone(), "2024-06-01T00:00:00Z"),
            &ev()
        )
        .await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
    assert_eq!(s.audit_head().await.unwrap().count, before);
    assert!(s.certificate_versions(cert).await.unwrap().is_empty());
    assert!(
        s.corrections_of_identity(&zhang, &old_name)
            .await
            .unwrap()
            .is_empty()
    );

    s.correct_certificate(cert, a, &first, &ev()).await.unwrap();
    assert_eq!(s.certificate(cert).await.unwrap().data, renamed);
    // The old identity no longer finds it, and learns when it changed.
    assert!(
        s.certificates_of(&zhang, &old_name)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.certificates_of(&zhang, &renamed.name)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.corrections_of_identity(&zhang, &old_name).await.unwrap(),
        [at("2024-06-01T00:00:00Z")]
    );
    assert!(
        s.corrections_of_identity(&zhang, &renamed.name)
            .await
            .unwrap()
            .is_empty()
    );

    // A second correction, of the ID number.
    let mut renumbered = renamed.clone();
    renumbered.id = IdDocument::parse(IdType::ResidentId, crate::OTHER_ID).unwrap();
    renumbered.level = Some("高级".into());
    s.correct_certificate(
        cert,
        a,
        &correction(renamed.clone(), renumbered.clone(), "2024-06-02T00:00:00Z"),
        &ev(),
    )
    .await
    .unwrap();
    assert_eq!(s.certificate(cert).await.unwrap().data, renumbered);
    let versions = s.certificate_versions(cert).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, 2);
    assert_eq!(versions[1].version, 1);
    assert!(versions[1].before.contains("张三") && versions[1].after.contains("张叁"));
    assert!(versions[0].after.contains("高级"));
    // The ID numbers only masked in the history.
    for v in &versions {
        assert!(!v.before.contains(crate::ZHANG_ID) && !v.after.contains(crate::OTHER_ID));
        assert_eq!(v.actor, "staff:officer_a");
        assert_eq!(v.reason, "姓名录入错误");
    }
    assert_eq!(
        s.corrections_of_identity(&zhang, &renamed.name)
            .await
            .unwrap(),
        [at("2024-06-02T00:00:00Z")]
    );
    assert_eq!(s.audit_head().await.unwrap().count, before + 2);
}

pub async fn files_are_stored_by_hash_attached_by_their_body_and_retired(s: &dyn Storage) {
    use zhengshu_storage::NewFile;
    let (cert, _) = seed_annotatable(s).await;
    let a = "pharmacist_center";
    let b = "economist_association";
    let file = |title: &str, content: &[u8]| NewFile {
        title: title.into(),
        media_type: "application/pdf".into(),
        sha256: zhengshu_storage::annotations::sha256_hex(content),
        content: content.to_vec(),
        added_by: "staff:officer_a".into(),
        at: at(crate::T0),
    };
    let pdf = b"%PDF-1.4 one\n%%EOF\n";
    let ev = |action: &str| event(action, Some(a), "{}");
    let before = s.audit_head().await.unwrap().count;
    assert!(matches!(
        s.add_certificate_file(cert, b, &file("证书", pdf), &ev("certificate.file.add"))
            .await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.audit_head().await.unwrap().count, before);
    let first = s
        .add_certificate_file(cert, a, &file("证书", pdf), &ev("certificate.file.add"))
        .await
        .unwrap();
    // The same content again under another title: stored once, two files.
    let second = s
        .add_certificate_file(cert, a, &file("证书副本", pdf), &ev("certificate.file.add"))
        .await
        .unwrap();
    assert_ne!(first, second);
    let files = s.certificate_files(cert).await.unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].title, "证书");
    assert_eq!(files[0].sha256, files[1].sha256);
    assert_eq!(files[0].size, pdf.len() as i64);
    let (got, content) = s.certificate_file(second).await.unwrap();
    assert_eq!(got, files[1]);
    assert_eq!(content, pdf);

    // Retired by its body only, once; kept.
    assert!(matches!(
        s.retire_certificate_file(
            first,
            b,
            "staff:x",
            "错误",
            &ev("certificate.file.retire"),
            at(crate::T0)
        )
        .await,
        Err(StorageError::NotFound)
    ));
    s.retire_certificate_file(
        first,
        a,
        "staff:officer_a",
        "上传错了文件",
        &ev("certificate.file.retire"),
        at("2024-06-01T00:00:00Z"),
    )
    .await
    .unwrap();
    assert!(matches!(
        s.retire_certificate_file(
            first,
            a,
            "staff:x",
            "再次",
            &ev("certificate.file.retire"),
            at(crate::T0)
        )
        .await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
    let files = s.certificate_files(cert).await.unwrap();
    assert_eq!(
        files[0].retired,
        Some((
            at("2024-06-01T00:00:00Z"),
            "staff:officer_a".to_owned(),
            "上传错了文件".to_owned()
        ))
    );
    assert!(files[1].retired.is_none());
    assert!(matches!(
        s.certificate_file(first + 1000).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.audit_head().await.unwrap().count, before + 3);
}
