//! 接诉即办 metrics over the orders an actor may see, grouped by unit, township or category.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::store::entities::department;
use crate::store::entities::order_event;
use crate::store::entities::work_order;
use crate::work_orders;
use chrono::{DateTime, Utc};
use jiceng_core::metrics::{GroupMetrics, OrderFacts, Weights, compute};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Unit,
    Township,
    Category,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsQuery {
    pub group_by: GroupBy,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricsView {
    pub group_by: GroupBy,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub weights: Weights,
    pub groups: Vec<NamedMetrics>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedMetrics {
    pub name: String,
    #[serde(flatten)]
    pub metrics: GroupMetrics,
}

/// Orders created in `[from, to)`, grouped and measured.
pub async fn work_order_metrics(
    app: &App,
    actor: &Actor,
    q: &MetricsQuery,
) -> AppResult<MetricsView> {
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f >= t
    {
        return Err(AppError::new(
            Code::MetricsBadRange,
            "起始时间必须早于结束时间",
        ));
    }
    let mut query = work_order::Entity::find();
    if let Some(scope) = work_orders::scope_condition(actor) {
        query = query.filter(scope);
    }
    if let Some(f) = q.from {
        query = query.filter(work_order::Column::CreatedAt.gte(f));
    }
    if let Some(t) = q.to {
        query = query.filter(work_order::Column::CreatedAt.lt(t));
    }
    let orders = query.all(&app.db.conn).await?;
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut send_backs: HashMap<i64, u32> = HashMap::new();
    for chunk in ids.chunks(500) {
        for e in order_event::Entity::find()
            .filter(order_event::Column::OrderId.is_in(chunk.to_vec()))
            .filter(
                order_event::Column::Action.eq(jiceng_core::work_order::Action::SendBack.code()),
            )
            .all(&app.db.conn)
            .await?
        {
            *send_backs.entry(e.order_id).or_default() += 1;
        }
    }
    let reference = crate::reference::of(app).get();
    let snapshot = crate::org::locate::of(app).snapshot();
    let units: HashMap<i64, String> = department::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let facts: Vec<OrderFacts> = orders
        .iter()
        .map(|o| {
            let group = match q.group_by {
                GroupBy::Unit => o.lead_unit_id.map(|u| u.to_string()).unwrap_or_default(),
                GroupBy::Township => o.township_code.clone().unwrap_or_default(),
                GroupBy::Category => o.category_code.chars().take(2).collect(),
            };
            OrderFacts {
                group,
                dispatched: o.dispatched_at.is_some(),
                signed_in_time: o.signed_at.zip(o.sign_by).is_some_and(|(s, by)| s <= by),
                contacted_in_time: o
                    .contacted_at
                    .zip(o.contact_by)
                    .is_some_and(|(c, by)| c <= by),
                resolution: o.resolution.clone(),
                satisfaction: o.satisfaction.clone(),
                replied_at: o
                    .replied_at
                    .or(o.closed_at.filter(|_| !o.resolution.is_empty())),
                dispatched_at: o.dispatched_at,
                resolve_by: o.resolve_by,
                send_backs: send_backs.get(&o.id).copied().unwrap_or(0),
            }
        })
        .collect();
    let weights = Weights::default();
    let groups = compute(&facts, weights)
        .into_iter()
        .map(|m| {
            let name = match q.group_by {
                GroupBy::Unit => m
                    .group
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| units.get(&id).cloned())
                    .unwrap_or_else(|| "未派单".into()),
                GroupBy::Township => snapshot
                    .region_name(&m.group)
                    .unwrap_or_else(|| "未定位".into()),
                GroupBy::Category => reference
                    .categories
                    .get(&m.group)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| m.group.clone()),
            };
            NamedMetrics { name, metrics: m }
        })
        .collect();
    Ok(MetricsView {
        group_by: q.group_by,
        from: q.from,
        to: q.to,
        weights,
        groups,
    })
}
