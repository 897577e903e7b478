//! The work-order (工单) lifecycle: 受理 → 派单 → 签收 → 处置 → 回复 → 回访 → 办结, with send-backs,
//! extensions, reopening, merging and withdrawal.
//!
//! [`transition`] is the only place a state changes; everything it refuses is an illegal
//! transition with a stable code.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Accepted,
    PendingDispatch,
    PendingSign,
    InProgress,
    Replied,
    PendingCallback,
    Closed,
    Withdrawn,
    Merged,
}

impl State {
    /// Whether the lead unit owes the work now (to sign, or to do and reply): the states in
    /// which the supervision office may press it (催办, 督办单).
    pub fn unit_owes_work(self) -> bool {
        matches!(self, Self::PendingSign | Self::InProgress)
    }

    /// Whether the citizen may rate the order (好差评): once it is answered — at the callback,
    /// or after it closed.
    pub fn may_be_rated(self) -> bool {
        match self {
            Self::PendingCallback | Self::Closed => true,
            Self::Accepted
            | Self::PendingDispatch
            | Self::PendingSign
            | Self::InProgress
            | Self::Replied
            | Self::Withdrawn
            | Self::Merged => false,
        }
    }

    pub const ALL: [State; 9] = [
        Self::Accepted,
        Self::PendingDispatch,
        Self::PendingSign,
        Self::InProgress,
        Self::Replied,
        Self::PendingCallback,
        Self::Closed,
        Self::Withdrawn,
        Self::Merged,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::PendingDispatch => "pending_dispatch",
            Self::PendingSign => "pending_sign",
            Self::InProgress => "in_progress",
            Self::Replied => "replied",
            Self::PendingCallback => "pending_callback",
            Self::Closed => "closed",
            Self::Withdrawn => "withdrawn",
            Self::Merged => "merged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "已受理",
            Self::PendingDispatch => "待派单",
            Self::PendingSign => "待签收",
            Self::InProgress => "办理中",
            Self::Replied => "已回复",
            Self::PendingCallback => "待回访",
            Self::Closed => "已办结",
            Self::Withdrawn => "已撤回",
            Self::Merged => "已合并",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }

    /// No further action but reading.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Withdrawn | Self::Merged)
    }
}

/// Where a work order came in (来源渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Hotline,
    Grid,
    Web,
    App,
    Api,
    System,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Self::Hotline,
        Self::Grid,
        Self::Web,
        Self::App,
        Self::Api,
        Self::System,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Hotline => "hotline",
            Self::Grid => "grid",
            Self::Web => "web",
            Self::App => "app",
            Self::Api => "api",
            Self::System => "system",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hotline => "12345热线",
            Self::Grid => "网格上报",
            Self::Web => "网站",
            Self::App => "移动端",
            Self::Api => "接口",
            Self::System => "系统",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// Who is submitting a work order, as far as the channel rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitter {
    /// A citizen without an account (the public form or app).
    Citizen,
    /// A grid worker's own report.
    GridWorker,
    /// Another system with an API token.
    ApiClient,
    /// A signed-in member of staff (the hotline operator, typically).
    Staff,
    /// jiceng itself (a scheduled or derived order).
    System,
}

/// A channel the submitter may not claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelRefused;

/// The channel rules: citizens submit through the website or the app only (the website when
/// they name none); everyone else may name any channel and otherwise gets their own.
pub fn channel_for(who: Submitter, asked: Option<Channel>) -> Result<Channel, ChannelRefused> {
    match who {
        Submitter::Citizen => match asked {
            Some(c @ (Channel::Web | Channel::App)) => Ok(c),
            None => Ok(Channel::Web),
            Some(_) => Err(ChannelRefused),
        },
        Submitter::GridWorker => Ok(asked.unwrap_or(Channel::Grid)),
        Submitter::ApiClient => Ok(asked.unwrap_or(Channel::Api)),
        Submitter::Staff => Ok(asked.unwrap_or(Channel::Hotline)),
        Submitter::System => Ok(asked.unwrap_or(Channel::System)),
    }
}

