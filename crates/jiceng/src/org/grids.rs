//! Organisation, grids: polygons that tile a village, one grid worker each; reading within
//! jurisdiction, admin create, update and delete with audit, overlap and containment checks.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::audit::require_admin_over;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::org::checks::check_code;
use crate::org::checks::check_name;
use crate::org::checks::geometry_error;
use crate::org::checks::like_pattern;
use crate::org::checks::parse_geojson_geometry;
use crate::org::checks::parse_region_code;
use crate::org::checks::region_not_found;
use crate::store::entities::grid;
use crate::store::entities::region;
use crate::store::entities::user;
use chrono::{DateTime, Utc};
use geo::BoundingRect;
use jiceng_core::geometry::{self};
use jiceng_core::{RegionCode, RegionLevel, Role};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Grids

#[derive(Debug, Clone, Serialize)]
pub struct GridView {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub worker_user_id: Option<i64>,
    pub geometry: serde_json::Value,
}

impl GridView {
    pub(crate) fn of(m: grid::Model) -> AppResult<Self> {
        Ok(Self {
            geometry: crate::store::json("grids.geometry", &m.geometry)?,
            code: m.code,
            name: m.name,
            village_code: m.village_code,
            worker_user_id: m.worker_user_id,
        })
    }
}

impl GridView {
    pub fn to_feature(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "Feature",
            "id": self.code,
            "geometry": self.geometry,
            "properties": {
                "code": self.code,
                "name": self.name,
                "village_code": self.village_code,
                "worker_user_id": self.worker_user_id,
            }
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct GridInput {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub geometry: serde_json::Value,
    #[serde(default)]
    pub worker_user_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GridFilter {
    pub village: Option<String>,
    pub q: Option<String>,
}

pub(crate) fn grid_not_found() -> AppError {
    AppError::new(Code::GridNotFound, "网格不存在")
}

pub(crate) struct CheckedGrid {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) village: RegionCode,
    pub(crate) polygon: geo::Polygon<f64>,
}

pub(crate) fn check_grid(input: &GridInput) -> AppResult<CheckedGrid> {
    let code = check_code("code", &input.code, "网格")?;
    let name = check_name("name", &input.name)?;
    let village = parse_region_code("village_code", &input.village_code)?;
    if village.level() != RegionLevel::Village {
        return Err(AppError::field(
            "village_code",
            Code::GridNotInVillage,
            "网格必须属于一个村（社区）",
        ));
    }
    let g = parse_geojson_geometry("geometry", &input.geometry)?;
    let polygon = geometry::grid_polygon(&g.value).map_err(|e| geometry_error("geometry", e))?;
    Ok(CheckedGrid {
        code,
        name,
        village,
        polygon,
    })
}

/// Checks a grid against the database inside `txn`: village exists, the polygon stays inside
/// the village boundary (when known), overlaps no other grid, and the worker is a grid worker.
pub(crate) async fn check_grid_in_db(
    txn: &DatabaseTransaction,
    g: &CheckedGrid,
    worker: Option<i64>,
) -> AppResult<()> {
    let Some(village) = region::Entity::find_by_id(g.village.to_string())
        .one(txn)
        .await?
    else {
        return Err(AppError::field(
            "village_code",
            Code::RegionUnknown,
            format!("村（社区）{} 不存在", g.village),
        ));
    };
    if let Some(boundary) = village
        .boundary
        .as_deref()
        .and_then(crate::org::regions::shape)
        && geometry::area_outside(&g.polygon, &boundary) > geometry::OVERLAP_TOLERANCE
    {
        return Err(AppError::field(
            "geometry",
            Code::GridOutsideVillage,
            format!("网格超出了“{}”的边界", village.name),
        ));
    }
    let r = g
        .polygon
        .bounding_rect()
        .expect("valid polygon has a bounding box");
    let candidates = grid::Entity::find()
        .filter(grid::Column::Code.ne(g.code.clone()))
        .filter(grid::Column::MinLon.lte(r.max().x))
        .filter(grid::Column::MaxLon.gte(r.min().x))
        .filter(grid::Column::MinLat.lte(r.max().y))
        .filter(grid::Column::MaxLat.gte(r.min().y))
        .all(txn)
        .await?;
    for other in candidates {
        let Some(p) = serde_json::from_str::<geojson::Geometry>(&other.geometry)
            .ok()
            .and_then(|x| geometry::grid_polygon(&x.value).ok())
        else {
            continue;
        };
        if geometry::overlap_area(&g.polygon, &p) > geometry::OVERLAP_TOLERANCE {
            return Err(AppError::field(
                "geometry",
                Code::GridOverlap,
                format!("网格与已有网格“{}”（{}）重叠", other.name, other.code),
            ));
        }
    }
    if let Some(w) = worker {
        let ok = user::Entity::find_by_id(w)
            .one(txn)
            .await?
            .is_some_and(|u| {
                u.role == Role::GridWorker
                    && RegionCode::parse(&u.region_code)
                        .is_ok_and(|c| c.contains(&g.village) || g.village.contains(&c))
            });
        if !ok {
            return Err(AppError::field(
                "worker_user_id",
                Code::GridBadWorker,
                "网格员必须是本村（社区）或上级区划的网格员账号",
            ));
        }
    }
    Ok(())
}

pub(crate) fn grid_geometry_columns(p: &geo::Polygon<f64>) -> (String, [f64; 4]) {
    let r = p.bounding_rect().expect("valid polygon has a bounding box");
    let text = serde_json::to_string(&geojson::Geometry::new(geometry::polygon_to_geojson(p)))
        .expect("geojson");
    (text, [r.min().x, r.min().y, r.max().x, r.max().y])
}

pub(crate) async fn insert_grid(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &GridInput,
) -> AppResult<grid::Model> {
    let g = check_grid(input)?;
    if grid::Entity::find_by_id(g.code.clone())
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            Code::GridDuplicateCode,
            format!("网格编码 {} 已存在", g.code),
        ));
    }
    check_grid_in_db(txn, &g, input.worker_user_id).await?;
    let (text, [min_lon, min_lat, max_lon, max_lat]) = grid_geometry_columns(&g.polygon);
    let m = grid::ActiveModel {
        code: Set(g.code.clone()),
        name: Set(g.name),
        village_code: Set(g.village.to_string()),
        geometry: Set(text),
        min_lon: Set(min_lon),
        min_lat: Set(min_lat),
        max_lon: Set(max_lon),
        max_lat: Set(max_lat),
        worker_user_id: Set(input.worker_user_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let view = GridView::of(m.clone())?;
    audit::record(
        txn,
        now,
        &actor.audit_name(),
        Event::new("grid.create", "grid", g.code).state(&view),
    )
    .await?;
    Ok(m)
}

pub async fn list_grids(
    app: &App,
    actor: &Actor,
    f: &GridFilter,
    page: PageParams,
) -> AppResult<Page<GridView>> {
    let mut q = grid::Entity::find();
    if let Some(p) = like_pattern(actor) {
        q = q.filter(grid::Column::VillageCode.like(p));
    }
    if let Some(v) = f.village.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(grid::Column::VillageCode.eq(v.trim()));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(grid::Column::Name.contains(text))
                .add(grid::Column::Code.contains(text)),
        );
    }
    let q = q.order_by_asc(grid::Column::Code);
    crate::kernel::paging::paginate(&app.db.conn, q, page, GridView::of).await
}

