//! Organisation: regions, departments and grids — reading within jurisdiction, admin
//! changes, and transactional import from CSV and GeoJSON.

use super::audit::{self, Event};
use super::{Actor, Page, PageParams};
use crate::app::App;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::entities::{department, grid, region, user};
use chrono::{DateTime, Utc};
use geo::BoundingRect;
use jiceng_core::geometry::{self, GeometryError};
use jiceng_core::{RegionCode, RegionLevel, Role};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Shared checks

pub(crate) fn check_name(field: &str, name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::field(
            field,
            "validation.required",
            "名称不能为空",
        ));
    }
    if n.chars().count() > 100 {
        return Err(AppError::field(
            field,
            "validation.too_long",
            "名称不能超过100个字",
        ));
    }
    Ok(n.to_string())
}

/// Codes of grids and departments: 1–40 letters, digits, `-` or `_`.
pub(crate) fn check_code(field: &str, code: &str, what: &str) -> AppResult<String> {
    let c = code.trim();
    if c.is_empty()
        || c.len() > 40
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::field(
            field,
            "validation.bad_code",
            format!("{what}编码只能由1～40位字母、数字、“-”或“_”组成"),
        ));
    }
    Ok(c.to_string())
}

fn parse_region_code(field: &str, code: &str) -> AppResult<RegionCode> {
    RegionCode::parse(code)
        .map_err(|e| AppError::field(field, "region.invalid_code", e.to_string()))
}

fn geometry_error(field: &str, e: GeometryError) -> AppError {
    AppError::field(field, e.code(), e.to_string())
}

fn parse_geojson_geometry(field: &str, v: &serde_json::Value) -> AppResult<geojson::Geometry> {
    serde_json::from_value::<geojson::Geometry>(v.clone()).map_err(|_| {
        AppError::field(
            field,
            "geometry.invalid_geojson",
            "不是有效的 GeoJSON 几何对象",
        )
    })
}

fn region_not_found() -> AppError {
    AppError::not_found("region.not_found", "区划不存在")
}

use super::require_admin_over;

