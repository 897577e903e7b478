//! JSON API of 一窗受理's catalog: the matters, public to read, declared by administrators.

use crate::error::AppResult;
use crate::hall::catalog;
use crate::hall::catalog::MatterFilter;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use jiceng_core::bundle::BundleSpec;
use jiceng_core::catalog::MatterSpec;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/matters", get(list).post(save))
        .route("/api/v1/matters/export.xlsx", get(export))
        .route("/api/v1/matters/import", axum::routing::post(import))
        .route("/api/v1/matters/{code}", get(detail))
        .route("/api/v1/matters/{code}/versions", get(versions))
        .route("/api/v1/bundles", get(bundles))
        .route("/api/v1/bundles/{code}", get(bundle).put(save_bundle))
}

async fn list(
    State(app): State<App>,
    ApiQuery(filter): ApiQuery<MatterFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(catalog::list(&app, &filter, page).await?))
}

async fn detail(State(app): State<App>, Path(code): Path<String>) -> AppResult<impl IntoResponse> {
    Ok(Json(catalog::get(&app, &code).await?))
}

async fn versions(
    State(app): State<App>,
    Path(code): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        json!({"items": catalog::versions(&app, &code).await?}),
    ))
}

/// Declares a matter or a new version of it (administrators).
async fn save(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(spec): ApiJson<MatterSpec>,
) -> AppResult<impl IntoResponse> {
    let (v, created) = catalog::save(&app, &user.actor(), spec).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(v)))
}

async fn bundles(State(app): State<App>) -> AppResult<impl IntoResponse> {
    Ok(Json(json!({"items": catalog::bundles(&app).await?})))
}

async fn bundle(State(app): State<App>, Path(code): Path<String>) -> AppResult<impl IntoResponse> {
    Ok(Json(catalog::get_bundle(&app, &code).await?))
}

/// Declares or changes a bundle (administrators); the path's code wins over the body's.
async fn save_bundle(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(mut spec): ApiJson<BundleSpec>,
) -> AppResult<impl IntoResponse> {
    spec.code = code;
    Ok(Json(catalog::save_bundle(&app, &user.actor(), spec).await?))
}

/// The current catalog as a workbook in the import's form (public, like the catalog).
async fn export(State(app): State<App>) -> AppResult<impl IntoResponse> {
    let bytes = crate::hall::catalog_xlsx::export(&app).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"matters.xlsx\"",
            ),
        ],
        bytes,
    ))
}

/// Imports a workbook (administrators): all of it, or nothing with every bad row listed.
async fn import(
    State(app): State<App>,
    user: ApiUser,
    body: axum::body::Bytes,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        crate::hall::catalog_xlsx::import(&app, &user.actor(), body.to_vec()).await?,
    ))
}
