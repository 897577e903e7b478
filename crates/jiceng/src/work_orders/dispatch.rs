//! 接诉即办, dispatch: the data it reads (lists in force, active units; cached while their
//! version is unchanged), the plan with its reasons, assignment rows, and the (re)dispatch of
//! one order with its timeline row and notification.

use crate::error::{AppError, AppResult};
use crate::kernel::app::App;
use crate::notify;
use crate::reference::Loaded;
use crate::store::bulk;
use crate::store::entities::assignment;
use crate::store::entities::department;
use crate::store::entities::resp_item;
use crate::store::entities::resp_list;
use crate::store::entities::work_order;
use crate::work_orders::model::event;
use crate::work_orders::model::illegal;
use crate::work_orders::read::flags_of;
use chrono::{DateTime, Utc};
use jiceng_core::department::DepartmentKind;
use jiceng_core::dispatch::{self, ListItem, Outcome, Place, Unit, UnitRef};
use jiceng_core::dispatch::{AssignmentRole, ListStatus};
use jiceng_core::sla::{Level, Priority};
use jiceng_core::work_order::{Action, Flags, Rules, State, transition};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Dispatch

/// What dispatch reads: the published list in force per region and the active units. The
/// intake writer loads it once per batch, inside the batch's transaction.
pub struct DispatchData {
    lists: std::collections::HashMap<String, Vec<ListItem>>,
    depts: Vec<department::Model>,
}

/// What changes the dispatch data: published lists and active units. Read in one small query
/// per intake batch; the data itself is reloaded only when it differs.
pub type DispatchVersion = (i64, i64, i64, Option<DateTime<Utc>>);

impl DispatchData {
    /// The dispatch data, from the cache while the lists and units are unchanged.
    pub(crate) async fn current<C: ConnectionTrait>(
        app: &App,
        db: &C,
    ) -> AppResult<std::sync::Arc<DispatchData>> {
        let (lists, latest, units, updated): DispatchVersion = {
            let published = resp_list::Entity::find()
                .select_only()
                .column_as(resp_list::Column::Id.count(), "n")
                .column_as(resp_list::Column::Id.max(), "latest")
                .filter(resp_list::Column::Status.eq(ListStatus::Published))
                .into_tuple::<(i64, Option<i64>)>()
                .one(db)
                .await?
                .unwrap_or((0, None));
            let units = department::Entity::find()
                .select_only()
                .column_as(department::Column::Id.count(), "n")
                .column_as(department::Column::UpdatedAt.max(), "updated")
                .filter(department::Column::Active.eq(true))
                .into_tuple::<(i64, Option<DateTime<Utc>>)>()
                .one(db)
                .await?
                .unwrap_or((0, None));
            (published.0, published.1.unwrap_or(0), units.0, units.1)
        };
        let version = (lists, latest, units, updated);
        if let Some((v, d)) = app
            .wing::<DispatchCache>()
            .0
            .lock()
            .expect("dispatch cache")
            .as_ref()
            && *v == version
        {
            return Ok(d.clone());
        }
        let data = std::sync::Arc::new(DispatchData::load(db).await?);
        *app.wing::<DispatchCache>()
            .0
            .lock()
            .expect("dispatch cache") = Some((version, data.clone()));
        Ok(data)
    }

    pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> AppResult<DispatchData> {
        let published = resp_list::Entity::find()
            .filter(resp_list::Column::Status.eq(ListStatus::Published))
            .order_by_asc(resp_list::Column::Version)
            .all(db)
            .await?;
        // The newest published version of each region is the one in force.
        let mut in_force: std::collections::HashMap<i64, String> = Default::default();
        let mut by_region: std::collections::HashMap<String, i64> = Default::default();
        for l in published {
            by_region.insert(l.region_code, l.id);
        }
        for (region, id) in by_region {
            in_force.insert(id, region);
        }
        let items = resp_item::Entity::find()
            .filter(resp_item::Column::ListId.is_in(in_force.keys().copied().collect::<Vec<_>>()))
            .order_by_asc(resp_item::Column::Id)
            .all(db)
            .await?;
        let mut lists: std::collections::HashMap<String, Vec<ListItem>> = Default::default();
        for i in &items {
            if let Some(region) = in_force.get(&i.list_id) {
                lists.entry(region.clone()).or_default().push(item_of(i)?);
            }
        }
        let depts = department::Entity::find()
            .filter(department::Column::Active.eq(true))
            .order_by_asc(department::Column::Id)
            .all(db)
            .await?;
        Ok(DispatchData { lists, depts })
    }

