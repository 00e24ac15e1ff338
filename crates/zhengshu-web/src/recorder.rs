//! Verifications are recorded off the request path: a [`Recorder`] takes
//! each one into a bounded channel, and one background flusher writes them
//! in batches with [`Storage::record_verifications`] — every
//! [`FLUSH_EVERY`], as soon as [`BATCH`] are waiting, and whenever
//! [`Recorder::flush`] asks (tests; the server on shutdown). A full channel
//! makes the request wait rather than lose a record.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use zhengshu_storage::{NewVerification, Storage};

/// The most verifications written in one transaction.
pub const BATCH: usize = 2_000;
/// How long a verification waits at most before it is written: the
/// holder's 查验记录 is at most this late; fewer, larger transactions write
/// each touched index page once for many verifications.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Verifications the channel holds before requests wait for the flusher.
const CAPACITY: usize = 10 * BATCH;

enum Message {
    Record(NewVerification),
    /// Write everything received so far, then answer.
    Flush(oneshot::Sender<()>),
}

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Message>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Record(v) => f.debug_tuple("Record").field(v).finish(),
            Message::Flush(_) => f.write_str("Flush"),
        }
    }
}

impl Recorder {
    /// Starts the flusher on the current Tokio runtime; it ends once every
    /// `Recorder` is dropped, after writing what it holds.
    pub fn spawn(storage: Arc<dyn Storage>) -> Self {
        let (tx, rx) = mpsc::channel(CAPACITY);
        tokio::spawn(flusher(storage, rx));
        Self { tx }
    }

    /// Queues one verification.
    pub async fn record(&self, v: NewVerification) {
        if self.tx.send(Message::Record(v)).await.is_err() {
            tracing::error!("the verification flusher has stopped; a verification is lost");
        }
    }

    /// Waits until every verification queued before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn flusher(storage: Arc<dyn Storage>, mut rx: mpsc::Receiver<Message>) {
    let mut pending: Vec<NewVerification> = Vec::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Record(v)) => {
                    pending.push(v);
                    if pending.len() >= BATCH {
                        write(&*storage, &mut pending).await;
                    }
                }
                Some(Message::Flush(done)) => {
                    write(&*storage, &mut pending).await;
                    let _ = done.send(());
                }
                None => {
                    write(&*storage, &mut pending).await;
                    return;
                }
            },
            _ = tick.tick() => write(&*storage, &mut pending).await,
        }
    }
}

/// Writes `pending` in batches of at most [`BATCH`]; a failed batch is
/// logged and dropped, so one bad moment of the database does not hold
/// every later verification back.
async fn write(storage: &dyn Storage, pending: &mut Vec<NewVerification>) {
    for batch in pending.chunks(BATCH) {
        let started = std::time::Instant::now();
        match storage.record_verifications(batch).await {
            Ok(()) => tracing::debug!(
                count = batch.len(),
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "verifications recorded"
            ),
            Err(e) => {
                tracing::error!(error = %e, count = batch.len(), "verifications not recorded")
            }
        }
    }
    pending.clear();
}
