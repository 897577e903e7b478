//! Staff roles. Citizens have no account and so no role.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Dispatcher,
    Handler,
    GridWorker,
    WindowClerk,
    Supervisor,
    Leader,
    Admin,
    Auditor,
}

impl Role {
    /// Roles whose work is their whole area whatever unit employs them: the hotline's
    /// operators and dispatchers (the 12345 centre is a county unit, yet takes every call), and
    /// window clerks. Staff of other roles in a functional unit see that unit's work only.
    pub fn works_whole_area(self) -> bool {
        matches!(self, Self::Operator | Self::Dispatcher | Self::WindowClerk)
    }

    pub const ALL: [Role; 9] = [
        Self::Operator,
        Self::Dispatcher,
        Self::Handler,
        Self::GridWorker,
        Self::WindowClerk,
        Self::Supervisor,
        Self::Leader,
        Self::Admin,
        Self::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Dispatcher => "dispatcher",
            Self::Handler => "handler",
            Self::GridWorker => "grid_worker",
            Self::WindowClerk => "window_clerk",
            Self::Supervisor => "supervisor",
            Self::Leader => "leader",
            Self::Admin => "admin",
            Self::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Operator => "受理员（12345）",
            Self::Dispatcher => "派单员",
            Self::Handler => "承办人",
            Self::GridWorker => "网格员",
            Self::WindowClerk => "窗口工作人员",
            Self::Supervisor => "督查督办",
            Self::Leader => "领导",
            Self::Admin => "系统管理员",
            Self::Auditor => "审计员",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Whether this role may manage organisation data and accounts inside its jurisdiction.
    pub fn manages_organisation(self) -> bool {
        matches!(self, Self::Admin)
    }

    /// Whether this role registers work orders: the hotline, dispatchers, grid workers, window
    /// clerks (a complaint brought to the hall), handlers (one found on the job) and admins.
    /// Leaders, the supervision office and auditors watch the work; they do not make it.
    pub fn registers_work_orders(self) -> bool {
        match self {
            Self::Operator
            | Self::Dispatcher
            | Self::GridWorker
            | Self::WindowClerk
            | Self::Handler
            | Self::Admin => true,
            Self::Supervisor | Self::Leader | Self::Auditor => false,
        }
    }

    /// Whether this role may read the audit log.
    pub fn reads_audit_log(self) -> bool {
        matches!(self, Self::Admin | Self::Auditor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::String(r.code().into())
            );
        }
        assert_eq!(Role::parse("citizen"), None);
    }
}

crate::stored_code!(Role);
