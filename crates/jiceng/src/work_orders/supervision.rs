//! 督办单: written supervision orders. A supervisor or leader issues one through the order's
//! action path ([`crate::work_orders::apply`] with `supervise`), which writes the notice, the
//! timeline, the audit entry and the messages to the unit and its head together. A notice is
//! settled once: met as soon as the unit no longer owes the reply, or missed when its deadline
//! passes first — the escalation scheduler then sends the order up to the leaders (提级督办),
//! exactly once whatever the number of processes.

use crate::error::{AppError, AppResult, Code};
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::notify;
use crate::reference::Loaded;
use crate::store::entities::department;
use crate::store::entities::supervision_notice as notice;
use crate::store::entities::work_order;
use chrono::{DateTime, Utc};
use jiceng_core::sla::Level;
use jiceng_core::supervision::{MAX_DAYS, Status, settle};
use jiceng_core::work_order::Progress;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;

/// What the unit is asked when the supervisor writes nothing.
const DEFAULT_REQUIREMENT: &str = "请于期限内办结，并书面报告办理情况和结果。";

/// Where an order stands, for the deadline rules.
pub(crate) fn progress(m: &work_order::Model) -> Progress {
    Progress {
        state: m.status,
        signed: m.signed_at.is_some(),
        contacted: m.contacted_at.is_some(),
        replied: m.replied_at.is_some(),
    }
}

/// A notice as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    pub id: i64,
    /// 督字〔2026〕第12号
    pub number: String,
    pub order_id: i64,
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub issued_by: String,
    pub issued_by_name: String,
    pub issued_at: DateTime<Utc>,
    /// Working days given.
    pub days: i32,
    pub due_at: DateTime<Utc>,
    /// The deadline and the issue time in Beijing time, as printed.
    pub due_label: String,
    pub issued_label: String,
    pub requirement: String,
    pub status: Status,
    pub status_label: &'static str,
    pub settled_at: Option<DateTime<Utc>>,
    /// The printable page.
    pub url: String,
}

/// Checks the working days asked for.
pub(crate) fn check_days(days: Option<u32>) -> AppResult<u32> {
    days.filter(|d| (1..=MAX_DAYS).contains(d)).ok_or_else(|| {
        AppError::field(
            "days",
            Code::SupervisionBadDays,
            format!("督办期限须为1～{MAX_DAYS}个工作日"),
        )
    })
}

