//! Use cases: one function per thing a user can do. Each checks permission, validates, and
//! writes its change together with its audit entry in one transaction.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod catalog_xlsx;
pub mod desk;
pub mod escalation;
pub mod group_commit;
pub mod import;
pub mod locate;
pub mod metrics;
pub mod org;
pub mod outbox;
pub mod queue;
pub mod ratings;
pub mod reference;
pub mod resp_list;
pub mod transparency;
pub mod tree;
pub mod users;
pub mod work_orders;

use jiceng_core::{Jurisdiction, Role};
use serde::{Deserialize, Serialize};

/// Who is acting: a signed-in staff member, or the system itself (CLI, demo seeding).
#[derive(Debug, Clone)]
pub enum Actor {
    User(UserActor),
    System(&'static str),
}

#[derive(Debug, Clone)]
pub struct UserActor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    pub via: AuthVia,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthVia {
    Session { id_hash: String, csrf_token: String },
    Token { id: i64 },
}

impl Actor {
    /// The actor as written in the audit log: `user:NAME` or `system:WHAT`.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::User(u) => format!("user:{}", u.username),
            Actor::System(what) => format!("system:{what}"),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::User(u) => Some(u.role),
            Actor::System(_) => None,
        }
    }

    /// Whether the actor's jurisdiction covers a region; the system covers everything.
    pub fn covers_region(&self, code: &jiceng_core::RegionCode) -> bool {
        match self {
            Actor::User(u) => u.jurisdiction.covers_region(code),
            Actor::System(_) => true,
        }
    }

    pub fn jurisdiction(&self) -> Option<&Jurisdiction> {
        match self {
            Actor::User(u) => Some(&u.jurisdiction),
            Actor::System(_) => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        match self {
            Actor::User(u) => u.role.manages_organisation(),
            Actor::System(_) => true,
        }
    }
}

/// Paging for every list: `page` from 1, `per_page` at most 500.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct PageParams {
    pub page: u64,
    pub per_page: u64,
}

impl Default for PageParams {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 50,
        }
    }
}

impl PageParams {
    pub const MAX_PER_PAGE: u64 = 500;

    pub fn normalised(self) -> Self {
        Self {
            page: self.page.max(1),
            per_page: self.per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// Refuses a change by a non-admin (403) or outside the admin's jurisdiction (`outside`,
/// usually a 404 so that existence does not leak); both are audited.
pub(crate) async fn require_admin_over(
    app: &crate::app::App,
    actor: &Actor,
    region: &jiceng_core::RegionCode,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    outside: crate::error::AppError,
) -> crate::error::AppResult<()> {
    if !actor.is_admin() {
        return Err(audit::deny(app, actor, action, entity_type, entity_id).await);
    }
    if !actor.covers_region(region) {
        audit::deny(app, actor, action, entity_type, entity_id).await;
        return Err(outside);
    }
    Ok(())
}

/// One page of a query (already filtered and ordered) and the total count.
pub(crate) async fn paginate<E, T>(
    db: &sea_orm::DatabaseConnection,
    q: sea_orm::Select<E>,
    page: PageParams,
    map: impl FnMut(E::Model) -> T,
) -> crate::error::AppResult<Page<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let page = page.normalised();
    let total = q.clone().count(db).await?;
    let items = q
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(map)
        .collect();
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
