//! Stories of annotations (加注) and their generation queue: the limit,
//! also under 50 simultaneous applications, leases that end and are taken
//! over, fencing of a worker that lost its lease, retries, failure,
//! withdrawal.

use jiff::{SignedDuration, Timestamp, ToSpan};
use zhengshu_domain::{
    Actor, Annotation, AnnotationPolicy, AnnotationState, Day, IdDocument, IdType, LimitReached,
    NewAnnotation,
};
use zhengshu_storage::{Conflict, Generated, Retry, Storage, StorageError};

use crate::{NewHolder, at, certificate, import, seed_reference};

const LEASE: SignedDuration = SignedDuration::from_secs(30);

/// Applies, with the limit's refusal told apart from the errors that must
/// not happen.
pub async fn apply(
    s: &dyn Storage,
    new: &NewAnnotation,
    policy: &AnnotationPolicy,
) -> Result<Result<Annotation, LimitReached>, StorageError> {
    match s.apply_annotation(new, policy).await {
        Ok(a) => Ok(Ok(a)),
        Err(StorageError::LimitReached(limit)) => Ok(Err(limit)),
        Err(e) => Err(e),
    }
}

/// Reference data, a certificate (执业药师, issued 2023) and its holder;
/// returns (certificate id, holder id).
pub async fn seed_annotatable(s: &dyn Storage) -> (i64, i64) {
    seed_reference(s).await;
    let c = certificate(
        "ZY2024000001",
        "张三",
        crate::ZHANG_ID,
        "licensed_pharmacist",
    );
    import(s, std::slice::from_ref(&c), false).await;
    let cert = s.certificate_by_number(&c.number).await.unwrap();
    let holder = s
        .create_holder(
            &NewHolder {
                username: zhengshu_domain::Username::parse("zhangsan").unwrap(),
                name: c.name.clone(),
                id_document: IdDocument::parse(IdType::ResidentId, crate::ZHANG_ID).unwrap(),
                password_hash: "x".into(),
            },
            at(crate::T0),
        )
        .await
        .unwrap();
    (cert.id, holder)
}

/// An application for 90 days of own use, made at 10:00 China time on `on`.
pub fn application(cert: i64, holder: i64, on: Day, code: &str) -> NewAnnotation {
    NewAnnotation {
        certificate_id: cert,
        holder_id: holder,
        scenario: zhengshu_domain::Scenario::SelfUse,
        days: zhengshu_domain::ValidityDays::parse(90, 90).expect("90 days"),
        verification_code: code.into(),
        applied_on: on,
        applied_at: on
            .at(10, 0, 0, 0)
            .in_tz("Asia/Shanghai")
            .unwrap()
            .timestamp(),
    }
}

fn d0() -> Day {
    jiff::civil::date(2024, 5, 1)
}

fn t(s: &str) -> Timestamp {
    at(s)
}

pub(crate) fn generated(from: Day) -> Generated {
    Generated {
        content: format!("%PDF-1.7 document of {from}").into_bytes(),
        valid_from: from,
        valid_until: AnnotationPolicy::valid_until(from, 90),
    }
}

