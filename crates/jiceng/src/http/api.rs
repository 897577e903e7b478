//! The JSON API under `/api/v1`.

use super::extract::{ApiJson, ApiQuery, ApiUser, MaybeApiUser};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::service::audit::{self, AuditFilter};
use crate::service::import::{self, ImportFile, ImportKind};
use crate::service::org::{
    self, DepartmentFilter, DepartmentInput, GridFilter, GridInput, RegionFilter, RegionInput,
    RegionUpdate,
};
use crate::service::users::{self, NewUser, UserFilter, UserUpdate};
use crate::service::{PageParams, auth, transparency};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes(app: &App) -> Router<App> {
    let mut r = Router::new()
        .route("/api/v1/auth/token", post(issue_token))
        .route("/api/v1/auth/tokens", get(list_tokens))
        .route(
            "/api/v1/auth/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/locate", get(locate))
        .route("/api/v1/regions", get(list_regions).post(create_region))
        .route(
            "/api/v1/regions/{code}",
            get(get_region).put(update_region).delete(delete_region),
        )
        .route(
            "/api/v1/departments",
            get(list_departments).post(create_department),
        )
        .route(
            "/api/v1/departments/{id}",
            get(get_department)
                .put(update_department)
                .delete(delete_department),
        )
        .route("/api/v1/grids", get(list_grids).post(create_grid))
        .route(
            "/api/v1/grids/{code}",
            get(get_grid).put(update_grid).delete(delete_grid),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).put(update_user))
        .route("/api/v1/admin/import", post(import_org))
        .route("/api/v1/audit", get(list_audit))
        .route(
            "/api/v1/audit/checkpoint",
            get(latest_checkpoint).post(sign_checkpoint),
        )
        .route("/api/v1/audit/checkpoints", get(checkpoint_history))
        .route("/api/v1/audit/key", get(audit_key))
        .route("/api/v1/audit/proof/inclusion", get(inclusion_proof))
        .route("/api/v1/audit/proof/consistency", get(consistency_proof))
        .route("/api/v1/audit/leaves", get(audit_leaves))
        .route("/api/v1/audit/cosignatures", post(add_cosignature))
        .route("/api/v1/audit/verify", post(verify_audit_log));
    // The clock endpoint exists only under --fake-clock.
    if app.fake_clock.is_some() {
        r = r.route("/api/v1/admin/clock", post(advance_clock));
    }
    r
}

pub async fn not_found() -> AppError {
    AppError::not_found("not_found", "页面或接口不存在")
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
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "数据库暂不可用",
            )
            .into_response()
        }
    }
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn issue_token(
    State(app): State<App>,
    ApiJson(c): ApiJson<Credentials>,
) -> AppResult<impl IntoResponse> {
    let t = auth::issue_token(&app, &c.username, &c.password).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

async fn list_tokens(State(app): State<App>, user: ApiUser) -> AppResult<impl IntoResponse> {
    Ok(Json(
        json!({"items": auth::list_tokens(&app, &user.0).await?}),
    ))
}

async fn revoke_token(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    auth::revoke_token(&app, &user.0, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(user: ApiUser) -> Json<serde_json::Value> {
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

#[derive(Deserialize)]
struct LocateQuery {
    lat: f64,
    lon: f64,
}

async fn locate(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> AppResult<impl IntoResponse> {
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(AppError::bad_request(
            "locate.bad_coordinate",
            "经纬度超出范围：纬度 -90～90，经度 -180～180（WGS-84）",
        ));
    }
    Ok(Json(app.locator.snapshot().locate(q.lon, q.lat)))
}

async fn list_regions(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<RegionFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::list_regions(&app, &user.actor(), &filter, page).await?,
    ))
}

async fn get_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(org::get_region(&app, &user.actor(), &code).await?))
}

async fn create_region(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<RegionInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_region(&app, &user.actor(), input).await?),
    ))
}

async fn update_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<RegionUpdate>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_region(&app, &user.actor(), &code, input).await?,
    ))
}

async fn delete_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    org::delete_region(&app, &user.actor(), &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_departments(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<DepartmentFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::list_departments(&app, &user.actor(), &filter, page).await?,
    ))
}

async fn get_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(org::get_department(&app, &user.actor(), id).await?))
}

async fn create_department(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<DepartmentInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_department(&app, &user.actor(), input).await?),
    ))
}

async fn update_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<DepartmentInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_department(&app, &user.actor(), id, input).await?,
    ))
}

async fn delete_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    org::delete_department(&app, &user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grids as a GeoJSON FeatureCollection, with paging members alongside.
async fn list_grids(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<GridFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    let page = org::list_grids(&app, &user.actor(), &filter, page).await?;
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": page.items.iter().map(|g| g.to_feature()).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}

async fn get_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::get_grid(&app, &user.actor(), &code)
            .await?
            .to_feature(),
    ))
}

async fn create_grid(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<GridInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(
            org::create_grid(&app, &user.actor(), input)
                .await?
                .to_feature(),
        ),
    ))
}

async fn update_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<GridInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_grid(&app, &user.actor(), &code, input)
            .await?
            .to_feature(),
    ))
}

