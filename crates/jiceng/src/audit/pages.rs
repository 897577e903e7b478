//! Audit pages: the log, its verification, checkpoints, one entry.

use crate::audit::read::AuditFilter;
use crate::audit::transparency;
use crate::error::AppError;
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
        .route("/audit/export.csv", get(audit_export))
        .route("/audit/checkpoints", get(checkpoints_page))
        .route("/audit/entries/{seq}", get(audit_entry_page))
}

// ---------------------------------------------------------------------------------------------
// Audit

pub struct AuditRow {
    seq: i64,
    time: String,
    /// Who, by name (the stored code in `actor_code`).
    actor: String,
    actor_code: String,
    /// What, in words (the stored code in `action_code`).
    action: &'static str,
    action_code: String,
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
    pub(crate) filter_person: String,
    pub(crate) filter_from: String,
    pub(crate) filter_to: String,
    pub(crate) sensitive: bool,
    /// The filters as a query, for the export link.
    pub(crate) query: String,
    pub(crate) log_size: u64,
    pub(crate) checkpoint: Option<transparency::CheckpointView>,
    pub(crate) cp_time: String,
    pub(crate) vkey: String,
    pub(crate) last_verify: Option<String>,
}

impl AuditPage {
    fn entity_label(&self, t: &str) -> &'static str {
        crate::kernel::names::entity_label(t)
    }
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
    let names =
        crate::kernel::names::of_actors(&app.db.conn, page.items.iter().map(|e| e.actor.as_str()))
            .await
            .map_err(|e| user.fail(&app, e))?;
    let rows = page
        .items
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            time: format_local(e.time),
            actor: names.get(&e.actor).cloned().unwrap_or_default(),
            actor_code: e.actor.clone(),
            action: crate::kernel::names::action_label(&e.action),
            action_code: e.action.clone(),
            entity: format!(
                "{} {}",
                crate::kernel::names::entity_label(&e.entity_type),
                e.entity_id
            ),
            digest: e
                .state_digest
                .as_deref()
                .map(|d| d[..16].to_string())
                .unwrap_or_default(),
            reason: e.reason.clone(),
        })
        .collect();
    let (a, b, c) = (
        f.actor.clone().unwrap_or_default(),
        f.action.clone().unwrap_or_default(),
        f.entity_type.clone().unwrap_or_default(),
    );
    let (person, from, to) = (
        f.person.clone().unwrap_or_default(),
        f.from_day.clone().unwrap_or_default(),
        f.to_day.clone().unwrap_or_default(),
    );
    let sensitive = f.sensitive == Some(true);
    let filters = [
        ("actor", a.as_str()),
        ("action", b.as_str()),
        ("entity_type", c.as_str()),
        ("person", person.as_str()),
        ("from_day", from.as_str()),
        ("to_day", to.as_str()),
        ("sensitive", if sensitive { "true" } else { "" }),
    ];
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
        pager: pager(&page, &filters),
        query: pager(&page, &filters).query,
        page,
        rows,
        filter_actor: a.clone(),
        filter_action: b.clone(),
        filter_entity_type: c.clone(),
        filter_person: person.clone(),
        filter_from: from.clone(),
        filter_to: to.clone(),
        sensitive,
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

/// The filtered entries as a CSV file (UTF-8 with a BOM, so that spreadsheet programs read the
/// Chinese), every matching entry, newest first; the export itself is audited.
/// A text cell as a spreadsheet will read it: one that a spreadsheet would take for a formula
/// (`=`, `+`, `-`, `@`, a tab or a return first) is kept as text.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub(crate) async fn audit_export(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<AuditFilter>,
) -> PageResult {
    let actor = user.actor();
    let mut out = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let head = [
        "序号",
        "时间",
        "操作人",
        "操作人编码",
        "动作",
        "动作编码",
        "对象",
        "对象编号",
        "说明",
        "状态摘要",
    ];
    out.write_record(head)
        .map_err(|e| user.fail(&app, AppError::internal(e)))?;
    // The entries as they stand when the export starts, read down from the newest by sequence
    // number (no offsets, nothing counted twice if the log grows meanwhile).
    let mut before: Option<i64> = None;
    let mut total = 0u64;
    loop {
        let rows = crate::audit::read::before(&app, &actor, &f, before, 1000)
            .await
            .map_err(|e| user.fail(&app, e))?;
        let Some(last) = rows.last() else { break };
        before = Some(last.seq);
        let names =
            crate::kernel::names::of_actors(&app.db.conn, rows.iter().map(|e| e.actor.as_str()))
                .await
                .map_err(|e| user.fail(&app, e))?;
        for e in &rows {
            out.write_record([
                e.seq.to_string(),
                format_local(e.time),
                cell(names.get(&e.actor).map(String::as_str).unwrap_or("")),
                cell(&e.actor),
                crate::kernel::names::action_label(&e.action).to_string(),
                cell(&e.action),
                crate::kernel::names::entity_label(&e.entity_type).to_string(),
                cell(&e.entity_id),
                cell(&e.reason),
                e.state_digest.clone().unwrap_or_default(),
            ])
            .map_err(|e| user.fail(&app, AppError::internal(e)))?;
        }
        total += rows.len() as u64;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| user.fail(&app, AppError::internal(anyhow::anyhow!("{e}"))))?;
    crate::kernel::audit::record_alone(
        &app,
        &actor.audit_name(),
        crate::kernel::audit::Event::new("audit.export", "audit_log", "")
            .reason(format!("导出审计记录 {total} 条")),
    )
    .await
    .map_err(|e| user.fail(&app, e))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cell_a_spreadsheet_would_run_is_kept_as_text() {
        assert_eq!(super::cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::cell("+1"), "'+1");
        assert_eq!(super::cell("@SUM"), "'@SUM");
        assert_eq!(super::cell("查看反映人完整电话"), "查看反映人完整电话");
    }
}
