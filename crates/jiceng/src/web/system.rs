//! System routes: health, readiness, the JSON 404, and (under `--fake-clock`) the clock.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiUser;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Health, readiness and (under `--fake-clock`) the clock.
pub fn routes(app: &App) -> Router<App> {
    let r = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    // The clock endpoint exists only under --fake-clock.
    if app.fake_clock.is_some() {
        r.route("/api/v1/admin/clock", post(advance_clock))
    } else {
        r
    }
}

/// What no route answers: JSON for the interfaces, a page in Chinese for a browser.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    refusal(&uri, AppError::new(Code::NotFound, "页面或接口不存在"))
}

/// A method the address does not take (a browser asking for a form's address, say).
pub async fn method_not_allowed(uri: axum::http::Uri) -> axum::response::Response {
    refusal(
        &uri,
        AppError::new(
            Code::MethodNotAllowed,
            "该地址不支持这种访问方式，请从页面上的链接或按钮进入",
        ),
    )
}

fn refusal(uri: &axum::http::Uri, e: AppError) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        crate::web::WebError::from(e).into_response()
    }
}

pub async fn healthz(State(app): State<App>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "database": app.db.backend.name(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

pub async fn readyz(State(app): State<App>) -> axum::response::Response {
    match app.db.ping().await {
        Ok(()) => {
            Json(json!({"status": "ready", "database": app.db.backend.name()})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            AppError::new(Code::NotReady, "数据库暂不可用").into_response()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ClockAdvance {
    pub(crate) advance_minutes: i64,
}

pub(crate) async fn advance_clock(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(c): ApiJson<ClockAdvance>,
) -> AppResult<impl IntoResponse> {
    let actor = user.actor();
    let Some(fake) = app.fake_clock.clone() else {
        return Err(AppError::new(Code::NotFound, "页面或接口不存在"));
    };
    // The clock is the deployment's: a township's admin does not move it.
    if !actor.is_deployment_admin() {
        return Err(audit::deny(&app, &actor, "clock.advance", "clock", "").await);
    }
    if !(1..=60 * 24 * 366).contains(&c.advance_minutes) {
        return Err(AppError::field(
            "advance_minutes",
            Code::ClockBadAmount,
            "advance_minutes 必须在 1 到 527040（一年）之间",
        ));
    }
    let now = fake.advance(chrono::Duration::minutes(c.advance_minutes));
    app.clock_moved.notify_waiters();
    let ev = audit::Event::new("clock.advance", "clock", "fake")
        .reason(format!("模拟时间前进{}分钟", c.advance_minutes));
    audit::record_alone(&app, &actor.audit_name(), ev).await?;
    Ok(Json(
        json!({"now": now, "offset_minutes": fake.offset().num_minutes()}),
    ))
}
