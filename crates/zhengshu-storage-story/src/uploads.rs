//! Stories of the imports a body runs from the console or with an import
//! token: an upload and a token belong to one body and no other reaches
//! them; a checked upload is confirmed once however often it is asked;
//! a finished upload drops its file; a token is revoked once; each
//! audited change lands with its event. An upload whose check or import
//! stopped giving signs of life, or checked and never confirmed, is
//! failed by the sweep and drops its file; a live one is left alone.

use zhengshu_domain::{Actor, AuditContext, BodyCode, NewAuditEvent};
use zhengshu_storage::{
    Conflict, NewImportToken, NewUpload, Storage, StorageError, UploadCounts, UploadState,
};

use crate::{T0, at, seed_reference, verify_whole_chain};

const A: &str = "pharmacist_center";
const B: &str = "economist_association";

fn event(body: &str, action: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: Some(body.into()),
            role: Some("officer".into()),
            address: None,
        },
        actor: Actor::Staff("officer_a".into()),
        action: action.into(),
        subject: "import:new".into(),
        before: None,
        after: Some("{}".into()),
    }
}

pub async fn uploads_and_import_tokens_stay_with_their_body(s: &dyn Storage) {
    seed_reference(s).await;
    let t = at(T0);
    let events = || async { s.audit_events(None, 1000).await.unwrap().len() };
    let n0 = events().await;
    let new = NewUpload {
        body: BodyCode::parse(A).unwrap(),
        created_by: "staff:officer_a".into(),
        file_name: "certs.csv".into(),
        content: b"certificate_number\n".to_vec(),
        state: UploadState::Checking,
        valid_only: false,
    };
    let id = s
        .create_upload(&new, &event(A, "import.upload"), t)
        .await
        .unwrap();
    assert_eq!(events().await, n0 + 1);
    let newest = s.audit_events(None, 1).await.unwrap();
    assert_eq!(newest[0].subject, format!("import:{id}"));
    // Body B reaches nothing of A's upload.
    assert!(matches!(s.upload(id, B).await, Err(StorageError::NotFound)));
    assert!(matches!(
        s.upload_content(id, B).await,
        Err(StorageError::NotFound)
    ));
    assert!(s.uploads_of(B, 10).await.unwrap().is_empty());
    let u = s.upload(id, A).await.unwrap();
    assert_eq!(u.state, UploadState::Checking);
    assert_eq!(u.file_name, "certs.csv");
    assert_eq!(s.upload_content(id, A).await.unwrap(), new.content);
    s.upload_progress(id, 7, t).await.unwrap();
    assert_eq!(s.upload(id, A).await.unwrap().counts.rows, 7);

    // Not checked yet: no confirmation.
    let confirm = |body: &'static str| {
        let e = event(body, "import.confirm");
        async move { s.confirm_upload(id, body, true, &e, t).await }
    };
    assert!(matches!(
        confirm(A).await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
    let counts = UploadCounts {
        rows: 3,
        refused: 1,
        inserted: 2,
        updated: 0,
        unchanged: 0,
        rejections: r#"[{"line":3,"column":"name","reason":"x"}]"#.into(),
        error: None,
    };
    s.finish_upload(id, UploadState::Checked, &counts, t)
        .await
        .unwrap();
    let checked = s.upload(id, A).await.unwrap();
    assert_eq!(checked.counts, counts);
    assert_eq!(checked.finished_at, None);
    // The file stays until the import ends.
    assert!(s.upload_content(id, A).await.is_ok());
    // Another body cannot confirm it; the body can, once.
    assert!(matches!(
        confirm(B).await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
    let n1 = events().await;
    confirm(A).await.unwrap();
    assert_eq!(events().await, n1 + 1);
    assert!(matches!(
        confirm(A).await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
    let importing = s.upload(id, A).await.unwrap();
    assert_eq!(importing.state, UploadState::Importing);
    assert!(importing.valid_only);
    s.finish_upload(id, UploadState::Imported, &counts, t)
        .await
        .unwrap();
    let done = s.upload(id, A).await.unwrap();
    assert_eq!(done.state, UploadState::Imported);
    assert_eq!(done.finished_at, Some(t));
    assert!(matches!(
        s.upload_content(id, A).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.uploads_of(A, 10).await.unwrap().len(), 1);

    // Tokens.
    let token = s
        .create_import_token(
            &NewImportToken {
                body: BodyCode::parse(A).unwrap(),
                label: "registry sync".into(),
                token_hash: vec![1; 32],
                created_by: "staff:admin_a".into(),
            },
            &event(A, "import_token.issue"),
            t,
        )
        .await
        .unwrap();
    assert_eq!(
        s.audit_events(None, 1).await.unwrap()[0].subject,
        format!("import-token:{}", token.id)
    );
    assert_eq!(s.import_token_by_hash(&[1; 32]).await.unwrap(), token);
    assert!(matches!(
        s.import_token_by_hash(&[2; 32]).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(s.import_tokens(A).await.unwrap(), vec![token.clone()]);
    assert!(s.import_tokens(B).await.unwrap().is_empty());
    let revoke = |body: &'static str| {
        let e = event(body, "import_token.revoke");
        let id = token.id;
        async move { s.revoke_import_token(id, body, &e, t).await }
    };
    let n2 = events().await;
    assert!(matches!(revoke(B).await, Err(StorageError::NotFound)));
    assert_eq!(events().await, n2, "a refused revocation records nothing");
    revoke(A).await.unwrap();
    assert!(matches!(revoke(A).await, Err(StorageError::NotFound)));
    assert_eq!(events().await, n2 + 1);
    let revoked = s.import_token_by_hash(&[1; 32]).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(t));
    verify_whole_chain(s).await;
}

pub async fn uploads_nobody_will_finish_are_swept(s: &dyn Storage) {
    use zhengshu_storage::imports::{UPLOAD_EXPIRED, UPLOAD_STOPPED};
    seed_reference(s).await;
    let t0 = at(T0);
    let minutes = |m: i64| t0 + jiff::SignedDuration::from_mins(m);
    let upload = |state: UploadState| NewUpload {
        body: BodyCode::parse(A).unwrap(),
        created_by: "staff:officer_a".into(),
        file_name: "certs.csv".into(),
        content: b"certificate_number\n".to_vec(),
        state,
        valid_only: false,
    };
    let create = |state: UploadState| {
        let new = upload(state);
        async move {
            s.create_upload(&new, &event(A, "import.upload"), t0)
                .await
                .unwrap()
        }
    };
    // A check whose process ended, one still at work, an import whose
    // process ended, a check finished but never confirmed, and one
    // confirmed and imported.
    let stopped = create(UploadState::Checking).await;
    let alive = create(UploadState::Checking).await;
    let stopped_import = create(UploadState::Importing).await;
    let unconfirmed = create(UploadState::Checking).await;
    let imported = create(UploadState::Importing).await;
    s.upload_progress(alive, 10, minutes(9)).await.unwrap();
    let checked = UploadCounts {
        rows: 1,
        rejections: "[]".into(),
        ..UploadCounts::default()
    };
    s.finish_upload(unconfirmed, UploadState::Checked, &checked, minutes(1))
        .await
        .unwrap();
    s.finish_upload(imported, UploadState::Imported, &checked, minutes(1))
        .await
        .unwrap();

    // Ten minutes on, with two minutes of silence allowed and a day to
    // confirm: the two stopped ones end.
    let now = minutes(10);
    let day = jiff::SignedDuration::from_hours(24);
    let swept = s
        .sweep_uploads(now - jiff::SignedDuration::from_mins(2), now - day, now)
        .await
        .unwrap();
    assert_eq!(swept, (2, 0));
    for id in [stopped, stopped_import] {
        let u = s.upload(id, A).await.unwrap();
        assert_eq!(u.state, UploadState::Failed);
        assert_eq!(u.counts.error.as_deref(), Some(UPLOAD_STOPPED));
        assert_eq!(u.finished_at, Some(now));
        assert!(matches!(
            s.upload_content(id, A).await,
            Err(StorageError::NotFound)
        ));
    }
    assert_eq!(
        s.upload(alive, A).await.unwrap().state,
        UploadState::Checking
    );
    assert_eq!(
        s.upload(unconfirmed, A).await.unwrap().state,
        UploadState::Checked
    );

    // A day after its check the unconfirmed one is cleaned up; the live
    // check, still giving signs of life, and the imported one stay.
    let later = minutes(1) + day + jiff::SignedDuration::from_mins(1);
    s.upload_progress(alive, 20, later).await.unwrap();
    let swept = s
        .sweep_uploads(
            later - jiff::SignedDuration::from_mins(2),
            later - day,
            later,
        )
        .await
        .unwrap();
    assert_eq!(swept, (0, 1));
    let u = s.upload(unconfirmed, A).await.unwrap();
    assert_eq!(u.state, UploadState::Failed);
    assert_eq!(u.counts.error.as_deref(), Some(UPLOAD_EXPIRED));
    assert!(matches!(
        s.upload_content(unconfirmed, A).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(
        s.upload(alive, A).await.unwrap().state,
        UploadState::Checking
    );
    assert_eq!(
        s.upload(imported, A).await.unwrap().state,
        UploadState::Imported
    );
    // Once confirmed, an upload is no longer one to expire.
    assert!(matches!(
        s.confirm_upload(unconfirmed, A, false, &event(A, "import.confirm"), later)
            .await,
        Err(StorageError::Conflict(Conflict::Changed))
    ));
}