/// What the deadline rule needs to know of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub state: State,
    pub signed: bool,
    pub contacted: bool,
    pub replied: bool,
}

/// Whether the order has met (or no longer owes) the deadline of `kind`: an order that is
/// finished, or not yet with a unit, owes nothing; signing, first contact and the reply each
/// meet their own.
pub fn deadline_met(p: Progress, kind: crate::sla::DeadlineKind) -> bool {
    use crate::sla::DeadlineKind;
    if p.state.is_final() || matches!(p.state, State::Accepted | State::PendingDispatch) {
        return true;
    }
    match kind {
        DeadlineKind::Sign => p.signed || !matches!(p.state, State::PendingSign),
        DeadlineKind::Contact => p.contacted,
        DeadlineKind::Resolve => {
            p.replied || matches!(p.state, State::Replied | State::PendingCallback)
        }
    }
}

/// What the callback found (回访结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Resolved,
    PartlyResolved,
    Unresolved,
}

/// How satisfied the citizen is (满意度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

/// Everything that can be done to a work order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 直接答复并办结 (咨询类): the operator answers at once.
    AnswerDirectly,
    /// Automatic dispatch found no unit: to the dispatcher's manual queue.
    QueueForDispatch,
    /// 派单 (automatic or by the dispatcher).
    Dispatch,
    /// 签收 by the lead unit.
    Sign,
    /// 首次联系 the citizen.
    Contact,
    /// 退单 by the lead unit, within the send-back window.
    SendBack,
    /// The dispatcher accepts a send-back: the order goes to a new lead.
    AcceptSendBack,
    /// The dispatcher rejects a send-back: the same unit must handle it.
    RejectSendBack,
    /// 申请延期.
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    /// 回复 by the lead unit.
    Reply,
    /// The reply is checked and the callback may start.
    ApproveReply,
    /// The reply is not good enough: back to the unit.
    ReturnReply,
    /// 回访: resolved (or partly) → 办结.
    CallbackClose,
    /// 回访: unresolved → 重办.
    Reopen,
    /// 合并 into a master order.
    Merge,
    /// 撤回 by the citizen.
    Withdraw,
    /// 催办: the supervision office presses the unit; the order stays where it is.
    Urge,
    /// 督办单: a written supervision order with its own deadline; missed, it goes to the leaders.
    Supervise,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Self::AnswerDirectly,
        Self::QueueForDispatch,
        Self::Dispatch,
        Self::Sign,
        Self::Contact,
        Self::SendBack,
        Self::AcceptSendBack,
        Self::RejectSendBack,
        Self::RequestExtension,
        Self::ApproveExtension,
        Self::RejectExtension,
        Self::Reply,
        Self::ApproveReply,
        Self::ReturnReply,
        Self::CallbackClose,
        Self::Reopen,
        Self::Merge,
        Self::Withdraw,
        Self::Urge,
        Self::Supervise,
    ];

    /// The stable code stored in the timeline and the audit log (`request_extension`).
    pub fn code(self) -> &'static str {
        match self {
            Self::AnswerDirectly => "answer_directly",
            Self::QueueForDispatch => "queue_for_dispatch",
            Self::Dispatch => "dispatch",
            Self::Sign => "sign",
            Self::Contact => "contact",
            Self::SendBack => "send_back",
            Self::AcceptSendBack => "accept_send_back",
            Self::RejectSendBack => "reject_send_back",
            Self::RequestExtension => "request_extension",
            Self::ApproveExtension => "approve_extension",
            Self::RejectExtension => "reject_extension",
            Self::Reply => "reply",
            Self::ApproveReply => "approve_reply",
            Self::ReturnReply => "return_reply",
            Self::CallbackClose => "callback_close",
            Self::Reopen => "reopen",
            Self::Merge => "merge",
            Self::Withdraw => "withdraw",
            Self::Urge => "urge",
            Self::Supervise => "supervise",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AnswerDirectly => "直接答复办结",
            Self::QueueForDispatch => "转人工派单",
            Self::Dispatch => "派单",
            Self::Sign => "签收",
            Self::Contact => "首次联系",
            Self::SendBack => "退单",
            Self::AcceptSendBack => "同意退单",
            Self::RejectSendBack => "驳回退单",
            Self::RequestExtension => "申请延期",
            Self::ApproveExtension => "批准延期",
            Self::RejectExtension => "驳回延期",
            Self::Reply => "回复",
            Self::ApproveReply => "审核回复",
            Self::ReturnReply => "退回重办",
            Self::CallbackClose => "回访办结",
            Self::Reopen => "重办",
            Self::Merge => "合并",
            Self::Withdraw => "撤回",
            Self::Urge => "催办",
            Self::Supervise => "下发督办单",
        }
    }
}

