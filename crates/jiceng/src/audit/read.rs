//! The audit wing, reading: the log's entries within the auditor's reach, one entry.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit::deny;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::store::entities::audit_entry;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditView {
    pub seq: i64,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub state_digest: Option<String>,
    pub reason: String,
}

impl From<audit_entry::Model> for AuditView {
    fn from(m: audit_entry::Model) -> Self {
        Self {
            seq: m.seq,
            time: m.time,
            actor: m.actor,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            state_digest: m.state_digest,
            reason: m.reason,
        }
    }
}

/// The audit log, newest first. Auditors and admins only.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    page: PageParams,
) -> AppResult<Page<AuditView>> {
    if !actor.reads_audit_log() {
        return Err(deny(app, actor, "audit.list", "audit_log", "").await);
    }
    let mut q = audit_entry::Entity::find();
    let non_empty = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(a) = non_empty(&filter.actor) {
        q = q.filter(audit_entry::Column::Actor.eq(a));
    }
    if let Some(a) = non_empty(&filter.action) {
        q = q.filter(audit_entry::Column::Action.eq(a));
    }
    if let Some(a) = non_empty(&filter.entity_type) {
        q = q.filter(audit_entry::Column::EntityType.eq(a));
    }
    if let Some(a) = non_empty(&filter.entity_id) {
        q = q.filter(audit_entry::Column::EntityId.eq(a));
    }
    if let Some(t) = filter.from {
        q = q.filter(audit_entry::Column::Time.gte(t));
    }
    if let Some(t) = filter.to {
        q = q.filter(audit_entry::Column::Time.lt(t));
    }
    let q = q.order_by_desc(audit_entry::Column::Seq);
    crate::kernel::paging::paginate(&app.db.conn, q, page, |m| Ok(AuditView::from(m))).await
}

/// One audit entry by its sequence number. Auditors and admins only.
pub async fn get(app: &App, actor: &Actor, seq: i64) -> AppResult<AuditView> {
    if !actor.reads_audit_log() {
        return Err(deny(app, actor, "audit.read", "audit_log", &seq.to_string()).await);
    }
    audit_entry::Entity::find_by_id(seq)
        .one(&app.db.conn)
        .await?
        .map(AuditView::from)
        .ok_or_else(|| AppError::new(Code::AuditNotFound, "没有这条审计记录"))
}