pub(crate) async fn visible_grid(app: &App, actor: &Actor, code: &str) -> AppResult<grid::Model> {
    let m = grid::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(grid_not_found)?;
    let village = RegionCode::parse(&m.village_code).map_err(AppError::internal)?;
    if !actor.covers_region(&village) {
        return Err(grid_not_found());
    }
    Ok(m)
}

pub async fn get_grid(app: &App, actor: &Actor, code: &str) -> AppResult<GridView> {
    GridView::of(visible_grid(app, actor, code).await?)
}

pub async fn create_grid(app: &App, actor: &Actor, input: GridInput) -> AppResult<GridView> {
    let village = parse_region_code("village_code", &input.village_code)?;
    require_admin_over(
        app,
        actor,
        &village,
        "grid.create",
        "grid",
        &input.code,
        region_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    let m = insert_grid(&txn, app.now(), actor, &input).await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    GridView::of(m)
}

pub async fn update_grid(
    app: &App,
    actor: &Actor,
    code: &str,
    input: GridInput,
) -> AppResult<GridView> {
    let existing = grid::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(grid_not_found)?;
    let old_village = RegionCode::parse(&existing.village_code).map_err(AppError::internal)?;
    require_admin_over(
        app,
        actor,
        &old_village,
        "grid.update",
        "grid",
        code,
        grid_not_found(),
    )
    .await?;
    let mut input = input;
    input.code = existing.code.clone();
    let g = check_grid(&input)?;
    require_admin_over(
        app,
        actor,
        &g.village,
        "grid.update",
        "grid",
        code,
        region_not_found(),
    )
    .await?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    check_grid_in_db(&txn, &g, input.worker_user_id).await?;
    let (text, [min_lon, min_lat, max_lon, max_lat]) = grid_geometry_columns(&g.polygon);
    let mut am: grid::ActiveModel = existing.into();
    am.name = Set(g.name);
    am.village_code = Set(g.village.to_string());
    am.geometry = Set(text);
    am.min_lon = Set(min_lon);
    am.min_lat = Set(min_lat);
    am.max_lon = Set(max_lon);
    am.max_lat = Set(max_lat);
    am.worker_user_id = Set(input.worker_user_id);
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    let view = GridView::of(m)?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("grid.update", "grid", code.to_string()).state(&view),
    )
    .await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    Ok(view)
}