pub async fn annotations_count_against_the_limit(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let policy = AnnotationPolicy::default();
    let mut ids = Vec::new();
    for (i, day) in [d0(), d0() + 10.days(), d0() + 20.days()]
        .into_iter()
        .enumerate()
    {
        let a = apply(
            s,
            &application(cert, holder, day, &format!("CODE{i}")),
            &policy,
        )
        .await
        .unwrap()
        .expect("inside the limit");
        assert_eq!(a.stored_state, AnnotationState::Generating);
        assert_eq!(a.number, Annotation::number_for(a.id, day));
        assert_eq!(a.applied_on, day);
        assert_eq!(a.valid_from, None);
        assert_eq!(s.annotation(a.id).await.unwrap(), a);
        ids.push(a.id);
    }
    assert_eq!(s.pending_jobs().await.unwrap(), 3);
    // A fourth inside the window names the day the first leaves it.
    let refused = apply(
        s,
        &application(cert, holder, d0() + 89.days(), "CODE3"),
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(
        refused,
        Err(LimitReached {
            next_possible_on: d0() + 90.days()
        })
    );
    assert_eq!(
        s.pending_jobs().await.unwrap(),
        3,
        "a refusal stores nothing"
    );
    let accepted = apply(
        s,
        &application(cert, holder, d0() + 90.days(), "CODE4"),
        &policy,
    )
    .await
    .unwrap();
    assert!(accepted.is_ok(), "the first day outside the window");
    let listed: Vec<i64> = s
        .annotations_of(cert)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(listed.len(), 4);
    assert!(listed.windows(2).all(|w| w[0] > w[1]), "newest first");
    let events = s
        .audit_events(Some(&format!("annotation:{}", ids[0])), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "annotation.apply");
    assert_eq!(events[0].actor, Actor::Holder(holder).label());
    // A duplicate verification code is refused, not stored twice.
    let dup = apply(
        s,
        &application(cert, holder, d0() + 200.days(), "CODE0"),
        &policy,
    )
    .await;
    assert!(matches!(dup, Err(StorageError::Conflict(_))), "{dup:?}");
}

pub async fn fifty_simultaneous_applications_make_three(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let policy = AnnotationPolicy::default();
    let apps: Vec<NewAnnotation> = (0..50)
        .map(|i| application(cert, holder, d0(), &format!("PAR{i:02}")))
        .collect();
    let outcomes = futures_util::future::join_all(apps.iter().map(|a| apply(s, a, &policy))).await;
    let mut made = 0;
    let mut refused = 0;
    for o in outcomes {
        match o.expect("no database error under contention") {
            Ok(_) => made += 1,
            Err(limit) => {
                assert_eq!(limit.next_possible_on, d0() + 90.days());
                refused += 1;
            }
        }
    }
    assert_eq!((made, refused), (3, 47));
    assert_eq!(s.annotations_of(cert).await.unwrap().len(), 3);
    assert_eq!(s.pending_jobs().await.unwrap(), 3);
}

pub async fn a_lost_lease_cannot_complete(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let policy = AnnotationPolicy::default();
    let a = apply(s, &application(cert, holder, d0(), "LEASE"), &policy)
        .await
        .unwrap()
        .unwrap();
    let now = t("2024-05-01T02:00:00Z");
    let first = s.claim_job("w1", now, LEASE).await.unwrap().expect("a job");
    assert_eq!((first.annotation_id, first.attempt), (a.id, 1));
    assert!(
        s.claim_job("w2", now + 29.seconds(), LEASE)
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    // The lease ends (w1 died or hangs); w2 takes the job over.
    let second = s
        .claim_job("w2", now + 30.seconds(), LEASE)
        .await
        .unwrap()
        .expect("taken over");
    assert_eq!((second.id, second.attempt), (first.id, 2));
    assert_ne!(second.lease_token, first.lease_token);
    // w1 wakes up: its work is refused and changes nothing.
    let late = generated(d0());
    assert!(
        !s.complete_job(&first, "w1", &late, now + 31.seconds())
            .await
            .unwrap()
    );
    assert!(
        !s.fail_job(&first, "w1", "late", Retry::Never, now)
            .await
            .unwrap()
    );
    assert!(matches!(
        s.annotation_document(a.id).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(
        s.annotation(a.id).await.unwrap().stored_state,
        AnnotationState::Generating
    );
    // w2 finishes: one document, ready, job gone.
    let mut doc = generated(d0());
    doc.content = b"%PDF-1.7 the one".to_vec();
    assert!(
        s.complete_job(&second, "w2", &doc, now + 32.seconds())
            .await
            .unwrap()
    );
    assert!(
        !s.complete_job(&second, "w2", &late, now + 33.seconds())
            .await
            .unwrap()
    );
    assert_eq!(s.annotation_document(a.id).await.unwrap(), doc.content);
    let ready = s.annotation(a.id).await.unwrap();
    assert_eq!(ready.stored_state, AnnotationState::Ready);
    assert_eq!(ready.valid_from, Some(d0()));
    assert_eq!(ready.valid_until, Some(jiff::civil::date(2024, 7, 29)));
    assert_eq!(ready.ready_at, Some(now + 32.seconds()));
    assert_eq!(s.pending_jobs().await.unwrap(), 0);
    assert!(
        s.claim_job("w3", now + 1.hour(), LEASE)
            .await
            .unwrap()
            .is_none()
    );
    let events = s
        .audit_events(Some(&format!("annotation:{}", a.id)), 10)
        .await
        .unwrap();
    assert_eq!(events[0].action, "annotation.generate");
    assert_eq!(events[0].actor, "worker:w2");
    assert_eq!(events.len(), 2);
}

pub async fn failed_attempts_wait_then_give_up(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let policy = AnnotationPolicy::default();
    let a = apply(s, &application(cert, holder, d0(), "FAIL"), &policy)
        .await
        .unwrap()
        .unwrap();
    let now = t("2024-05-01T02:00:00Z");
    let job = s.claim_job("w1", now, LEASE).await.unwrap().unwrap();
    assert!(
        s.fail_job(
            &job,
            "w1",
            "fonts missing",
            Retry::At(now + 10.seconds()),
            now
        )
        .await
        .unwrap()
    );
    assert!(
        s.claim_job("w1", now + 9.seconds(), LEASE)
            .await
            .unwrap()
            .is_none(),
        "backing off"
    );
    let again = s
        .claim_job("w1", now + 10.seconds(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempt, 2);
    assert!(
        s.fail_job(&again, "w1", "still broken", Retry::Never, now)
            .await
            .unwrap()
    );
    assert_eq!(
        s.annotation(a.id).await.unwrap().stored_state,
        AnnotationState::Failed
    );
    assert_eq!(s.pending_jobs().await.unwrap(), 0);
    // Failed ones do not count: three more fit on the same day.
    for i in 0..3 {
        let ok = apply(
            s,
            &application(cert, holder, d0(), &format!("AFTER{i}")),
            &policy,
        )
        .await
        .unwrap();
        assert!(ok.is_ok(), "application {i} after a failure");
    }
    let events = s
        .audit_events(Some(&format!("annotation:{}", a.id)), 10)
        .await
        .unwrap();
    assert_eq!(events[0].action, "annotation.fail");
}

pub async fn only_a_ready_valid_annotation_is_withdrawn(s: &dyn Storage) {
    let (cert, holder) = seed_annotatable(s).await;
    let policy = AnnotationPolicy::default();
    let a = apply(s, &application(cert, holder, d0(), "WD"), &policy)
        .await
        .unwrap()
        .unwrap();
    let who = Actor::Holder(holder);
    let now = t("2024-05-01T02:00:00Z");
    let conflict = |r: Result<Annotation, StorageError>| {
        matches!(r, Err(StorageError::Conflict(Conflict::AnnotationState)))
    };
    assert!(
        conflict(s.withdraw_annotation(a.id, d0(), &who, now).await),
        "generating"
    );
    let job = s.claim_job("w", now, LEASE).await.unwrap().unwrap();
    assert!(
        s.complete_job(&job, "w", &generated(d0()), now)
            .await
            .unwrap()
    );
    let until = AnnotationPolicy::valid_until(d0(), 90);
    assert!(
        conflict(
            s.withdraw_annotation(a.id, until + 1.day(), &who, now)
                .await
        ),
        "expired"
    );
    let later = now + 1.hour();
    let w = s
        .withdraw_annotation(a.id, until, &who, later)
        .await
        .unwrap();
    assert_eq!(w.stored_state, AnnotationState::Withdrawn);
    assert_eq!(w.withdrawn_at, Some(later));
    assert_eq!(w.state_on(d0()), AnnotationState::Withdrawn);
    assert!(
        conflict(s.withdraw_annotation(a.id, d0(), &who, later).await),
        "twice"
    );
    assert!(matches!(
        s.withdraw_annotation(a.id + 1000, d0(), &who, later).await,
        Err(StorageError::NotFound)
    ));
    // The document stays (an earlier copy must still verify as withdrawn),
    // and a withdrawn annotation still counts against the limit.
    assert!(s.annotation_document(a.id).await.is_ok());
    for i in 0..2 {
        assert!(
            apply(
                s,
                &application(cert, holder, d0(), &format!("N{i}")),
                &policy
            )
            .await
            .unwrap()
            .is_ok()
        );
    }
    assert!(
        apply(s, &application(cert, holder, d0(), "N2"), &policy)
            .await
            .unwrap()
            .is_err()
    );
    let events = s
        .audit_events(Some(&format!("annotation:{}", a.id)), 10)
        .await
        .unwrap();
    assert_eq!(events[0].action, "annotation.withdraw");
}