    pub(crate) fn unit_name(&self, id: i64) -> Option<&str> {
        self.depts
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.as_str())
    }

    /// Plans the dispatch of an order in a place by the list in force there: the village's,
    /// else the township's, else the county's.
    pub(crate) fn plan(
        &self,
        reference: &Loaded,
        category: &str,
        place: &Place,
        county: &str,
    ) -> Outcome {
        let regions = place
            .village
            .iter()
            .map(|v| v.0.as_str())
            .chain(place.township.iter().map(|t| t.0.as_str()))
            .chain(std::iter::once(county));
        let empty = Vec::new();
        let items = regions
            .filter_map(|r| self.lists.get(r))
            .next()
            .unwrap_or(&empty);
        let depts = &self.depts;
        let unit = |d: &department::Model| Unit {
            id: d.id,
            name: d.name.clone(),
        };
        let resolve = |r: &UnitRef, p: &Place| -> Option<Unit> {
            match r {
                UnitRef::Named { code } => depts.iter().find(|d| &d.code == code).map(unit),
                UnitRef::TownshipOffice => {
                    let t = &p.township.as_ref()?.0;
                    depts
                        .iter()
                        .find(|d| d.kind == DepartmentKind::TownshipOffice && &d.region_code == t)
                        .map(unit)
                }
                UnitRef::VillageCommittee => {
                    let v = &p.village.as_ref()?.0;
                    depts
                        .iter()
                        .find(|d| d.kind == DepartmentKind::VillageCommittee && &d.region_code == v)
                        .map(unit)
                }
                UnitRef::AssistingUnit { name_contains } => {
                    let near = p.township.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                    let fits = |d: &&department::Model| {
                        d.kind == DepartmentKind::AssistingUnit
                            && d.name.contains(name_contains.as_str())
                    };
                    depts
                        .iter()
                        .filter(fits)
                        .find(|d| d.region_code == near)
                        .or_else(|| depts.iter().filter(fits).find(|d| d.region_code == county))
                        .map(unit)
                }
            }
        };
        let name = reference
            .categories
            .get(category)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| category.to_string());
        dispatch::plan(items, category, &name, place, resolve)
    }
}

/// The dispatch an order of `category` at a known place would get.
pub async fn preview_dispatch_at(
    app: &App,
    category: &str,
    place: &Place,
    county: &str,
) -> AppResult<Outcome> {
    let data = DispatchData::current(app, &app.db.conn).await?;
    Ok(data.plan(&crate::reference::of(app).get(), category, place, county))
}

/// A stored responsibility-list item; one that does not decode is an internal error, never
/// silently left out of dispatch.
pub(crate) fn item_of(i: &resp_item::Model) -> AppResult<ListItem> {
    Ok(ListItem {
        code: i.code.clone(),
        name: i.name.clone(),
        item_type: serde_json::from_value(serde_json::Value::String(i.item_type.clone()))
            .map_err(|e| AppError::internal(anyhow::anyhow!("resp_items.item_type: {e}")))?,
        legal_basis: i.legal_basis.clone(),
        categories: crate::store::json("resp_items.categories", &i.categories)?,
        lead: crate::store::json("resp_items.lead", &i.lead)?,
        assisting: crate::store::json("resp_items.assisting", &i.assisting)?,
    })
}

pub(crate) fn assignment_row(
    order_id: i64,
    unit_id: i64,
    role: AssignmentRole,
    now: DateTime<Utc>,
) -> assignment::Model {
    assignment::Model {
        id: 0,
        order_id,
        unit_id,
        role,
        active: true,
        reply: String::new(),
        created_at: now,
    }
}

/// The planned units with their roles: the lead first.
pub(crate) fn planned_units(p: &dispatch::Plan) -> impl Iterator<Item = (&Unit, AssignmentRole)> {
    std::iter::once((&p.lead, AssignmentRole::Lead))
        .chain(p.assisting.iter().map(|u| (u, AssignmentRole::Assist)))
}

