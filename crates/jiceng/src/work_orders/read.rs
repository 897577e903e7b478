//! 接诉即办, reading: an order's view (units, deadlines, timeline, the actions the actor may
//! take), lists within the actor's jurisdiction, photos, the reporter's number on request
//! (audited), the citizen's tracking by code and 查询密码, and nearby open orders.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::UserActor;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::store::entities::assignment;
use crate::store::entities::department;
use crate::store::entities::order_event;
use crate::store::entities::photo;
use crate::store::entities::work_order;
use crate::work_orders::MAX_EXTENSIONS;
use chrono::{DateTime, Utc};
use jiceng_core::RegionCode;
use jiceng_core::dispatch::AssignmentRole;
use jiceng_core::work_order::Rules;
use jiceng_core::work_order::{Action, Flags};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRef {
    pub code: String,
    pub name: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationView {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid: Option<NamedRef>,
    pub village: Option<NamedRef>,
    pub township: Option<NamedRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub unit_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DispatchView {
    pub lead: Option<UnitView>,
    pub assisting: Vec<UnitView>,
    pub reasons: Vec<String>,
    pub list_item_code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlinesView {
    pub sign_by: Option<DateTime<Utc>>,
    pub contact_by: Option<DateTime<Utc>>,
    pub resolve_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationView {
    pub level: String,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub time: DateTime<Utc>,
    /// Who, as stored (`user:zhang.san`, `system:dispatch`).
    pub actor: String,
    /// Who, as a person reads it (张三（承办人）, 系统).
    pub actor_name: String,
    /// The stable code (`request_extension`).
    pub action: String,
    /// The Chinese label, rendered from the code.
    pub label: String,
    pub from_status: String,
    pub to_status: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: i64,
    pub tracking_code: String,
    /// The citizen's 查询密码: only in the answer to a citizen's own report, never stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_pin: Option<String>,
    pub status: String,
    pub status_label: &'static str,
    pub title: String,
    pub description: String,
    pub channel: String,
    /// 诉求类型 code (empty when not said) and its label.
    pub kind: String,
    pub kind_label: &'static str,
    pub priority: String,
    pub category: CategoryRef,
    pub location: LocationView,
    pub address: String,
    pub reporter: Option<NamedRef>,
    pub dispatch: DispatchView,
    pub deadlines: DeadlinesView,
    pub escalation: EscalationView,
    pub extensions: u32,
    pub send_back_pending: bool,
    pub extension_pending: bool,
    pub master_id: Option<i64>,
    pub resolution: String,
    pub satisfaction: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<Action>>,
    /// Photos (detail only): the report's and the replies'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<PhotoRef>>,
    /// 督办单 issued for the order (detail, for staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervision_notices: Option<Vec<crate::work_orders::supervision::NoticeView>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhotoRef {
    pub id: i64,
    /// The reply it came with; none for the report's own photos.
    pub event_id: Option<i64>,
    pub url: String,
}

/// The order's flags (JSON); a value that does not decode is an internal error, never "no
/// flags" (which would reopen a closed send-back or forget an extension).
pub(crate) fn flags_of(m: &work_order::Model) -> AppResult<Flags> {
    crate::store::json("work_orders.flags", &m.flags)
}

/// Writes an order's flags: the JSON and the columns the worklist queries, together (the one
/// place that writes them).
pub(crate) fn set_flags(am: &mut work_order::ActiveModel, f: &Flags) {
    am.flags = Set(serde_json::to_string(f).expect("flags"));
    am.send_back_pending = Set(f.send_back_pending);
    am.extension_pending = Set(f.extension_pending);
    am.returned = Set(f.returned);
}

pub(crate) async fn view<C: ConnectionTrait>(
    db: &C,
    app: &App,
    m: &work_order::Model,
    detail: bool,
    actor: Option<&Actor>,
) -> AppResult<OrderView> {
    let (mut units, names) = load_units(db, &[m.id]).await?;
    view_with(
        db,
        app,
        m,
        units.remove(&m.id).unwrap_or_default(),
        &names,
        detail,
        actor,
    )
    .await
}

/// The active assignments of some orders (by order, in assignment order) and the names of
/// their units, in two queries whatever the number of orders.
pub(crate) async fn load_units<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> AppResult<(
    std::collections::HashMap<i64, Vec<assignment::Model>>,
    std::collections::HashMap<i64, String>,
)> {
    let rows = assignment::Entity::find()
        .filter(assignment::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(assignment::Column::Active.eq(true))
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let unit_ids: Vec<i64> = rows.iter().map(|u| u.unit_id).collect();
    let names = department::Entity::find()
        .filter(department::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut by_order: std::collections::HashMap<i64, Vec<assignment::Model>> =
        std::collections::HashMap::new();
    for r in rows {
        by_order.entry(r.order_id).or_default().push(r);
    }
    Ok((by_order, names))
}

pub(crate) async fn view_with<C: ConnectionTrait>(
    db: &C,
    app: &App,
    m: &work_order::Model,
    units: Vec<assignment::Model>,
    names: &std::collections::HashMap<i64, String>,
    detail: bool,
    actor: Option<&Actor>,
) -> AppResult<OrderView> {
    let reference = crate::reference::of(app).get();
    let snapshot = crate::org::locate::of(app).snapshot();
    let unit = |id: i64| UnitView {
        unit_id: id,
        name: names.get(&id).cloned().unwrap_or_default(),
    };
    let region = |c: &Option<String>| {
        c.as_ref().map(|c| NamedRef {
            code: c.clone(),
            name: snapshot.region_name(c).unwrap_or_default(),
        })
    };
    let flags = flags_of(m)?;
    let state = m.status;
    let level = m.escalation;
    let timeline = if detail {
        let events = order_event::Entity::find()
            .filter(order_event::Column::OrderId.eq(m.id))
            .order_by_asc(order_event::Column::Id)
            .all(db)
            .await?;
        let names =
            crate::kernel::names::of_actors(db, events.iter().map(|e| e.actor.as_str())).await?;
        Some(
            events
                .into_iter()
                .map(|e| EventView {
                    time: e.time,
                    actor_name: names.get(&e.actor).cloned().unwrap_or_default(),
                    actor: e.actor,
                    label: jiceng_core::work_order::timeline_label(&e.action)
                        .unwrap_or("")
                        .to_string(),
                    action: e.action,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    note: e.note,
                })
                .collect(),
        )
    } else {
        None
    };
    let photos = if detail {
        Some(
            photo::Entity::find()
                .select_only()
                .column(photo::Column::Id)
                .column(photo::Column::EventId)
                .filter(photo::Column::OrderId.eq(m.id))
                .order_by_asc(photo::Column::Id)
                .into_tuple::<(i64, Option<i64>)>()
                .all(db)
                .await?
                .into_iter()
                .map(|(id, event_id)| PhotoRef {
                    id,
                    event_id,
                    url: format!("/api/v1/work-orders/{}/photos/{id}", m.id),
                })
                .collect(),
        )
    } else {
        None
    };
    let supervision_notices = match (detail, actor) {
        (true, Some(Actor::User(_))) => {
            Some(crate::work_orders::supervision::of_order(db, m.id).await?)
        }
        _ => None,
    };
    let allowed_actions = match (detail, actor) {
        (true, Some(a)) => Some(allowed_for(app, a, m, &units).await),
        _ => None,
    };
    Ok(OrderView {
        id: m.id,
        tracking_code: m.tracking_code.clone(),
        tracking_pin: None,
        status: m.status.code().to_string(),
        status_label: state.label(),
        title: m.title.clone(),
        description: m.description.clone(),
        channel: m.channel.code().to_string(),
        kind: m.kind.clone(),
        kind_label: crate::store::optional_code::<jiceng_core::work_order::RequestKind>(&m.kind)?
            .map_or("未注明", jiceng_core::work_order::RequestKind::label),
        priority: m.priority.code().to_string(),
        category: CategoryRef {
            code: m.category_code.clone(),
            name: reference
                .categories
                .get(&m.category_code)
                .map(|c| c.path.clone())
                .unwrap_or_default(),
            confidence: m.category_confidence,
        },
        location: LocationView {
            lat: m.lat,
            lon: m.lon,
            grid: m.grid_code.as_ref().map(|g| NamedRef {
                code: g.clone(),
                name: snapshot.grid_name(g).unwrap_or_default(),
            }),
            village: region(&m.village_code),
            township: region(&m.township_code),
        },
        address: m.address.clone(),
        reporter: (!m.anonymous).then(|| NamedRef {
            code: m.reporter_phone.clone(),
            name: m.reporter_name.clone(),
        }),
        dispatch: DispatchView {
            lead: units
                .iter()
                .find(|u| u.role == AssignmentRole::Lead)
                .map(|u| unit(u.unit_id)),
            assisting: units
                .iter()
                .filter(|u| u.role == AssignmentRole::Assist)
                .map(|u| unit(u.unit_id))
                .collect(),
            reasons: crate::store::json("work_orders.dispatch_reasons", &m.dispatch_reasons)?,
            list_item_code: m.list_item_code.clone(),
        },
        deadlines: DeadlinesView {
            sign_by: m.sign_by,
            contact_by: m.contact_by,
            resolve_by: m.resolve_by,
        },
        escalation: EscalationView {
            level: level.code().into(),
            label: level.label(),
        },
        extensions: flags.extensions,
        send_back_pending: flags.send_back_pending,
        extension_pending: flags.extension_pending,
        master_id: m.master_id,
        resolution: m.resolution.clone(),
        satisfaction: m.satisfaction.clone(),
        created_at: m.created_at,
        timeline,
        allowed_actions,
        photos,
        supervision_notices,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Whether the actor may see an order: it lies in the actor's region subtree, or the actor's
/// department is assigned to it now (a unit whose order was sent back or dispatched elsewhere
/// no longer sees it, nor its reporter).
pub(crate) async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    m: &work_order::Model,
) -> AppResult<bool> {
    let Actor::User(u) = actor else {
        return Ok(true);
    };
    let region = m
        .village_code
        .as_ref()
        .or(m.township_code.as_ref())
        .and_then(|c| RegionCode::parse(c).ok());
    if region
        .as_ref()
        .is_some_and(|r| u.jurisdiction.covers_work_in(r))
    {
        return Ok(true);
    }
    if region.is_none()
        && !u.jurisdiction.assigned_only
        && u.jurisdiction.region.level() == jiceng_core::RegionLevel::County
    {
        return Ok(true);
    }
    if let Some(d) = u.jurisdiction.department_id {
        let n = assignment::Entity::find()
            .filter(assignment::Column::OrderId.eq(m.id))
            .filter(assignment::Column::UnitId.eq(d))
            .filter(assignment::Column::Active.eq(true))
            .count(db)
            .await?;
        return Ok(n > 0);
    }
    Ok(false)
}

/// The region an order belongs to: its village, its township, or (an order without a place)
/// the county.
pub(crate) fn region_of(app: &App, m: &work_order::Model) -> String {
    m.village_code
        .clone()
        .or_else(|| m.township_code.clone())
        .or_else(|| crate::org::locate::of(app).snapshot().first_county())
        .unwrap_or_default()
}

pub(crate) fn not_found() -> AppError {
    AppError::new(Code::WorkOrderNotFound, "工单不存在")
}

/// An order the actor may see; another is "not found" (and the refusal audited as `action`).
pub(crate) async fn seen_by(
    app: &App,
    actor: &Actor,
    id: i64,
    action: &str,
) -> AppResult<work_order::Model> {
    let m = work_order::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    if !visible(&app.db.conn, actor, &m).await? {
        audit::deny(app, actor, action, "work_order", &id.to_string()).await;
        return Err(not_found());
    }
    Ok(m)
}

/// The id of an order the actor may see, by its tracking code (a merge names its master so).
pub async fn id_by_code(app: &App, actor: &Actor, code: &str) -> AppResult<i64> {
    let m = work_order::Entity::find()
        .filter(work_order::Column::TrackingCode.eq(code.trim().to_uppercase()))
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    if !visible(&app.db.conn, actor, &m).await? {
        return Err(not_found());
    }
    Ok(m.id)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<OrderView> {
    let m = seen_by(app, actor, id, "work_order.read").await?;
    view(&app.db.conn, app, &m, true, Some(actor)).await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub unit: Option<i64>,
    pub grid: Option<String>,
    pub township: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub overdue: Option<bool>,
    /// Only orders at least this many days past their resolve deadline.
    pub overdue_days: Option<u32>,
    /// `deadline`: the earliest resolve deadline first (the latest orders first otherwise).
    pub sort: Option<String>,
    /// Only orders still being worked.
    pub open: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub q: Option<String>,
}

/// The orders an actor may see: in its region subtree (a county account also sees orders
/// without a location), or assigned to its department now. `None` for the system.
pub(crate) fn scope_condition(actor: &Actor) -> Option<Condition> {
    let Actor::User(u) = actor else { return None };
    let mut scope = Condition::any();
    if !u.jurisdiction.assigned_only {
        scope = scope
            .add(work_order::Column::VillageCode.like(u.jurisdiction.region_like_pattern()))
            .add(work_order::Column::TownshipCode.like(u.jurisdiction.region_like_pattern()));
        if u.jurisdiction.region.level() == jiceng_core::RegionLevel::County {
            scope = scope.add(work_order::Column::TownshipCode.is_null());
        }
    }
    if let Some(d) = u.jurisdiction.department_id {
        let mine = assignment::Entity::find()
            .select_only()
            .column(assignment::Column::OrderId)
            .filter(assignment::Column::UnitId.eq(d))
            .filter(assignment::Column::Active.eq(true));
        scope =
            scope.add(work_order::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(mine)));
    }
    Some(scope)
}

/// One photo of an order, for staff who may see the order.
pub async fn photo(
    app: &App,
    actor: &Actor,
    id: i64,
    photo_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    seen_by(app, actor, id, "work_order.photo").await?;
    let p = photo::Entity::find_by_id(photo_id)
        .filter(photo::Column::OrderId.eq(id))
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::WorkOrderPhotoNotFound, "没有这张照片"))?;
    Ok((p.content_type, p.data))
}

/// A caller's earlier orders (来电历史), by the keyed digest of the phone number, among the
/// orders the actor sees, the latest first. For the hotline and the dispatchers; audited (the
/// entry names no number).
pub async fn caller_history(
    app: &App,
    actor: &Actor,
    phone: &str,
    page: PageParams,
) -> AppResult<Page<OrderView>> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    if !jiceng_core::work_order::may_search_caller(u.role) {
        return Err(audit::deny(app, actor, "work_order.caller_history", "work_order", "").await);
    }
    let phone = crate::kernel::citizen::phone("phone", Code::WorkOrderBadPhone, phone)?;
    let digest = app.data_key.lookup_digest(phone.as_str());
    let mut q =
        work_order::Entity::find().filter(work_order::Column::ReporterPhoneDigest.eq(digest));
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    let found = page_of(app, actor, q.order_by_desc(work_order::Column::Id), page).await?;
    audit::record_alone(
        app,
        &actor.audit_name(),
        Event::new("work_order.caller_history", "work_order", "").reason(format!(
            "按来电号码 {} 查询历史诉求，{}件",
            phone.masked(),
            found.total
        )),
    )
    .await?;
    Ok(found)
}

/// Gives orders registered before 0017 the digest of their reporter's phone, a batch at a time
/// (run when the server starts; a no-op once done).
pub async fn backfill_caller_digests(app: &App) -> AppResult<u64> {
    let mut done = 0;
    loop {
        let rows: Vec<(i64, String)> = work_order::Entity::find()
            .select_only()
            .column(work_order::Column::Id)
            .column(work_order::Column::ReporterPhoneEnc)
            .filter(work_order::Column::ReporterPhoneDigest.eq(""))
            .filter(work_order::Column::ReporterPhoneEnc.ne(""))
            .order_by_asc(work_order::Column::Id)
            .limit(1000)
            .into_tuple()
            .all(&app.db.conn)
            .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let txn = app.db.begin_write().await?;
        for (id, sealed) in &rows {
            // A number that does not open (another key) is marked so, never looked at again.
            let digest = app
                .data_key
                .open(sealed)
                .filter(|p| !p.is_empty())
                .map(|p| app.data_key.lookup_digest(&p))
                .unwrap_or_else(|| "-".into());
            work_order::Entity::update_many()
                .col_expr(
                    work_order::Column::ReporterPhoneDigest,
                    sea_orm::sea_query::Expr::value(digest),
                )
                .filter(work_order::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        done += rows.len() as u64;
    }
}

/// The reporter's full phone number, for staff who may see the order (to call the citizen
/// back). Every such view is audited.
pub async fn reveal_phone(app: &App, actor: &Actor, id: i64) -> AppResult<String> {
    // An order outside the actor's view reads as missing; then the role.
    let m = seen_by(app, actor, id, "work_order.reveal_phone").await?;
    if let Actor::User(u) = actor
        && !jiceng_core::work_order::may_reveal_phone(u.role)
    {
        return Err(audit::deny(
            app,
            actor,
            "work_order.reveal_phone",
            "work_order",
            &id.to_string(),
        )
        .await);
    }
    if m.anonymous {
        return Err(AppError::new(
            Code::WorkOrderAnonymous,
            "匿名反映，没有联系电话",
        ));
    }
    let phone = app.data_key.open(&m.reporter_phone_enc).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "order {id}: the phone does not open with the data key"
        ))
    })?;
    if phone.is_empty() {
        return Err(AppError::new(
            Code::WorkOrderNoPhone,
            "该工单没有保存完整电话号码",
        ));
    }
    audit::record_alone(
        app,
        &actor.audit_name(),
        Event::new("work_order.reveal_phone", "work_order", id.to_string())
            .reason("查看反映人完整电话"),
    )
    .await?;
    Ok(phone)
}

pub async fn list(
    app: &App,
    actor: &Actor,
    f: &OrderFilter,
    page: PageParams,
) -> AppResult<Page<OrderView>> {
    let page = page.normalised();
    let mut q = work_order::Entity::find();
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    let nonempty = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    if let Some(s) = nonempty(&f.status) {
        q = q.filter(work_order::Column::Status.eq(s));
    }
    if let Some(u) = f.unit {
        let of_unit = assignment::Entity::find()
            .select_only()
            .column(assignment::Column::OrderId)
            .filter(assignment::Column::UnitId.eq(u))
            .filter(assignment::Column::Active.eq(true));
        q = q.filter(work_order::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(of_unit)));
    }
    if let Some(g) = nonempty(&f.grid) {
        q = q.filter(work_order::Column::GridCode.eq(g));
    }
    if let Some(t) = nonempty(&f.township) {
        q = q.filter(work_order::Column::TownshipCode.eq(t));
    }
    if let Some(c) = nonempty(&f.category) {
        q = q.filter(work_order::Column::CategoryCode.starts_with(c));
    }
    if let Some(c) = nonempty(&f.channel) {
        q = q.filter(work_order::Column::Channel.eq(c));
    }
    if f.overdue == Some(true) {
        q = q.filter(work_order::Column::Escalation.is_in(["red", "supervised"]));
    }
    if let Some(d) = f.overdue_days.filter(|d| *d > 0) {
        let before = app.now() - chrono::Duration::days(i64::from(d.min(3650)));
        q = q.filter(work_order::Column::ResolveBy.lte(before));
    }
    if f.open == Some(true) {
        q = q.filter(
            work_order::Column::Status.is_in(
                jiceng_core::work_order::State::ALL
                    .into_iter()
                    .filter(|s| !s.is_final()),
            ),
        );
    }
    if let Some(t) = f.from {
        q = q.filter(work_order::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.to {
        q = q.filter(work_order::Column::CreatedAt.lt(t));
    }
    if let Some(text) = nonempty(&f.q) {
        q = q.filter(
            Condition::any()
                .add(work_order::Column::Title.contains(text.as_str()))
                .add(work_order::Column::Description.contains(text.as_str()))
                .add(work_order::Column::TrackingCode.eq(text.to_uppercase())),
        );
    }
    let q = match nonempty(&f.sort).as_deref() {
        None => q,
        Some("deadline") => q.order_by_asc(work_order::Column::ResolveBy),
        Some(_) => {
            return Err(AppError::new(
                Code::ValidationBadSort,
                "排序方式只能是 deadline（办结时限最早的在前）",
            ));
        }
    };
    page_of(app, actor, q.order_by_desc(work_order::Column::Id), page).await
}

/// One page of orders (already scoped, filtered and ordered), as the actor sees them.
pub(crate) async fn page_of(
    app: &App,
    actor: &Actor,
    q: sea_orm::Select<work_order::Entity>,
    page: PageParams,
) -> AppResult<Page<OrderView>> {
    let page = page.normalised();
    let total = q.clone().count(&app.db.conn).await?;
    let rows = q
        .offset(page.offset())
        .limit(page.per_page)
        .all(&app.db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let (mut units, names) = load_units(&app.db.conn, &ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for m in &rows {
        let u = units.remove(&m.id).unwrap_or_default();
        items.push(view_with(&app.db.conn, app, m, u, &names, false, Some(actor)).await?);
    }
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The order a citizen names by its tracking code and 查询密码 (anonymous reports too: the
/// pin, not the phone, is the secret).
pub(crate) async fn by_code_and_pin(
    app: &App,
    code: &str,
    pin: &str,
) -> AppResult<work_order::Model> {
    crate::kernel::citizen::by_code_and_pin::<work_order::Entity>(
        app,
        work_order::Column::TrackingCode,
        code,
        pin,
        |m| m.pin_digest.as_deref(),
        || AppError::new(Code::WorkOrderNotFound, "查询码或查询密码不正确"),
    )
    .await
}

/// The photos a unit attached to its replies (办理照片), as (content type, bytes): shown to the
/// citizen on the tracking page. Call only for an order the citizen has named with its pin.
pub(crate) async fn reply_photos(app: &App, order_id: i64) -> AppResult<Vec<(String, Vec<u8>)>> {
    Ok(photo::Entity::find()
        .filter(photo::Column::OrderId.eq(order_id))
        .filter(photo::Column::EventId.is_not_null())
        .order_by_asc(photo::Column::Id)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|p| (p.content_type, p.data))
        .collect())
}

/// A citizen tracks an order by its code and 查询密码.
pub async fn track(app: &App, code: &str, pin: &str) -> AppResult<OrderView> {
    let m = by_code_and_pin(app, code, pin).await?;
    let mut v = view(&app.db.conn, app, &m, true, None).await?;
    // Citizens see the progress, not the names of staff.
    if let Some(t) = v.timeline.as_mut() {
        for e in t.iter_mut() {
            e.actor = String::new();
            e.actor_name = String::new();
        }
    }
    Ok(v)
}

/// An open order near a new report that may be the same problem.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub id: i64,
    pub tracking_code: String,
    pub title: String,
    pub status_label: &'static str,
    pub distance_m: f64,
    pub same_category: bool,
}

/// Open orders within `radius_m` of a point from the last 14 days that the actor may see,
/// nearest first, those of the same category before the others.
pub async fn nearby_open(
    app: &App,
    actor: &Actor,
    lat: f64,
    lon: f64,
    category: Option<&str>,
    radius_m: f64,
) -> AppResult<Vec<Duplicate>> {
    let dlat = radius_m / 111_320.0;
    let dlon = radius_m / (111_320.0 * lat.to_radians().cos().max(0.01));
    let mut q = work_order::Entity::find()
        .filter(work_order::Column::Lat.between(lat - dlat, lat + dlat))
        .filter(work_order::Column::Lon.between(lon - dlon, lon + dlon))
        .filter(work_order::Column::Status.is_not_in(["closed", "withdrawn", "merged"]))
        .filter(work_order::Column::CreatedAt.gte(app.now() - chrono::Duration::days(14)));
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    let mut out: Vec<Duplicate> = q
        .limit(200)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .filter_map(|m| {
            let (la, lo) = (m.lat?, m.lon?);
            let dy = (la - lat) * 111_320.0;
            let dx = (lo - lon) * 111_320.0 * lat.to_radians().cos();
            let distance_m = (dx * dx + dy * dy).sqrt();
            (distance_m <= radius_m).then(|| Duplicate {
                id: m.id,
                tracking_code: m.tracking_code.clone(),
                title: m.title.clone(),
                status_label: m.status.label(),
                distance_m: distance_m.round(),
                same_category: category.is_some_and(|c| c == m.category_code),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.same_category
            .cmp(&a.same_category)
            .then(a.distance_m.total_cmp(&b.distance_m))
    });
    out.truncate(5);
    Ok(out)
}

pub(crate) async fn allowed_for(
    app: &App,
    actor: &Actor,
    m: &work_order::Model,
    units: &[assignment::Model],
) -> Vec<Action> {
    // The view that calls this has decoded the flags already and reports a bad row.
    let Ok(flags) = flags_of(m) else {
        return Vec::new();
    };
    let rules = rules_for(app, m);
    let Actor::User(u) = actor else {
        return Vec::new();
    };
    jiceng_core::work_order::allowed(m.status, flags, rules)
        .into_iter()
        .filter(|a| *a != Action::QueueForDispatch && jiceng_core::work_order::role_may(u.role, *a))
        .filter(|a| !jiceng_core::work_order::needs_lead_unit(*a) || is_lead(u, units))
        .collect()
}

pub(crate) fn is_lead(u: &UserActor, units: &[assignment::Model]) -> bool {
    u.jurisdiction.department_id.is_some_and(|d| {
        units
            .iter()
            .any(|a| a.active && a.role == AssignmentRole::Lead && a.unit_id == d)
    })
}

/// The send-back window: 2 working days from dispatch.
pub(crate) fn rules_for(app: &App, m: &work_order::Model) -> Rules {
    let reference = crate::reference::of(app).get();
    let open = m.dispatched_at.is_none_or(|d| {
        app.now() < jiceng_core::calendar::Limit::working_days(2).deadline(&reference.calendar, d)
    });
    Rules {
        max_extensions: MAX_EXTENSIONS,
        send_back_open: open,
    }
}
