//! Organisation, regions (county → township/street → village/community): reading within
//! jurisdiction, admin create, update and delete with audit; the locate index follows.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::audit::require_admin_over;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::org::checks::check_name;
use crate::org::checks::geometry_error;
use crate::org::checks::like_pattern;
use crate::org::checks::parse_geojson_geometry;
use crate::org::checks::parse_region_code;
use crate::org::checks::region_not_found;
use crate::store::entities::department;
use crate::store::entities::grid;
use crate::store::entities::region;
use crate::store::entities::user;
use chrono::{DateTime, Utc};
use jiceng_core::geometry::{self};
use jiceng_core::{RegionCode, RegionLevel};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Regions

#[derive(Debug, Clone, Serialize)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub level_label: &'static str,
    pub parent_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<serde_json::Value>,
    pub updated_at: DateTime<Utc>,
}

impl RegionView {
    pub(crate) fn from_model(m: region::Model, with_boundary: bool) -> AppResult<Self> {
        let level = m.level;
        Ok(Self {
            boundary: match m.boundary.as_deref() {
                Some(b) if with_boundary => Some(crate::store::json("regions.boundary", b)?),
                _ => None,
            },
            code: m.code,
            name: m.name,
            level,
            level_label: level.label(),
            parent_code: m.parent_code,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegionInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub boundary: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegionUpdate {
    pub name: String,
    #[serde(default)]
    pub boundary: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegionFilter {
    pub level: Option<String>,
    pub parent: Option<String>,
    pub q: Option<String>,
}

pub(crate) fn boundary_text(v: &Option<serde_json::Value>) -> AppResult<Option<String>> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => {
            let g = parse_geojson_geometry("boundary", v)?;
            let mp =
                geometry::region_boundary(&g.value).map_err(|e| geometry_error("boundary", e))?;
            Ok(Some(
                serde_json::to_string(&geojson::Geometry::new(geometry::multipolygon_to_geojson(
                    &mp,
                )))
                .expect("geojson"),
            ))
        }
    }
}

/// A stored boundary as a shape.
pub(crate) fn shape(text: &str) -> Option<geo::MultiPolygon<f64>> {
    serde_json::from_str::<geojson::Geometry>(text)
        .ok()
        .and_then(|g| geometry::region_boundary(&g.value).ok())
}

/// A boundary drawn by a township's (or village's) admin lies within that admin's own area
/// (when it has a boundary), so that nobody draws a village over a neighbour's land. The
/// county's admins run the whole map, 飞地 (exclaves) included.
async fn check_within_area<C: sea_orm::ConnectionTrait>(
    db: &C,
    actor: &Actor,
    boundary: Option<&str>,
) -> AppResult<()> {
    let (Some(b), Actor::User(u)) = (boundary, actor) else {
        return Ok(());
    };
    if actor.covers_deployment() {
        return Ok(());
    }
    let Some(p) = region::Entity::find_by_id(u.jurisdiction.region.to_string())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if let (Some(child), Some(outer)) = (shape(b), p.boundary.as_deref().and_then(shape))
        && child
            .0
            .iter()
            .any(|poly| geometry::area_outside(poly, &outer) > geometry::OVERLAP_TOLERANCE)
    {
        return Err(AppError::field(
            "boundary",
            Code::RegionOutsideArea,
            format!("边界超出了“{}”的范围", p.name),
        ));
    }
    Ok(())
}

pub async fn list_regions(
    app: &App,
    actor: &Actor,
    f: &RegionFilter,
    page: PageParams,
) -> AppResult<Page<RegionView>> {
    let mut q = region::Entity::find();
    if let Some(p) = like_pattern(actor) {
        q = q.filter(region::Column::Code.like(p));
    }
    if let Some(l) = f.level.as_deref().filter(|s| !s.is_empty()) {
        let l = RegionLevel::parse(l).ok_or_else(|| {
            AppError::field(
                "level",
                Code::ValidationBadLevel,
                "层级只能是 county、township 或 village",
            )
        })?;
        q = q.filter(region::Column::Level.eq(l.code()));
    }
    if let Some(p) = f.parent.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(region::Column::ParentCode.eq(p.trim()));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(region::Column::Name.contains(text))
                .add(region::Column::Code.starts_with(text)),
        );
    }
    let q = q.order_by_asc(region::Column::Code);
    crate::kernel::paging::paginate(&app.db.conn, q, page, |m| RegionView::from_model(m, false))
        .await
}

pub async fn get_region(app: &App, actor: &Actor, code: &str) -> AppResult<RegionView> {
    let c = RegionCode::parse(code).map_err(|_| region_not_found())?;
    if !actor.covers_region(&c) {
        return Err(region_not_found());
    }
    let m = region::Entity::find_by_id(c.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(region_not_found)?;
    RegionView::from_model(m, true)
}

/// Inserts a region after every check; shared by the API, the admin page, import and the demo.
pub(crate) async fn insert_region(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &RegionInput,
) -> AppResult<region::Model> {
    let code = parse_region_code("code", &input.code)?;
    let name = check_name("name", &input.name)?;
    let boundary = boundary_text(&input.boundary)?;
    if region::Entity::find_by_id(code.to_string())
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            Code::RegionDuplicateCode,
            format!("区划代码 {code} 已存在"),
        ));
    }
    check_within_area(txn, actor, boundary.as_deref()).await?;
    if let Some(parent) = code.parent()
        && region::Entity::find_by_id(parent.to_string())
            .one(txn)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            Code::RegionUnknownParent,
            format!("上级区划 {parent} 不存在"),
            vec![FieldError {
                field: "code".into(),
                message: format!("上级区划 {parent} 不存在"),
            }],
        ));
    }
    let m = region::ActiveModel {
        code: Set(code.to_string()),
        name: Set(name),
        level: Set(code.level()),
        parent_code: Set(code.parent().map(|p| p.to_string())),
        boundary: Set(boundary),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let view = RegionView::from_model(m.clone(), true)?;
    audit::record(
        txn,
        now,
        &actor.audit_name(),
        Event::new("region.create", "region", code.to_string()).state(&view),
    )
    .await?;
    Ok(m)
}

