//! 一窗受理's catalog of service matters: administrators declare matters (实施清单 fields and
//! materials); every change is a new version, the old ones kept; anyone may read the current
//! ones (the service guides are public).

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
use crate::org::unit_names;
use crate::store::entities::bundle;
use crate::store::entities::department;
use crate::store::entities::matter;
use chrono::{DateTime, Utc};
use jiceng_core::bundle::{BundleSpec, Figures, Unified, reduction};
use jiceng_core::catalog::MatterSpec;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: i64,
    pub name: String,
}

/// A matter's current version, whole.
#[derive(Debug, Clone, Serialize)]
pub struct MatterView {
    pub version: i32,
    pub matter_type_label: &'static str,
    pub unit: UnitRef,
    /// 最多跑一次: at most one visit.
    pub at_most_one_visit: bool,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub spec: MatterSpec,
}

/// A line of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct MatterSummary {
    pub code: String,
    pub basic_code: String,
    pub name: String,
    pub matter_type: String,
    pub matter_type_label: &'static str,
    pub unit: UnitRef,
    /// The unit's code as the catalog gives it (`rsj`).
    pub unit_code: String,
    pub version: i32,
    pub visits: u32,
    pub promised_limit: String,
    pub materials: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub version: i32,
    pub current: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MatterFilter {
    /// Words in the name or the code.
    pub q: Option<String>,
    pub unit: Option<i64>,
    pub matter_type: Option<String>,
}

fn not_found() -> AppError {
    AppError::new(Code::MatterNotFound, "没有这个事项")
}

fn spec_of(m: &matter::Model) -> AppResult<MatterSpec> {
    serde_json::from_str(&m.spec)
        .map_err(|e| AppError::internal(anyhow::anyhow!("matter {} spec: {e}", m.code)))
}

fn view(m: &matter::Model, unit_name: String) -> AppResult<MatterView> {
    let spec = spec_of(m)?;
    Ok(MatterView {
        version: m.version,
        matter_type_label: spec.matter_type.label(),
        unit: UnitRef {
            id: m.unit_id,
            name: unit_name,
        },
        at_most_one_visit: spec.at_most_one_visit(),
        updated_at: m.created_at,
        spec,
    })
}

/// A spec trimmed and checked: every broken rule, or the spec ready to write.
pub(crate) fn checked(spec: MatterSpec) -> Result<MatterSpec, Vec<FieldError>> {
    let mut spec = spec;
    spec.code = spec.code.trim().to_string();
    spec.basic_code = spec.basic_code.trim().to_string();
    spec.name = spec.name.trim().to_string();
    spec.unit_code = spec.unit_code.trim().to_string();
    let problems = spec.problems();
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems
            .into_iter()
            .map(|p| FieldError {
                field: p.field,
                message: p.message,
            })
            .collect())
    }
}

/// The active units by code.
pub(crate) async fn active_units<C: ConnectionTrait>(
    db: &C,
) -> AppResult<std::collections::HashMap<String, department::Model>> {
    Ok(department::Entity::find()
        .filter(department::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code.clone(), d))
        .collect())
}

fn unknown_unit(code: &str) -> String {
    format!("实施单位 {code} 不存在或已停用")
}