/// What the order carries besides its state that the rules depend on. A field missing from the
/// stored JSON (a row written before the field existed) reads as its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Flags {
    /// A send-back awaits the dispatcher.
    pub send_back_pending: bool,
    /// An extension request awaits the dispatcher.
    pub extension_pending: bool,
    /// Extensions granted so far.
    pub extensions: u32,
    /// The citizen has been contacted.
    pub contacted: bool,
    /// Back with the unit after a reply: returned by the hotline, or reopened after an
    /// unresolved callback (被退回), until the unit replies again or the order is dispatched.
    pub returned: bool,
}

/// Limits that come from configuration or the clock, decided by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub max_extensions: u32,
    /// Whether the send-back window (default 2 working days from dispatch) is still open.
    pub send_back_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("工单当前状态为“{}”，不能“{}”", .state.label(), .action.label())]
    Illegal { state: State, action: Action },
    #[error("退单期限已过，不能再退单")]
    SendBackWindowClosed,
    #[error("延期次数已达上限")]
    TooManyExtensions,
    #[error("已有待审批的申请，请等待派单员处理")]
    AlreadyPending,
    #[error("没有待审批的申请")]
    NothingPending,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Illegal { .. } => "work_order.illegal_transition",
            Self::SendBackWindowClosed => "work_order.send_back_window_closed",
            Self::TooManyExtensions => "work_order.too_many_extensions",
            Self::AlreadyPending => "work_order.request_pending",
            Self::NothingPending => "work_order.nothing_pending",
        }
    }
}

/// The state and flags after `action`, or why it may not happen.
pub fn transition(
    state: State,
    flags: Flags,
    action: Action,
    rules: Rules,
) -> Result<(State, Flags), TransitionError> {
    use Action as A;
    use State as S;
    let illegal = Err(TransitionError::Illegal { state, action });
    let mut f = flags;
    let next = match (state, action) {
        (_, _) if state.is_final() => return illegal,
        (S::Accepted, A::AnswerDirectly) => S::Closed,
        (S::Accepted, A::QueueForDispatch) => S::PendingDispatch,
        // A dispatcher may also override the automatic dispatch before the unit signs.
        (S::Accepted | S::PendingDispatch | S::PendingSign, A::Dispatch) => {
            // A new unit starts afresh: it has not contacted the citizen, nor been returned to.
            f.send_back_pending = false;
            f.contacted = false;
            f.returned = false;
            S::PendingSign
        }
        (S::PendingSign, A::Sign) if !f.send_back_pending => S::InProgress,
        (S::PendingSign | S::InProgress, A::Contact) if !f.contacted => {
            f.contacted = true;
            state
        }
        (S::PendingSign | S::InProgress, A::SendBack) => {
            if f.send_back_pending {
                return Err(TransitionError::AlreadyPending);
            }
            if !rules.send_back_open {
                return Err(TransitionError::SendBackWindowClosed);
            }
            f.send_back_pending = true;
            state
        }
        (S::PendingSign | S::InProgress, A::AcceptSendBack) => {
            if !f.send_back_pending {
                return Err(TransitionError::NothingPending);
            }
            f.send_back_pending = false;
            f.extension_pending = false;
            f.contacted = false;
            f.returned = false;
            S::PendingDispatch
        }
        (S::PendingSign | S::InProgress, A::RejectSendBack) => {
            if !f.send_back_pending {
                return Err(TransitionError::NothingPending);
            }
            f.send_back_pending = false;
            state
        }
        (S::InProgress, A::RequestExtension) => {
            if f.extension_pending {
                return Err(TransitionError::AlreadyPending);
            }
            if f.extensions >= rules.max_extensions {
                return Err(TransitionError::TooManyExtensions);
            }
            f.extension_pending = true;
            state
        }
        (S::InProgress, A::ApproveExtension | A::RejectExtension) => {
            if !f.extension_pending {
                return Err(TransitionError::NothingPending);
            }
            f.extension_pending = false;
            if action == A::ApproveExtension {
                f.extensions += 1;
            }
            state
        }
        (S::InProgress, A::Reply) if !f.send_back_pending => {
            f.extension_pending = false;
            f.returned = false;
            S::Replied
        }
        (S::Replied, A::ApproveReply) => S::PendingCallback,
        (S::Replied, A::ReturnReply) => {
            f.returned = true;
            S::InProgress
        }
        (S::PendingCallback, A::CallbackClose) => S::Closed,
        (S::PendingCallback, A::Reopen) => {
            f.returned = true;
            S::InProgress
        }
        // Pressing a unit changes nothing but the record; only while the unit owes work.
        (s, A::Urge | A::Supervise) if s.unit_owes_work() => state,
        (_, A::Merge) => S::Merged,
        (_, A::Withdraw) => S::Withdrawn,
        _ => return illegal,
    };
    Ok((next, f))
}

