//! Audit pages: the log, its verification, checkpoints, one entry.

use crate::audit::read::AuditFilter;
use crate::audit::transparency;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::web::Chrome;
use crate::web::PageResult;
use crate::web::Pager;
use crate::web::WebUser;
use crate::web::form_csrf;
use crate::web::page_chrome;
use crate::web::pager;
use crate::web::render;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use jiceng_core::clock::format_local;
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/audit/verify", axum::routing::post(audit_verify))
        .route("/audit/checkpoints", get(checkpoints_page))
        .route("/audit/entries/{seq}", get(audit_entry_page))
}

// ---------------------------------------------------------------------------------------------
// Audit

pub struct AuditRow {
    seq: i64,
    time: String,
    actor: String,
    action: String,
    entity: String,
    digest: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    pub(crate) chrome: Chrome,
    pub(crate) page: Page<crate::audit::read::AuditView>,
    pub(crate) rows: Vec<AuditRow>,
    pub(crate) pager: Pager,
    pub(crate) filter_actor: String,
    pub(crate) filter_action: String,
    pub(crate) filter_entity_type: String,
    pub(crate) log_size: u64,
    pub(crate) checkpoint: Option<transparency::CheckpointView>,
    pub(crate) cp_time: String,
    pub(crate) vkey: String,
    pub(crate) last_verify: Option<String>,
}

pub(crate) async fn audit_page(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<AuditFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let page = crate::audit::read::list(&app, &user.actor(), &f, p)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let rows = page
        .items
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            time: format_local(e.time),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: format!("{} {}", e.entity_type, e.entity_id),
            digest: e
                .state_digest
                .as_deref()
                .map(|d| d[..16].to_string())
                .unwrap_or_default(),
            reason: e.reason.clone(),
        })
        .collect();
    let (a, b, c) = (
        f.actor.unwrap_or_default(),
        f.action.unwrap_or_default(),
        f.entity_type.unwrap_or_default(),
    );
    let fail = |e| user.fail(&app, e);
    let checkpoint = match transparency::latest_checkpoint(&app).await {
        Ok(cp) => Some(cp),
        Err(e) if e.status() == StatusCode::NOT_FOUND => None,
        Err(e) => return Err(fail(e)),
    };
    let last_verify = transparency::last_verification(&app)
        .await
        .map_err(fail)?
        .map(|(t, who, what)| format!("{}，{}：{}", format_local(t), who, what));
    let view = AuditPage {
        log_size: transparency::log_size(&app.db.conn).await.map_err(fail)?,
        cp_time: checkpoint
            .as_ref()
            .map(|c| format_local(c.created_at))
            .unwrap_or_default(),
        checkpoint,
        vkey: transparency::signer(&app)
            .await
            .map_err(fail)?
            .verifier()
            .vkey(),
        last_verify,
        chrome: page_chrome(&app, &user.0, "/audit"),
        pager: pager(&page, &[("actor", &a), ("action", &b), ("entity_type", &c)]),
        page,
        rows,
        filter_actor: a,
        filter_action: b,
        filter_entity_type: c,
    };
    Ok(render(StatusCode::OK, &view))
}

pub(crate) async fn audit_verify(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    transparency::verify_and_record(&app, &user.actor())
        .await
        .map_err(|e| user.fail(&app, e))?;
    Ok(Redirect::to("/audit").into_response())
}

#[derive(Template)]
#[template(path = "audit_checkpoints.html")]
pub(crate) struct CheckpointsPage {
    pub(crate) chrome: Chrome,
    pub(crate) page: Page<transparency::CheckpointView>,
    pub(crate) rows: Vec<(i64, String, String, String)>,
    pub(crate) pager: Pager,
    pub(crate) vkey: String,
}

pub(crate) async fn checkpoints_page(
    State(app): State<App>,
    user: WebUser,
    Query(p): Query<PageParams>,
) -> PageResult {
    if !user.actor().reads_audit_log() {
        return Err(user.fail(
            &app,
            audit::deny(
                &app,
                &user.actor(),
                "audit.checkpoints",
                "audit_checkpoint",
                "",
            )
            .await,
        ));
    }
    let fail = |e| user.fail(&app, e);
    let page = transparency::checkpoint_history(&app, p)
        .await
        .map_err(fail)?;
    let rows = page
        .items
        .iter()
        .map(|c| {
            let witnesses = if c.cosignatures.is_empty() {
                "暂无".to_string()
            } else {
                c.cosignatures
                    .iter()
                    .map(|w| w.witness.clone())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            (
                c.tree_size,
                format_local(c.created_at),
                c.root_hash.clone(),
                witnesses,
            )
        })
        .collect();
    let view = CheckpointsPage {
        chrome: page_chrome(&app, &user.0, "/audit"),
        pager: pager(&page, &[]),
        rows,
        page,
        vkey: transparency::signer(&app)
            .await
            .map_err(fail)?
            .verifier()
            .vkey(),
    };
    Ok(render(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
pub(crate) struct AuditEntryPage {
    pub(crate) chrome: Chrome,
    pub(crate) entry: crate::audit::read::AuditView,
    pub(crate) time: String,
    pub(crate) proof: Option<transparency::InclusionProof>,
    pub(crate) proof_json: String,
    pub(crate) server_check: String,
}

/// One entry with its inclusion proof against the latest checkpoint, checked by the server
/// and again in the browser.
pub(crate) async fn audit_entry_page(
    State(app): State<App>,
    user: WebUser,
    Path(seq): Path<i64>,
) -> PageResult {
    let fail = |e| user.fail(&app, e);
    let entry = crate::audit::read::get(&app, &user.actor(), seq)
        .await
        .map_err(fail)?;
    let checkpoint = match transparency::latest_checkpoint(&app).await {
        Ok(cp) => Some(cp),
        Err(e) if e.status() == StatusCode::NOT_FOUND => None,
        Err(e) => return Err(fail(e)),
    };
    let mut proof = None;
    let mut server_check = String::new();
    if let Some(cp) = checkpoint.filter(|c| c.tree_size >= seq) {
        let p = transparency::inclusion(&app, seq as u64 - 1, Some(cp.tree_size as u64))
            .await
            .map_err(fail)?;
        let key = transparency::signer(&app).await.map_err(fail)?.verifier();
        server_check = match transparency::check_inclusion(&key, &cp.note, &p) {
            Ok(()) => "通过：检查点签名有效，证明路径算出的根哈希与之一致".into(),
            Err(e) => format!("失败：{e}"),
        };
        proof = Some(p);
    }
    let view = AuditEntryPage {
        chrome: page_chrome(&app, &user.0, "/audit"),
        time: format_local(entry.time),
        proof_json: proof
            .as_ref()
            .map(|p| serde_json::to_string(&p.proof).unwrap_or_default())
            .unwrap_or_default(),
        proof,
        entry,
        server_check,
    };
    Ok(render(StatusCode::OK, &view))
}
