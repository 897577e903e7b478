//! Audit JSON routes under `/api/v1/audit`: entries, checkpoints, the signing key, proofs,
//! leaves, cosignatures, verification.

use crate::audit::read::AuditFilter;
use crate::audit::transparency;
use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::paging::PageParams;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use crate::web::extract::MaybeApiUser;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
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
        .route("/api/v1/audit/verify", post(verify_audit_log))
}

pub(crate) async fn list_audit(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        crate::audit::read::list(&app, &user.actor(), &filter, page).await?,
    ))
}

pub(crate) fn plain_text(body: String) -> axum::response::Response {
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
pub(crate) async fn latest_checkpoint(
    State(app): State<App>,
) -> AppResult<axum::response::Response> {
    Ok(plain_text(
        transparency::latest_checkpoint(&app).await?.cosigned_note(),
    ))
}

/// Signs a checkpoint now (auditors and admins).
pub(crate) async fn sign_checkpoint(
    State(app): State<App>,
    user: ApiUser,
) -> AppResult<impl IntoResponse> {
    if !user.actor().reads_audit_log() {
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

pub(crate) async fn checkpoint_history(
    State(app): State<App>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(transparency::checkpoint_history(&app, page).await?))
}

/// The verifier key (vkey) of the log's checkpoints.
pub(crate) async fn audit_key(State(app): State<App>) -> AppResult<axum::response::Response> {
    Ok(plain_text(format!(
        "{}\n",
        transparency::signer(&app).await?.verifier().vkey()
    )))
}

#[derive(Deserialize)]
pub(crate) struct InclusionQuery {
    pub(crate) index: Option<u64>,
    pub(crate) leaf_hash: Option<String>,
    pub(crate) tree_size: Option<u64>,
}

pub(crate) async fn inclusion_proof(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<InclusionQuery>,
) -> AppResult<impl IntoResponse> {
    let proof = match (q.index, q.leaf_hash.as_deref()) {
        (Some(i), None) => transparency::inclusion(&app, i, q.tree_size).await?,
        (None, Some(h)) => transparency::inclusion_by_hash(&app, h, q.tree_size).await?,
        _ => {
            return Err(AppError::new(
                Code::AuditBadProofRequest,
                "请给出 index 或 leaf_hash 之一",
            ));
        }
    };
    Ok(Json(proof))
}

#[derive(Deserialize)]
pub(crate) struct ConsistencyQuery {
    pub(crate) first: u64,
    pub(crate) second: u64,
}

pub(crate) async fn consistency_proof(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        transparency::consistency(&app, q.first, q.second).await?,
    ))
}

#[derive(Deserialize)]
pub(crate) struct LeavesQuery {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

pub(crate) async fn audit_leaves(
    State(app): State<App>,
    user: MaybeApiUser,
    ApiQuery(q): ApiQuery<LeavesQuery>,
) -> AppResult<impl IntoResponse> {
    let actor = user.0.map(crate::kernel::actor::Actor::User);
    Ok(Json(
        json!({"leaves": transparency::leaves(&app, actor.as_ref(), q.start, q.end).await?}),
    ))
}

#[derive(Deserialize)]
pub(crate) struct CosignatureInput {
    pub(crate) tree_size: u64,
    pub(crate) cosignature: String,
}

/// A witness posts its cosignature of a checkpoint; the signature is the credential.
pub(crate) async fn add_cosignature(
    State(app): State<App>,
    ApiJson(c): ApiJson<CosignatureInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(transparency::add_cosignature(&app, c.tree_size, &c.cosignature).await?),
    ))
}

pub(crate) async fn verify_audit_log(
    State(app): State<App>,
    user: ApiUser,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        transparency::verify_and_record(&app, &user.actor()).await?,
    ))
}