/// Writes a notice for the order (already checked and locked by the action path) and the
/// messages to its lead unit and the unit's head.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue(
    txn: &DatabaseTransaction,
    app: &App,
    reference: &Loaded,
    m: &work_order::Model,
    issued_by: &str,
    days: u32,
    requirement: &str,
    now: DateTime<Utc>,
) -> AppResult<notice::Model> {
    let unit = m.lead_unit_id.ok_or_else(|| {
        AppError::new(
            Code::SupervisionNoUnit,
            "工单还没有主办单位，派单后才能下发督办单",
        )
    })?;
    let due = jiceng_core::calendar::Limit::working_days(days).deadline(&reference.calendar, now);
    let requirement = if requirement.is_empty() {
        DEFAULT_REQUIREMENT.to_string()
    } else {
        requirement.to_string()
    };
    let n = notice::ActiveModel {
        order_id: Set(m.id),
        unit_id: Set(Some(unit)),
        issued_by: Set(issued_by.to_string()),
        issued_at: Set(now),
        days: Set(days as i32),
        due_at: Set(due),
        requirement: Set(requirement.clone()),
        status: Set(Status::Open),
        settled_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let number = jiceng_core::supervision::number(now, n.id);
    let vars = vec![
        ("编号", number),
        ("查询码", m.tracking_code.clone()),
        ("标题", m.title.clone()),
        ("期限", jiceng_core::clock::format_due(due)),
        ("要求", requirement),
    ];
    let messages = [format!("unit:{unit}"), format!("unit:{unit}:head")]
        .into_iter()
        .map(|r| notify::Message::new(r, "work_order.supervision_notice", vars.clone()))
        .collect();
    notify::enqueue_many(txn, app, now, messages).await?;
    Ok(n)
}

/// Settles the order's open notices as met once the unit no longer owes the reply (called by
/// the action path after every action).
pub(crate) async fn settle_if_answered(
    txn: &DatabaseTransaction,
    m: &work_order::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !jiceng_core::work_order::deadline_met(progress(m), jiceng_core::sla::DeadlineKind::Resolve)
    {
        return Ok(());
    }
    notice::Entity::update_many()
        .col_expr(notice::Column::Status, Expr::value(Status::Met.code()))
        .col_expr(notice::Column::SettledAt, Expr::value(now))
        .filter(notice::Column::OrderId.eq(m.id))
        .filter(notice::Column::Status.eq(Status::Open.code()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Notices one sweep settles at most; the scheduler sweeps again at once while full.
pub const SWEEP_BATCH: usize = 100;

/// Settles every open notice whose deadline has passed: met if the unit answered in time,
/// otherwise missed — the order goes up to 督办 level and the leaders and the unit's head hear
/// of it. Returns the number of notices settled.
pub async fn sweep(app: &App) -> AppResult<usize> {
    let now = app.now();
    let due: Vec<(i64, i64)> = notice::Entity::find()
        .select_only()
        .column(notice::Column::OrderId)
        .column(notice::Column::Id)
        .filter(notice::Column::Status.eq(Status::Open.code()))
        .filter(notice::Column::DueAt.lte(now))
        .order_by_asc(notice::Column::OrderId)
        .order_by_asc(notice::Column::Id)
        .limit(SWEEP_BATCH as u64)
        .into_tuple()
        .all(&app.db.conn)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let names: std::collections::HashMap<i64, String> = department::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let txn = app.db.begin_write().await?;
    let mut settled = 0;
    let mut messages = Vec::new();
    let mut audits = Vec::new();
    for (order_id, id) in due {
        // The order first, as the action path locks it, so that locks never cross.
        let Some(m) = work_order::Entity::find_by_id(order_id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            continue;
        };
        let Some(n) = notice::Entity::find_by_id(id).one(&txn).await? else {
            continue;
        };
        if n.status != Status::Open {
            continue;
        }
        let status = settle(progress(&m), n.due_at, now);
        if status == Status::Open {
            continue;
        }
        let taken = notice::Entity::update_many()
            .col_expr(notice::Column::Status, Expr::value(status.code()))
            .col_expr(notice::Column::SettledAt, Expr::value(now))
            .filter(notice::Column::Id.eq(id))
            .filter(notice::Column::Status.eq(Status::Open.code()))
            .exec(&txn)
            .await?
            .rows_affected;
        if taken == 0 {
            continue;
        }
        settled += 1;
        if status != Status::Missed {
            continue;
        }
        let number = jiceng_core::supervision::number(n.issued_at, n.id);
        let unit = n
            .unit_id
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default();
        let what = format!("{number}逾期未办结，已提级督办");
        crate::work_orders::model::event(
            &txn,
            m.id,
            now,
            "system:escalation",
            jiceng_core::work_order::SUPERVISION_MISSED,
            m.status.code(),
            m.status.code(),
            &what,
        )
        .await?;
        let vars = vec![
            ("编号", number),
            ("单位", unit),
            ("期限", jiceng_core::clock::format_due(n.due_at)),
            ("查询码", m.tracking_code.clone()),
            ("标题", m.title.clone()),
        ];
        let mut to = vec!["role:leader".to_string()];
        to.extend(n.unit_id.map(|u| format!("unit:{u}:head")));
        messages.extend(
            to.into_iter()
                .map(|r| notify::Message::new(r, "work_order.supervision_missed", vars.clone())),
        );
        audits.push((
            "system:escalation".to_string(),
            Event::new(
                "work_order.supervision_missed",
                "work_order",
                m.id.to_string(),
            )
            .reason(what),
        ));
        if m.escalation < Level::Supervised {
            let before = m.clone();
            let mut am: work_order::ActiveModel = m.into();
            am.escalation = Set(Level::Supervised);
            let after = am.update(&txn).await?;
            crate::work_orders::rollups::moved(&txn, Some(&before), &after).await?;
        }
    }
    notify::enqueue_many(&txn, app, now, messages).await?;
    audit::record_batch(&txn, now, audits).await?;
    txn.commit().await?;
    Ok(settled)
}

/// Views of some notices, with the names of their units and issuers.
async fn views<C: ConnectionTrait>(db: &C, rows: Vec<notice::Model>) -> AppResult<Vec<NoticeView>> {
    let units: std::collections::HashMap<i64, String> = department::Entity::find()
        .filter(department::Column::Id.is_in(rows.iter().filter_map(|n| n.unit_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let people =
        crate::kernel::names::of_actors(db, rows.iter().map(|n| n.issued_by.as_str())).await?;
    Ok(rows
        .into_iter()
        .map(|n| NoticeView {
            number: jiceng_core::supervision::number(n.issued_at, n.id),
            unit_name: n
                .unit_id
                .and_then(|u| units.get(&u).cloned())
                .unwrap_or_default(),
            issued_by_name: people.get(&n.issued_by).cloned().unwrap_or_default(),
            url: format!("/supervision-notices/{}", n.id),
            due_label: jiceng_core::clock::format_due(n.due_at),
            issued_label: jiceng_core::clock::format_local(n.issued_at),
            status_label: n.status.label(),
            id: n.id,
            order_id: n.order_id,
            unit_id: n.unit_id,
            issued_by: n.issued_by,
            issued_at: n.issued_at,
            days: n.days,
            due_at: n.due_at,
            requirement: n.requirement,
            status: n.status,
            settled_at: n.settled_at,
        })
        .collect())
}

/// The order's notices, the first issued first.
pub(crate) async fn of_order<C: ConnectionTrait>(
    db: &C,
    order_id: i64,
) -> AppResult<Vec<NoticeView>> {
    let rows = notice::Entity::find()
        .filter(notice::Column::OrderId.eq(order_id))
        .order_by_asc(notice::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// One notice and its order, for someone who sees the order (another reads as missing).
pub async fn get(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<(NoticeView, crate::work_orders::OrderView)> {
    let missing = || AppError::new(Code::SupervisionNotFound, "督办单不存在");
    let n = notice::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(missing)?;
    let m = crate::work_orders::read::seen_by(app, actor, n.order_id, "supervision_notice.read")
        .await
        .map_err(|e| {
            if e.code == Code::WorkOrderNotFound {
                missing()
            } else {
                e
            }
        })?;
    let order = crate::work_orders::read::view(&app.db.conn, app, &m, false, Some(actor)).await?;
    let notice = views(&app.db.conn, vec![n])
        .await?
        .pop()
        .ok_or_else(missing)?;
    Ok((notice, order))
}

/// The week's 通报 draft for a supervisor or leader, over the orders the account sees.
pub async fn bulletin(
    app: &App,
    actor: &Actor,
) -> AppResult<(jiceng_core::supervision::Week, String)> {
    use jiceng_core::supervision::{UnitWeek, Week, bulletin_text, week_of};
    use sea_orm::PaginatorTrait;
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    if !jiceng_core::work_order::role_may(u.role, jiceng_core::work_order::Action::Supervise) {
        return Err(audit::deny(app, actor, "supervision.bulletin", "supervision", "").await);
    }
    let now = app.now();
    let (start, monday, sunday) = week_of(now);
    let scoped = || {
        let q = work_order::Entity::find();
        match crate::work_orders::read::scope_condition(actor) {
            Some(scope) => q.filter(scope),
            None => q,
        }
    };
    let received = scoped()
        .filter(work_order::Column::CreatedAt.gte(start))
        .count(&app.db.conn)
        .await?;
    let closed = scoped()
        .filter(work_order::Column::ClosedAt.gte(start))
        .filter(work_order::Column::Status.eq(jiceng_core::work_order::State::Closed.code()))
        .count(&app.db.conn)
        .await?;
    let mut units: Vec<UnitWeek> =
        crate::work_orders::escalation::overdue_by_unit(app, Some(actor))
            .await?
            .into_iter()
            .map(|o| UnitWeek {
                unit: o.name,
                red: o.red,
                supervised: o.supervised,
                ..Default::default()
            })
            .collect();
    let in_scope =
        sea_orm::QueryTrait::into_query(scoped().select_only().column(work_order::Column::Id));
    let notices = notice::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(notice::Column::IssuedAt.gte(start))
                .add(notice::Column::SettledAt.gte(start)),
        )
        .filter(notice::Column::OrderId.in_subquery(in_scope))
        .all(&app.db.conn)
        .await?;
    let names: std::collections::HashMap<i64, String> = department::Entity::find()
        .filter(department::Column::Id.is_in(notices.iter().filter_map(|n| n.unit_id)))
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    for n in &notices {
        let name = n
            .unit_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "未派单".into());
        let i = match units.iter().position(|x| x.unit == name) {
            Some(i) => i,
            None => {
                units.push(UnitWeek {
                    unit: name,
                    ..Default::default()
                });
                units.len() - 1
            }
        };
        // Issued this week; missed this week (whenever issued).
        if n.issued_at >= start {
            units[i].notices += 1;
        }
        if n.status == Status::Missed && n.settled_at.is_some_and(|t| t >= start) {
            units[i].missed += 1;
        }
    }
    let week = Week {
        received,
        closed,
        units,
    };
    let county = crate::org::locate::of(app).snapshot().county_name();
    let text = bulletin_text(&county, monday, sunday, &week);
    Ok((week, text))
}
