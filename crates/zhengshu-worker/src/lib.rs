//! The annotation workers: they take generation jobs from the queue the
//! store keeps (a lease per job, taken over when it ends), render and seal
//! the annotated certificate with the [`Renderer`], and store the document
//! and the annotation's validity in one transaction that only the holder
//! of the current lease can commit, so an annotation gets exactly one
//! document however often it is attempted. Failed attempts wait with
//! exponential backoff; after the last one, or at once when the document
//! cannot exist (a revoked certificate), the annotation fails and its
//! holder may apply again. Workers run inside `serve` and alone as
//! `zhengshu worker`; tests [`Worker::drain`] the queue synchronously.
#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use zhengshu_document::{AnnotationBlock, DocumentError, Issue, Renderer};
use zhengshu_domain::{Annotation, AnnotationPolicy, Clock};
use zhengshu_storage::{Generated, Job, Retry, Storage, StorageError};

/// How a worker behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Recorded on leases and audit events.
    pub name: String,
    /// How long a claimed job is this worker's; a job still leased after
    /// that is taken over by another worker.
    pub lease: SignedDuration,
    /// Attempts before an annotation fails.
    pub max_attempts: i32,
    /// The wait after a first failed attempt; it doubles with each
    /// further one.
    pub backoff: SignedDuration,
    /// How often an idle worker looks for jobs it was not woken for
    /// (applications made by other processes, retries coming due).
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            name: "worker".into(),
            lease: SignedDuration::from_secs(60),
            max_attempts: 5,
            backoff: SignedDuration::from_secs(2),
            poll: Duration::from_millis(500),
        }
    }
}

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The annotation is ready with its document.
    Ready { annotation_id: i64 },
    /// The attempt failed; the job waits for the next.
    Retrying { annotation_id: i64, attempt: i32 },
    /// The annotation failed for good.
    Failed { annotation_id: i64 },
    /// Another worker took the job over while this one worked; its result
    /// was discarded.
    LostLease { annotation_id: i64 },
}

/// Why a worker could not go on.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the rendering thread ended abnormally: {0}")]
    Join(String),
}

