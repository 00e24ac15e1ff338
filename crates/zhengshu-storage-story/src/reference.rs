//! Stories of the operator's changes to the reference data: each change
//! lands with its audit event or not at all; an addition never overwrites,
//! an update never replaces what someone else changed meanwhile, a terms
//! version is only ever the next number.

use zhengshu_domain::{Actor, AuditContext, BodyCode, IssuingBody, NewAuditEvent};
use zhengshu_storage::{Conflict, ReferenceChange, Storage, StorageError};

use crate::{T0, at, seed_reference, verify_whole_chain};

fn event(subject: &str) -> NewAuditEvent {
    NewAuditEvent {
        context: AuditContext {
            body: None,
            role: Some("operator".into()),
            address: None,
        },
        actor: Actor::Staff("op".into()),
        action: "reference.test".into(),
        subject: subject.into(),
        before: None,
        after: Some("{}".into()),
    }
}

fn conflict(r: Result<(), StorageError>) -> Conflict {
    match r {
        Err(StorageError::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn reference_changes_land_with_their_event_or_not_at_all(s: &dyn Storage) {
    seed_reference(s).await;
    let events = || async { s.audit_events(None, 1000).await.unwrap().len() };
    let n0 = events().await;
    let body = IssuingBody {
        code: BodyCode::parse("new_body").unwrap(),
        name: "新机构".into(),
        exempt_before_cutover: false,
    };
    s.change_reference(
        &ReferenceChange::AddBody(body.clone()),
        &event("body:new_body"),
        at(T0),
    )
    .await
    .unwrap();
    assert!(s.issuing_bodies().await.unwrap().contains(&body));
    assert_eq!(events().await, n0 + 1);
    // The code is taken: nothing changes, no event.
    let mut again = body.clone();
    again.name = "覆盖".into();
    assert_eq!(
        conflict(
            s.change_reference(
                &ReferenceChange::AddBody(again.clone()),
                &event("body:new_body"),
                at(T0),
            )
            .await
        ),
        Conflict::Exists
    );
    assert!(s.issuing_bodies().await.unwrap().contains(&body));
    assert_eq!(events().await, n0 + 1);

    // A rename from what was seen works once; from a stale view, never.
    let renamed = IssuingBody {
        name: "新机构（更名）".into(),
        ..body.clone()
    };
    let rename = ReferenceChange::UpdateBody {
        before: body.clone(),
        after: renamed.clone(),
    };
    s.change_reference(&rename, &event("body:new_body"), at(T0))
        .await
        .unwrap();
    assert_eq!(
        conflict(
            s.change_reference(&rename, &event("body:new_body"), at(T0))
                .await
        ),
        Conflict::Changed
    );
    assert!(s.issuing_bodies().await.unwrap().contains(&renamed));
    assert_eq!(events().await, n0 + 2);

    // A qualification type: added, its scope edited from what was seen
    // (an open end included), a stale edit refused.
    let mut q = s.qualification_types().await.unwrap()[0].clone();
    q.code = zhengshu_domain::QualificationCode::parse("new_type").unwrap();
    q.body = body.code.clone();
    q.years_to = None;
    s.change_reference(
        &ReferenceChange::AddType(q.clone()),
        &event("qualification:new_type"),
        at(T0),
    )
    .await
    .unwrap();
    assert_eq!(
        conflict(
            s.change_reference(
                &ReferenceChange::AddType(q.clone()),
                &event("qualification:new_type"),
                at(T0),
            )
            .await
        ),
        Conflict::Exists
    );
    let mut edited = q.clone();
    edited.in_scope = false;
    edited.years_from = 2018;
    edited.years_to = Some(2024);
    let edit = ReferenceChange::UpdateType {
        before: q.clone(),
        after: edited.clone(),
    };
    s.change_reference(&edit, &event("qualification:new_type"), at(T0))
        .await
        .unwrap();
    assert_eq!(
        conflict(
            s.change_reference(&edit, &event("qualification:new_type"), at(T0))
                .await
        ),
        Conflict::Changed
    );
    let back = ReferenceChange::UpdateType {
        before: edited.clone(),
        after: q.clone(),
    };
    s.change_reference(&back, &event("qualification:new_type"), at(T0))
        .await
        .unwrap();
    let stored = s.qualification_types().await.unwrap();
    assert!(stored.contains(&q), "{stored:?}");
    assert_eq!(events().await, n0 + 5);

    // Terms: only the next number.
    let current = s.current_terms().await.unwrap().map_or(0, |t| t.version);
    let next = ReferenceChange::PublishTerms {
        version: current + 1,
        text: "第二版服务须知".into(),
    };
    s.change_reference(&next, &event("terms"), at(T0))
        .await
        .unwrap();
    assert_eq!(
        conflict(s.change_reference(&next, &event("terms"), at(T0)).await),
        Conflict::Changed
    );
    let versions = s.terms_versions().await.unwrap();
    assert_eq!(versions[0].version, current + 1);
    assert_eq!(versions[0].text, "第二版服务须知");
    assert_eq!(
        s.current_terms().await.unwrap().unwrap().version,
        current + 1
    );
    assert_eq!(events().await, n0 + 6);
    verify_whole_chain(s).await;
}
