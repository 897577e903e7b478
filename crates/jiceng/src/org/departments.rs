//! Organisation, departments and assisting units: reading within jurisdiction, admin create,
//! update and delete with audit, and department names by id.

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
use crate::org::checks::parse_region_code;
use crate::org::checks::region_not_found;
use crate::store::entities::department;
use crate::store::entities::region;
use crate::store::entities::user;
use chrono::{DateTime, Utc};
use jiceng_core::RegionCode;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Departments

pub use jiceng_core::department::DepartmentKind;

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
            kind_label: m.kind.label(),
            id: m.id,
            code: m.code,
            name: m.name,
            kind: m.kind.code().to_string(),
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

pub(crate) fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DepartmentFilter {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
}

pub(crate) fn department_not_found() -> AppError {
    AppError::new(Code::DepartmentNotFound, "部门不存在")
}

pub(crate) fn check_phone(phone: &str) -> AppResult<String> {
    let p = phone.trim();
    if p.len() > 30
        || !p
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b' ' || b == b'+')
    {
        return Err(AppError::field(
            "phone",
            Code::ValidationBadPhone,
            "电话只能包含数字、空格、“-”或“+”，最长30位",
        ));
    }
    Ok(p.to_string())
}

pub(crate) struct CheckedDepartment {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) kind: DepartmentKind,
    pub(crate) region: RegionCode,
    pub(crate) phone: String,
    pub(crate) email: String,
}

pub(crate) fn check_department(input: &DepartmentInput) -> AppResult<CheckedDepartment> {
    let code = check_code("code", &input.code, "部门")?;
    let name = check_name("name", &input.name)?;
    let kind = DepartmentKind::parse(input.kind.trim()).ok_or_else(|| {
        AppError::field("kind", Code::DepartmentBadKind, "部门类型只能是 county_department、township_office、village_committee 或 assisting_unit")
    })?;
    let region = parse_region_code("region_code", &input.region_code)?;
    if let Some(l) = kind.level()
        && l != region.level()
    {
        return Err(AppError::field(
            "region_code",
            Code::DepartmentLevelMismatch,
            format!("{}必须属于{}级区划", kind.label(), l.label()),
        ));
    }
    let phone = check_phone(&input.phone)?;
    let email = input.email.trim().to_string();
    if !email.is_empty() && email.parse::<lettre::Address>().is_err() {
        return Err(AppError::field(
            "email",
            Code::ValidationBadEmail,
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
    crate::kernel::paging::paginate(&app.db.conn, q, page, |m| Ok(DepartmentView::from(m))).await
}

pub(crate) async fn visible_department(
    app: &App,
    actor: &Actor,
    id: i64,
) -> AppResult<department::Model> {
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
            Code::RegionUnknown,
            format!("区划 {} 不存在", d.region),
        ));
    }
    if department::Entity::find()
        .filter(department::Column::Code.eq(d.code.clone()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            Code::DepartmentDuplicateCode,
            format!("部门编码 {} 已存在", d.code),
        ));
    }
    let m = department::ActiveModel {
        code: Set(d.code),
        name: Set(d.name),
        kind: Set(d.kind),
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
            Code::RegionUnknown,
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
        return Err(AppError::new(
            Code::DepartmentDuplicateCode,
            format!("部门编码 {} 已存在", d.code),
        ));
    }
    let mut am: department::ActiveModel = existing.into();
    am.code = Set(d.code);
    am.name = Set(d.name);
    am.kind = Set(d.kind);
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
        return Err(AppError::new(
            Code::DepartmentInUse,
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

/// Department names by id.
pub(crate) async fn unit_names<C: sea_orm::ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    Ok(department::Entity::find()
        .filter(department::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}
