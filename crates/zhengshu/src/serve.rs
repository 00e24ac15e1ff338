//! `zhengshu serve`: migrate, load the demo data when asked, serve until
//! SIGTERM or Ctrl-C, finish the requests in flight.

use std::sync::Arc;

use zhengshu_domain::{Clock, SystemClock};
use zhengshu_web::{AppState, RareFonts, Server};

use crate::config::Config;
use crate::{Failure, open_storage};

pub async fn run(config: Config) -> Result<(), Failure> {
    let storage = open_storage(&config).await?;
    storage.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if config.demo {
        zhengshu_demo::load(&*storage, clock.now()).await?;
    }
    let renderer = crate::document::renderer(&config, &*storage).await?;
    let mut state = AppState::new(
        storage,
        clock,
        crate::secrets::load_or_create(&config)?.session,
        config.public_base_url.clone(),
    );
    state.policy = Arc::new(config.annotation.clone());
    state.demo = config.demo;
    state.trust_forwarded_for = config.web.trust_forwarded_for;
    state.fonts = Arc::new(RareFonts::from_files(config.web.rare_fonts.clone()));
    state.renderer = Some(Arc::new(renderer));
    let server = Server::bind(config.addr, state).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}: {e} (is another server using it? try --addr)",
            config.addr
        )
    })?;
    let addr = server.local_addr()?;
    tracing::info!(%addr, demo = config.demo, "listening on http://{addr}");
    server.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
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
