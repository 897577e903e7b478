//! 督查督办: the escalation scheduler. Each step (yellow at 80%, red at 100%, 督办 at 150% of a
//! deadline by default) happens exactly once per order and deadline: the step's row in
//! `escalation_steps`, keyed by (order, deadline, level), is written in the same transaction as
//! its effects, so a crash or a second server process cannot repeat it.

use crate::error::AppResult;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::notify;
use crate::reference::Loaded;
use crate::store::entities::escalation_step;
use crate::store::entities::order_event;
use crate::store::entities::work_order;
use chrono::{DateTime, Utc};
use jiceng_core::sla::{DeadlineKind, Level, due_steps, next_step_at};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Whether a deadline has been met (or no longer applies) in the order's current state.
fn met(m: &work_order::Model, kind: DeadlineKind) -> bool {
    jiceng_core::work_order::deadline_met(crate::work_orders::supervision::progress(m), kind)
}

/// When each deadline of the order started running.
fn start_of(m: &work_order::Model, start: DateTime<Utc>) -> impl Fn(DeadlineKind) -> DateTime<Utc> {
    let resolve = m.resolve_started_at.unwrap_or(start);
    move |k| {
        if k == DeadlineKind::Resolve {
            resolve
        } else {
            start
        }
    }
}

/// Recomputes when the order's next escalation step falls due.
pub async fn reschedule(
    txn: &DatabaseTransaction,
    reference: &Loaded,
    m: work_order::Model,
    now: DateTime<Utc>,
) -> AppResult<work_order::Model> {
    let next = match (m.dispatched_at, crate::work_orders::model::deadlines_of(&m)) {
        (Some(start), Some(d)) => {
            let policy = reference.policy(&m.category_code, m.priority);
            // Steps already due but not yet taken are due now.
            let pending = due_steps(start_of(&m, start), &d, &policy.thresholds, now, |k| {
                met(&m, k)
            });
            let done = escalation_step::Entity::find()
                .filter(escalation_step::Column::OrderId.eq(m.id))
                .all(txn)
                .await?;
            let untaken = pending.iter().any(|s| {
                !done
                    .iter()
                    .any(|x| x.kind == s.kind.code() && x.level == s.level.code())
            });
            if untaken {
                Some(now)
            } else {
                next_step_at(start_of(&m, start), &d, &policy.thresholds, now, |k| {
                    met(&m, k)
                })
            }
        }
        _ => None,
    };
    if next == m.next_escalation_at {
        return Ok(m);
    }
    let mut am: work_order::ActiveModel = m.into();
    am.next_escalation_at = Set(next);
    Ok(am.update(txn).await?)
}