fn like_pattern(actor: &Actor) -> Option<String> {
    actor.jurisdiction().map(|j| j.region_like_pattern())
}

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
    fn from_model(m: region::Model, with_boundary: bool) -> Self {
        let level = RegionLevel::parse(&m.level).unwrap_or(RegionLevel::Village);
        Self {
            boundary: if with_boundary {
                m.boundary
                    .as_deref()
                    .and_then(|b| serde_json::from_str(b).ok())
            } else {
                None
            },
            code: m.code,
            name: m.name,
            level,
            level_label: level.label(),
            parent_code: m.parent_code,
            updated_at: m.updated_at,
        }
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

fn boundary_text(v: &Option<serde_json::Value>) -> AppResult<Option<String>> {
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
                "validation.bad_level",
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
    super::paginate(&app.db.conn, q, page, |m| RegionView::from_model(m, false)).await
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
    Ok(RegionView::from_model(m, true))
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
        return Err(AppError::conflict(
            "region.duplicate_code",
            format!("区划代码 {code} 已存在"),
        ));
    }
    if let Some(parent) = code.parent()
        && region::Entity::find_by_id(parent.to_string())
            .one(txn)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "region.unknown_parent",
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
        level: Set(code.level().code().to_string()),
        parent_code: Set(code.parent().map(|p| p.to_string())),
        boundary: Set(boundary),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let view = RegionView::from_model(m.clone(), true);
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
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
    Ok(RegionView::from_model(m, true))
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
    let mut am: region::ActiveModel = m.into();
    am.name = Set(name);
    am.boundary = Set(boundary);
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    let view = RegionView::from_model(m, true);
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("region.update", "region", c.to_string()).state(&view),
    )
    .await?;
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
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
        return Err(AppError::conflict(
            "region.in_use",
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
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Departments

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// 县级部门
    CountyDepartment,
    /// 乡镇（街道）办
    TownshipOffice,
    /// 村（居）委会
    VillageCommittee,
    /// 协办单位（物业、供电、燃气……），可在任一层级
    AssistingUnit,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 4] = [
        Self::CountyDepartment,
        Self::TownshipOffice,
        Self::VillageCommittee,
        Self::AssistingUnit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::CountyDepartment => "county_department",
            Self::TownshipOffice => "township_office",
            Self::VillageCommittee => "village_committee",
            Self::AssistingUnit => "assisting_unit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CountyDepartment => "县级部门",
            Self::TownshipOffice => "乡镇（街道）机构",
            Self::VillageCommittee => "村（社区）组织",
            Self::AssistingUnit => "协办单位",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The region level this kind of unit sits at; assisting units may sit at any.
    fn level(self) -> Option<RegionLevel> {
        match self {
            Self::CountyDepartment => Some(RegionLevel::County),
            Self::TownshipOffice => Some(RegionLevel::Township),
            Self::VillageCommittee => Some(RegionLevel::Village),
            Self::AssistingUnit => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub region_code: String,
    pub phone: String,
    /// Where the unit's notifications are e-mailed; empty for none.
    pub email: String,
    pub active: bool,
}

impl From<department::Model> for DepartmentView {
    fn from(m: department::Model) -> Self {
        Self {
            kind_label: DepartmentKind::parse(&m.kind)
                .map(|k| k.label())
                .unwrap_or(""),
            id: m.id,
            code: m.code,
            name: m.name,
            kind: m.kind,
            region_code: m.region_code,
            phone: m.phone,
            email: m.email,
            active: m.active,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DepartmentInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    #[serde(default)]
    pub phone: String,
    /// Notifications to the unit are e-mailed here when SMTP is configured.
    #[serde(default)]
    pub email: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DepartmentFilter {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
}

fn department_not_found() -> AppError {
    AppError::not_found("department.not_found", "部门不存在")
}

fn check_phone(phone: &str) -> AppResult<String> {
    let p = phone.trim();
    if p.len() > 30
        || !p
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ' || b == b'+')
    {
        return Err(AppError::field(
            "phone",
            "validation.bad_phone",
            "电话只能包含数字、空格、“-”或“+”，最长30位",
        ));
    }
    Ok(p.to_string())
}

struct CheckedDepartment {
    code: String,
    name: String,
    kind: DepartmentKind,
    region: RegionCode,
    phone: String,
    email: String,
}

fn check_department(input: &DepartmentInput) -> AppResult<CheckedDepartment> {
    let code = check_code("code", &input.code, "部门")?;
    let name = check_name("name", &input.name)?;
    let kind = DepartmentKind::parse(input.kind.trim()).ok_or_else(|| {
        AppError::field("kind", "department.bad_kind", "部门类型只能是 county_department、township_office、village_committee 或 assisting_unit")
    })?;
    let region = parse_region_code("region_code", &input.region_code)?;
    if let Some(l) = kind.level()
        && l != region.level()
    {
        return Err(AppError::field(
            "region_code",
            "department.level_mismatch",
            format!("{}必须属于{}级区划", kind.label(), l.label()),
        ));
    }
    let phone = check_phone(&input.phone)?;
    let email = input.email.trim().to_string();
    if !email.is_empty() && email.parse::<lettre::Address>().is_err() {
        return Err(AppError::field(
            "email",
            "validation.bad_email",
            "电子邮箱格式不正确",
        ));
    }
    Ok(CheckedDepartment {
        code,
        name,
        kind,
        region,
        phone,
        email,
    })
}

pub async fn list_departments(
    app: &App,
    actor: &Actor,
    f: &DepartmentFilter,
    page: PageParams,
) -> AppResult<Page<DepartmentView>> {
    let mut q = department::Entity::find();
    if let Actor::User(u) = actor {
        let mut visible = Condition::any()
            .add(department::Column::RegionCode.like(u.jurisdiction.region_like_pattern()));
        if let Some(d) = u.jurisdiction.department_id {
            visible = visible.add(department::Column::Id.eq(d));
        }
        q = q.filter(visible);
    }
    if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(department::Column::Kind.eq(k.trim()));
    }
    if let Some(r) = f.region.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(department::Column::RegionCode.eq(r.trim()));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(department::Column::Name.contains(text))
                .add(department::Column::Code.contains(text)),
        );
    }
    let q = q
        .order_by_asc(department::Column::RegionCode)
        .order_by_asc(department::Column::Code);
    super::paginate(&app.db.conn, q, page, DepartmentView::from).await
}

async fn visible_department(app: &App, actor: &Actor, id: i64) -> AppResult<department::Model> {
    let m = department::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(department_not_found)?;
    let region = RegionCode::parse(&m.region_code).map_err(AppError::internal)?;
    let visible = match actor {
        Actor::User(u) => u.jurisdiction.covers_department(m.id, &region),
        Actor::System(_) => true,
    };
    if !visible {
        return Err(department_not_found());
    }
    Ok(m)
}

pub async fn get_department(app: &App, actor: &Actor, id: i64) -> AppResult<DepartmentView> {
    visible_department(app, actor, id).await.map(Into::into)
}

pub(crate) async fn insert_department(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &DepartmentInput,
) -> AppResult<department::Model> {
    let d = check_department(input)?;
    if region::Entity::find_by_id(d.region.to_string())
        .one(txn)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "region_code",
            "region.unknown",
            format!("区划 {} 不存在", d.region),
        ));
    }
    if department::Entity::find()
        .filter(department::Column::Code.eq(d.code.clone()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "department.duplicate_code",
            format!("部门编码 {} 已存在", d.code),
        ));
    }
    let m = department::ActiveModel {
        code: Set(d.code),
        name: Set(d.name),
        kind: Set(d.kind.code().to_string()),
        region_code: Set(d.region.to_string()),
        phone: Set(d.phone),
        email: Set(d.email),
        active: Set(input.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let view = DepartmentView::from(m.clone());
    audit::record(
        txn,
        now,
        &actor.audit_name(),
        Event::new("department.create", "department", m.id.to_string()).state(&view),
    )
    .await?;
    Ok(m)
}

pub async fn create_department(
    app: &App,
    actor: &Actor,
    input: DepartmentInput,
) -> AppResult<DepartmentView> {
    let region = parse_region_code("region_code", &input.region_code)?;
    require_admin_over(
        app,
        actor,
        &region,
        "department.create",
        "department",
        &input.code,
        region_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    let m = insert_department(&txn, app.now(), actor, &input).await?;
    txn.commit().await?;
    Ok(m.into())
}

pub async fn update_department(
    app: &App,
    actor: &Actor,
    id: i64,
    input: DepartmentInput,
) -> AppResult<DepartmentView> {
    let existing = department::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(department_not_found)?;
    let old_region = RegionCode::parse(&existing.region_code).map_err(AppError::internal)?;
    require_admin_over(
        app,
        actor,
        &old_region,
        "department.update",
        "department",
        &id.to_string(),
        department_not_found(),
    )
    .await?;
    let d = check_department(&input)?;
    require_admin_over(
        app,
        actor,
        &d.region,
        "department.update",
        "department",
        &id.to_string(),
        region_not_found(),
    )
    .await?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    if region::Entity::find_by_id(d.region.to_string())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "region_code",
            "region.unknown",
            format!("区划 {} 不存在", d.region),
        ));
    }
    if department::Entity::find()
        .filter(department::Column::Code.eq(d.code.clone()))
        .filter(department::Column::Id.ne(id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "department.duplicate_code",
            format!("部门编码 {} 已存在", d.code),
        ));
    }
    let mut am: department::ActiveModel = existing.into();
    am.code = Set(d.code);
    am.name = Set(d.name);
    am.kind = Set(d.kind.code().to_string());
    am.region_code = Set(d.region.to_string());
    am.phone = Set(d.phone);
    am.email = Set(d.email);
    am.active = Set(input.active);
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    let view = DepartmentView::from(m);
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("department.update", "department", id.to_string()).state(&view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

pub async fn delete_department(app: &App, actor: &Actor, id: i64) -> AppResult<()> {
    let existing = department::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(department_not_found)?;
    let region = RegionCode::parse(&existing.region_code).map_err(AppError::internal)?;
    require_admin_over(
        app,
        actor,
        &region,
        "department.delete",
        "department",
        &id.to_string(),
        department_not_found(),
    )
    .await?;
    let txn = app.db.begin_write().await?;
    if user::Entity::find()
        .filter(user::Column::DepartmentId.eq(id))
        .count(&txn)
        .await?
        > 0
    {
        return Err(AppError::conflict(
            "department.in_use",
            "该部门下还有账号，不能删除；可以改为停用",
        ));
    }
    department::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        app.now(),
        &actor.audit_name(),
        Event::new("department.delete", "department", id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

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

impl From<grid::Model> for GridView {
    fn from(m: grid::Model) -> Self {
        Self {
            geometry: serde_json::from_str(&m.geometry).unwrap_or(serde_json::Value::Null),
            code: m.code,
            name: m.name,
            village_code: m.village_code,
            worker_user_id: m.worker_user_id,
        }
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

fn grid_not_found() -> AppError {
    AppError::not_found("grid.not_found", "网格不存在")
}

struct CheckedGrid {
    code: String,
    name: String,
    village: RegionCode,
    polygon: geo::Polygon<f64>,
}

fn check_grid(input: &GridInput) -> AppResult<CheckedGrid> {
    let code = check_code("code", &input.code, "网格")?;
    let name = check_name("name", &input.name)?;
    let village = parse_region_code("village_code", &input.village_code)?;
    if village.level() != RegionLevel::Village {
        return Err(AppError::field(
            "village_code",
            "grid.not_in_village",
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
async fn check_grid_in_db(
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
            "region.unknown",
            format!("村（社区）{} 不存在", g.village),
        ));
    };
    if let Some(b) = village
        .boundary
        .as_deref()
        .and_then(|b| serde_json::from_str::<geojson::Geometry>(b).ok())
        && let Ok(boundary) = geometry::region_boundary(&b.value)
        && geometry::area_outside(&g.polygon, &boundary) > geometry::OVERLAP_TOLERANCE
    {
        return Err(AppError::field(
            "geometry",
            "grid.outside_village",
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
                "grid.overlap",
                format!("网格与已有网格“{}”（{}）重叠", other.name, other.code),
            ));
        }
    }
    if let Some(w) = worker {
        let ok = user::Entity::find_by_id(w)
            .one(txn)
            .await?
            .is_some_and(|u| {
                u.role == Role::GridWorker.code()
                    && RegionCode::parse(&u.region_code)
                        .is_ok_and(|c| c.contains(&g.village) || g.village.contains(&c))
            });
        if !ok {
            return Err(AppError::field(
                "worker_user_id",
                "grid.bad_worker",
                "网格员必须是本村（社区）或上级区划的网格员账号",
            ));
        }
    }
    Ok(())
}

fn grid_geometry_columns(p: &geo::Polygon<f64>) -> (String, [f64; 4]) {
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
        return Err(AppError::conflict(
            "grid.duplicate_code",
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
    let view = GridView::from(m.clone());
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
    super::paginate(&app.db.conn, q, page, GridView::from).await
}

async fn visible_grid(app: &App, actor: &Actor, code: &str) -> AppResult<grid::Model> {
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
    visible_grid(app, actor, code).await.map(Into::into)
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
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
    Ok(m.into())
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
    let view = GridView::from(m);
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("grid.update", "grid", code.to_string()).state(&view),
    )
    .await?;
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
    Ok(view)
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
    txn.commit().await?;
    app.locator.reload(&app.db).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Read models for pages

/// A grid with the names around it, for its detail page.
#[derive(Debug, Clone, Serialize)]
pub struct GridDetail {
    pub grid: GridView,
    pub village_name: String,
    pub township_name: String,
    pub worker_name: Option<String>,
}

pub async fn grid_detail(app: &App, actor: &Actor, code: &str) -> AppResult<GridDetail> {
    let m = visible_grid(app, actor, code).await?;
    let village = RegionCode::parse(&m.village_code).map_err(AppError::internal)?;
    let names: std::collections::HashMap<String, String> = region::Entity::find()
        .filter(region::Column::Code.is_in(village.lineage().iter().map(|c| c.to_string())))
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let name_of = |c: Option<RegionCode>| {
        c.and_then(|c| names.get(c.as_str()).cloned())
            .unwrap_or_default()
    };
    let worker_name = match m.worker_user_id {
        Some(id) => user::Entity::find_by_id(id)
            .one(&app.db.conn)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    Ok(GridDetail {
        village_name: name_of(Some(village.clone())),
        township_name: name_of(village.parent()),
        worker_name,
        grid: m.into(),
    })
}

/// Grids in the actor's jurisdiction for drawing a map, at most `limit`.
pub async fn grids_for_map(app: &App, actor: &Actor, limit: u64) -> AppResult<Vec<GridView>> {
    let mut q = grid::Entity::find();
    if let Some(p) = like_pattern(actor) {
        q = q.filter(grid::Column::VillageCode.like(p));
    }
    Ok(q.order_by_asc(grid::Column::Code)
        .limit(limit)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// How much organisation lies in the actor's jurisdiction.
#[derive(Debug, Clone, Serialize)]
pub struct OrgSummary {
    pub townships: u64,
    pub villages: u64,
    pub grids: u64,
    pub departments: u64,
}

pub async fn summary(app: &App, actor: &Actor) -> AppResult<OrgSummary> {
    let one = PageParams {
        page: 1,
        per_page: 1,
    };
    let level = |l: RegionLevel| RegionFilter {
        level: Some(l.code().to_string()),
        ..Default::default()
    };
    Ok(OrgSummary {
        townships: list_regions(app, actor, &level(RegionLevel::Township), one)
            .await?
            .total,
        villages: list_regions(app, actor, &level(RegionLevel::Village), one)
            .await?
            .total,
        grids: list_grids(app, actor, &GridFilter::default(), one)
            .await?
            .total,
        departments: list_departments(app, actor, &DepartmentFilter::default(), one)
            .await?
            .total,
    })
}