/// Actions allowed now, for showing the right buttons.
pub fn allowed(state: State, flags: Flags, rules: Rules) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| transition(state, flags, *a, rules).is_ok())
        .collect()
}

/// A timeline row's action: one of [`Action`]'s codes, or an event that is not an action —
/// `accept` (受理), `assist_reply` (协办回复) and `escalate_<level>` (an escalation step).
/// The Chinese label is rendered from the code, never stored.
pub fn timeline_label(code: &str) -> Option<&'static str> {
    if let Some(a) = Action::parse(code) {
        return Some(a.label());
    }
    match code {
        ACCEPT => Some("受理"),
        ASSIST_REPLY => Some("协办回复"),
        SUPERVISION_MISSED => Some("督办单逾期"),
        _ => code
            .strip_prefix("escalate_")
            .and_then(crate::sla::Level::parse)
            .map(crate::sla::Level::label),
    }
}

/// The timeline code of intake (受理).
pub const ACCEPT: &str = "accept";
/// The timeline code of an assisting unit's reply (协办回复).
pub const ASSIST_REPLY: &str = "assist_reply";
/// The timeline code of a 督办单 whose deadline passed before the unit replied.
pub const SUPERVISION_MISSED: &str = "supervision_missed";

/// The timeline code of an escalation step at a level.
pub fn escalation_code(level: crate::sla::Level) -> String {
    format!("escalate_{}", level.code())
}

coded!(
    /// 诉求类型: what the caller asks for.
    RequestKind {
        Consult = "consult" / "咨询",
        Help = "help" / "求助",
        Complaint = "complaint" / "投诉",
        Report = "report" / "举报",
        Suggestion = "suggestion" / "建议",
        Praise = "praise" / "表扬",
    }
);

/// Who may see a reporter's full phone number (to call the citizen back): the hotline, the
/// dispatchers, the handling units and the county's administrators. Leaders, supervisors,
/// auditors, grid workers and window clerks read the masked number only.
pub fn may_reveal_phone(role: crate::Role) -> bool {
    use crate::Role;
    matches!(
        role,
        Role::Operator | Role::Dispatcher | Role::Handler | Role::Admin
    )
}

/// Who may look up a caller's earlier orders by the phone number (the hotline taking a call,
/// the dispatchers placing it): the number is personal data and the look-up is audited.
pub fn may_search_caller(role: crate::Role) -> bool {
    use crate::Role;
    matches!(role, Role::Operator | Role::Dispatcher)
}

