//! `zhengshu serve`: migrate, load the demo data when asked, serve with the
//! annotation workers alongside (and, every minute, the end of console
//! uploads nobody will finish) until SIGTERM or Ctrl-C, finish the
//! requests and generations in flight. `zhengshu worker`: the workers
//! alone.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;
use jiff::SignedDuration;
use tokio::sync::watch;
use zhengshu_domain::{Clock, SystemClock};
use zhengshu_storage::{Storage, VerifierKey};
use zhengshu_web::{AppState, RareFonts, Server};
use zhengshu_worker::{Worker, WorkerConfig};

use crate::Failure;
use crate::config::Config;
use crate::storage::open_storage;

// `serve`'s flags reach `run` through the configuration (the command line
// turns them into overrides).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Load the demo data if absent and answer GET /api/v1/demo
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Workers in this process [default: worker.concurrency, 2]
    #[arg(long)]
    pub concurrency: Option<usize>,
}

/// A worker as configured, over `storage`.
fn worker(
    config: &Config,
    storage: Arc<dyn Storage>,
    renderer: Arc<zhengshu_document::Renderer>,
    clock: Arc<dyn Clock>,
) -> Worker {
    let w = &config.worker;
    Worker::new(
        storage,
        renderer,
        clock,
        WorkerConfig {
            name: format!("worker-{}", std::process::id()),
            lease: SignedDuration::from_secs(i64::from(w.lease_secs)),
            max_attempts: w.max_attempts,
            backoff: SignedDuration::from_secs(i64::from(w.backoff_secs)),
            poll: std::time::Duration::from_millis(u64::from(w.poll_ms)),
        },
    )
}

/// Wakes `worker` whenever a process on another node applies, where the
/// database announces it (PostgreSQL `LISTEN/NOTIFY`); polling stays.
async fn listen(storage: &dyn Storage, worker: &Worker) -> Result<(), Failure> {
    let wake = worker.waker();
    if storage
        .listen_for_jobs(Arc::new(move || wake.notify_one()))
        .await?
    {
        tracing::info!("workers woken by the database's job announcements");
    }
    Ok(())
}

/// Runs `count` copies of `worker` until `stop` turns true; waits for
/// their jobs in hand.
async fn run_workers(worker: &Worker, count: usize, stop: watch::Receiver<bool>) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let w = worker.named(format!("worker-{}-{i}", std::process::id()));
        let mut stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            w.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

pub async fn worker_command(config: Config, args: WorkerArgs) -> Result<(), Failure> {
    let storage = open_storage(&config).await?;
    storage.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let renderer = Arc::new(crate::document::renderer(&config, &*storage).await?);
    let keys = crate::secrets::load_or_create(&config)?;
    crate::binding::bind(&config, &*storage, &keys).await?;
    let count = args.concurrency.unwrap_or(config.worker.concurrency).max(1);
    let w = worker(&config, storage.clone(), renderer, clock);
    if config.worker.listen {
        listen(&*storage, &w).await?;
    }
    let (tx, rx) = watch::channel(false);
    tracing::info!(count, "annotation workers started");
    let workers = run_workers(&w, count, rx);
    tokio::pin!(workers);
    tokio::select! {
        () = &mut workers => {}
        () = shutdown_signal() => {
            let _ = tx.send(true);
            workers.await;
        }
    }
    tracing::info!("workers stopped");
    Ok(())
}

pub async fn run(config: Config) -> Result<(), Failure> {
    let storage = open_storage(&config).await?;
    storage.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if config.demo {
        zhengshu_demo::load(&*storage, clock.now()).await?;
    }
    let renderer = crate::document::renderer(&config, &*storage).await?;
    let keys = crate::secrets::load_or_create(&config)?;
    crate::binding::bind(&config, &*storage, &keys).await?;
    if config.web.cache_reads {
        let announced = storage.cache_hot_reads().await?;
        tracing::info!(announced, "holders' hot reads cached in memory");
        storage.index_verifications(config.web.verify_index).await?;
    }
    let mut state = AppState::new(storage, clock, keys.session, config.public_base_url.clone());
    state.set_verify_limits(config.verify);
    config.throttle.apply(&mut state);
    state.verifier_key = VerifierKey::new(keys.verifier);
    state.policy = Arc::new(config.annotation.clone());
    // The demo endpoint lists what the demo data holds.
    state.demo = config
        .demo
        .then(|| zhengshu_demo::showcase_numbers().into());
    state.trust_forwarded_for = config.web.trust_forwarded_for;
    state.senders = config.notify.senders()?;
    state.platform = match &config.platform {
        Some(p) => Some(Arc::new(p.relying_party(&config.public_base_url)?)),
        None => None,
    };
    state.fonts = Arc::new(RareFonts::from_files(config.web.rare_fonts.clone()));
    let renderer = Arc::new(renderer);
    state.renderer = Some(renderer.clone());
    state.photo_store = Some(config.data_dir.join("photos"));
    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = if config.worker.in_serve > 0 {
        let w = worker(
            &config,
            state.storage.clone(),
            renderer,
            state.clock.clone(),
        );
        state.workers = Some(w.waker());
        if config.worker.listen {
            listen(&*state.storage, &w).await?;
        }
        let count = config.worker.in_serve;
        Some(tokio::spawn(async move {
            run_workers(&w, count, stop_rx).await;
        }))
    } else {
        None
    };
    state.metrics_token = config.metrics.token.as_ref().map(|t| t.expose().to_owned());
    let metrics = match config.metrics.addr {
        Some(addr) => Some(serve_metrics(addr, state.clone()).await?),
        None => None,
    };
    let recorder = state.recorder.clone();
    let sweeper = tokio::spawn(sweep_uploads(state.clone()));
    let server = Server::bind(config.addr, state).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}: {e} (is another server using it? try --addr)",
            config.addr
        )
    })?;
    let addr = server.local_addr()?;
    tracing::info!(%addr, demo = config.demo, "listening on http://{addr}");
    server.run(shutdown_signal()).await?;
    // The verifications of the last requests are written before exit.
    recorder.flush().await;
    sweeper.abort();
    let _ = stop_tx.send(true);
    if let Some(w) = workers {
        let _ = w.await;
    }
    if let Some(m) = metrics {
        m.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Ends the console's uploads nobody will finish, at start and every
/// minute: a check or an import whose process ended (this one before a
/// restart, or another node) and a checked upload never confirmed.
async fn sweep_uploads(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(e) = zhengshu_web::sweep_uploads(&state).await {
            tracing::warn!(error = %e, "sweeping the console's uploads failed");
        }
    }
}

/// Serves `/metrics` alone on `addr` until the process ends.
async fn serve_metrics(
    addr: SocketAddr,
    state: AppState,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "metrics on http://{bound}/metrics");
    Ok(tokio::spawn(async move {
        if let Err(e) = zhengshu_web::serve_metrics(listener, state).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    }))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