pub async fn create_region(app: &App, actor: &Actor, input: RegionInput) -> AppResult<RegionView> {
    let code = parse_region_code("code", &input.code)?;
    let scope = code.parent().unwrap_or_else(|| code.clone());
    require_admin_over(
        app,
        actor,
        &scope,
        "region.create",
        "region",
        code.as_str(),
        region_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    let m = insert_region(&txn, app.now(), actor, &input).await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    RegionView::from_model(m, true)
}

pub async fn update_region(
    app: &App,
    actor: &Actor,
    code: &str,
    input: RegionUpdate,
) -> AppResult<RegionView> {
    let c = RegionCode::parse(code).map_err(|_| region_not_found())?;
    require_admin_over(
        app,
        actor,
        &c,
        "region.update",
        "region",
        c.as_str(),
        region_not_found(),
    )
    .await?;
    let name = check_name("name", &input.name)?;
    let boundary = boundary_text(&input.boundary)?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let m = region::Entity::find_by_id(c.to_string())
        .one(&txn)
        .await?
        .ok_or_else(region_not_found)?;
    // Redrawing a boundary is the parent's admin's business, as creating the region is: a
    // township's admin renames the township but does not move its border.
    let moved = match (&boundary, &m.boundary) {
        (Some(new), Some(old)) => shape(new) != shape(old),
        (new, old) => new.is_some() != old.is_some(),
    };
    if moved {
        if let Some(parent) = c.parent()
            && !actor.covers_region(&parent)
        {
            txn.rollback().await?;
            return Err(audit::deny(app, actor, "region.update", "region", c.as_str()).await);
        }
        check_within_area(&txn, actor, boundary.as_deref()).await?;
    }
    let mut am: region::ActiveModel = m.into();
    am.name = Set(name);
    am.boundary = Set(boundary);
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    let view = RegionView::from_model(m, true)?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("region.update", "region", c.to_string()).state(&view),
    )
    .await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    Ok(view)
}

pub async fn delete_region(app: &App, actor: &Actor, code: &str) -> AppResult<()> {
    let c = RegionCode::parse(code).map_err(|_| region_not_found())?;
    require_admin_over(
        app,
        actor,
        &c,
        "region.delete",
        "region",
        c.as_str(),
        region_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    region::Entity::find_by_id(c.to_string())
        .one(&txn)
        .await?
        .ok_or_else(region_not_found)?;
    let in_use = region::Entity::find()
        .filter(region::Column::ParentCode.eq(c.as_str()))
        .count(&txn)
        .await?
        + department::Entity::find()
            .filter(department::Column::RegionCode.eq(c.as_str()))
            .count(&txn)
            .await?
        + grid::Entity::find()
            .filter(grid::Column::VillageCode.eq(c.as_str()))
            .count(&txn)
            .await?
        + user::Entity::find()
            .filter(user::Column::RegionCode.eq(c.as_str()))
            .count(&txn)
            .await?;
    if in_use > 0 {
        return Err(AppError::new(
            Code::RegionInUse,
            "该区划下还有下级区划、部门、网格或账号，不能删除",
        ));
    }
    region::Entity::delete_by_id(c.to_string())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        app.now(),
        &actor.audit_name(),
        Event::new("region.delete", "region", c.to_string()),
    )
    .await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    Ok(())
}
