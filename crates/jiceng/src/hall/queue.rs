//! 排队叫号: tickets per service group, taken at the hall (kiosk) or, for a citizen with an
//! appointment, issued by the window that checked it (a reserved ticket is called first, so
//! nobody may give themselves one); a window calls the next, marks a no-show, or transfers a
//! ticket to another group, which keeps its place. A group belongs to a hall's region, and
//! only that region's clerks and admins work its windows. The hall display shows what was
//! called; wait statistics give the mean and p90 by group and hour.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::queue_group;
use crate::store::entities::queue_ticket;
use crate::store::entities::queue_window_pause;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use jiceng_core::Role;
use jiceng_core::clock::china_offset;
use jiceng_core::queue::TicketStatus;
use jiceng_core::queue::{Wait, WaitStat, ticket_label, wait_stats};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupInput {
    pub code: String,
    pub name: String,
    /// One capital letter, printed before the number.
    pub prefix: String,
    pub windows: Vec<String>,
    /// The region of the hall the group serves; the county's when left out.
    #[serde(default)]
    pub region_code: Option<String>,
    /// The codes of the units whose matters the group handles (the window offers them first
    /// when it serves the group's ticket); none: every matter.
    #[serde(default)]
    pub units: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub code: String,
    pub name: String,
    pub prefix: String,
    pub windows: Vec<String>,
    pub region_code: String,
    /// The units whose matters the group handles (codes).
    pub units: Vec<String>,
    pub waiting: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: i64,
    pub label: String,
    pub group_code: String,
    pub group_name: String,
    pub status: String,
    pub status_label: &'static str,
    pub reserved: bool,
    pub window: String,
    pub issued_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub transferred_from: String,
    /// Tickets of the group waiting before this one.
    pub ahead: u64,
}

