//! Password hashing and checking off the async threads, at most as many at
//! once as the gate has permits (by default one per core): argon2id takes
//! [`zhengshu_domain::password::ARGON2_MEMORY_KIB`] of memory per
//! computation, so a storm of log-ins or registrations waits for a permit
//! instead of growing the process. Counts the computations it ran and the
//! most that ran at once, which the tests read.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use zhengshu_domain::{Password, verify_password};

/// The bounded place where argon2 runs.
#[derive(Debug)]
pub struct PasswordGate {
    permits: Semaphore,
    size: usize,
    checks: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
}

/// The blocking task failed (it panicked or the runtime is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("password task: {0}")]
pub struct GateError(String);

impl PasswordGate {
    /// A gate letting `permits` computations (at least one) run at once.
    pub fn new(permits: usize) -> Self {
        let size = permits.max(1);
        Self {
            permits: Semaphore::new(size),
            size,
            checks: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// One permit per core of this machine.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// How many computations may run at once.
    pub fn permits(&self) -> usize {
        self.size
    }

    /// Password verifications run so far.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// The most computations (hashes and verifications) that ran at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| GateError(e.to_string()))?;
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let out = tokio::task::spawn_blocking(work).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        out.map_err(|e| GateError(e.to_string()))
    }

    /// Whether `candidate` matches the PHC string `phc`.
    pub async fn verify(&self, phc: String, candidate: String) -> Result<bool, GateError> {
        self.checks.fetch_add(1, Ordering::Relaxed);
        self.run(move || verify_password(&phc, &candidate)).await
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: Password) -> Result<String, GateError> {
        self.run(move || password.hash()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_run_at_once_than_the_permits() {
        let gate = std::sync::Arc::new(PasswordGate::new(2));
        let hash = zhengshu_domain::password::dummy_hash().to_owned();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let gate = gate.clone();
                let hash = hash.clone();
                tokio::spawn(async move { gate.verify(hash, "x".into()).await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert!(!t.await.unwrap());
        }
        assert_eq!(gate.checks(), 8);
        assert!((1..=2).contains(&gate.peak()), "{}", gate.peak());
    }
}
