//! HTTP: thin handlers over the use cases. JSON under `/api/v1`, Chinese pages elsewhere.

pub mod api;
pub mod catalog_api;
pub mod catalog_web;
pub mod extract;
pub mod service_api;
pub mod service_web;
pub mod web;
pub mod work_api;
pub mod work_web;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub fn router(app: App) -> Router {
    let limit = app.config.body_limit_bytes;
    Router::new()
        .merge(api::routes(&app))
        .merge(work_api::routes())
        .merge(catalog_api::routes())
        .merge(service_api::routes())
        .merge(service_web::routes())
        .merge(catalog_web::routes())
        .merge(work_web::routes())
        .merge(web::routes())
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .fallback(api::not_found)
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
        // Signs a checkpoint every few seconds while the audit log grows.
        tokio::spawn(crate::service::transparency::run_checkpointer(
            self.app.clone(),
        ));
        if self.app.config.background_jobs {
            // Escalation steps and daily reports; notifications out of the outbox.
            tokio::spawn(crate::service::escalation::run_scheduler(self.app.clone()));
            tokio::spawn(crate::service::outbox::run_sender(self.app.clone()));
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
