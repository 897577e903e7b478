//! Staff accounts: created and managed by admins inside their jurisdiction.

use crate::auth::hash_password;
use crate::auth::normalise_username;
use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::store::entities::api_token;
use crate::store::entities::department;
use crate::store::entities::region;
use crate::store::entities::session;
use crate::store::entities::user;
use chrono::{DateTime, Utc};
use jiceng_core::{RegionCode, Role};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: &'static str,
    pub region_code: String,
    pub department_id: Option<i64>,
    /// The unit or region the account belongs to, by name (filled where names are read).
    pub org_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(m: user::Model) -> Self {
        Self {
            role_label: m.role.label(),
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            role: m.role.code().to_string(),
            region_code: m.region_code,
            department_id: m.department_id,
            org_name: String::new(),
            active: m.active,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// A 12-digit region code, or a department code.
    pub org: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub org: Option<String>,
    pub active: Option<bool>,
    pub password: Option<String>,
    /// Lift a lock that wrong passwords put on the account's name.
    #[serde(default)]
    pub unlock: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserFilter {
    pub role: Option<String>,
    pub q: Option<String>,
}

fn user_not_found() -> AppError {
    AppError::new(Code::UserNotFound, "账号不存在")
}

fn check_username(s: &str) -> AppResult<String> {
    let u = normalise_username(s);
    let ok = (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        return Err(AppError::field(
            "username",
            Code::UserBadUsername,
            "用户名须为3～32位小写字母、数字、“.”、“_”或“-”",
        ));
    }
    Ok(u)
}

fn check_role(s: &str) -> AppResult<Role> {
    Role::parse(s.trim()).ok_or_else(|| AppError::field("role", Code::UserBadRole, "角色不存在"))
}

/// Resolves an org reference to (region, department).
pub(crate) async fn resolve_org<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: &str,
) -> AppResult<(RegionCode, Option<i64>)> {
    let org = org.trim();
    let unknown = || {
        AppError::field(
            "org",
            Code::UserUnknownOrg,
            format!("所属单位 {org} 不存在（应为区划代码或部门编码）"),
        )
    };
    if let Ok(code) = RegionCode::parse(org) {
        region::Entity::find_by_id(code.to_string())
            .one(db)
            .await?
            .ok_or_else(unknown)?;
        return Ok((code, None));
    }
    let d = department::Entity::find()
        .filter(department::Column::Code.eq(org))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let code = RegionCode::parse(&d.region_code).map_err(AppError::internal)?;
    Ok((code, Some(d.id)))
}

async fn require_admin_over(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    action: &str,
    id: &str,
) -> AppResult<()> {
    crate::kernel::audit::require_admin_over(
        app,
        actor,
        region,
        action,
        "user",
        id,
        user_not_found(),
    )
    .await
}

pub(crate) async fn insert_user(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &NewUser,
    password_hash: String,
) -> AppResult<user::Model> {
    let username = check_username(&input.username)?;
    let display_name = crate::org::checks::check_name("display_name", &input.display_name)?;
    let role = check_role(&input.role)?;
    let (region, department_id) = resolve_org(txn, &input.org).await?;
    if user::Entity::find()
        .filter(user::Column::Username.eq(username.clone()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(
            Code::UserDuplicateUsername,
            format!("用户名 {username} 已被使用"),
        ));
    }
    let m = user::ActiveModel {
        username: Set(username),
        display_name: Set(display_name),
        role: Set(role),
        region_code: Set(region.to_string()),
        department_id: Set(department_id),
        password_hash: Set(password_hash),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let view = UserView::from(m.clone());
    audit::record(
        txn,
        now,
        &actor.audit_name(),
        Event::new("user.create", "user", m.id.to_string()).state(&view),
    )
    .await?;
    Ok(m)
}

pub async fn create_user(app: &App, actor: &Actor, input: NewUser) -> AppResult<UserView> {
    let (region, _) = resolve_org(&app.db.conn, &input.org).await?;
    require_admin_over(app, actor, &region, "user.create", &input.username).await?;
    let pw = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(AppError::internal)??;
    let txn = app.db.begin_write().await?;
    let m = insert_user(&txn, app.now(), actor, &input, hash).await?;
    txn.commit().await?;
    Ok(m.into())
}

pub async fn list_users(
    app: &App,
    actor: &Actor,
    f: &UserFilter,
    page: PageParams,
) -> AppResult<Page<UserView>> {
    if !actor.is_admin() {
        return Err(audit::deny(app, actor, "user.list", "user", "").await);
    }
    let mut q = user::Entity::find();
    if let Some(j) = actor.jurisdiction() {
        q = q.filter(user::Column::RegionCode.like(j.region_like_pattern()));
    }
    if let Some(r) = f.role.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(user::Column::Role.eq(r.trim()));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(user::Column::Username.contains(text))
                .add(user::Column::DisplayName.contains(text)),
        );
    }
    let q = q.order_by_asc(user::Column::Id);
    let mut page =
        crate::kernel::paging::paginate(&app.db.conn, q, page, |m| Ok(UserView::from(m))).await?;
    name_orgs(app, &mut page.items).await?;
    Ok(page)
}

