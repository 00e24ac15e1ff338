//! The worker against a real store (SQLite) and the real renderer: a job
//! becomes a ready annotation with a signed document and its validity; a
//! certificate revoked meanwhile fails the annotation at once (and the
//! holder may apply again); a job whose leases ran out more often than the
//! attempts allow is given up rather than tried for ever.

use std::sync::Arc;

use jiff::SignedDuration;
use zhengshu_domain::{
    Actor, AnnotationPolicy, AnnotationState, CertificateNumber, Clock, FixedClock, Revocation,
};
use zhengshu_storage::Storage;
use zhengshu_storage_sqlite::SqliteStore;
use zhengshu_storage_story::{application, seed_annotatable, test_vault};
use zhengshu_worker::{Outcome, Worker, WorkerConfig};

fn renderer() -> Arc<zhengshu_document::Renderer> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("worker-seal-keys");
    let pki = zhengshu_document::Pki::init(
        &dir,
        &[
            (
                "pharmacist_center",
                "国家药品监督管理局执业药师资格认证中心",
            ),
            ("economist_association", "中国经济专业技术资格协会"),
        ],
    )
    .expect("seal keys");
    let fonts = zhengshu_document::Fonts::discover()
        .expect("CJK fonts: apt-get install fonts-noto-cjk fonts-hanazono");
    Arc::new(zhengshu_document::Renderer::new(
        fonts,
        pki,
        zhengshu_document::RenderSettings::default(),
    ))
}

struct Setup {
    store: Arc<SqliteStore>,
    clock: FixedClock,
    worker: Worker,
    cert: i64,
    holder: i64,
    _dir: tempfile::TempDir,
}

async fn setup(config: WorkerConfig) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let store = Arc::new(SqliteStore::connect(&url, test_vault()).await.unwrap());
    let (cert, holder) = seed_annotatable(&*store).await;
    // 2024-05-01 10:00 in Shanghai.
    let clock = FixedClock::new("2024-05-01T02:00:00Z".parse().unwrap());
    let worker = Worker::new(store.clone(), renderer(), Arc::new(clock.clone()), config);
    Setup {
        store,
        clock,
        worker,
        cert,
        holder,
        _dir: dir,
    }
}

#[tokio::test]
async fn a_job_becomes_a_ready_annotation_with_its_document() {
    let s = setup(WorkerConfig::default()).await;
    let policy = AnnotationPolicy::default();
    let mut app = application(s.cert, s.holder, s.clock.today(), "READY");
    app.days = policy.validity_days(30).unwrap();
    let a = s.store.apply_annotation(&app, &policy).await.unwrap();
    assert_eq!(
        s.worker.drain().await.unwrap(),
        [Outcome::Ready {
            annotation_id: a.id
        }]
    );
    let ready = s.store.annotation(a.id).await.unwrap();
    assert_eq!(ready.stored_state, AnnotationState::Ready);
    assert_eq!(ready.valid_from, Some(jiff::civil::date(2024, 5, 1)));
    assert_eq!(ready.valid_until, Some(jiff::civil::date(2024, 5, 30)));
    let pdf = s.store.annotation_document(a.id).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(s.worker.drain().await.unwrap(), [], "nothing left");
}

#[tokio::test]
async fn a_revoked_certificate_fails_its_annotation_at_once() {
    let s = setup(WorkerConfig::default()).await;
    let policy = AnnotationPolicy::default();
    let app = application(s.cert, s.holder, s.clock.today(), "REVOKED");
    let a = s.store.apply_annotation(&app, &policy).await.unwrap();
    let number = s.store.certificate(s.cert).await.unwrap().data.number;
    s.store
        .revoke_certificate(
            &CertificateNumber::parse(number.as_str()).unwrap(),
            &Revocation {
                at: s.clock.now(),
                reason: "test".into(),
            },
            &Actor::Cli("test".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        s.worker.drain().await.unwrap(),
        [Outcome::Failed {
            annotation_id: a.id
        }]
    );
    assert_eq!(
        s.store.annotation(a.id).await.unwrap().stored_state,
        AnnotationState::Failed
    );
    assert_eq!(s.store.pending_jobs().await.unwrap(), 0);
}

#[tokio::test]
async fn leases_that_keep_running_out_end_in_failure() {
    let s = setup(WorkerConfig {
        max_attempts: 2,
        lease: SignedDuration::from_secs(10),
        ..WorkerConfig::default()
    })
    .await;
    let policy = AnnotationPolicy::default();
    let app = application(s.cert, s.holder, s.clock.today(), "CRASHY");
    let a = s.store.apply_annotation(&app, &policy).await.unwrap();
    // Two workers took the job and died holding it.
    for _ in 0..2 {
        let job = s
            .store
            .claim_job("dead", s.clock.now(), SignedDuration::from_secs(10))
            .await
            .unwrap();
        assert!(job.is_some());
        s.clock.advance(SignedDuration::from_secs(11));
    }
    assert_eq!(
        s.worker.drain().await.unwrap(),
        [Outcome::Failed {
            annotation_id: a.id
        }]
    );
    assert_eq!(
        s.store.annotation(a.id).await.unwrap().stored_state,
        AnnotationState::Failed
    );
    let events = s
        .store
        .audit_events(Some(&format!("annotation:{}", a.id)), 5)
        .await
        .unwrap();
    assert!(
        events[0]
            .after
            .as_deref()
            .unwrap()
            .contains("too many interrupted attempts")
    );
}