/// The grid workers an administrator over the grid may put in charge of it: active grid-worker
/// accounts of its village or of a region above it (the rule `update_grid` checks), by name.
/// `None` when the actor may not edit the grid (the page then shows no form).
pub async fn worker_choices(
    app: &App,
    actor: &Actor,
    code: &str,
) -> AppResult<Option<Vec<(i64, String)>>> {
    let g = grid::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(grid_not_found)?;
    let village = RegionCode::parse(&g.village_code).map_err(AppError::internal)?;
    if !actor.is_admin() || !actor.covers_region(&village) {
        return Ok(None);
    }
    let mut out: Vec<(i64, String)> = user::Entity::find()
        .filter(user::Column::Role.eq(Role::GridWorker))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Username)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .filter(|u| {
            RegionCode::parse(&u.region_code)
                .is_ok_and(|c| c.contains(&village) || village.contains(&c))
        })
        .map(|u| (u.id, format!("{}（{}）", u.display_name, u.username)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Some(out))
}

/// The geometry of an uploaded GeoJSON text: a geometry, a Feature, or a FeatureCollection of
/// exactly one feature (as GIS tools export one grid).
pub fn geometry_of_upload(text: &str) -> AppResult<serde_json::Value> {
    let bad = |m: &str| AppError::field("geojson", Code::GeometryInvalidGeojson, m.to_string());
    let v: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|_| bad("文件不是有效的 GeoJSON（JSON 格式错误）"))?;
    match v.get("type").and_then(|t| t.as_str()) {
        Some("Feature") => v
            .get("geometry")
            .filter(|g| !g.is_null())
            .cloned()
            .ok_or_else(|| bad("GeoJSON 要素没有几何图形")),
        Some("FeatureCollection") => match v.get("features").and_then(|f| f.as_array()) {
            Some(fs) if fs.len() == 1 => geometry_of_upload(&fs[0].to_string()),
            Some(fs) => Err(bad(&format!(
                "文件含有{}个要素，每次只能导入一个网格的边界",
                fs.len()
            ))),
            None => Err(bad("GeoJSON 要素集没有 features")),
        },
        Some(_) => Ok(v),
        None => Err(bad("文件不是 GeoJSON（缺少 type）")),
    }
}

pub async fn delete_grid(app: &App, actor: &Actor, code: &str) -> AppResult<()> {
    let existing = grid::Entity::find_by_id(code.to_string())
        .one(&app.db.conn)
        .await?
        .ok_or_else(grid_not_found)?;
    let village = RegionCode::parse(&existing.village_code).map_err(AppError::internal)?;
    require_admin_over(
        app,
        actor,
        &village,
        "grid.delete",
        "grid",
        code,
        grid_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    grid::Entity::delete_by_id(code.to_string())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        app.now(),
        &actor.audit_name(),
        Event::new("grid.delete", "grid", code.to_string()),
    )
    .await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    Ok(())
}
