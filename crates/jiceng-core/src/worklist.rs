//! 待办: what an account has to do now, by kind. Which kinds each role works is a rule of the
//! domain; what each kind selects is the work-order wing's query.

use crate::Role;

coded!(
    /// A kind of work waiting in someone's worklist.
    Kind {
        PendingSign = "pending_sign" / "待签收",
        ToContact = "to_contact" / "待首次联系",
        InProgress = "in_progress" / "办理中",
        Returned = "returned" / "被退回",
        AssistPending = "assist_pending" / "协办待反馈",
        DueSoon = "due_soon" / "即将超期",
        PendingDispatch = "pending_dispatch" / "待派单",
        SendBack = "send_back" / "退单待审",
        Extension = "extension" / "延期待批",
        ReplyReview = "reply_review" / "待审核回复",
        Callback = "callback" / "待回访",
        Overdue = "overdue" / "超期",
        Supervised = "supervised" / "督办",
    }
);

impl Kind {
    /// Whether, for `role`, the kind is counted in the account's unit (the orders it leads or
    /// assists) rather than in its area: a handler's 即将超期 is its unit's.
    pub fn by_unit(self, role: Role) -> bool {
        self.of_unit() || (self == Self::DueSoon && role == Role::Handler)
    }

    /// Whether the kind is the unit's own work (by assignment), not its area's.
    pub fn of_unit(self) -> bool {
        match self {
            Self::PendingSign
            | Self::ToContact
            | Self::InProgress
            | Self::Returned
            | Self::AssistPending => true,
            Self::DueSoon
            | Self::PendingDispatch
            | Self::SendBack
            | Self::Extension
            | Self::ReplyReview
            | Self::Callback
            | Self::Overdue
            | Self::Supervised => false,
        }
    }
}

/// The kinds a role works, in the order its worklist shows them. Handlers work their unit's
/// orders; dispatchers route and review; the hotline reviews replies and calls citizens back;
/// the supervision office and leaders watch what is late.
pub fn kinds_for(role: Role) -> &'static [Kind] {
    use Kind::*;
    match role {
        Role::Handler => &[
            PendingSign,
            ToContact,
            InProgress,
            Returned,
            AssistPending,
            DueSoon,
        ],
        Role::Dispatcher => &[
            PendingDispatch,
            SendBack,
            Extension,
            ReplyReview,
            Callback,
            DueSoon,
        ],
        Role::Operator => &[ReplyReview, Callback],
        Role::Supervisor => &[Overdue, Supervised, DueSoon],
        Role::Leader => &[Overdue, Supervised],
        Role::GridWorker | Role::WindowClerk | Role::Admin | Role::Auditor => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_each_role_sees_its_own() {
        for &k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        assert_eq!(kinds_for(Role::Handler)[0], Kind::PendingSign);
        assert!(kinds_for(Role::Dispatcher).contains(&Kind::SendBack));
        assert!(kinds_for(Role::Auditor).is_empty());
        // A unit's own kinds are the handler's only.
        for r in Role::ALL {
            if r != Role::Handler {
                assert!(kinds_for(r).iter().all(|k| !k.of_unit()), "{r:?}");
            }
        }
    }
}