/// Which roles may take which actions (the unit-level check comes on top).
pub fn role_may(role: crate::Role, action: Action) -> bool {
    use crate::Role;
    use Action::*;
    match action {
        AnswerDirectly => matches!(role, Role::Operator | Role::Dispatcher),
        QueueForDispatch => false,
        Dispatch | AcceptSendBack | RejectSendBack | ApproveExtension | RejectExtension | Merge => {
            matches!(role, Role::Dispatcher)
        }
        Sign | Contact | SendBack | RequestExtension | Reply => {
            matches!(role, Role::Handler | Role::Dispatcher)
        }
        ApproveReply | ReturnReply | CallbackClose | Reopen => {
            matches!(role, Role::Operator | Role::Dispatcher)
        }
        Withdraw => matches!(role, Role::Operator),
        Urge | Supervise => matches!(role, Role::Supervisor | Role::Leader),
    }
}

/// Actions that turn work back or end it without resolving it: offered behind a confirmation,
/// never as the page's first button.
pub fn is_destructive(action: Action) -> bool {
    use Action::*;
    match action {
        SendBack | RejectSendBack | RejectExtension | ReturnReply | Withdraw | Merge | Reopen => {
            true
        }
        AnswerDirectly | QueueForDispatch | Dispatch | Sign | Contact | AcceptSendBack
        | RequestExtension | ApproveExtension | Reply | ApproveReply | CallbackClose | Urge
        | Supervise => false,
    }
}