/// The timeline note of a dispatch.
pub(crate) fn dispatch_note(p: &dispatch::Plan) -> String {
    let assisting: Vec<&str> = p.assisting.iter().map(|u| u.name.as_str()).collect();
    format!(
        "主办：{}{}",
        p.lead.name,
        if assisting.is_empty() {
            String::new()
        } else {
            format!("；协办：{}", assisting.join("、"))
        }
    )
}

/// Sets what a dispatch changes on an order: its state, lead unit and reasons, and its
/// deadlines started afresh from `now`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn set_dispatched(
    am: &mut work_order::ActiveModel,
    reference: &Loaded,
    from: State,
    flags: Flags,
    category: &str,
    priority: Priority,
    p: &dispatch::Plan,
    now: DateTime<Utc>,
    rules: Rules,
) -> AppResult<State> {
    let (s, f) = transition(from, flags, Action::Dispatch, rules).map_err(illegal)?;
    let policy = reference.policy(category, priority);
    let d = policy.deadlines(&reference.calendar, now);
    am.status = Set(s);
    crate::work_orders::read::set_flags(am, &f);
    am.lead_unit_id = Set(Some(p.lead.id));
    am.list_item_code = Set(p.item_code.clone());
    am.dispatch_reasons = Set(serde_json::to_string(&p.reasons).expect("reasons"));
    am.dispatched_at = Set(Some(now));
    am.signed_at = Set(None);
    am.contacted_at = Set(None);
    am.sign_by = Set(Some(d.sign_by));
    am.contact_by = Set(Some(d.contact_by));
    am.resolve_by = Set(Some(d.resolve_by));
    am.escalation = Set(Level::None);
    am.resolve_started_at = Set(Some(now));
    am.next_escalation_at = Set(jiceng_core::sla::next_step_at(
        |_| now,
        &d,
        &policy.thresholds,
        now,
        |_| false,
    ));
    am.updated_at = Set(now);
    Ok(s)
}

/// Re-dispatches an order: assigns the planned units, starts the deadlines and tells the
/// lead unit.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn do_dispatch(
    txn: &DatabaseTransaction,
    app: &App,
    reference: &Loaded,
    m: work_order::Model,
    p: &dispatch::Plan,
    now: DateTime<Utc>,
    actor: &str,
    rules: Rules,
) -> AppResult<work_order::Model> {
    let from = m.status;
    let flags = flags_of(&m)?;
    let priority = m.priority;
    let category = m.category_code.clone();
    let mut am: work_order::ActiveModel = m.into();
    let s = set_dispatched(
        &mut am, reference, from, flags, &category, priority, p, now, rules,
    )?;
    let m = am.update(txn).await?;
    assignment::Entity::update_many()
        .col_expr(
            assignment::Column::Active,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(assignment::Column::OrderId.eq(m.id))
        .exec(txn)
        .await?;
    let rows: Vec<assignment::Model> = planned_units(p)
        .map(|(unit, role)| assignment_row(m.id, unit.id, role, now))
        .collect();
    bulk::insert_models::<assignment::Entity, _>(txn, &rows, "").await?;
    // A re-dispatch starts every deadline afresh.
    crate::work_orders::escalation::forget_steps(txn, m.id).await?;
    event(
        txn,
        m.id,
        now,
        actor,
        jiceng_core::work_order::Action::Dispatch.code(),
        from.code(),
        s.code(),
        &dispatch_note(p),
    )
    .await?;
    notify::enqueue_many(txn, app, now, vec![dispatched_message(&m, &p.lead)]).await?;
    Ok(m)
}

/// What the lead unit is told of a dispatch.
pub(crate) fn dispatched_message(m: &work_order::Model, lead: &Unit) -> notify::Message {
    notify::Message::new(
        format!("unit:{}", lead.id),
        "work_order.dispatched",
        vec![
            ("查询码", m.tracking_code.clone()),
            ("标题", m.title.clone()),
            (
                "签收期限",
                m.sign_by
                    .map(jiceng_core::clock::format_local)
                    .unwrap_or_default(),
            ),
        ],
    )
}

/// The dispatch data and the version it was read at: the work-order wing's runtime cache.
#[derive(Default)]
pub struct DispatchCache(pub std::sync::Mutex<Option<(DispatchVersion, Arc<DispatchData>)>>);
