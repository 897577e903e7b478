//! Who is acting: a signed-in staff member (role, jurisdiction, how they signed in), or the
//! system itself (CLI, demo seeding, jobs).

use jiceng_core::{Jurisdiction, Role};

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

impl UserActor {
    /// An administrator of the account's region subtree. An admin account attached to a
    /// functional unit (a county department) administers nothing: its unit is not a region,
    /// and its region (the county) is not its to run.
    pub fn administers(&self) -> bool {
        self.role.manages_organisation() && !self.jurisdiction.assigned_only
    }
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
            Actor::User(u) => u.administers(),
            Actor::System(_) => true,
        }
    }

    /// Whether the actor's area is the whole deployment (a county account not bound to a
    /// functional unit); the system's is.
    pub fn covers_deployment(&self) -> bool {
        match self {
            Actor::User(u) => {
                u.jurisdiction.region.level() == jiceng_core::RegionLevel::County
                    && !u.jurisdiction.assigned_only
            }
            Actor::System(_) => true,
        }
    }

    /// An administrator of the whole deployment: deployment-wide settings (notification
    /// templates, the calendar, SLA policies, categories, the service catalog and bundles,
    /// queue groups) and the outbox are theirs alone, not a township's or village's admin's.
    pub fn is_deployment_admin(&self) -> bool {
        self.is_admin() && self.covers_deployment()
    }

    /// The county's administrators and supervision office, who may act for any unit (answer a
    /// 差评, settle a desk case); a township's are not.
    pub fn oversees_deployment(&self) -> bool {
        self.role()
            .is_none_or(|r| matches!(r, jiceng_core::Role::Admin | jiceng_core::Role::Supervisor))
            && self.covers_deployment()
    }

    /// Whether the actor may read the audit log: auditors and admins of the whole
    /// deployment (the log is not divided by region).
    pub fn reads_audit_log(&self) -> bool {
        self.role().is_none_or(|r| r.reads_audit_log()) && self.covers_deployment()
    }
}
