//! 数据驾驶舱: the leaders' figures — summary with 环比 and 同比, breakdowns with shares,
//! rankings — summed from the rollups (`work_orders::rollups`), never from the orders, within
//! the account's jurisdiction.
//!
//! - `api` — `/api/v1/cockpit/*`.

pub mod api;

use crate::error::{AppError, AppResult, Code};
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::work_orders::rollups::TABLE;
use chrono::NaiveDate;
use jiceng_core::rollup::{COUNTERS, Counters, Period, Rates, Weights, rates, share};
use jiceng_core::{RegionCode, Role};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query, SelectStatement};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who reads the cockpit: leaders, the supervision office, dispatchers and administrators,
/// each over their own jurisdiction.
pub fn may_read(role: Role) -> bool {
    matches!(
        role,
        Role::Leader | Role::Supervisor | Role::Dispatcher | Role::Admin
    )
}

/// The query every view takes: a range (`range` preset, or `from`/`to` days in Beijing
/// time), and a region to narrow to.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Params {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub region: Option<String>,
}

/// The query understood: the period, the region, and the actor's scope.
pub struct Scope {
    pub period: Period,
    pub region: Option<RegionCode>,
    cond: Cond,
}

/// Checks the role and the parameters, and builds the actor's scope over the rollups.
pub async fn scope(app: &App, actor: &Actor, p: &Params) -> AppResult<Scope> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    if !may_read(u.role) {
        return Err(audit::deny(app, actor, "cockpit.read", "cockpit", "").await);
    }
    let today = app
        .now()
        .with_timezone(&jiceng_core::clock::china_offset())
        .date_naive();
    let day = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::field(
                field,
                Code::CockpitBadRange,
                "日期格式应为 YYYY-MM-DD（北京时间）",
            )
        })
    };
    fn nonempty(o: &Option<String>) -> Option<&str> {
        o.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let period = match (nonempty(&p.from), nonempty(&p.to), nonempty(&p.range)) {
        (Some(f), Some(t), _) => {
            let (from, to) = (day("from", f)?, day("to", t)?);
            if from > to {
                return Err(AppError::field(
                    "from",
                    Code::CockpitBadRange,
                    "起始日期不能晚于结束日期",
                ));
            }
            if (to - from).num_days() > 3660 {
                return Err(AppError::field(
                    "from",
                    Code::CockpitBadRange,
                    "时间范围不能超过十年",
                ));
            }
            Period { from, to }
        }
        (Some(_), None, _) | (None, Some(_), _) => {
            return Err(AppError::field(
                "to",
                Code::CockpitBadRange,
                "请同时给出起始日期和结束日期",
            ));
        }
        (None, None, r) => {
            let name = r.unwrap_or("month");
            jiceng_core::rollup::preset(name, today).ok_or_else(|| {
                AppError::field(
                    "range",
                    Code::CockpitBadRange,
                    format!(
                        "时间范围只能是 {}",
                        jiceng_core::rollup::PRESETS
                            .iter()
                            .map(|(c, l)| format!("{c}（{l}）"))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                )
            })?
        }
    };
    let j = &u.jurisdiction;
    // The actor's own: the orders its unit leads, or those of its region (a county account
    // also those with no place yet).
    let mut cond = Cond::any();
    if let Some(d) = j.department_id {
        cond = cond.add(Expr::col(Alias::new("unit_id")).eq(d));
    }
    if !j.assigned_only {
        let pattern = j.region_like_pattern();
        cond = cond
            .add(Expr::col(Alias::new("township")).like(pattern.clone()))
            .add(Expr::col(Alias::new("village")).like(pattern));
        if j.region.level() == jiceng_core::RegionLevel::County {
            cond = cond.add(Expr::col(Alias::new("township")).eq(""));
        }
    }
    let mut all = Cond::all().add(cond);
    let region = match nonempty(&p.region) {
        None => None,
        Some(r) => {
            let code = RegionCode::parse(r)
                .ok()
                .filter(|c| {
                    crate::org::locate::of(app)
                        .snapshot()
                        .region_name(c.as_str())
                        .is_some()
                })
                .ok_or_else(|| AppError::field("region", Code::CockpitBadRegion, "区划不存在"))?;
            if j.assigned_only || !j.covers_region(&code) {
                return Err(AppError::field(
                    "region",
                    Code::CockpitBadRegion,
                    "该区划不在您的管辖范围内",
                ));
            }
            let pattern = format!("{}%", code.subtree_prefix());
            all = all.add(
                Cond::any()
                    .add(Expr::col(Alias::new("township")).like(pattern.clone()))
                    .add(Expr::col(Alias::new("village")).like(pattern)),
            );
            Some(code)
        }
    };
    Ok(Scope {
        period,
        region,
        cond: all,
    })
}

/// What a view groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Category,
    Township,
    Village,
    Unit,
    Channel,
    Kind,
    Month,
    Week,
    Day,
}