fn today(now: DateTime<Utc>) -> String {
    now.with_timezone(&china_offset())
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

fn windows_of(g: &queue_group::Model) -> Vec<String> {
    g.windows
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Whether the actor works a group's windows: the window clerks of the group's own hall (a
/// township's clerk does not call the county hall's windows, nor the county's a township's),
/// and the admins over its region.
fn staffs(actor: &Actor, g: &queue_group::Model) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => {
            let Ok(region) = jiceng_core::RegionCode::parse(&g.region_code) else {
                return false;
            };
            match u.role {
                Role::WindowClerk => {
                    !u.jurisdiction.assigned_only && u.jurisdiction.region == region
                }
                Role::Admin => u.jurisdiction.covers_work_in(&region),
                _ => false,
            }
        }
    }
}

/// The roles that work windows at all (which windows: [`staffs`]).
fn works_windows(actor: &Actor) -> bool {
    matches!(actor.role(), None | Some(Role::WindowClerk | Role::Admin))
}

fn group_view(g: queue_group::Model, waiting: u64) -> GroupView {
    GroupView {
        windows: windows_of(&g),
        units: g
            .units
            .split(',')
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect(),
        code: g.code,
        name: g.name,
        prefix: g.prefix,
        region_code: g.region_code,
        waiting,
    }
}

async fn group(app: &App, code: &str) -> AppResult<queue_group::Model> {
    queue_group::Entity::find_by_id(code.trim().to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::field("group", Code::QueueUnknownGroup, "没有这个业务分组"))
}

/// Declares a service group (administrators).
pub async fn set_group(app: &App, actor: &Actor, g: GroupInput) -> AppResult<GroupView> {
    if !actor.is_deployment_admin() {
        return Err(audit::deny(app, actor, "queue.group", "queue_group", &g.code).await);
    }
    let code = g.code.trim();
    let name = g.name.trim();
    let prefix = g.prefix.trim();
    let windows: Vec<String> = g
        .windows
        .iter()
        .map(|w| w.trim().replace(',', "，"))
        .filter(|w| !w.is_empty())
        .collect();
    if code.is_empty()
        || code.len() > 20
        || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(AppError::field(
            "code",
            Code::QueueBadGroup,
            "分组编码应为1～20位字母、数字或“-”",
        ));
    }
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::field(
            "name",
            Code::QueueBadGroup,
            "请填写1～30个字的分组名称",
        ));
    }
    if prefix.len() != 1 || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AppError::field(
            "prefix",
            Code::QueueBadGroup,
            "号码前缀应为一个大写字母",
        ));
    }
    if windows.is_empty() {
        return Err(AppError::field(
            "windows",
            Code::QueueBadGroup,
            "请至少指定一个服务窗口",
        ));
    }
    let snapshot = crate::org::locate::of(app).snapshot();
    let stored = queue_group::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?;
    let region = match g.region_code.as_deref().map(str::trim) {
        // Left out: the group stays where it is (a new one is the county's).
        None | Some("") => stored
            .map(|s| s.region_code)
            .or_else(|| snapshot.first_county()),
        Some(r) => jiceng_core::RegionCode::parse(r)
            .ok()
            .filter(|c| snapshot.region_name(c.as_str()).is_some())
            .map(|c| c.to_string()),
    }
    .ok_or_else(|| AppError::field("region_code", Code::QueueBadGroup, "分组所属区划不存在"))?;
    // A window belongs to one hall: its name calls and finishes tickets there only.
    let others = queue_group::Entity::find()
        .filter(queue_group::Column::RegionCode.ne(region.clone()))
        .all(&app.db.conn)
        .await?;
    if let Some((w, o)) = windows.iter().find_map(|w| {
        others
            .iter()
            .find(|o| windows_of(o).contains(w))
            .map(|o| (w, o))
    }) {
        return Err(AppError::field(
            "windows",
            Code::QueueBadGroup,
            format!("“{w}”已是另一服务大厅的窗口（{}），请换一个名称", o.name),
        ));
    }
    let mut units: Vec<String> = Vec::new();
    for u in g.units.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        let known = crate::store::entities::department::Entity::find()
            .filter(crate::store::entities::department::Column::Code.eq(u))
            .one(&app.db.conn)
            .await?
            .is_some();
        if !known {
            return Err(AppError::field(
                "units",
                Code::QueueBadGroup,
                format!("单位编码“{u}”不存在"),
            ));
        }
        if !units.iter().any(|x| x == u) {
            units.push(u.to_string());
        }
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    queue_group::Entity::delete_by_id(code.to_string())
        .exec(&txn)
        .await?;
    let m = queue_group::ActiveModel {
        code: Set(code.into()),
        name: Set(name.into()),
        prefix: Set(prefix.into()),
        windows: Set(windows.join(",")),
        region_code: Set(region),
        units: Set(units.join(",")),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("queue.group", "queue_group", code).state(&g),
    )
    .await?;
    txn.commit().await?;
    Ok(group_view(m, 0))
}

/// The groups whose windows the actor works, with how many are waiting today.
pub async fn groups_staffed_by(app: &App, actor: &Actor) -> AppResult<Vec<GroupView>> {
    let mine: std::collections::HashSet<String> = queue_group::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .filter(|g| staffs(actor, g))
        .map(|g| g.code)
        .collect();
    Ok(groups(app)
        .await?
        .into_iter()
        .filter(|g| mine.contains(&g.code))
        .collect())
}

/// Every group with how many are waiting today.
pub async fn groups(app: &App) -> AppResult<Vec<GroupView>> {
    let day = today(app.now());
    let mut out = Vec::new();
    for g in queue_group::Entity::find()
        .order_by_asc(queue_group::Column::Prefix)
        .all(&app.db.conn)
        .await?
    {
        let waiting = queue_ticket::Entity::find()
            .filter(queue_ticket::Column::Day.eq(day.clone()))
            .filter(queue_ticket::Column::GroupCode.eq(g.code.clone()))
            .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting))
            .count(&app.db.conn)
            .await?;
        out.push(group_view(g, waiting));
    }
    Ok(out)
}

