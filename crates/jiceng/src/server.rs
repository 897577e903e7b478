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
        .insert(crate::web::extract::CitizenAllowance::default())
        .insert(crate::work_orders::intake::intake_queue())
        .insert(crate::work_orders::dispatch::DispatchCache::default())
        .insert(crate::hall::applications::intake::intake_queue())
        .insert(crate::hall::applications::subject::SubjectCache::default());
    let app = App::open(config, wings).await?;
    crate::org::locate::of(&app).reload(&app.db).await?;
    crate::reference::seed(&app.db, app.now()).await?;
    crate::reference::of(&app).reload(&app.db).await?;
    Ok(app)
}

pub fn router(app: App) -> Router {
    let limit = app.config.body_limit_bytes;
    Router::new()
        .merge(crate::web::system::routes(&app))
        .merge(crate::auth::api::routes())
        .merge(crate::org::api::routes())
        .merge(crate::audit::api::routes())
        .merge(crate::work_orders::api::routes())
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
        if self.app.config.background_jobs {
            // Signs a checkpoint every few seconds while the audit log grows.
            tokio::spawn(crate::audit::transparency::run_checkpointer(
                self.app.clone(),
            ));
            // Escalation steps and daily reports; notifications out of the outbox.
            tokio::spawn(crate::work_orders::escalation::run_scheduler(
                self.app.clone(),
            ));
            tokio::spawn(crate::notify::run_sender(self.app.clone()));
        }
        let router = router(self.app);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}
