//! Accounts JSON routes under `/api/v1`: tokens, `me`, users.

use crate::auth;
use crate::auth::users;
use crate::auth::users::NewUser;
use crate::auth::users::UserFilter;
use crate::auth::users::UserUpdate;
use crate::error::AppResult;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/auth/token", post(issue_token))
        .route("/api/v1/auth/tokens", get(list_tokens))
        .route(
            "/api/v1/auth/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).put(update_user))
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: String,
}

pub(crate) async fn issue_token(
    State(app): State<App>,
    ApiJson(c): ApiJson<Credentials>,
) -> AppResult<impl IntoResponse> {
    let t = auth::issue_token(&app, &c.username, &c.password).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

pub(crate) async fn list_tokens(
    State(app): State<App>,
    user: ApiUser,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        json!({"items": auth::list_tokens(&app, &user.0).await?}),
    ))
}

pub(crate) async fn revoke_token(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    auth::revoke_token(&app, &user.0, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn me(user: ApiUser) -> Json<serde_json::Value> {
    let u = &user.0;
    Json(json!({
        "id": u.user_id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "role_label": u.role.label(),
        "region_code": u.jurisdiction.region.to_string(),
        "department_id": u.jurisdiction.department_id,
    }))
}

pub(crate) async fn list_users(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<UserFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        users::list_users(&app, &user.actor(), &filter, page).await?,
    ))
}

pub(crate) async fn get_user(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(users::get_user(&app, &user.actor(), id).await?))
}

pub(crate) async fn create_user(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<NewUser>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(users::create_user(&app, &user.actor(), input).await?),
    ))
}

pub(crate) async fn update_user(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<UserUpdate>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        users::update_user(&app, &user.actor(), id, input).await?,
    ))
}
