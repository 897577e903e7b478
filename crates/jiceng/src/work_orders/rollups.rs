//! 数据驾驶舱 rollups, kept: every change to an order moves its contribution
//! (`jiceng_core::rollup`) in the transaction of the change — intake, every action, the
//! callback, escalation and supervision sweeps — so that the cockpit sums rows instead of
//! scanning orders. [`recompute`] derives the same table from the orders (the rebuild and the
//! tests' oracle).

use crate::error::AppResult;
use crate::store::entities::work_order;
use chrono::NaiveDate;
use jiceng_core::rollup::{COUNTERS, Counters, Facts, Key};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, HashMap};

pub(crate) const TABLE: &str = "work_order_rollups";
const DIMS: [&str; 7] = [
    "day", "township", "village", "category", "unit_id", "channel", "kind",
];

/// What the rollups need of a stored order.
pub(crate) fn facts(m: &work_order::Model) -> Facts {
    Facts {
        created_at: m.created_at,
        township: m.township_code.clone(),
        village: m.village_code.clone(),
        category: m.category_code.clone(),
        unit: m.lead_unit_id,
        channel: m.channel.code().to_string(),
        kind: m.kind.clone(),
        state: m.status,
        escalation: m.escalation,
        dispatched_at: m.dispatched_at,
        signed_at: m.signed_at,
        sign_by: m.sign_by,
        contacted_at: m.contacted_at,
        contact_by: m.contact_by,
        replied_at: m.replied_at,
        resolve_by: m.resolve_by,
        resolution: m.resolution.clone(),
        satisfaction: m.satisfaction.clone(),
    }
}

/// Adds amounts to rows (creating them), one statement for all, summed by row first.
pub(crate) async fn add<C: ConnectionTrait>(db: &C, moves: Vec<(Key, Counters)>) -> AppResult<()> {
    let mut by: HashMap<Key, Counters> = HashMap::new();
    for (k, c) in moves {
        let e = by.entry(k).or_default();
        *e = e.plus(c);
    }
    by.retain(|_, c| !c.is_zero());
    if by.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(Key, Counters)> = by.into_iter().collect();
    // The same order in every transaction: concurrent writers lock rows without crossing.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    // Bounded statements (PostgreSQL takes at most 65,535 parameters).
    for chunk in rows.chunks(1000) {
        let mut q = Query::insert();
        q.into_table(Alias::new(TABLE))
            .columns(DIMS.iter().chain(COUNTERS.iter()).map(|c| Alias::new(*c)));
        for (k, c) in chunk {
            let mut values: Vec<sea_orm::sea_query::SimpleExpr> = vec![
                k.day.format("%Y-%m-%d").to_string().into(),
                k.township.clone().into(),
                k.village.clone().into(),
                k.category.clone().into(),
                k.unit.into(),
                k.channel.clone().into(),
                k.kind.clone().into(),
            ];
            values.extend(c.values().iter().map(|v| (*v).into()));
            q.values_panic(values);
        }
        q.on_conflict(
            OnConflict::columns(DIMS.iter().map(|c| Alias::new(*c)))
                .values(COUNTERS.iter().map(|c| {
                    (
                        Alias::new(*c),
                        Expr::col((Alias::new(TABLE), Alias::new(*c)))
                            .add(Expr::col((Alias::new("excluded"), Alias::new(*c)))),
                    )
                }))
                .to_owned(),
        );
        db.execute(&q).await?;
    }
    Ok(())
}

/// Moves an order's contribution after a change (`before` is `None` for a new order).
pub(crate) async fn moved<C: ConnectionTrait>(
    db: &C,
    before: Option<&work_order::Model>,
    after: &work_order::Model,
) -> AppResult<()> {
    let b = before.map(facts);
    add(db, jiceng_core::rollup::delta(b.as_ref(), &facts(after))).await
}

/// New orders' contributions (intake's batch).
pub(crate) async fn added<C: ConnectionTrait>(
    db: &C,
    orders: &[work_order::Model],
) -> AppResult<()> {
    add(
        db,
        orders
            .iter()
            .map(|m| jiceng_core::rollup::contribution(&facts(m)))
            .collect(),
    )
    .await
}

/// The table as stored (rows whose counters are all zero left out).
pub async fn stored<C: ConnectionTrait>(db: &C) -> AppResult<BTreeMap<Key, Counters>> {
    let mut q = Query::select();
    q.from(Alias::new(TABLE));
    for c in DIMS.iter().chain(COUNTERS.iter()) {
        q.column(Alias::new(*c));
    }
    let mut out = BTreeMap::new();
    for r in db.query_all(&q).await? {
        let day: String = r.try_get("", "day")?;
        let key = Key {
            day: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| {
                crate::error::AppError::internal(anyhow::anyhow!("rollup day {day}: {e}"))
            })?,
            township: r.try_get("", "township")?,
            village: r.try_get("", "village")?,
            category: r.try_get("", "category")?,
            unit: r.try_get("", "unit_id")?,
            channel: r.try_get("", "channel")?,
            kind: r.try_get("", "kind")?,
        };
        let mut v = [0i64; 17];
        for (i, c) in COUNTERS.iter().enumerate() {
            v[i] = r.try_get("", c)?;
        }
        let c = Counters::from_values(v);
        if !c.is_zero() {
            out.insert(key, c);
        }
    }
    Ok(out)
}

/// The table as the orders say it should be, read a batch at a time (`progress` is told how
/// many orders were read).
pub async fn recompute<C: ConnectionTrait>(
    db: &C,
    mut progress: impl FnMut(u64),
) -> AppResult<BTreeMap<Key, Counters>> {
    let mut out: BTreeMap<Key, Counters> = BTreeMap::new();
    let mut after = 0i64;
    loop {
        let batch = work_order::Entity::find()
            .filter(sea_orm::ColumnTrait::gt(&work_order::Column::Id, after))
            .order_by_asc(work_order::Column::Id)
            .limit(5000)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for m in &batch {
            let (k, c) = jiceng_core::rollup::contribution(&facts(m));
            let e = out.entry(k).or_default();
            *e = e.plus(c);
        }
        progress(batch.len() as u64);
    }
    Ok(out)
}

/// Recomputes the table from the orders, in one transaction (readers see the old table until
/// it commits). Returns the number of rows written.
pub async fn rebuild(app: &crate::kernel::app::App, progress: impl FnMut(u64)) -> AppResult<usize> {
    let txn = app.db.begin_write().await?;
    let rows = recompute(&txn, progress).await?;
    txn.execute(&Query::delete().from_table(Alias::new(TABLE)).to_owned())
        .await?;
    let n = rows.len();
    add(&txn, rows.into_iter().collect()).await?;
    txn.commit().await?;
    Ok(n)
}

/// Fills an empty table from the orders already there (a database from before 0019), when the
/// server starts.
pub async fn rebuild_if_empty(app: &crate::kernel::app::App) -> AppResult<usize> {
    let any_rollup = app
        .db
        .conn
        .query_one(
            &Query::select()
                .expr(Expr::val(1))
                .from(Alias::new(TABLE))
                .limit(1)
                .to_owned(),
        )
        .await?
        .is_some();
    let any_order = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::Id)
        .into_tuple::<i64>()
        .one(&app.db.conn)
        .await?
        .is_some();
    if any_rollup || !any_order {
        return Ok(0);
    }
    rebuild(app, |_| {}).await
}