/// Each account's unit (or, without one, its region) by name.
async fn name_orgs(app: &App, items: &mut [UserView]) -> AppResult<()> {
    let depts: std::collections::HashMap<i64, String> =
        crate::store::entities::department::Entity::find()
            .filter(
                crate::store::entities::department::Column::Id
                    .is_in(items.iter().filter_map(|u| u.department_id)),
            )
            .all(&app.db.conn)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
    let regions: std::collections::HashMap<String, String> =
        crate::store::entities::region::Entity::find()
            .filter(
                crate::store::entities::region::Column::Code
                    .is_in(items.iter().map(|u| u.region_code.clone())),
            )
            .all(&app.db.conn)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    for u in items.iter_mut() {
        u.org_name = u
            .department_id
            .and_then(|d| depts.get(&d).cloned())
            .or_else(|| regions.get(&u.region_code).cloned())
            .unwrap_or_default();
    }
    Ok(())
}

pub async fn get_user(app: &App, actor: &Actor, id: i64) -> AppResult<UserView> {
    let m = user::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(user_not_found)?;
    let own = matches!(actor, Actor::User(u) if u.user_id == id);
    if !own {
        let region = RegionCode::parse(&m.region_code).map_err(AppError::internal)?;
        require_admin_over(app, actor, &region, "user.read", &id.to_string()).await?;
    }
    let mut v = [UserView::from(m)];
    name_orgs(app, &mut v).await?;
    let [v] = v;
    Ok(v)
}

/// Until when wrong passwords lock the account's name, if they do now.
pub async fn locked_until(app: &App, username: &str) -> AppResult<Option<DateTime<Utc>>> {
    let row = crate::store::entities::login_throttle::Entity::find_by_id(
        crate::auth::throttle_key(app, &crate::auth::normalise_username(username)),
    )
    .one(&app.db.conn)
    .await?;
    Ok(row.and_then(|r| r.locked_until).filter(|t| *t > app.now()))
}

pub async fn update_user(
    app: &App,
    actor: &Actor,
    id: i64,
    input: UserUpdate,
) -> AppResult<UserView> {
    let m = user::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(user_not_found)?;
    let region = RegionCode::parse(&m.region_code).map_err(AppError::internal)?;
    require_admin_over(app, actor, &region, "user.update", &id.to_string()).await?;
    // An admin does not lock themselves out: their own account stays enabled and an admin's.
    if let Actor::User(u) = actor
        && u.user_id == id
        && (input.active == Some(false)
            || input
                .role
                .as_deref()
                .is_some_and(|r| r.trim() != m.role.code()))
    {
        return Err(AppError::field(
            "active",
            Code::UserSelfLockout,
            "不能停用自己的账号或更改自己的角色，请由其他管理员操作",
        ));
    }
    let mut am: user::ActiveModel = m.clone().into();
    if let Some(d) = &input.display_name {
        am.display_name = Set(crate::org::checks::check_name("display_name", d)?);
    }
    if let Some(r) = &input.role {
        am.role = Set(check_role(r)?);
    }
    if let Some(org) = &input.org {
        let (region, dept) = resolve_org(&app.db.conn, org).await?;
        require_admin_over(app, actor, &region, "user.update", &id.to_string()).await?;
        am.region_code = Set(region.to_string());
        am.department_id = Set(dept);
    }
    if let Some(a) = input.active {
        am.active = Set(a);
    }
    let password_changed = input.password.is_some();
    if let Some(pw) = input.password.clone() {
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(AppError::internal)??;
        am.password_hash = Set(hash);
    }
    let now = app.now();
    am.updated_at = Set(now);
    let txn = app.db.begin_write().await?;
    let updated = am.update(&txn).await?;
    if input.unlock {
        crate::store::entities::login_throttle::Entity::delete_by_id(crate::auth::throttle_key(
            app,
            &crate::auth::normalise_username(&updated.username),
        ))
        .exec(&txn)
        .await?;
    }
    // A disabled account or a reset password ends every session and token of the account.
    if !updated.active || password_changed {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(Some(now)),
            )
            .filter(api_token::Column::UserId.eq(id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    let view = UserView::from(updated);
    let reason = match (password_changed, input.unlock) {
        (true, true) => "重置密码并解除锁定",
        (true, false) => "重置密码",
        (false, true) => "解除锁定",
        (false, false) => "",
    };
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new("user.update", "user", id.to_string())
            .state(&view)
            .reason(reason),
    )
    .await?;
    txn.commit().await?;
    // A changed account acts with its new role, region or state at once in this process.
    crate::auth::tokens::cache(app).forget_tokens();
    Ok(view)
}