pub async fn forget_steps(txn: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
    escalation_step::Entity::delete_many()
        .filter(escalation_step::Column::OrderId.eq(order_id))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn forget_kind(
    txn: &DatabaseTransaction,
    order_id: i64,
    kind: DeadlineKind,
) -> AppResult<()> {
    escalation_step::Entity::delete_many()
        .filter(escalation_step::Column::OrderId.eq(order_id))
        .filter(escalation_step::Column::Kind.eq(kind.code()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Who hears of a step: the lead unit; at red also its head; at 督办 the supervision office.
fn recipients(m: &work_order::Model, level: Level) -> Vec<String> {
    let unit = m
        .lead_unit_id
        .map(|u| format!("unit:{u}"))
        .unwrap_or_default();
    match level {
        Level::None => Vec::new(),
        Level::Yellow => vec![unit],
        Level::Red => vec![unit.clone(), format!("{unit}:head")],
        Level::Supervised => vec![unit, "office:supervision".into()],
    }
}

/// Takes every escalation step due by now, once. Returns the number of steps taken.
pub async fn sweep(app: &App) -> AppResult<usize> {
    let now = app.now();
    let reference = crate::reference::of(app).get();
    // Every process takes the due orders in the same order, so row locks never cross.
    let due: Vec<i64> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::Id)
        .filter(work_order::Column::NextEscalationAt.lte(now))
        .order_by_asc(work_order::Column::NextEscalationAt)
        .order_by_asc(work_order::Column::Id)
        .limit(SWEEP_BATCH as u64)
        .into_tuple()
        .all(&app.db.conn)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // One transaction per tick: one commit (and fsync) for many steps, and a short hold on
    // the write lock, so that intake is not kept waiting.
    let mut taken = 0;
    let mut out = Taken::default();
    let txn = app.db.begin_write().await?;
    for id in &due {
        taken += escalate_one(&txn, &reference, now, *id, &mut out).await?;
    }
    // What the steps cause, written together: timelines, notifications, audit entries.
    crate::store::bulk::insert_models::<order_event::Entity, _>(&txn, &out.events, "").await?;
    notify::enqueue_many(&txn, app, now, out.messages).await?;
    audit::record_batch(&txn, now, out.audits).await?;
    txn.commit().await?;
    Ok(taken)
}

/// What the steps of one tick cause.
#[derive(Default)]
struct Taken {
    events: Vec<order_event::Model>,
    messages: Vec<notify::Message>,
    audits: Vec<(String, Event<'static>)>,
}

/// Orders one sweep (one tick) takes at most; the scheduler ticks again at once while full.
pub const SWEEP_BATCH: usize = 100;

/// Takes the due steps of one order inside `txn`; returns how many.
async fn escalate_one(
    txn: &DatabaseTransaction,
    reference: &Loaded,
    now: DateTime<Utc>,
    id: i64,
    out: &mut Taken,
) -> AppResult<usize> {
    let Some(m) = work_order::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok(0);
    };
    let (Some(start), Some(d)) = (m.dispatched_at, crate::work_orders::model::deadlines_of(&m))
    else {
        reschedule(txn, reference, m, now).await?;
        return Ok(0);
    };
    let mut taken = 0;
    let policy = reference.policy(&m.category_code, m.priority);
    let mut level = m.escalation;
    for step in due_steps(start_of(&m, start), &d, &policy.thresholds, now, |k| {
        met(&m, k)
    }) {
        let inserted = escalation_step::Entity::insert(escalation_step::ActiveModel {
            order_id: Set(m.id),
            kind: Set(step.kind.code().into()),
            level: Set(step.level.code().into()),
            due_at: Set(step.at),
            done_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                escalation_step::Column::OrderId,
                escalation_step::Column::Kind,
                escalation_step::Column::Level,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if inserted == 0 {
            continue;
        }
        taken += 1;
        level = level.max(step.level);
        let what = format!(
            "{}：{}期限 {}",
            step.level.label(),
            step.kind.label(),
            jiceng_core::clock::format_local(d.get(step.kind))
        );
        out.events.push(crate::work_orders::model::event_model(
            m.id,
            now,
            "system:escalation",
            &jiceng_core::work_order::escalation_code(step.level),
            m.status.code(),
            m.status.code(),
            &what,
        ));
        let event = match step.level {
            Level::Yellow => "work_order.yellow",
            Level::Red => "work_order.red",
            _ => "work_order.supervised",
        };
        out.messages
            .extend(recipients(&m, step.level).into_iter().map(|r| {
                notify::Message::new(
                    r,
                    event,
                    vec![
                        ("查询码", m.tracking_code.clone()),
                        ("标题", m.title.clone()),
                        ("提示", what.clone()),
                    ],
                )
            }));
        let ev = Event::new("work_order.escalate", "work_order", m.id.to_string()).reason(format!(
            "{}:{}",
            step.kind.code(),
            step.level.code()
        ));
        out.audits.push(("system:escalation".into(), ev));
    }
    // Every step due by now is taken (here or before): the next one is in the future.
    let next = next_step_at(start_of(&m, start), &d, &policy.thresholds, now, |k| {
        met(&m, k)
    });
    if level != m.escalation || next != m.next_escalation_at {
        let before = m.clone();
        let mut am: work_order::ActiveModel = m.into();
        am.escalation = Set(level);
        am.next_escalation_at = Set(next);
        let after = am.update(txn).await?;
        crate::work_orders::rollups::moved(txn, Some(&before), &after).await?;
    }
    Ok(taken)
}

/// Runs the sweep every `escalation_interval_ms`, and at once when the fake clock moves.
pub async fn run_scheduler(app: App, mut shutdown: crate::kernel::jobs::Shutdown) {
    let every = std::time::Duration::from_millis(app.config.escalation_interval_ms);
    while crate::kernel::jobs::wait(&mut shutdown, every, Some(&app.clock_moved)).await {
        let tick =
            crate::kernel::jobs::with_lease(&app, "escalation_scheduler", || scheduler_tick(&app));
        if let Err(e) = tick.await {
            tracing::warn!(error = %e, "escalation lease failed");
        }
    }
}

/// One tick of the scheduler: every due escalation step, every 督办单 past its deadline, then
/// the daily report.
#[tracing::instrument(skip_all, name = "job.escalation_scheduler")]
async fn scheduler_tick(app: &App) {
    // Deadlines read the calendar: take in a change made through another node first.
    if let Err(e) = crate::reference::of(app).refresh(&app.db).await {
        tracing::warn!(error = %e, "reference data not refreshed");
    }
    loop {
        match sweep(app).await {
            Ok(n) if n >= SWEEP_BATCH => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "escalation sweep failed");
                break;
            }
        }
    }
    loop {
        match crate::work_orders::supervision::sweep(app).await {
            Ok(n) if n >= crate::work_orders::supervision::SWEEP_BATCH => continue,
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, "supervision notice sweep failed");
                break;
            }
        }
    }
    if let Err(e) = daily_report(app).await {
        tracing::warn!(error = %e, "daily overdue report failed");
    }
}

/// One lead unit's late orders: those past their deadline (红牌) and those under supervision.
#[derive(Debug, Clone)]
pub struct UnitOverdue {
    /// `None` for orders not yet dispatched.
    pub unit_id: Option<i64>,
    pub name: String,
    pub red: u64,
    pub supervised: u64,
}

/// Overdue open orders (red or 督办) per lead unit, the most first.
pub async fn overdue_by_unit(
    app: &App,
    actor: Option<&crate::kernel::actor::Actor>,
) -> AppResult<Vec<UnitOverdue>> {
    use crate::store::entities::department;
    let mut q = work_order::Entity::find()
        .filter(work_order::Column::Escalation.is_in(["red", "supervised"]));
    if let Some(scope) = actor.and_then(crate::work_orders::read::scope_condition) {
        q = q.filter(scope);
    }
    let orders = q.all(&app.db.conn).await?;
    let names: std::collections::HashMap<i64, String> = department::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut by: std::collections::BTreeMap<Option<i64>, (u64, u64)> =
        std::collections::BTreeMap::new();
    for o in orders.iter().filter(|o| !o.status.is_final()) {
        let e = by.entry(o.lead_unit_id).or_default();
        if o.escalation == Level::Supervised {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    let mut out: Vec<UnitOverdue> = by
        .into_iter()
        .map(|(unit_id, (red, supervised))| UnitOverdue {
            name: unit_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| "未派单".into()),
            unit_id,
            red,
            supervised,
        })
        .collect();
    out.sort_by(|a, b| {
        (b.red + b.supervised)
            .cmp(&(a.red + a.supervised))
            .then(a.name.cmp(&b.name))
    });
    Ok(out)
}

/// The daily overdue list (通报) for leaders: once a day from 08:00 Beijing time, exactly once
/// however many processes run (the day's row in `daily_reports` is the key).
pub async fn daily_report(app: &App) -> AppResult<bool> {
    use crate::store::entities::daily_report;
    let now = app.now();
    let local = now.with_timezone(&jiceng_core::clock::china_offset());
    if chrono::Timelike::hour(&local) < 8 {
        return Ok(false);
    }
    let day = local.format("%Y-%m-%d").to_string();
    let rows = overdue_by_unit(app, None).await?;
    let txn = app.db.begin_write().await?;
    let inserted = daily_report::Entity::insert(daily_report::ActiveModel {
        day: Set(day.clone()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(daily_report::Column::Day)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    let content = if rows.is_empty() {
        "全县没有超期工单。".to_string()
    } else {
        let lines: Vec<String> = rows
            .iter()
            .map(|u| format!("{}：超期{}件，督办{}件", u.name, u.red, u.supervised))
            .collect();
        lines.join("；")
    };
    let msg = notify::Message::new(
        "role:leader",
        "work_order.daily_overdue",
        vec![("日期", day.to_string()), ("内容", content.clone())],
    );
    notify::enqueue_many(&txn, app, now, vec![msg]).await?;
    audit::record(
        &txn,
        now,
        "system:escalation",
        Event::new("work_order.daily_report", "daily_report", day).reason(content),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