async fn ticket_view(app: &App, t: queue_ticket::Model) -> AppResult<TicketView> {
    let g = queue_group::Entity::find_by_id(t.group_code.clone())
        .one(&app.db.conn)
        .await?;
    let ahead = if t.status == TicketStatus::Waiting {
        queue_ticket::Entity::find()
            .filter(queue_ticket::Column::Day.eq(t.day.clone()))
            .filter(queue_ticket::Column::GroupCode.eq(t.group_code.clone()))
            .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting))
            .filter(queue_ticket::Column::IssuedAt.lt(t.issued_at))
            .count(&app.db.conn)
            .await?
    } else {
        0
    };
    Ok(TicketView {
        id: t.id,
        status_label: t.status.label(),
        group_name: g.map(|g| g.name).unwrap_or_default(),
        label: t.label,
        group_code: t.group_code,
        status: t.status.code().to_string(),
        reserved: t.reserved,
        window: t.window,
        issued_at: t.issued_at,
        called_at: t.called_at,
        finished_at: t.finished_at,
        transferred_from: t.transferred_from,
        ahead,
    })
}

/// Takes a ticket: at the hall's kiosk or from a window. A reserved ticket (called before
/// the others) is issued only by the group's own window staff, who have checked the
/// citizen's appointment.
pub async fn issue(
    app: &App,
    actor: Option<&Actor>,
    group_code: &str,
    reserved: bool,
    phone_last4: &str,
) -> AppResult<TicketView> {
    let g = group(app, group_code).await?;
    if reserved && !actor.is_some_and(|a| staffs(a, &g)) {
        match actor {
            Some(a) => {
                audit::deny(app, a, "queue.issue_reserved", "queue_group", &g.code).await;
            }
            None => {
                audit::record_alone(
                    app,
                    "citizen:kiosk",
                    Event::new("auth.denied", "queue_group", &g.code)
                        .reason("queue.issue_reserved"),
                )
                .await?;
            }
        }
        return Err(AppError::new(
            Code::QueueReservedByStaff,
            "预约号须由窗口工作人员核验预约后发放；请到取号机取普通号，或到窗口出示预约信息",
        ));
    }
    let last4 = phone_last4.trim();
    if reserved && (last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit())) {
        return Err(AppError::field(
            "phone_last4",
            Code::QueueBadPhone,
            "网上预约须填写手机号后四位，凭此到现场签到",
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let t = new_ticket(&txn, &g, now, now, reserved, last4, "").await?;
    audit::record(
        &txn,
        now,
        &actor
            .map(Actor::audit_name)
            .unwrap_or_else(|| "citizen:kiosk".into()),
        Event::new("queue.issue", "queue_ticket", t.id.to_string()).reason(t.label.clone()),
    )
    .await?;
    txn.commit().await?;
    ticket_view(app, t).await
}

async fn new_ticket(
    txn: &sea_orm::DatabaseTransaction,
    g: &queue_group::Model,
    now: DateTime<Utc>,
    issued_at: DateTime<Utc>,
    reserved: bool,
    last4: &str,
    from: &str,
) -> AppResult<queue_ticket::Model> {
    // One number at a time per group: the group's row is the lock.
    queue_group::Entity::find_by_id(g.code.clone())
        .lock_exclusive()
        .one(txn)
        .await?;
    let day = today(now);
    let last: Option<i32> = queue_ticket::Entity::find()
        .select_only()
        .column_as(queue_ticket::Column::Number.max(), "n")
        .filter(queue_ticket::Column::Day.eq(day.clone()))
        .filter(queue_ticket::Column::GroupCode.eq(g.code.clone()))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    let number = last.unwrap_or(0) + 1;
    Ok(queue_ticket::ActiveModel {
        day: Set(day),
        group_code: Set(g.code.clone()),
        number: Set(number),
        label: Set(ticket_label(&g.prefix, number)),
        status: Set(TicketStatus::Waiting),
        reserved: Set(reserved),
        phone_last4: Set(last4.into()),
        window: Set(String::new()),
        clerk: Set(String::new()),
        transferred_from: Set(from.into()),
        issued_at: Set(issued_at),
        called_at: Set(None),
        announced_at: Set(None),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// A window calls its next ticket: reserved ones first, then in the order taken. The ticket
/// the window was serving is finished. `None` when nobody waits.
pub async fn call_next(app: &App, actor: &Actor, window: &str) -> AppResult<Option<TicketView>> {
    let window = window.trim();
    if !works_windows(actor) {
        return Err(audit::deny(app, actor, "queue.call", "queue_ticket", window).await);
    }
    let (region, served) = served(app, actor, window).await?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    if is_paused(&txn, &region, window, now).await? {
        txn.rollback().await?;
        return Err(AppError::new(
            Code::QueueWindowPaused,
            "本窗口已暂停叫号，请先恢复叫号",
        ));
    }
    finish_window(&txn, window, &served, now).await?;
    let next = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::Day.eq(today(now)))
        .filter(queue_ticket::Column::GroupCode.is_in(served))
        .filter(queue_ticket::Column::Status.eq(TicketStatus::Waiting))
        .order_by_desc(queue_ticket::Column::Reserved)
        .order_by_asc(queue_ticket::Column::IssuedAt)
        .order_by_asc(queue_ticket::Column::Id)
        // Two windows calling at once get two tickets, not one ticket and nothing.
        .lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        )
        .one(&txn)
        .await?;
    let Some(t) = next else {
        txn.commit().await?;
        return Ok(None);
    };
    let mut am: queue_ticket::ActiveModel = t.into();
    am.status = Set(TicketStatus::Called);
    am.window = Set(window.into());
    am.clerk = Set(actor.audit_name());
    am.called_at = Set(Some(now));
    am.announced_at = Set(Some(now));
    let t = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("queue.call", "queue_ticket", t.id.to_string())
            .reason(format!("{} → {window}", t.label)),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(ticket_view(app, t).await?))
}

/// The groups a window serves, of the actor's halls: another hall's window reads as one that
/// does not exist.
async fn served_groups(app: &App, actor: &Actor, window: &str) -> AppResult<Vec<String>> {
    Ok(served(app, actor, window).await?.1)
}

/// The hall (region) of a window of the actor's halls, and the groups it serves there.
async fn served(app: &App, actor: &Actor, window: &str) -> AppResult<(String, Vec<String>)> {
    let groups: Vec<queue_group::Model> = queue_group::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .filter(|g| windows_of(g).iter().any(|w| w == window) && staffs(actor, g))
        .collect();
    let Some(region) = groups.first().map(|g| g.region_code.clone()) else {
        return Err(AppError::field(
            "window",
            Code::QueueUnknownWindow,
            "该窗口不属于任何业务分组",
        ));
    };
    Ok((region, groups.into_iter().map(|g| g.code).collect()))
}

/// Whether a window of a hall is paused today.
async fn is_paused<C: sea_orm::ConnectionTrait>(
    db: &C,
    region: &str,
    window: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(
        queue_window_pause::Entity::find_by_id((region.to_string(), window.to_string()))
            .one(db)
            .await?
            .is_some_and(|p| p.day == today(now)),
    )
}

/// Whether a window of the actor's halls is paused today (for the window page).
pub async fn window_paused(app: &App, actor: &Actor, window: &str) -> AppResult<bool> {
    if !works_windows(actor) {
        return Err(audit::deny(app, actor, "queue.current", "queue_ticket", window).await);
    }
    let window = window.trim();
    let (region, _) = served(app, actor, window).await?;
    is_paused(&app.db.conn, &region, window, app.now()).await
}

/// 暂停叫号 (`paused`) or 恢复叫号 for the rest of today: a paused window calls nobody and the
/// hall display says so. The ticket the window is serving stays with it.
pub async fn pause(app: &App, actor: &Actor, window: &str, paused: bool) -> AppResult<bool> {
    let window = window.trim();
    let action = if paused {
        "queue.pause"
    } else {
        "queue.resume"
    };
    if !works_windows(actor) {
        return Err(audit::deny(app, actor, action, "queue_window", window).await);
    }
    let (region, _) = served(app, actor, window).await?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    queue_window_pause::Entity::delete_by_id((region.clone(), window.to_string()))
        .exec(&txn)
        .await?;
    if paused {
        queue_window_pause::ActiveModel {
            region_code: Set(region.clone()),
            window: Set(window.to_string()),
            day: Set(today(now)),
            paused_by: Set(actor.audit_name()),
            paused_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new(action, "queue_window", format!("{region}/{window}")).reason(if paused {
            "暂停叫号"
        } else {
            "恢复叫号"
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(paused)
}

/// The ticket a window is serving now (called today and not yet finished), for the clerk who
/// comes back to the window page; `None` when it serves nobody. Another hall's window reads
/// as unknown.
pub async fn current(app: &App, actor: &Actor, window: &str) -> AppResult<Option<TicketView>> {
    if !works_windows(actor) {
        return Err(audit::deny(app, actor, "queue.current", "queue_ticket", window).await);
    }
    let window = window.trim();
    let served = served_groups(app, actor, window).await?;
    let t = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::Day.eq(today(app.now())))
        .filter(queue_ticket::Column::Window.eq(window))
        .filter(queue_ticket::Column::GroupCode.is_in(served))
        .filter(queue_ticket::Column::Status.eq(TicketStatus::Called))
        .order_by_desc(queue_ticket::Column::CalledAt)
        .one(&app.db.conn)
        .await?;
    match t {
        Some(t) => Ok(Some(ticket_view(app, t).await?)),
        None => Ok(None),
    }
}

/// Finishes what a window is serving (in the groups it serves).
async fn finish_window(
    txn: &sea_orm::DatabaseTransaction,
    window: &str,
    served: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    queue_ticket::Entity::update_many()
        .col_expr(
            queue_ticket::Column::Status,
            sea_orm::sea_query::Expr::value("done"),
        )
        .col_expr(
            queue_ticket::Column::FinishedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(queue_ticket::Column::Day.eq(today(now)))
        .filter(queue_ticket::Column::Window.eq(window))
        .filter(queue_ticket::Column::GroupCode.is_in(served.iter().cloned()))
        .filter(queue_ticket::Column::Status.eq(TicketStatus::Called))
        .exec(txn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TicketAction {
    Finish,
    NoShow,
    /// 重呼: the called ticket is announced again (who did not come up hears it once more);
    /// it stays called, and its wait still counts to the first call.
    Recall,
    /// To another group, keeping its place in the order taken.
    Transfer {
        group: String,
    },
}

pub async fn act(app: &App, actor: &Actor, id: i64, action: TicketAction) -> AppResult<TicketView> {
    if !works_windows(actor) {
        return Err(audit::deny(app, actor, "queue.act", "queue_ticket", &id.to_string()).await);
    }
    let now = app.now();
    let not_found = || AppError::new(Code::QueueNotFound, "没有这张号票");
    let target = match &action {
        TicketAction::Transfer { group: g } => {
            Some(group(app, g).await?).filter(|g| staffs(actor, g))
        }
        _ => None,
    };
    if matches!(action, TicketAction::Transfer { .. }) && target.is_none() {
        return Err(AppError::field(
            "group",
            Code::QueueUnknownGroup,
            "没有这个业务分组",
        ));
    }
    let txn = app.db.begin_write().await?;
    let t = queue_ticket::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    // A ticket of another hall's group reads as missing.
    let own = queue_group::Entity::find_by_id(t.group_code.clone())
        .one(&txn)
        .await?
        .is_some_and(|g| staffs(actor, &g));
    if !own {
        txn.rollback().await?;
        audit::deny(app, actor, "queue.act", "queue_ticket", &id.to_string()).await;
        return Err(not_found());
    }
    if t.status != TicketStatus::Called
        && !(t.status == TicketStatus::Waiting && matches!(action, TicketAction::Transfer { .. }))
    {
        return Err(AppError::new(
            Code::QueueBadState,
            "只有已叫号（或等候中转组）的号票可以这样处理",
        ));
    }
    // What the action does to the ticket: 重呼 announces it again and it stays called; the
    // others close it (a transfer opens its successor).
    let closing = match &action {
        TicketAction::Recall => None,
        TicketAction::Finish => Some((TicketStatus::Done, "办结")),
        TicketAction::NoShow => Some((TicketStatus::NoShow, "过号")),
        TicketAction::Transfer { .. } => Some((TicketStatus::Transferred, "转组")),
    };
    let (shown, what) = match closing {
        None => {
            let mut am: queue_ticket::ActiveModel = t.clone().into();
            am.announced_at = Set(Some(now));
            (am.update(&txn).await?, "重呼")
        }
        Some((status, what)) => {
            let mut am: queue_ticket::ActiveModel = t.clone().into();
            am.status = Set(status);
            am.finished_at = Set(Some(now));
            let old = am.update(&txn).await?;
            let shown = match target {
                Some(g) if g.code == t.group_code => {
                    return Err(AppError::field(
                        "group",
                        Code::QueueSameGroup,
                        "已在该业务分组",
                    ));
                }
                Some(g) => {
                    new_ticket(
                        &txn,
                        &g,
                        now,
                        t.issued_at,
                        t.reserved,
                        &t.phone_last4,
                        &t.label,
                    )
                    .await?
                }
                None => old,
            };
            (shown, what)
        }
    };
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("queue.act", "queue_ticket", id.to_string())
            .reason(format!("{}：{what}", t.label)),
    )
    .await?;
    txn.commit().await?;
    ticket_view(app, shown).await
}

/// A ticket by id, for the citizen's slip.
pub async fn ticket(app: &App, id: i64) -> AppResult<TicketView> {
    let t = queue_ticket::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::QueueNotFound, "没有这张号票"))?;
    ticket_view(app, t).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Hall {
    /// Called today, latest first.
    pub called: Vec<TicketView>,
    pub groups: Vec<GroupView>,
    /// Windows that call nobody today (暂停服务).
    pub paused: Vec<String>,
}

/// What the hall display shows.
pub async fn hall(app: &App) -> AppResult<Hall> {
    let rows = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::Day.eq(today(app.now())))
        .filter(queue_ticket::Column::AnnouncedAt.is_not_null())
        .order_by_desc(queue_ticket::Column::AnnouncedAt)
        .order_by_desc(queue_ticket::Column::Id)
        .limit(8)
        .all(&app.db.conn)
        .await?;
    let mut called = Vec::with_capacity(rows.len());
    for t in rows {
        called.push(ticket_view(app, t).await?);
    }
    let paused = queue_window_pause::Entity::find()
        .filter(queue_window_pause::Column::Day.eq(today(app.now())))
        .order_by_asc(queue_window_pause::Column::Window)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|p| p.window)
        .collect();
    Ok(Hall {
        called,
        groups: groups(app).await?,
        paused,
    })
}

/// Waits from `from` to `to` (days, inclusive): mean and p90 by group and hour.
pub async fn stats(
    app: &App,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<WaitStat>> {
    if actor.role().is_none_or(|r| r == Role::GridWorker) {
        return Err(AppError::forbidden());
    }
    if to < from || (to - from).num_days() > 366 {
        return Err(AppError::field(
            "to",
            Code::QueueBadRange,
            "统计区间应为一年以内，且结束日期不早于开始日期",
        ));
    }
    // The groups of the halls in the actor's region subtree; a functional unit has no hall.
    let pattern = match actor.jurisdiction() {
        None => "%".to_string(),
        Some(j) => j.work_like_pattern().ok_or_else(AppError::forbidden)?,
    };
    let mine: Vec<String> = queue_group::Entity::find()
        .filter(queue_group::Column::RegionCode.like(pattern))
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|g| g.code)
        .collect();
    let rows = queue_ticket::Entity::find()
        .filter(queue_ticket::Column::GroupCode.is_in(mine))
        .filter(queue_ticket::Column::Day.gte(from.format("%Y-%m-%d").to_string()))
        .filter(queue_ticket::Column::Day.lte(to.format("%Y-%m-%d").to_string()))
        .filter(queue_ticket::Column::CalledAt.is_not_null())
        .filter(queue_ticket::Column::Status.ne(TicketStatus::Transferred))
        .all(&app.db.conn)
        .await?;
    let waits: Vec<Wait> = rows
        .into_iter()
        .filter_map(|t| {
            let called = t.called_at?;
            Some(Wait {
                hour: t.issued_at.with_timezone(&china_offset()).hour(),
                seconds: (called - t.issued_at).num_seconds(),
                group: t.group_code,
            })
        })
        .collect();
    Ok(wait_stats(&waits))
}
