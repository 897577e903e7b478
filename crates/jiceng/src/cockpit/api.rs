//! `/api/v1/cockpit/*`: the summary and the breakdowns, over the caller's jurisdiction.

use crate::cockpit::{self, By, Params};
use crate::error::{AppError, AppResult, Code};
use crate::kernel::app::App;
use crate::web::extract::{ApiQuery, ApiUser};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/cockpit/summary", get(summary))
        .route("/api/v1/cockpit/breakdown", get(breakdown))
}

async fn summary(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<Params>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(cockpit::summary(&app, &user.actor(), &p).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BreakdownQuery {
    by: Option<String>,
    level: Option<String>,
}

async fn breakdown(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(p): ApiQuery<Params>,
    ApiQuery(b): ApiQuery<BreakdownQuery>,
) -> AppResult<impl IntoResponse> {
    let by: By = serde_json::from_value(serde_json::Value::String(
        b.by.unwrap_or_else(|| "category".into()),
    ))
    .map_err(|_| {
        AppError::field(
            "by",
            Code::CockpitBadBy,
            "by 只能是 category、township、village、unit、channel、kind、month、week 或 day",
        )
    })?;
    let level = match b.level.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|l| (1..=3).contains(l))
            .ok_or_else(|| {
                AppError::field("level", Code::CockpitBadBy, "分类层级只能是 1、2 或 3")
            })?,
    };
    Ok(Json(
        cockpit::breakdown(&app, &user.actor(), &p, by, level).await?,
    ))
}