/// One worker; cheap to clone, every clone shares the wake-up signal.
#[derive(Debug, Clone)]
pub struct Worker {
    storage: Arc<dyn Storage>,
    renderer: Arc<Renderer>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(
        storage: Arc<dyn Storage>,
        renderer: Arc<Renderer>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            storage,
            renderer,
            clock,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The same worker under another name (for several in one process).
    pub fn named(&self, name: impl Into<String>) -> Self {
        let mut w = self.clone();
        w.config.name = name.into();
        w
    }

    /// Wakes an idle worker of this process at once (after an
    /// application), rather than at its next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Takes one due job and works on it; `None` when none is due.
    pub async fn run_once(&self) -> Result<Option<Outcome>, WorkerError> {
        let now = self.clock.now();
        let Some(job) = self
            .storage
            .claim_job(&self.config.name, now, self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        self.work(job).await.map(Some)
    }

    /// Works until no job is due; the outcomes in order. Jobs waiting for
    /// a retry later are left.
    pub async fn drain(&self) -> Result<Vec<Outcome>, WorkerError> {
        let mut done = Vec::new();
        while let Some(o) = self.run_once().await? {
            done.push(o);
        }
        Ok(done)
    }

    /// Works until `shutdown` completes: takes jobs while there are any,
    /// then sleeps until woken or the next poll. A storage error is logged
    /// and retried after a poll interval. The job in hand when `shutdown`
    /// completes is finished first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            // Between jobs only: a generation is never cut off half-way.
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = std::future::ready(()) => {}
            }
            let idle = match self.run_once().await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(e) => {
                    tracing::error!(worker = %self.config.name, error = %e, "annotation worker");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = &mut shutdown => return,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// Works one job and counts its outcome (and, for a document made,
    /// the time it took) in the metrics.
    async fn work(&self, job: Job) -> Result<Outcome, WorkerError> {
        let started = std::time::Instant::now();
        let outcome = self.generate(job).await;
        let (label, took) = match &outcome {
            Ok(Outcome::Ready { .. }) => ("ready", Some(started.elapsed())),
            Ok(Outcome::Retrying { .. }) => ("retry", None),
            Ok(Outcome::Failed { .. }) => ("failed", None),
            Ok(Outcome::LostLease { .. }) => ("lost_lease", None),
            Err(_) => ("error", None),
        };
        zhengshu_metrics::metrics().generation(label, took);
        outcome
    }

    async fn generate(&self, job: Job) -> Result<Outcome, WorkerError> {
        let annotation_id = job.annotation_id;
        let name = &self.config.name;
        if job.attempt > self.config.max_attempts {
            // Earlier holders of the lease died mid-way this often.
            return self
                .give_up(&job, "too many interrupted attempts", Retry::Never)
                .await;
        }
        tracing::info!(worker = %name, annotation_id, attempt = job.attempt, "generating annotation");
        let annotation = self.storage.annotation(annotation_id).await?;
        let certificate = self.storage.certificate(annotation.certificate_id).await?;
        let valid_from = self.clock.today();
        let valid_until = AnnotationPolicy::valid_until(valid_from, annotation.days);
        let block = block(&annotation, valid_from, valid_until);
        let renderer = self.renderer.clone();
        let signed_at = self.clock.now();
        let rendered = tokio::task::spawn_blocking(move || {
            renderer.render(&certificate, Issue::Annotated(&block), signed_at)
        })
        .await
        .map_err(|e| WorkerError::Join(e.to_string()))?;
        let content = match rendered {
            Ok(pdf) => pdf,
            Err(e) => {
                let retry = match e {
                    DocumentError::Revoked(_) => Retry::Never,
                    _ => self.retry_after(&job, self.clock.now()),
                };
                return self.give_up(&job, &e.to_string(), retry).await;
            }
        };
        fault::pause().await;
        let generated = Generated {
            content,
            valid_from,
            valid_until,
        };
        let at = self.clock.now();
        if self
            .storage
            .complete_job(&job, name, &generated, at)
            .await?
        {
            tracing::info!(worker = %name, annotation_id, "annotation ready");
            Ok(Outcome::Ready { annotation_id })
        } else {
            tracing::warn!(worker = %name, annotation_id, "lease lost; result discarded");
            Ok(Outcome::LostLease { annotation_id })
        }
    }

    /// The next attempt's time, or never after the last attempt.
    fn retry_after(&self, job: &Job, now: Timestamp) -> Retry {
        if job.attempt >= self.config.max_attempts {
            return Retry::Never;
        }
        let factor = 1_i32 << (job.attempt - 1).clamp(0, 16);
        let wait = self
            .config
            .backoff
            .checked_mul(factor)
            .unwrap_or(SignedDuration::MAX);
        Retry::At(now.saturating_add(wait).unwrap_or(Timestamp::MAX))
    }

    async fn give_up(&self, job: &Job, error: &str, retry: Retry) -> Result<Outcome, WorkerError> {
        let annotation_id = job.annotation_id;
        let name = &self.config.name;
        let held = self
            .storage
            .fail_job(job, name, error, retry, self.clock.now())
            .await?;
        Ok(match (held, retry) {
            (false, _) => Outcome::LostLease { annotation_id },
            (true, Retry::Never) => {
                tracing::warn!(worker = %name, annotation_id, error, "annotation failed");
                Outcome::Failed { annotation_id }
            }
            (true, Retry::At(_)) => {
                tracing::warn!(worker = %name, annotation_id, attempt = job.attempt, error, "attempt failed; will retry");
                Outcome::Retrying {
                    annotation_id,
                    attempt: job.attempt,
                }
            }
        })
    }
}

/// The annotation block printed on the document.
pub fn block(
    a: &Annotation,
    valid_from: jiff::civil::Date,
    valid_until: jiff::civil::Date,
) -> AnnotationBlock {
    AnnotationBlock {
        // A stored code this build does not know prints as itself.
        scenario_label: zhengshu_domain::Scenario::from_code(&a.scenario)
            .map_or(a.scenario.as_str(), |s| s.document_label())
            .to_owned(),
        valid_from,
        valid_until,
        number: a.number.clone(),
        verification_code: a.verification_code.clone(),
    }
}

#[cfg(feature = "fault-injection")]
mod fault {
    /// Holds a generation for `ZHENGSHU_FAULT_GENERATION_DELAY_MS`.
    pub async fn pause() {
        if let Some(ms) = std::env::var("ZHENGSHU_FAULT_GENERATION_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            tracing::info!(ms, "fault injection: holding the generation");
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
}

#[cfg(not(feature = "fault-injection"))]
mod fault {
    pub async fn pause() {}
}