async fn delete_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    org::delete_grid(&app, &user.actor(), &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<UserFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        users::list_users(&app, &user.actor(), &filter, page).await?,
    ))
}

async fn get_user(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(users::get_user(&app, &user.actor(), id).await?))
}

async fn create_user(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<NewUser>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(users::create_user(&app, &user.actor(), input).await?),
    ))
}

async fn update_user(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<UserUpdate>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        users::update_user(&app, &user.actor(), id, input).await?,
    ))
}

#[derive(Deserialize)]
struct ImportQuery {
    kind: Option<String>,
}

/// One file per request; `?kind=regions|departments|grids`, or guessed from the content.
async fn import_org(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> AppResult<impl IntoResponse> {
    let kind = match q.kind.as_deref() {
        Some(k) => ImportKind::parse(k).ok_or_else(|| {
            AppError::bad_request(
                "import.bad_kind",
                "kind 只能是 regions、departments 或 grids",
            )
        })?,
        None => ImportKind::detect(&body).ok_or_else(|| {
            AppError::bad_request(
                "import.unknown_kind",
                "无法识别文件类型，请用 kind 参数指明",
            )
        })?,
    };
    let file = ImportFile {
        name: "上传文件".into(),
        kind,
        bytes: body.to_vec(),
    };
    Ok(Json(
        import::import(&app, &user.actor(), vec![file], &|_, _| {}).await?,
    ))
}

async fn list_audit(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(audit::list(&app, &user.actor(), &filter, page).await?))
}

#[derive(Deserialize)]
struct ClockAdvance {
    advance_minutes: i64,
}

async fn advance_clock(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(c): ApiJson<ClockAdvance>,
) -> AppResult<impl IntoResponse> {
    let actor = user.actor();
    let Some(fake) = app.fake_clock.clone() else {
        return Err(not_found().await);
    };
    if !user.0.role.manages_organisation() {
        return Err(audit::deny(&app, &actor, "clock.advance", "clock", "").await);
    }
    if !(1..=60 * 24 * 366).contains(&c.advance_minutes) {
        return Err(AppError::field(
            "advance_minutes",
            "clock.bad_amount",
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

fn plain_text(body: String) -> axum::response::Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The latest signed checkpoint with its witnesses' cosignatures, as a C2SP signed note.
async fn latest_checkpoint(State(app): State<App>) -> AppResult<axum::response::Response> {
    Ok(plain_text(
        transparency::latest_checkpoint(&app).await?.cosigned_note(),
    ))
}

/// Signs a checkpoint now (auditors and admins).
async fn sign_checkpoint(State(app): State<App>, user: ApiUser) -> AppResult<impl IntoResponse> {
    if !user.0.role.reads_audit_log() {
        return Err(audit::deny(
            &app,
            &user.actor(),
            "audit.checkpoint",
            "audit_checkpoint",
            "",
        )
        .await);
    }
    Ok((
        StatusCode::CREATED,
        Json(transparency::checkpoint_now(&app).await?),
    ))
}

async fn checkpoint_history(
    State(app): State<App>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(transparency::checkpoint_history(&app, page).await?))
}

/// The verifier key (vkey) of the log's checkpoints.
async fn audit_key(State(app): State<App>) -> AppResult<axum::response::Response> {
    Ok(plain_text(format!(
        "{}\n",
        transparency::signer(&app).await?.verifier().vkey()
    )))
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: Option<u64>,
    leaf_hash: Option<String>,
    tree_size: Option<u64>,
}

async fn inclusion_proof(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> AppResult<impl IntoResponse> {
    let proof = match (q.index, q.leaf_hash.as_deref()) {
        (Some(i), None) => transparency::inclusion(&app, i, q.tree_size).await?,
        (None, Some(h)) => transparency::inclusion_by_hash(&app, h, q.tree_size).await?,
        _ => {
            return Err(AppError::bad_request(
                "audit.bad_proof_request",
                "请给出 index 或 leaf_hash 之一",
            ));
        }
    };
    Ok(Json(proof))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    first: u64,
    second: u64,
}

async fn consistency_proof(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        transparency::consistency(&app, q.first, q.second).await?,
    ))
}

#[derive(Deserialize)]
struct LeavesQuery {
    start: u64,
    end: u64,
}

async fn audit_leaves(
    State(app): State<App>,
    user: MaybeApiUser,
    ApiQuery(q): ApiQuery<LeavesQuery>,
) -> AppResult<impl IntoResponse> {
    let actor = user.0.map(crate::service::Actor::User);
    Ok(Json(
        json!({"leaves": transparency::leaves(&app, actor.as_ref(), q.start, q.end).await?}),
    ))
}

#[derive(Deserialize)]
struct CosignatureInput {
    tree_size: u64,
    cosignature: String,
}

/// A witness posts its cosignature of a checkpoint; the signature is the credential.
async fn add_cosignature(
    State(app): State<App>,
    ApiJson(c): ApiJson<CosignatureInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(transparency::add_cosignature(&app, c.tree_size, &c.cosignature).await?),
    ))
}

async fn verify_audit_log(State(app): State<App>, user: ApiUser) -> AppResult<impl IntoResponse> {
    Ok(Json(
        transparency::verify_and_record(&app, &user.actor()).await?,
    ))
}
