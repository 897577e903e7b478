//! 办不成事 desk: an application or a work order that failed — refused, stuck between units,
//! or outside every list — is raised to a desk with its own queue, an owner and a deadline.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::notify;
use crate::store::entities::application;
use crate::store::entities::desk_case;
use crate::store::entities::user;
use crate::store::entities::work_order;
use chrono::{DateTime, Utc};
use jiceng_core::calendar::Limit;
use jiceng_core::rating::DeskStatus;
use sea_orm::ActiveValue::Set;
use sea_orm::QuerySelect;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// Working days the desk has to settle a case.
pub const DESK_DAYS: u32 = 5;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RaiseInput {
    /// `application`, `work_order` or `other`.
    pub subject_kind: String,
    /// The tracking code (empty for `other`).
    pub subject_code: String,
    pub summary: String,
    /// The owner's username; the one who raises it when empty.
    pub owner: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeskView {
    pub id: i64,
    pub subject_kind: String,
    pub subject_label: &'static str,
    pub subject_code: String,
    pub summary: String,
    pub raised_by: String,
    pub owner: String,
    pub deadline: DateTime<Utc>,
    pub status: String,
    pub status_label: &'static str,
    pub resolution: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

fn view(m: desk_case::Model, now: DateTime<Utc>) -> DeskView {
    DeskView {
        id: m.id,
        subject_label: match m.subject_kind.as_str() {
            "application" => "办件",
            "work_order" => "工单",
            _ => "其他",
        },
        status_label: m.status.label(),
        overdue: m.status == DeskStatus::Open && m.deadline < now,
        subject_kind: m.subject_kind,
        subject_code: m.subject_code,
        summary: m.summary,
        raised_by: m.raised_by,
        owner: m.owner,
        deadline: m.deadline,
        status: m.status.code().to_string(),
        resolution: m.resolution,
        created_at: m.created_at,
        resolved_at: m.resolved_at,
    }
}

fn staff(actor: &Actor) -> AppResult<()> {
    match actor.role() {
        Some(jiceng_core::Role::GridWorker) => Err(AppError::forbidden()),
        _ => Ok(()),
    }
}

/// Raises a case to the desk (any staff member but grid workers).
pub async fn raise(app: &App, actor: &Actor, input: RaiseInput) -> AppResult<DeskView> {
    staff(actor)?;
    let mut errors = Vec::new();
    let code = input.subject_code.trim().to_uppercase();
    let kind = input.subject_kind.trim();
    // The case belongs where its subject does; a subject the actor may not see reads as
    // unknown.
    let region = match kind {
        "application" => match application::Entity::find()
            .filter(application::Column::Code.eq(code.clone()))
            .one(&app.db.conn)
            .await?
        {
            Some(m) if crate::hall::applications::read::visible(app, actor, &m).await? => {
                Some(m.region_code)
            }
            _ => None,
        },
        "work_order" => match work_order::Entity::find()
            .filter(work_order::Column::TrackingCode.eq(code.clone()))
            .one(&app.db.conn)
            .await?
        {
            Some(m) if crate::work_orders::read::visible(&app.db.conn, actor, &m).await? => {
                Some(crate::work_orders::read::region_of(app, &m))
            }
            _ => None,
        },
        "other" => code.is_empty().then(|| match actor.jurisdiction() {
            Some(j) => j.region.to_string(),
            None => crate::org::locate::of(app)
                .snapshot()
                .first_county()
                .unwrap_or_default(),
        }),
        _ => {
            errors.push(FieldError {
                field: "subject_kind".into(),
                message: "反映对象应为办件、工单或其他".into(),
            });
            Some(String::new())
        }
    };
    let known = region.is_some();
    if !known {
        errors.push(FieldError {
            field: "subject_code".into(),
            message: "没有这个办件或工单编号".into(),
        });
    }
    let summary = input.summary.trim().to_string();
    if summary.is_empty() || summary.chars().count() > 1000 {
        errors.push(FieldError {
            field: "summary".into(),
            message: "请写明办不成的情况（不超过1000字）".into(),
        });
    }
    let owner = match input.owner.trim() {
        "" => match actor {
            Actor::User(u) => u.username.clone(),
            Actor::System(s) => s.to_string(),
        },
        o => o.to_string(),
    };
    // An owner is an active account of the actor's area, or one above the case (a township
    // hands a case up to the county's desk); any other reads as unknown.
    let case_region = region
        .as_deref()
        .and_then(|r| jiceng_core::RegionCode::parse(r).ok());
    if !input.owner.trim().is_empty()
        && !user::Entity::find()
            .filter(user::Column::Username.eq(owner.clone()))
            .filter(user::Column::Active.eq(true))
            .one(&app.db.conn)
            .await?
            .and_then(|u| jiceng_core::RegionCode::parse(&u.region_code).ok())
            .is_some_and(|r| {
                actor.covers_region(&r) || case_region.as_ref().is_some_and(|c| r.contains(c))
            })
    {
        errors.push(FieldError {
            field: "owner".into(),
            message: format!("没有账号 {owner}"),
        });
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(
            Code::DeskInvalid,
            errors[0].message.clone(),
            errors,
        ));
    }
    let now = app.now();
    let deadline =
        Limit::working_days(DESK_DAYS).deadline(&crate::reference::of(app).get().calendar, now);
    let txn = app.db.begin_write().await?;
    let m = desk_case::ActiveModel {
        subject_kind: Set(kind.into()),
        subject_code: Set(code.clone()),
        summary: Set(summary.clone()),
        raised_by: Set(actor.audit_name()),
        owner: Set(owner.clone()),
        deadline: Set(deadline),
        status: Set(DeskStatus::Open),
        resolution: Set(String::new()),
        created_at: Set(now),
        resolved_at: Set(None),
        region_code: Set(region.unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("desk.raise", "desk_case", m.id.to_string()).reason(summary.clone()),
    )
    .await?;
    notify::enqueue_many(
        &txn,
        app,
        now,
        vec![notify::Message::new(
            format!("user:{owner}"),
            "desk.raised",
            vec![
                (
                    "对象",
                    if code.is_empty() {
                        "其他".into()
                    } else {
                        code
                    },
                ),
                ("摘要", summary),
                ("期限", jiceng_core::application::due_day(deadline)),
            ],
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(view(m, now))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeskFilter {
    pub status: Option<String>,
}

pub async fn list(
    app: &App,
    actor: &Actor,
    f: &DeskFilter,
    page: PageParams,
) -> AppResult<Page<DeskView>> {
    staff(actor)?;
    let mut q = desk_case::Entity::find();
    if let Some(mine) = scope(actor) {
        q = q.filter(mine);
    }
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(desk_case::Column::Status.eq(s));
    }
    let now = app.now();
    crate::kernel::paging::paginate(
        &app.db.conn,
        q.order_by_asc(desk_case::Column::Status)
            .order_by_asc(desk_case::Column::Deadline),
        page,
        |m| Ok(view(m, now)),
    )
    .await
}

/// The cases an actor sees: those of its region subtree (a functional unit's staff: none by
/// place), and those it raised or owns. `None` for the system.
fn scope(actor: &Actor) -> Option<sea_orm::Condition> {
    let Actor::User(u) = actor else { return None };
    let mut c = sea_orm::Condition::any()
        .add(desk_case::Column::Owner.eq(u.username.clone()))
        .add(desk_case::Column::RaisedBy.eq(actor.audit_name()));
    if let Some(p) = u.jurisdiction.work_like_pattern() {
        c = c.add(desk_case::Column::RegionCode.like(p));
    }
    Some(c)
}

/// Settles a case: its owner, or the county's administrators and supervisors.
pub async fn resolve(app: &App, actor: &Actor, id: i64, resolution: &str) -> AppResult<DeskView> {
    let now = app.now();
    let txn = app.db.begin_write().await?;
    // Locked for this transaction, so that two resolutions never both see it open.
    let mut q = desk_case::Entity::find_by_id(id);
    if let Some(mine) = scope(actor) {
        q = q.filter(mine);
    }
    // A case outside the actor's view reads as missing.
    let m = q
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(Code::DeskNotFound, "没有这个事项"))?;
    let mine = match actor {
        Actor::User(u) => u.username == m.owner || actor.oversees_deployment(),
        Actor::System(_) => true,
    };
    if !mine {
        txn.rollback().await?;
        return Err(audit::deny(app, actor, "desk.resolve", "desk_case", &id.to_string()).await);
    }
    if m.status != DeskStatus::Open {
        return Err(AppError::new(Code::DeskBadState, "该事项已办结"));
    }
    let resolution = resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 1000 {
        return Err(AppError::field(
            "resolution",
            Code::DeskBadResolution,
            "请写明办理结果（不超过1000字）",
        ));
    }
    let mut am: desk_case::ActiveModel = m.into();
    am.status = Set(DeskStatus::Resolved);
    am.resolution = Set(resolution.into());
    am.resolved_at = Set(Some(now));
    let m = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("desk.resolve", "desk_case", id.to_string()).reason(resolution),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m, now))
}