impl By {
    /// The SQL expression of the group's key (the week is made from the day afterwards).
    fn key_sql(self, level: u8) -> String {
        match self {
            By::Category => format!("substr(category, 1, {})", 2 * u32::from(level.clamp(1, 3))),
            By::Township => "township".into(),
            By::Village => "village".into(),
            By::Unit => "CAST(unit_id AS TEXT)".into(),
            By::Channel => "channel".into(),
            By::Kind => "kind".into(),
            By::Month => "substr(day, 1, 7)".into(),
            By::Week | By::Day => "day".into(),
        }
    }
}

fn base(scope: &Scope, period: Period) -> SelectStatement {
    let mut q = Query::select();
    q.from(Alias::new(TABLE))
        .cond_where(scope.cond.clone())
        .and_where(Expr::col(Alias::new("day")).gte(period.from.format("%Y-%m-%d").to_string()))
        .and_where(Expr::col(Alias::new("day")).lte(period.to.format("%Y-%m-%d").to_string()));
    for c in COUNTERS {
        q.expr_as(
            Expr::cust(format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")),
            Alias::new(c),
        );
    }
    q
}

fn counters_of(r: &sea_orm::QueryResult) -> AppResult<Counters> {
    let mut v = [0i64; 17];
    for (i, c) in COUNTERS.iter().enumerate() {
        v[i] = r.try_get("", c)?;
    }
    Ok(Counters::from_values(v))
}

/// The counters of a period in scope, summed.
pub async fn total(app: &App, scope: &Scope, period: Period) -> AppResult<Counters> {
    let q = base(scope, period);
    match app.db.conn.query_one(&q).await? {
        Some(r) => counters_of(&r),
        None => Ok(Counters::default()),
    }
}

/// The counters of the scope's period by group key.
pub async fn grouped(
    app: &App,
    scope: &Scope,
    by: By,
    level: u8,
) -> AppResult<BTreeMap<String, Counters>> {
    let mut q = base(scope, scope.period);
    let key = by.key_sql(level);
    q.expr_as(Expr::cust(key.clone()), Alias::new("g"))
        .add_group_by([Expr::cust(key)]);
    let mut out: BTreeMap<String, Counters> = BTreeMap::new();
    for r in app.db.conn.query_all(&q).await? {
        let g: String = r.try_get("", "g")?;
        let g = if by == By::Week {
            NaiveDate::parse_from_str(&g, "%Y-%m-%d")
                .map(jiceng_core::rollup::week_of)
                .unwrap_or(g)
        } else {
            g
        };
        let c = counters_of(&r)?;
        let e = out.entry(g).or_default();
        *e = e.plus(c);
    }
    Ok(out)
}

/// One figure with the same figure for the period before (环比) and a year before (同比).
#[derive(Debug, Clone, Serialize)]
pub struct Compared<T> {
    pub value: T,
    pub previous: T,
    pub year_before: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub period: Period,
    pub previous_period: Period,
    pub year_before_period: Period,
    pub received: Compared<i64>,
    pub open: Compared<i64>,
    pub overdue: Compared<i64>,
    pub due_soon: Compared<i64>,
    pub closed: Compared<i64>,
    pub response_rate: Compared<Option<f64>>,
    pub resolution_rate: Compared<Option<f64>>,
    pub satisfaction_rate: Compared<Option<f64>>,
    pub composite: Compared<Option<f64>>,
    pub on_time_rate: Compared<Option<f64>>,
    pub avg_handling_hours: Compared<Option<f64>>,
    pub weights: Weights,
}

/// The cockpit's summary over the orders received in the period.
pub async fn summary(app: &App, actor: &Actor, p: &Params) -> AppResult<Summary> {
    let scope = scope(app, actor, p).await?;
    let w = Weights::default();
    let (prev, year) = (scope.period.previous(), scope.period.year_before());
    let (a, b, c) = (
        total(app, &scope, scope.period).await?,
        total(app, &scope, prev).await?,
        total(app, &scope, year).await?,
    );
    let (ra, rb, rc) = (rates(&a, w), rates(&b, w), rates(&c, w));
    let n = |f: fn(&Counters) -> i64| Compared {
        value: f(&a),
        previous: f(&b),
        year_before: f(&c),
    };
    let r = |f: fn(&Rates) -> Option<f64>| Compared {
        value: f(&ra),
        previous: f(&rb),
        year_before: f(&rc),
    };
    Ok(Summary {
        period: scope.period,
        previous_period: prev,
        year_before_period: year,
        received: n(|c| c.received),
        open: n(|c| c.open),
        overdue: n(|c| c.overdue),
        due_soon: n(|c| c.due_soon),
        closed: n(|c| c.closed),
        response_rate: r(|x| x.response_rate),
        resolution_rate: r(|x| x.resolution_rate),
        satisfaction_rate: r(|x| x.satisfaction_rate),
        composite: r(|x| x.composite),
        on_time_rate: r(|x| x.on_time_rate),
        avg_handling_hours: r(|x| x.avg_handling_hours),
        weights: w,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownRow {
    pub key: String,
    pub name: String,
    pub count: i64,
    /// Per cent of the total received, to two decimals.
    pub share: f64,
    pub open: i64,
    pub overdue: i64,
    pub closed: i64,
    #[serde(flatten)]
    pub rates: Rates,
}

#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    pub period: Period,
    pub by: By,
    pub total: i64,
    pub rows: Vec<BreakdownRow>,
}

/// The orders received in the period, by a dimension, the largest first (time dimensions in
/// time order), each with its share of the total and its rates.
pub async fn breakdown(
    app: &App,
    actor: &Actor,
    p: &Params,
    by: By,
    level: u8,
) -> AppResult<Breakdown> {
    let scope = scope(app, actor, p).await?;
    let groups = grouped(app, &scope, by, level).await?;
    let total: i64 = groups.values().map(|c| c.received).sum();
    let w = Weights::default();
    let names = Names::load(app, by).await?;
    let mut rows: Vec<BreakdownRow> = groups
        .into_iter()
        .filter(|(_, c)| c.received > 0)
        .map(|(key, c)| BreakdownRow {
            name: names.of(by, &key),
            count: c.received,
            share: share(c.received, total),
            open: c.open,
            overdue: c.overdue,
            closed: c.closed,
            rates: rates(&c, w),
            key,
        })
        .collect();
    if !matches!(by, By::Month | By::Week | By::Day) {
        rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    }
    Ok(Breakdown {
        period: scope.period,
        by,
        total,
        rows,
    })
}

/// Names of group keys as people read them.
struct Names {
    units: std::collections::HashMap<String, String>,
    places: std::sync::Arc<crate::org::locate::Snapshot>,
    reference: std::sync::Arc<crate::reference::Loaded>,
}

impl Names {
    async fn load(app: &App, by: By) -> AppResult<Names> {
        let units = if by == By::Unit {
            use sea_orm::EntityTrait;
            crate::store::entities::department::Entity::find()
                .all(&app.db.conn)
                .await?
                .into_iter()
                .map(|d| (d.id.to_string(), d.name))
                .collect()
        } else {
            Default::default()
        };
        Ok(Names {
            units,
            places: crate::org::locate::of(app).snapshot(),
            reference: crate::reference::of(app).get(),
        })
    }

    fn of(&self, by: By, key: &str) -> String {
        match by {
            By::Unit if key == "0" => "未派单".into(),
            By::Unit => self.units.get(key).cloned().unwrap_or_default(),
            By::Township | By::Village if key.is_empty() => "未定位".into(),
            By::Township | By::Village => self.places.region_name(key).unwrap_or_default(),
            By::Category => self
                .reference
                .categories
                .get(key)
                .map(|c| c.path.clone())
                .unwrap_or_else(|| key.to_string()),
            By::Channel => crate::work_orders::Channel::parse(key)
                .map(|c| c.label().to_string())
                .unwrap_or_else(|| key.to_string()),
            By::Kind => jiceng_core::work_order::RequestKind::parse(key)
                .map(|k| k.label().to_string())
                .unwrap_or_else(|| "未注明".into()),
            By::Month | By::Week | By::Day => key.to_string(),
        }
    }
}
