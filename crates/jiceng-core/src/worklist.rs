//! 待办: what an account has to do now, by kind. Which kinds each role works is a rule of the
//! domain; what each kind selects is the work-order wing's query.

use crate::Role;

/// A kind of work waiting in someone's worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 待签收: dispatched to the unit, not yet signed for.
    PendingSign,
    /// 待首次联系: signed, the citizen not yet contacted.
    ToContact,
    /// 办理中: being handled by the unit.
    InProgress,
    /// 被退回: a reply returned by the hotline, or reopened after an unresolved callback.
    Returned,
    /// 协办待反馈: the unit assists and has not yet answered the lead.
    AssistPending,
    /// 即将超期: past the yellow-card share of its time.
    DueSoon,
    /// 待派单: waiting for a dispatcher (no rule matched, or the classifier was unsure).
    PendingDispatch,
    /// 退单待审: a unit's send-back awaits review.
    SendBack,
    /// 延期待批: an extension request awaits approval.
    Extension,
    /// 待审核回复: a unit's reply awaits review.
    ReplyReview,
    /// 待回访: the citizen is to be called back.
    Callback,
    /// 超期: past its deadline (red card).
    Overdue,
    /// 督办: under supervision.
    Supervised,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Self::PendingSign,
        Self::ToContact,
        Self::InProgress,
        Self::Returned,
        Self::AssistPending,
        Self::DueSoon,
        Self::PendingDispatch,
        Self::SendBack,
        Self::Extension,
        Self::ReplyReview,
        Self::Callback,
        Self::Overdue,
        Self::Supervised,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PendingSign => "pending_sign",
            Self::ToContact => "to_contact",
            Self::InProgress => "in_progress",
            Self::Returned => "returned",
            Self::AssistPending => "assist_pending",
            Self::DueSoon => "due_soon",
            Self::PendingDispatch => "pending_dispatch",
            Self::SendBack => "send_back",
            Self::Extension => "extension",
            Self::ReplyReview => "reply_review",
            Self::Callback => "callback",
            Self::Overdue => "overdue",
            Self::Supervised => "supervised",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PendingSign => "待签收",
            Self::ToContact => "待首次联系",
            Self::InProgress => "办理中",
            Self::Returned => "被退回",
            Self::AssistPending => "协办待反馈",
            Self::DueSoon => "即将超期",
            Self::PendingDispatch => "待派单",
            Self::SendBack => "退单待审",
            Self::Extension => "延期待批",
            Self::ReplyReview => "待审核回复",
            Self::Callback => "待回访",
            Self::Overdue => "超期",
            Self::Supervised => "督办",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

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
        for k in Kind::ALL {
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
