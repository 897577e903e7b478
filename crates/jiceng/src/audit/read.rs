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
    /// A person, by a part of their name or user name.
    pub person: Option<String>,
    /// Only sensitive access: numbers revealed, refusals, lock-outs, exports.
    pub sensitive: Option<bool>,
    /// From this day on (Beijing time, `YYYY-MM-DD`).
    pub from_day: Option<String>,
    /// Up to and including this day.
    pub to_day: Option<String>,
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
    let q = filtered(app, filter).await?;
    let q = q.order_by_desc(audit_entry::Column::Seq);
    crate::kernel::paging::paginate(&app.db.conn, q, page, |m| Ok(AuditView::from(m))).await
}

/// The filtered entries older than `before` (all when `None`), newest first, at most `limit`:
/// for reading the whole filtered log without offsets. Auditors and admins only.
pub async fn before(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> AppResult<Vec<AuditView>> {
    use sea_orm::QuerySelect;
    if !actor.reads_audit_log() {
        return Err(deny(app, actor, "audit.export", "audit_log", "").await);
    }
    let mut q = filtered(app, filter).await?;
    if let Some(b) = before {
        q = q.filter(audit_entry::Column::Seq.lt(b));
    }
    Ok(q.order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(AuditView::from)
        .collect())
}

/// The log filtered as asked (person, sensitive access, days, actor, action, object).
async fn filtered(
    app: &App,
    filter: &AuditFilter,
) -> AppResult<sea_orm::Select<audit_entry::Entity>> {
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
    if let Some(p) = non_empty(&filter.person) {
        // The accounts are few: matched here, as text (no LIKE patterns from the caller).
        let who: Vec<String> = crate::store::entities::user::Entity::find()
            .all(&app.db.conn)
            .await?
            .into_iter()
            .filter(|u| u.display_name.contains(p.as_str()) || u.username.contains(p.as_str()))
            .map(|u| format!("user:{}", u.username))
            .collect();
        q = q.filter(audit_entry::Column::Actor.is_in(who));
    }
    if filter.sensitive == Some(true) {
        q = q.filter(audit_entry::Column::Action.is_in(crate::kernel::names::SENSITIVE_ACTIONS));
    }
    let day = |field: &str, d: &Option<String>, next: bool| -> AppResult<Option<DateTime<Utc>>> {
        match d.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => {
                let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    AppError::field(field, Code::AuditBadFilter, "日期格式应为 YYYY-MM-DD")
                })?;
                let d = if next { d.succ_opt().unwrap_or(d) } else { d };
                Ok(d.and_hms_opt(0, 0, 0)
                    .and_then(|t| {
                        t.and_local_timezone(jiceng_core::clock::china_offset())
                            .single()
                    })
                    .map(|t| t.with_timezone(&Utc)))
            }
        }
    };
    if let Some(t) = day("from_day", &filter.from_day, false)? {
        q = q.filter(audit_entry::Column::Time.gte(t));
    }
    if let Some(t) = day("to_day", &filter.to_day, true)? {
        q = q.filter(audit_entry::Column::Time.lt(t));
    }
    if let Some(t) = filter.from {
        q = q.filter(audit_entry::Column::Time.gte(t));
    }
    if let Some(t) = filter.to {
        q = q.filter(audit_entry::Column::Time.lt(t));
    }
    Ok(q)
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
