//! The composition root: opens the app, builds every wing's routes into one router, binds
//! the listener and starts the background jobs.

use crate::kernel::app::{App, Wings};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Opens the app: the kernel's infrastructure, then every wing's runtime (intake queues,
/// caches), then the reference data and the locate index.
pub async fn open(config: crate::config::Config) -> anyhow::Result<App> {
    let mut wings = Wings::default();
    wings
        .insert(crate::reference::Reference::default())
        .insert(crate::org::locate::Locator::default())
        .insert(crate::auth::tokens::TokenCache::default())
        .insert(crate::auth::PasswordGate::default())
        .insert(crate::web::extract::CitizenAllowance::default())
        .insert(crate::work_orders::intake::intake_queue())
        .insert(crate::work_orders::dispatch::DispatchCache::default())
        .insert(crate::hall::applications::intake::intake_queue())
        .insert(crate::hall::applications::subject::SubjectCache::default());
    let app = App::open(config, wings).await?;
    crate::org::locate::of(&app).reload(&app.db).await?;
    crate::reference::seed(&app.db, app.now()).await?;
    crate::reference::of(&app).reload(&app.db).await?;
    let r = crate::work_orders::rollups::rebuild_if_empty(&app).await?;
    if r > 0 {
        tracing::info!(rows = r, "cockpit rollups built from the orders");
    }
    let n = crate::work_orders::read::backfill_caller_digests(&app).await?;
    if n > 0 {
        tracing::info!(orders = n, "caller digests written for older orders");
    }
    Ok(app)
}

/// Brings this node's caches up to date with changes made through other nodes: one small
/// read at most once a second, a reload only when a version moved.
pub async fn refresh_caches(app: &App) {
    if let Err(e) = crate::reference::of(app).refresh(&app.db).await {
        tracing::warn!(error = %e, "reference data not refreshed");
    }
    if let Err(e) = crate::org::locate::of(app).refresh(&app.db).await {
        tracing::warn!(error = %e, "locate index not refreshed");
    }
}

async fn fresh_caches(
    axum::extract::State(app): axum::extract::State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Liveness, readiness and static files never wait on the database.
    let path = req.uri().path();
    if !(path == "/healthz" || path == "/readyz" || path.starts_with("/static/")) {
        refresh_caches(&app).await;
    }
    next.run(req).await
}

pub fn router(app: App) -> Router {
    let limit = app.config.body_limit_bytes;
    Router::new()
        .merge(crate::web::system::routes(&app))
        .merge(crate::auth::api::routes())
        .merge(crate::org::api::routes())
        .merge(crate::audit::api::routes())
        .merge(crate::work_orders::api::routes())
        .merge(crate::cockpit::api::routes())
        .merge(crate::hall::catalog_api::routes())
        .merge(crate::hall::api::routes())
        .merge(crate::hall::pages::routes())
        .merge(crate::hall::catalog_pages::routes())
        .merge(crate::work_orders::pages::routes())
        .merge(crate::auth::pages::routes())
        .merge(crate::org::pages::routes())
        .merge(crate::audit::pages::routes())
        .merge(crate::web::routes())
        .fallback(crate::web::system::not_found)
        .method_not_allowed_fallback(crate::web::system::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            fresh_caches,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::web::refuse_control_characters_in_forms,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::web::security_headers,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// A bound listener and the app it will serve. Bind first (port 0 in tests), then serve.
pub struct Server {
    listener: TcpListener,
    app: App,
}

impl Server {
    pub async fn bind(app: App, addr: &str) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("无法监听 {addr}：{e}"))?;
        Ok(Server { listener, app })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        // Dropped when `run` ends in any way (an error included): the jobs see the sender go.
        let stop = StopJobs(stop);
        let mut jobs = Vec::new();
        if self.app.config.background_jobs {
            // Signs a checkpoint every few seconds while the audit log grows (a singleton).
            jobs.push(tokio::spawn(crate::audit::transparency::run_checkpointer(
                self.app.clone(),
                stopped.clone(),
            )));
            // Escalation steps and daily reports (a singleton).
            jobs.push(tokio::spawn(crate::work_orders::escalation::run_scheduler(
                self.app.clone(),
                stopped.clone(),
            )));
            // Throttle rows whose failures no longer count (idempotent, on every node).
            jobs.push(tokio::spawn(crate::kernel::throttle::run_pruner(
                self.app.clone(),
                stopped.clone(),
            )));
            // Notifications out of the outbox, claimed per message on every node.
            jobs.push(tokio::spawn(crate::notify::run_sender(
                self.app.clone(),
                stopped.clone(),
            )));
        }
        let router = router(self.app);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        // Every job finishes its tick and stops.
        let _ = stop.0.send(true);
        for j in jobs {
            if tokio::time::timeout(std::time::Duration::from_secs(10), j)
                .await
                .is_err()
            {
                tracing::warn!("a background job did not stop within 10 s");
            }
        }
        Ok(())
    }
}

/// Tells the jobs to stop when dropped.
struct StopJobs(tokio::sync::watch::Sender<bool>);

impl Drop for StopJobs {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}