/// Writes a checked spec as the matter's new version, unless it is unchanged. Returns the
/// current row and whether a version was written.
async fn write_version(
    txn: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &str,
    spec: &MatterSpec,
    unit: &department::Model,
) -> AppResult<(matter::Model, bool)> {
    let current = matter::Entity::find()
        .filter(matter::Column::Code.eq(spec.code.clone()))
        .filter(matter::Column::Current.eq(true))
        .lock_exclusive()
        .one(txn)
        .await?;
    if let Some(c) = &current
        && spec_of(c)? == *spec
        && c.unit_id == unit.id
    {
        return Ok((c.clone(), false));
    }
    let version = current.as_ref().map(|c| c.version + 1).unwrap_or(1);
    if let Some(c) = current {
        let mut am: matter::ActiveModel = c.into();
        am.current = Set(false);
        am.update(txn).await?;
    }
    let m = matter::ActiveModel {
        code: Set(spec.code.clone()),
        version: Set(version),
        current: Set(true),
        basic_code: Set(spec.basic_code.clone()),
        name: Set(spec.name.clone()),
        matter_type: Set(serde_json::to_value(spec.matter_type)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()),
        unit_id: Set(unit.id),
        spec: Set(serde_json::to_string(spec).expect("spec serialises")),
        created_by: Set(actor.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        now,
        actor,
        Event::new(
            if version == 1 {
                "matter.create"
            } else {
                "matter.update"
            },
            "matter",
            &spec.code,
        )
        .state(spec)
        .reason(format!("第{version}版")),
    )
    .await?;
    Ok((m, true))
}

/// Declares a matter, or a new version of it (administrators). Every broken rule is reported
/// at once and nothing is written; an unchanged spec writes nothing either. Returns the
/// current version and whether the matter is new.
pub async fn save(app: &App, actor: &Actor, spec: MatterSpec) -> AppResult<(MatterView, bool)> {
    if !actor.is_deployment_admin() {
        return Err(audit::deny(app, actor, "matter.save", "matter", &spec.code).await);
    }
    let spec = checked(spec).map_err(|fields| {
        AppError::invalid(Code::MatterInvalid, fields[0].message.clone(), fields)
    })?;
    let units = active_units(&app.db.conn).await?;
    let unit = units.get(&spec.unit_code).ok_or_else(|| {
        AppError::field(
            "unit_code",
            Code::MatterUnknownUnit,
            unknown_unit(&spec.unit_code),
        )
    })?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let (m, written) = write_version(&txn, now, &actor.audit_name(), &spec, unit).await?;
    txn.commit().await?;
    if written {
        crate::hall::applications::subject::cache(app).forget();
    }
    Ok((view(&m, unit.name.clone())?, written && m.version == 1))
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Saves many matters at once (administrators): every spec is checked first, and one broken
/// rule anywhere writes nothing; `place` names where each spec came from (a sheet row) in the
/// errors, which list every problem at once.
pub(crate) async fn save_many(
    app: &App,
    actor: &Actor,
    specs: Vec<(String, MatterSpec)>,
    mut errors: Vec<FieldError>,
) -> AppResult<ImportReport> {
    if !actor.is_deployment_admin() {
        return Err(audit::deny(app, actor, "matter.import", "matter", "").await);
    }
    let units = active_units(&app.db.conn).await?;
    let mut ready = Vec::with_capacity(specs.len());
    let mut seen = std::collections::HashSet::new();
    for (place, spec) in specs {
        match checked(spec) {
            Ok(spec) => {
                if !units.contains_key(&spec.unit_code) {
                    errors.push(FieldError {
                        field: place.clone(),
                        message: unknown_unit(&spec.unit_code),
                    });
                }
                if !seen.insert(spec.code.clone()) {
                    errors.push(FieldError {
                        field: place.clone(),
                        message: format!("实施编码 {} 重复", spec.code),
                    });
                }
                ready.push(spec);
            }
            Err(fields) => errors.extend(fields.into_iter().map(|f| FieldError {
                field: place.clone(),
                message: format!("{}：{}", f.field, f.message),
            })),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(
            Code::MatterImportInvalid,
            format!("文件有{}处错误，未导入任何事项", errors.len()),
            errors,
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let mut report = ImportReport {
        created: 0,
        updated: 0,
        unchanged: 0,
    };
    for spec in &ready {
        let (m, written) = write_version(
            &txn,
            now,
            &actor.audit_name(),
            spec,
            &units[&spec.unit_code],
        )
        .await?;
        match (written, m.version) {
            (false, _) => report.unchanged += 1,
            (true, 1) => report.created += 1,
            (true, _) => report.updated += 1,
        }
    }
    txn.commit().await?;
    crate::hall::applications::subject::cache(app).forget();
    Ok(report)
}

/// Every current matter's spec, by code.
pub(crate) async fn all_specs(app: &App) -> AppResult<Vec<MatterSpec>> {
    matter::Entity::find()
        .filter(matter::Column::Current.eq(true))
        .order_by_asc(matter::Column::Code)
        .all(&app.db.conn)
        .await?
        .iter()
        .map(spec_of)
        .collect()
}

/// The catalog's current matters, by name; anyone may read it.
pub async fn list(app: &App, f: &MatterFilter, page: PageParams) -> AppResult<Page<MatterSummary>> {
    let mut q = matter::Entity::find().filter(matter::Column::Current.eq(true));
    if let Some(words) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(matter::Column::Name.contains(words))
                .add(matter::Column::Code.contains(words))
                .add(matter::Column::BasicCode.eq(words)),
        );
    }
    if let Some(u) = f.unit {
        q = q.filter(matter::Column::UnitId.eq(u));
    }
    if let Some(t) = f.matter_type.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(matter::Column::MatterType.eq(t));
    }
    let q = q
        .order_by_asc(matter::Column::Name)
        .order_by_asc(matter::Column::Id);
    let page = crate::kernel::paging::paginate(&app.db.conn, q, page, Ok).await?;
    let names = unit_names(&app.db.conn, page.items.iter().map(|m| m.unit_id).collect()).await?;
    let items = page
        .items
        .iter()
        .map(|m| {
            let spec = spec_of(m)?;
            Ok(MatterSummary {
                code: m.code.clone(),
                basic_code: m.basic_code.clone(),
                name: m.name.clone(),
                matter_type: m.matter_type.clone(),
                matter_type_label: spec.matter_type.label(),
                unit: UnitRef {
                    id: m.unit_id,
                    name: names.get(&m.unit_id).cloned().unwrap_or_default(),
                },
                unit_code: spec.unit_code.clone(),
                version: m.version,
                visits: spec.visits,
                promised_limit: spec.promised_limit.describe(),
                materials: spec.materials.len(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page {
        items,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// A matter's current version with its materials.
pub async fn get(app: &App, code: &str) -> AppResult<MatterView> {
    let m = matter::Entity::find()
        .filter(matter::Column::Code.eq(code))
        .filter(matter::Column::Current.eq(true))
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    let names = unit_names(&app.db.conn, vec![m.unit_id]).await?;
    view(&m, names.get(&m.unit_id).cloned().unwrap_or_default())
}

/// Every version of a matter, newest first.
pub async fn versions(app: &App, code: &str) -> AppResult<Vec<VersionView>> {
    let rows = matter::Entity::find()
        .filter(matter::Column::Code.eq(code))
        .order_by_desc(matter::Column::Version)
        .all(&app.db.conn)
        .await?;
    if rows.is_empty() {
        return Err(not_found());
    }
    Ok(rows
        .into_iter()
        .map(|m| VersionView {
            version: m.version,
            current: m.current,
            created_by: m.created_by,
            created_at: m.created_at,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// 一件事一次办

/// A bundle with its order, unified materials and what bundling saves.
#[derive(Debug, Clone, Serialize)]
pub struct BundleView {
    pub code: String,
    pub name: String,
    pub summary: String,
    pub matters: Vec<BundleMatter>,
    pub edges: Vec<(String, String)>,
    #[serde(flatten)]
    pub unified: Unified,
    /// Per cent saved: submissions, materials, visits, days.
    pub reduction: Reduction,
}

#[derive(Debug, Clone, Serialize)]
pub struct BundleMatter {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reduction {
    pub submissions: u32,
    pub materials: u32,
    pub visits: u32,
    pub days: u32,
}

fn reduction_of(before: &Figures, after: &Figures) -> Reduction {
    Reduction {
        submissions: reduction(before.submissions, after.submissions),
        materials: reduction(before.materials, after.materials),
        visits: reduction(before.visits, after.visits),
        days: reduction(before.days, after.days),
    }
}

/// The current specs of some matters, by code, with their units' names.
async fn current_specs<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<std::collections::HashMap<String, (MatterSpec, String)>> {
    let rows = matter::Entity::find()
        .filter(matter::Column::Code.is_in(codes.to_vec()))
        .filter(matter::Column::Current.eq(true))
        .all(db)
        .await?;
    let names = unit_names(db, rows.iter().map(|m| m.unit_id).collect()).await?;
    rows.iter()
        .map(|m| {
            Ok((
                m.code.clone(),
                (
                    spec_of(m)?,
                    names.get(&m.unit_id).cloned().unwrap_or_default(),
                ),
            ))
        })
        .collect()
}

async fn bundle_view<C: ConnectionTrait>(db: &C, spec: BundleSpec) -> AppResult<BundleView> {
    let specs = current_specs(db, &spec.matters).await?;
    let plain: std::collections::HashMap<String, MatterSpec> = specs
        .iter()
        .map(|(k, (s, _))| (k.clone(), s.clone()))
        .collect();
    let unified = spec.unify(&plain).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "bundle {} no longer fits the catalog",
            spec.code
        ))
    })?;
    Ok(BundleView {
        matters: spec
            .matters
            .iter()
            .map(|c| BundleMatter {
                code: c.clone(),
                name: specs.get(c).map(|s| s.0.name.clone()).unwrap_or_default(),
                unit: specs.get(c).map(|s| s.1.clone()).unwrap_or_default(),
            })
            .collect(),
        reduction: reduction_of(&unified.before, &unified.after),
        unified,
        code: spec.code,
        name: spec.name,
        summary: spec.summary,
        edges: spec.edges,
    })
}

/// Declares or changes a bundle (administrators): its matters must be in the catalog and its
/// order free of cycles; every broken rule is reported at once and nothing is written.
pub async fn save_bundle(app: &App, actor: &Actor, spec: BundleSpec) -> AppResult<BundleView> {
    if !actor.is_deployment_admin() {
        return Err(audit::deny(app, actor, "bundle.save", "bundle", &spec.code).await);
    }
    let known: std::collections::BTreeSet<String> = current_specs(&app.db.conn, &spec.matters)
        .await?
        .into_keys()
        .collect();
    let problems = spec.problems(&known);
    if !problems.is_empty() {
        let fields: Vec<FieldError> = problems
            .into_iter()
            .map(|p| FieldError {
                field: p.field,
                message: p.message,
            })
            .collect();
        let code = if fields.iter().any(|f| f.message.contains("循环")) {
            Code::BundleCycle
        } else {
            Code::BundleInvalid
        };
        return Err(AppError::invalid(code, fields[0].message.clone(), fields));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    bundle::Entity::delete_by_id(spec.code.clone())
        .exec(&txn)
        .await?;
    bundle::ActiveModel {
        code: Set(spec.code.clone()),
        name: Set(spec.name.trim().to_string()),
        spec: Set(serde_json::to_string(&spec).expect("bundle serialises")),
        updated_by: Set(actor.audit_name()),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("bundle.save", "bundle", &spec.code).state(&spec),
    )
    .await?;
    let v = bundle_view(&txn, spec).await?;
    txn.commit().await?;
    crate::hall::applications::subject::cache(app).forget();
    Ok(v)
}

/// Every bundle, public.
pub async fn bundles(app: &App) -> AppResult<Vec<BundleView>> {
    let rows = bundle::Entity::find()
        .order_by_asc(bundle::Column::Code)
        .all(&app.db.conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let spec: BundleSpec = serde_json::from_str(&r.spec)
            .map_err(|e| AppError::internal(anyhow::anyhow!("bundle {}: {e}", r.code)))?;
        out.push(bundle_view(&app.db.conn, spec).await?);
    }
    Ok(out)
}

pub async fn get_bundle(app: &App, code: &str) -> AppResult<BundleView> {
    let r = bundle::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::BundleNotFound, "没有这件事"))?;
    let spec: BundleSpec = serde_json::from_str(&r.spec)
        .map_err(|e| AppError::internal(anyhow::anyhow!("bundle {}: {e}", r.code)))?;
    bundle_view(&app.db.conn, spec).await
}