/// Lead-unit actions need the actor's department to be the lead.
pub fn needs_lead_unit(action: Action) -> bool {
    matches!(
        action,
        Action::Sign
            | Action::Contact
            | Action::SendBack
            | Action::RequestExtension
            | Action::Reply
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULES: Rules = Rules {
        max_extensions: 2,
        send_back_open: true,
    };

    fn run(actions: &[Action]) -> Result<(State, Flags), TransitionError> {
        let mut s = (State::Accepted, Flags::default());
        for a in actions {
            s = transition(s.0, s.1, *a, RULES)?;
        }
        Ok(s)
    }

    #[test]
    fn channel_rules() {
        assert_eq!(channel_for(Submitter::Citizen, None), Ok(Channel::Web));
        assert_eq!(
            channel_for(Submitter::Citizen, Some(Channel::App)),
            Ok(Channel::App)
        );
        assert_eq!(
            channel_for(Submitter::Citizen, Some(Channel::Hotline)),
            Err(ChannelRefused)
        );
        assert_eq!(channel_for(Submitter::GridWorker, None), Ok(Channel::Grid));
        assert_eq!(channel_for(Submitter::ApiClient, None), Ok(Channel::Api));
        assert_eq!(channel_for(Submitter::Staff, None), Ok(Channel::Hotline));
        assert_eq!(
            channel_for(Submitter::Staff, Some(Channel::Web)),
            Ok(Channel::Web)
        );
        assert_eq!(channel_for(Submitter::System, None), Ok(Channel::System));
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
    }

    #[test]
    fn deadline_rules() {
        use crate::sla::DeadlineKind::*;
        let p = |state, signed, contacted, replied| Progress {
            state,
            signed,
            contacted,
            replied,
        };
        // Finished or not yet with a unit: nothing is owed.
        for st in [
            State::Closed,
            State::Withdrawn,
            State::Merged,
            State::Accepted,
        ] {
            assert!(deadline_met(p(st, false, false, false), Resolve));
        }
        assert!(!deadline_met(
            p(State::PendingSign, false, false, false),
            Sign
        ));
        assert!(deadline_met(
            p(State::InProgress, false, false, false),
            Sign
        ));
        assert!(!deadline_met(
            p(State::InProgress, true, false, false),
            Contact
        ));
        assert!(deadline_met(
            p(State::InProgress, true, true, false),
            Contact
        ));
        assert!(!deadline_met(
            p(State::InProgress, true, true, false),
            Resolve
        ));
        assert!(deadline_met(p(State::Replied, true, true, false), Resolve));
        assert!(deadline_met(
            p(State::InProgress, true, true, true),
            Resolve
        ));
    }

    #[test]
    fn the_closed_loop() {
        use Action::*;
        let (s, f) = run(&[Dispatch, Sign, Contact, Reply, ApproveReply, CallbackClose]).unwrap();
        assert_eq!(s, State::Closed);
        assert!(f.contacted);
        assert_eq!(run(&[AnswerDirectly]).unwrap().0, State::Closed);
        // Unresolved callback → 重办 → closed.
        let (s, _) = run(&[
            Dispatch,
            Sign,
            Reply,
            ApproveReply,
            Reopen,
            Reply,
            ApproveReply,
            CallbackClose,
        ])
        .unwrap();
        assert_eq!(s, State::Closed);
    }

    #[test]
    fn send_back_and_extension_requests_wait_for_the_dispatcher() {
        use Action::*;
        let (s, f) = run(&[Dispatch, SendBack]).unwrap();
        assert_eq!(s, State::PendingSign);
        assert!(f.send_back_pending);
        assert!(
            transition(s, f, Sign, RULES).is_err(),
            "no signing while the send-back is open"
        );
        assert_eq!(
            transition(s, f, AcceptSendBack, RULES).unwrap().0,
            State::PendingDispatch
        );
        assert_eq!(
            transition(s, f, RejectSendBack, RULES).unwrap().0,
            State::PendingSign
        );
        let closed = Rules {
            send_back_open: false,
            ..RULES
        };
        let (s, f) = run(&[Dispatch]).unwrap();
        assert_eq!(
            transition(s, f, SendBack, closed),
            Err(TransitionError::SendBackWindowClosed)
        );

        let (s, f) = run(&[
            Dispatch,
            Sign,
            RequestExtension,
            ApproveExtension,
            RequestExtension,
            ApproveExtension,
        ])
        .unwrap();
        assert_eq!(f.extensions, 2);
        assert_eq!(
            transition(s, f, RequestExtension, RULES),
            Err(TransitionError::TooManyExtensions)
        );
        assert_eq!(
            run(&[Dispatch, Sign, ApproveExtension]),
            Err(TransitionError::NothingPending)
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in [State::Closed, State::Withdrawn, State::Merged] {
            assert!(allowed(s, Flags::default(), RULES).is_empty());
            let e = transition(s, Flags::default(), Action::Withdraw, RULES).unwrap_err();
            assert_eq!(e.code(), "work_order.illegal_transition");
        }
    }

    fn reachable_invariants(s: State, f: Flags) -> bool {
        // Requests only pend where someone can answer them; extensions stay within the cap.
        (!f.send_back_pending
            || matches!(s, State::PendingSign | State::InProgress)
            || s.is_final())
            && (!f.extension_pending || s == State::InProgress || s.is_final())
            && f.extensions <= RULES.max_extensions
    }

    proptest! {
        #[test]
        fn random_action_sequences_never_reach_an_illegal_state(seq in proptest::collection::vec(0usize..Action::ALL.len(), 0..60), open in any::<bool>()) {
            let rules = Rules { send_back_open: open, ..RULES };
            let (mut s, mut f) = (State::Accepted, Flags::default());
            for i in seq {
                let a = Action::ALL[i];
                match transition(s, f, a, rules) {
                    Ok((ns, nf)) => {
                        prop_assert!(!s.is_final(), "a final state moved");
                        prop_assert!(allowed(s, f, rules).contains(&a));
                        s = ns;
                        f = nf;
                    }
                    Err(_) => prop_assert!(!allowed(s, f, rules).contains(&a)),
                }
                prop_assert!(reachable_invariants(s, f), "{s:?} {f:?}");
            }
        }
    }
}

#[cfg(test)]
mod timeline_tests {
    use super::*;

    #[test]
    fn every_timeline_code_is_ascii_and_has_a_label() {
        for a in Action::ALL {
            assert!(
                a.code()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
            assert_eq!(Action::parse(a.code()), Some(a));
            assert_eq!(timeline_label(a.code()), Some(a.label()));
        }
        assert_eq!(timeline_label(ACCEPT), Some("受理"));
        assert_eq!(
            timeline_label(&escalation_code(crate::sla::Level::Red)),
            Some("红牌催办")
        );
        assert_eq!(timeline_label("受理"), None);
    }
}

crate::stored_code!(State, Action, Channel);
