//! 一窗受理 applications: the materials checklist a window clerk checks, the outcome of the
//! check (accepted, a one-time correction notice listing everything missing at once, or not
//! accepted), and the back office's clock — each matter's steps held to the working-day
//! calendar, the clock stopped during 补正 and 特别程序, bundle parts run in DAG order.

use crate::calendar::{Limit, LimitUnit, WorkCalendar};
use crate::catalog::{CaseKind, MatterSpec, Necessity};
use crate::clock::china_offset;
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

coded!(
    /// Where an application was received.
    Channel {
        Window = "window" / "窗口",
        Online = "online" / "网上办",
        Kiosk = "kiosk" / "自助终端",
        Assisted = "assisted" / "帮办代办",
    }
);

coded!(
    /// An application as the citizen sees it.
    Status {
        NeedsCorrection = "needs_correction" / "待补正",
        NotAccepted = "not_accepted" / "不予受理",
        InProgress = "in_progress" / "办理中",
        Completed = "completed" / "已办结",
    }
);

coded!(
    /// One matter of an application in the back office.
    PartStatus {
        Waiting = "waiting" / "等待前序事项",
        Active = "active" / "办理中",
        Suspended = "suspended" / "暂停计时",
        Done = "done" / "已办结",
    }
);

coded!(
    /// Why a part's clock is stopped.
    Pause {
        Correction = "correction" / "补正材料",
        Hearing = "hearing" / "听证",
        ExpertReview = "expert_review" / "专家评审",
        Inspection = "inspection" / "现场勘验",
        Publicity = "publicity" / "公示",
    }
);

coded!(
    /// How a result reaches the applicant.
    Delivery {
        Pickup = "pickup" / "窗口领取",
        Mail = "mail" / "邮寄送达",
        Electronic = "electronic" / "电子证照",
    }
);

/// One line of the materials checklist: a material asked of the applicant, once, for every
/// matter that needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub name: String,
    /// Matter codes that need it.
    pub needed_by: Vec<String>,
    /// Whether it must be handed over for this application.
    pub required: bool,
    /// The condition of a conditional material (empty otherwise).
    #[serde(default)]
    pub condition: String,
    pub standard: String,
    /// Whose ID cards the line stands for (本人, 父母双方, 监护人 …) when the matters ask for
    /// several people's; empty for other materials.
    #[serde(default)]
    pub whose: Vec<String>,
}

impl ChecklistItem {
    /// The line as the applicant reads it: `居民身份证（本人、父母双方）`.
    pub fn label(&self) -> String {
        match self.whose.as_slice() {
            [] => self.name.clone(),
            [one] if one == "本人" => self.name.clone(),
            whose => format!("{}（{}）", self.name, whose.join("、")),
        }
    }
}

/// Whether a conditional material's condition is met by an agent acting for the applicant.
fn agent_condition(condition: &str) -> bool {
    ["委托", "代理", "代办"]
        .iter()
        .any(|w| condition.contains(w))
}

/// The checklist of an application: every material the applicant is asked for, each once.
/// Materials issued by a unit are fetched, and what a matter of the bundle produces
/// (`produced`) is never asked. A conditional material is required when its name is in
/// `applies`, or when an agent acts and its condition is about agents.
pub fn checklist(
    members: &[(&str, &MatterSpec)],
    produced: &BTreeSet<String>,
    applies: &BTreeSet<String>,
    has_agent: bool,
) -> Vec<ChecklistItem> {
    let mut out: Vec<ChecklistItem> = Vec::new();
    for (code, spec) in members {
        for m in spec.asked_materials() {
            if produced.contains(&m.name) {
                continue;
            }
            let (required, condition) = match &m.necessity {
                Necessity::Required => (true, String::new()),
                Necessity::Optional => (false, String::new()),
                Necessity::Conditional { condition } => (
                    applies.contains(&m.name) || (has_agent && agent_condition(condition)),
                    condition.clone(),
                ),
            };
            // ID cards are one line, whoever's they are.
            let (name, whose) = crate::catalog::handed_as(&m.name);
            let whose = if name == crate::catalog::ID_CARD {
                Some(if whose.is_empty() { "本人" } else { whose }.to_string())
            } else {
                None
            };
            match out.iter_mut().find(|i| i.name == name) {
                Some(i) => {
                    if !i.needed_by.iter().any(|c| c == code) {
                        i.needed_by.push(code.to_string());
                    }
                    i.required |= required;
                    if let Some(w) = whose
                        && !i.whose.contains(&w)
                    {
                        i.whose.push(w);
                    }
                }
                None => out.push(ChecklistItem {
                    name: name.to_string(),
                    needed_by: vec![code.to_string()],
                    required,
                    condition,
                    standard: m.standard.clone(),
                    whose: whose.into_iter().collect(),
                }),
            }
        }
    }
    out
}

/// One item of a one-time correction notice (一次性告知): a material missing or defective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defect {
    pub name: String,
    pub reason: String,
}

/// What the window found: the materials handed over and those found defective, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handed {
    pub provided: BTreeSet<String>,
    pub defective: Vec<Defect>,
}

/// Every missing or defective item, at once; empty when the application can be accepted.
/// A name that is not on the checklist is an error of the caller (the names it lists).
pub fn defects(list: &[ChecklistItem], handed: &Handed) -> Result<Vec<Defect>, Vec<String>> {
    let known: BTreeSet<&str> = list.iter().map(|i| i.name.as_str()).collect();
    let unknown: Vec<String> = handed
        .provided
        .iter()
        .map(String::as_str)
        .chain(handed.defective.iter().map(|d| d.name.as_str()))
        .filter(|n| !known.contains(n))
        .map(String::from)
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut out = Vec::new();
    for item in list {
        if let Some(d) = handed.defective.iter().find(|d| d.name == item.name) {
            out.push(Defect {
                name: item.name.clone(),
                reason: if d.reason.trim().is_empty() {
                    "材料不符合要求".into()
                } else {
                    d.reason.trim().to_string()
                },
            });
        } else if item.required && !handed.provided.contains(&item.name) {
            let reason = if item.condition.is_empty() {
                "未提交".to_string()
            } else {
                format!("未提交（{}须提交）", item.condition)
            };
            out.push(Defect {
                name: item.name.clone(),
                reason,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The clock

/// A matter's promised limit as its part is held to: 即办件 are due by the end of the day.
pub fn part_limit(spec: &MatterSpec) -> Limit {
    match spec.case_kind {
        CaseKind::Immediate => Limit::working_days(0),
        CaseKind::Promised => spec.promised_limit,
    }
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

fn midnight_after(d: NaiveDate) -> DateTime<Utc> {
    let end = d
        .checked_add_days(Days::new(1))
        .expect("date in range")
        .and_time(NaiveTime::MIN);
    china_offset()
        .from_local_datetime(&end)
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The deadline of a limit started at `start` when the clock has been stopped for `paused`
/// days (working or natural, as the limit counts). A 0-day limit ends with the start day.
pub fn deadline(
    cal: &WorkCalendar,
    limit: Limit,
    start: DateTime<Utc>,
    paused: u32,
) -> DateTime<Utc> {
    match limit.unit {
        LimitUnit::WorkingDays => {
            // A part that starts at midnight, when the one before it ended, has that day.
            let first = local_day(start - Duration::seconds(1));
            let last = cal.nth_workday_after(first, limit.amount + paused);
            midnight_after(last)
        }
        LimitUnit::NaturalDays if limit.amount == 0 => midnight_after(local_day(start)),
        _ => limit.deadline(cal, start) + Duration::days(paused as i64),
    }
}

/// The last day of a deadline that ends at midnight, as people say it (`2026-12-04`).
pub fn due_day(t: DateTime<Utc>) -> String {
    (t - Duration::seconds(1))
        .with_timezone(&china_offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// The days a stop from `from` to `to` takes off the clock: the working days (or calendar
/// days) after the day it began, up to and including the day it ended.
pub fn paused_days(
    cal: &WorkCalendar,
    unit: LimitUnit,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> u32 {
    let (a, b) = (local_day(from), local_day(to));
    if b <= a {
        return 0;
    }
    match unit {
        LimitUnit::WorkingDays => a
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= b)
            .filter(|d| cal.is_workday(*d))
            .count() as u32,
        _ => (b - a).num_days() as u32,
    }
}

/// The deadline of step `k` (1-based) of the `n` steps left after acceptance: the limit is
/// shared evenly, the last step ending with the part.
pub fn step_deadline(
    cal: &WorkCalendar,
    limit: Limit,
    start: DateTime<Utc>,
    paused: u32,
    k: usize,
    n: usize,
) -> DateTime<Utc> {
    let n = n.max(1) as u32;
    let k = (k as u32).clamp(1, n);
    let share = Limit {
        amount: (limit.amount * k).div_ceil(n),
        unit: limit.unit,
    };
    deadline(cal, share, start, paused)
}

/// A part's clock as stored: its limit, when it started (if it has), the days stopped so far
/// and when it finished (if it has).
#[derive(Debug, Clone, Copy)]
pub struct PartClock {
    pub limit: Limit,
    pub started_at: Option<DateTime<Utc>>,
    pub paused: u32,
    pub done_at: Option<DateTime<Utc>>,
}

/// When each part will be done, projected along the DAG from the parts' clocks: a part not yet
/// started starts when the last part before it is done (or at acceptance). `order` lists the
/// parts in a topological order. The application's promised date is the latest of these.
pub fn projected(
    cal: &WorkCalendar,
    order: &[String],
    edges: &[(String, String)],
    clocks: &HashMap<String, PartClock>,
    accepted_at: DateTime<Utc>,
) -> HashMap<String, DateTime<Utc>> {
    let mut finish: HashMap<String, DateTime<Utc>> = HashMap::new();
    for m in order {
        let Some(c) = clocks.get(m) else { continue };
        let end = if let Some(done) = c.done_at {
            done
        } else if let Some(start) = c.started_at {
            deadline(cal, c.limit, start, c.paused)
        } else {
            let start = edges
                .iter()
                .filter(|(_, b)| b == m)
                .filter_map(|(a, _)| finish.get(a).copied())
                .max()
                .unwrap_or(accepted_at);
            deadline(cal, c.limit, start, c.paused)
        };
        finish.insert(m.clone(), end);
    }
    finish
}

/// The parts that may start once `done` are done: those whose every predecessor is done.
pub fn ready(parts: &[String], edges: &[(String, String)], done: &BTreeSet<String>) -> Vec<String> {
    parts
        .iter()
        .filter(|m| !done.contains(*m))
        .filter(|m| {
            edges
                .iter()
                .filter(|(_, b)| b == *m)
                .all(|(a, _)| done.contains(a))
        })
        .cloned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The lifecycle
//
// An application is born at intake with one of three statuses (`intake`): 办理中 when the
// materials are complete, 待补正 with a one-time notice, or 不予受理. A 待补正 application is
// supplemented until complete, which accepts it and creates its parts. While it is 办理中 the
// back office works on its parts; it is 已办结 once every part is. 不予受理 and 已办结 are final.
//
// A part is created 等待前序事项 and started when its predecessors are done (`ready`); it
// advances step by step, its clock may be stopped (补正 or a 特别程序) and started again, and
// its last step finishes it.

impl Status {
    /// Whether the citizen may rate the service (好差评): once the application has been
    /// accepted or refused — not while the citizen still owes the materials a notice asked
    /// for.
    pub fn may_be_rated(self) -> bool {
        match self {
            Self::InProgress | Self::Completed | Self::NotAccepted => true,
            Self::NeedsCorrection => false,
        }
    }

    /// No further action but reading.
    pub fn is_final(self) -> bool {
        match self {
            Self::NotAccepted | Self::Completed => true,
            Self::NeedsCorrection | Self::InProgress => false,
        }
    }
}

impl PartStatus {
    /// No further action but reading.
    pub fn is_final(self) -> bool {
        match self {
            Self::Done => true,
            Self::Waiting | Self::Active | Self::Suspended => false,
        }
    }
}

/// The status an application is received with: a refusal (不予受理) decides it whatever the
/// materials; otherwise complete materials accept it and anything missing asks for a
/// correction (待补正).
pub fn intake(refused: bool, defects: &[Defect]) -> Status {
    if refused {
        Status::NotAccepted
    } else if defects.is_empty() {
        Status::InProgress
    } else {
        Status::NeedsCorrection
    }
}

coded!(
    /// Everything that can be done to an application after intake:
    /// `SupplementIncomplete` — materials handed over, something still missing (stays 待补正);
    /// `SupplementComplete` — materials handed over, now complete: accepted, the clock starts;
    /// `WorkOnPart` — the back office works on one of its parts (advance, suspend, resume);
    /// `Complete` — its last part is done (see [`status_from_parts`]).
    AppAction {
        SupplementIncomplete = "supplement_incomplete" / "补正材料（仍需补正）",
        SupplementComplete = "supplement_complete" / "补正材料（予以受理）",
        WorkOnPart = "work_on_part" / "办理事项",
        Complete = "complete" / "办结",
    }
);

impl AppAction {
    /// The supplement that leaves `defects` still to put right.
    pub fn supplement(defects: &[Defect]) -> Self {
        if defects.is_empty() {
            Self::SupplementComplete
        } else {
            Self::SupplementIncomplete
        }
    }
}

coded!(
    /// Everything that can be done to a part:
    /// `Start` — its predecessors are done (or it has none): its clock starts;
    /// `Step` — a step that is not the last is finished;
    /// `Finish` — the last step is finished, with the result;
    /// `Suspend` — the clock is stopped (补正 or a 特别程序);
    /// `Resume` — the clock starts again.
    PartAction {
        Start = "start" / "开始办理",
        Step = "step" / "完成环节",
        Finish = "finish" / "办结",
        Suspend = "suspend" / "暂停计时",
        Resume = "resume" / "恢复计时",
    }
);

impl PartAction {
    /// Finishing step `step` (0-based) of `steps`: the last one finishes the part.
    pub fn advance(step: usize, steps: usize) -> Self {
        if step + 1 >= steps {
            Self::Finish
        } else {
            Self::Step
        }
    }
}

/// An action the application's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: Status,
    pub action: AppAction,
}

impl TransitionError {
    /// The error code the service answers with.
    pub fn code(&self) -> &'static str {
        "application.bad_state"
    }

    /// What the user is told.
    pub fn message(&self) -> &'static str {
        match self.action {
            AppAction::SupplementIncomplete | AppAction::SupplementComplete => {
                "只有待补正的办件可以补正材料"
            }
            AppAction::WorkOnPart | AppAction::Complete => "办件不在办理中",
        }
    }
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for TransitionError {}

/// An action a part's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartTransitionError {
    pub from: PartStatus,
    pub action: PartAction,
}

impl PartTransitionError {
    /// The error code the service answers with.
    pub fn code(&self) -> &'static str {
        "application.bad_state"
    }

    /// What the user is told.
    pub fn message(&self) -> &'static str {
        use PartAction as A;
        use PartStatus as P;
        match (self.action, self.from) {
            (A::Step | A::Finish, P::Waiting) => "该事项须等前序事项办结后才能办理",
            (A::Step | A::Finish, P::Suspended) => "该事项正在暂停计时，请先恢复计时",
            (A::Step | A::Finish | A::Start, P::Done) => "该事项已办结",
            (A::Step | A::Finish, P::Active) => "该事项当前状态不能进行此操作",
            (A::Start, P::Waiting | P::Active | P::Suspended) => "该事项已开始办理",
            (A::Suspend, _) => "只有办理中的事项可以暂停计时",
            (A::Resume, _) => "该事项没有暂停计时",
        }
    }
}

impl std::fmt::Display for PartTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PartTransitionError {}

/// The application's status after `action`, or why it may not happen.
pub fn transition(from: Status, action: AppAction) -> Result<Status, TransitionError> {
    use AppAction as A;
    use Status as S;
    match (from, action) {
        (S::NeedsCorrection, A::SupplementIncomplete) => Ok(S::NeedsCorrection),
        (S::NeedsCorrection, A::SupplementComplete) => Ok(S::InProgress),
        (S::InProgress, A::WorkOnPart) => Ok(S::InProgress),
        (S::InProgress, A::Complete) => Ok(S::Completed),
        // Supplements answer a correction notice only.
        (
            S::InProgress | S::NotAccepted | S::Completed,
            A::SupplementIncomplete | A::SupplementComplete,
        )
        // The back office works on accepted applications only.
        | (S::NeedsCorrection | S::NotAccepted | S::Completed, A::WorkOnPart | A::Complete) => {
            Err(TransitionError { from, action })
        }
    }
}

/// The part's status after `action`, or why it may not happen. Whether a waiting part may
/// start is the DAG's rule ([`ready`]), decided by the caller.
pub fn part_transition(
    from: PartStatus,
    action: PartAction,
) -> Result<PartStatus, PartTransitionError> {
    use PartAction as A;
    use PartStatus as P;
    match (from, action) {
        (P::Waiting, A::Start) => Ok(P::Active),
        (P::Active, A::Step) => Ok(P::Active),
        (P::Active, A::Finish) => Ok(P::Done),
        (P::Active, A::Suspend) => Ok(P::Suspended),
        (P::Suspended, A::Resume) => Ok(P::Active),
        (P::Waiting, A::Step | A::Finish | A::Suspend | A::Resume)
        | (P::Active, A::Start | A::Resume)
        | (P::Suspended, A::Start | A::Step | A::Finish | A::Suspend)
        | (P::Done, A::Start | A::Step | A::Finish | A::Suspend | A::Resume) => {
            Err(PartTransitionError { from, action })
        }
    }
}

/// The application's status once its parts have changed: 办理中 becomes 已办结 when every part
/// is done; anything else is left as it is.
pub fn status_from_parts(from: Status, parts: &[PartStatus]) -> Status {
    let all_done = !parts.is_empty() && parts.iter().all(|p| *p == PartStatus::Done);
    if all_done {
        transition(from, AppAction::Complete).unwrap_or(from)
    } else {
        from
    }
}

/// Actions an application allows now, for showing the right buttons.
pub fn allowed(from: Status) -> Vec<AppAction> {
    AppAction::ALL
        .iter()
        .copied()
        .filter(|a| transition(from, *a).is_ok())
        .collect()
}

/// Actions a part allows now.
pub fn part_allowed(from: PartStatus) -> Vec<PartAction> {
    PartAction::ALL
        .iter()
        .copied()
        .filter(|a| part_transition(from, *a).is_ok())
        .collect()
}

#[cfg(test)]
mod lifecycle_tests {
    use super::*;
    use proptest::prelude::*;

    fn missing() -> Vec<Defect> {
        vec![Defect {
            name: "身份证".into(),
            reason: "未提交".into(),
        }]
    }

    #[test]
    fn intake_decides_the_first_status() {
        assert_eq!(intake(false, &[]), Status::InProgress);
        assert_eq!(intake(false, &missing()), Status::NeedsCorrection);
        assert_eq!(intake(true, &[]), Status::NotAccepted);
        assert_eq!(intake(true, &missing()), Status::NotAccepted);
    }

    #[test]
    fn correction_then_acceptance_then_completion() {
        use AppAction::*;
        assert_eq!(AppAction::supplement(&missing()), SupplementIncomplete);
        assert_eq!(AppAction::supplement(&[]), SupplementComplete);
        let mut s = Status::NeedsCorrection;
        for (a, want) in [
            (SupplementIncomplete, Status::NeedsCorrection),
            (SupplementComplete, Status::InProgress),
            (WorkOnPart, Status::InProgress),
            (Complete, Status::Completed),
        ] {
            s = transition(s, a).unwrap();
            assert_eq!(s, want, "after {a:?}");
        }
        let e = transition(Status::InProgress, SupplementComplete).unwrap_err();
        assert_eq!(e.code(), "application.bad_state");
        assert_eq!(e.to_string(), "只有待补正的办件可以补正材料");
        assert_eq!(
            transition(Status::NeedsCorrection, WorkOnPart)
                .unwrap_err()
                .to_string(),
            "办件不在办理中"
        );
        // Both supplements are allowed exactly where the other is: the service may check
        // either before it knows what is still missing.
        for s in Status::ALL {
            assert_eq!(
                transition(*s, SupplementIncomplete).is_ok(),
                transition(*s, SupplementComplete).is_ok()
            );
        }
    }

    #[test]
    fn a_part_runs_its_steps_and_stops_its_clock() {
        use PartAction::*;
        use PartStatus as P;
        assert_eq!(PartAction::advance(1, 3), Step);
        assert_eq!(PartAction::advance(2, 3), Finish);
        assert_eq!(PartAction::advance(0, 1), Finish);
        let mut s = P::Waiting;
        for (a, want) in [
            (Start, P::Active),
            (Step, P::Active),
            (Suspend, P::Suspended),
            (Resume, P::Active),
            (Finish, P::Done),
        ] {
            s = part_transition(s, a).unwrap();
            assert_eq!(s, want, "after {a:?}");
        }
        let msg = |from, a| part_transition(from, a).unwrap_err().to_string();
        assert_eq!(msg(P::Waiting, Step), "该事项须等前序事项办结后才能办理");
        assert_eq!(
            msg(P::Suspended, Finish),
            "该事项正在暂停计时，请先恢复计时"
        );
        assert_eq!(msg(P::Done, Step), "该事项已办结");
        assert_eq!(msg(P::Suspended, Suspend), "只有办理中的事项可以暂停计时");
        assert_eq!(msg(P::Active, Resume), "该事项没有暂停计时");
        assert_eq!(
            part_transition(P::Done, Resume).unwrap_err().code(),
            "application.bad_state"
        );
    }

    #[test]
    fn the_application_completes_with_its_last_part() {
        use PartStatus as P;
        let s = Status::InProgress;
        assert_eq!(status_from_parts(s, &[P::Done, P::Active]), s);
        assert_eq!(status_from_parts(s, &[P::Done, P::Suspended]), s);
        assert_eq!(status_from_parts(s, &[P::Done, P::Done]), Status::Completed);
        assert_eq!(status_from_parts(s, &[]), s);
        assert_eq!(
            status_from_parts(Status::NeedsCorrection, &[]),
            Status::NeedsCorrection
        );
        assert_eq!(
            status_from_parts(Status::Completed, &[P::Done]),
            Status::Completed
        );
    }

    #[test]
    fn final_states_accept_nothing() {
        for s in Status::ALL {
            assert_eq!(s.is_final(), allowed(*s).is_empty(), "{s:?}");
        }
        for s in PartStatus::ALL {
            assert_eq!(s.is_final(), part_allowed(*s).is_empty(), "{s:?}");
        }
        assert!(Status::NotAccepted.is_final() && Status::Completed.is_final());
        assert!(PartStatus::Done.is_final());
        for a in AppAction::ALL {
            assert_eq!(AppAction::parse(a.code()), Some(*a));
        }
        for a in PartAction::ALL {
            assert_eq!(PartAction::parse(a.code()), Some(*a));
        }
    }

    fn received() -> impl Strategy<Value = Status> {
        (any::<bool>(), any::<bool>()).prop_map(|(refused, complete)| {
            let d = if complete { Vec::new() } else { missing() };
            intake(refused, &d)
        })
    }

    /// An application and its parts as the service stores them, changed only through the
    /// rules above, the way `applications::apply` changes them.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Sim {
        app: Status,
        parts: Vec<PartStatus>,
        names: Vec<String>,
        edges: Vec<(String, String)>,
    }

    impl Sim {
        fn new(app: Status, n: usize, edges: &[(usize, usize)]) -> Sim {
            let mut s = Sim {
                app,
                parts: Vec::new(),
                names: (0..n).map(|i| format!("m{i}")).collect(),
                // Edges only forward: the DAG is acyclic.
                edges: edges
                    .iter()
                    .filter(|(a, b)| a < b && *b < n)
                    .map(|(a, b)| (format!("m{a}"), format!("m{b}")))
                    .collect(),
            };
            if app == Status::InProgress {
                s.accept();
            }
            s
        }

        fn accept(&mut self) {
            self.parts = vec![PartStatus::Waiting; self.names.len()];
            self.start_ready();
        }

        fn start_ready(&mut self) {
            let done: BTreeSet<String> = self
                .names
                .iter()
                .zip(&self.parts)
                .filter(|(_, p)| **p == PartStatus::Done)
                .map(|(n, _)| n.clone())
                .collect();
            let next = ready(&self.names, &self.edges, &done);
            for (name, p) in self.names.iter().zip(self.parts.iter_mut()) {
                if *p == PartStatus::Waiting && next.contains(name) {
                    *p = part_transition(*p, PartAction::Start).expect("a waiting part starts");
                }
            }
        }

        fn supplement(&mut self, complete: bool) -> bool {
            let a = if complete {
                AppAction::SupplementComplete
            } else {
                AppAction::SupplementIncomplete
            };
            match transition(self.app, a) {
                Ok(next) => {
                    let accepted =
                        self.app == Status::NeedsCorrection && next == Status::InProgress;
                    self.app = next;
                    if accepted {
                        self.accept();
                    }
                    true
                }
                Err(_) => false,
            }
        }

        fn part(&mut self, i: usize, a: PartAction) -> bool {
            if transition(self.app, AppAction::WorkOnPart).is_err() || self.parts.is_empty() {
                return false;
            }
            let i = i % self.parts.len();
            match part_transition(self.parts[i], a) {
                Ok(next) => {
                    self.parts[i] = next;
                    if next == PartStatus::Done {
                        self.start_ready();
                        self.app = status_from_parts(self.app, &self.parts);
                    }
                    true
                }
                Err(_) => false,
            }
        }

        fn check(&self) -> Result<(), TestCaseError> {
            let accepted = matches!(self.app, Status::InProgress | Status::Completed);
            prop_assert_eq!(
                self.parts.is_empty(),
                !accepted,
                "parts exist once accepted"
            );
            let all_done =
                !self.parts.is_empty() && self.parts.iter().all(|p| *p == PartStatus::Done);
            prop_assert_eq!(
                self.app == Status::Completed,
                all_done,
                "completed iff all done"
            );
            if self.app == Status::InProgress {
                prop_assert!(
                    self.parts
                        .iter()
                        .any(|p| matches!(p, PartStatus::Active | PartStatus::Suspended)),
                    "an application in progress always has a part to work on: {:?}",
                    self
                );
            }
            // A part runs only once every part before it is done.
            for (name, p) in self.names.iter().zip(&self.parts) {
                if *p == PartStatus::Waiting {
                    continue;
                }
                for (a, b) in &self.edges {
                    if b == name {
                        let i = self.names.iter().position(|n| n == a).expect("known");
                        prop_assert_eq!(self.parts[i], PartStatus::Done, "{} before {}", a, b);
                    }
                }
            }
            // Every status is one the service can store and read back.
            prop_assert_eq!(Status::parse(self.app.code()), Some(self.app));
            for p in &self.parts {
                prop_assert_eq!(PartStatus::parse(p.code()), Some(*p));
            }
            Ok(())
        }
    }

    proptest! {
        #[test]
        fn application_sequences_stay_legal(
            start in received(),
            seq in proptest::collection::vec(proptest::sample::select(AppAction::ALL), 0..40),
        ) {
            let mut s = start;
            for a in seq {
                match transition(s, a) {
                    Ok(next) => {
                        prop_assert!(!s.is_final(), "final {:?} moved by {:?}", s, a);
                        prop_assert!(allowed(s).contains(&a));
                        // 不予受理 is decided at intake only, and nothing goes back to 待补正.
                        prop_assert!(next != Status::NotAccepted);
                        prop_assert!(next == s || next != Status::NeedsCorrection);
                        s = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(e, TransitionError { from: s, action: a });
                        prop_assert!(!allowed(s).contains(&a));
                    }
                }
                prop_assert!(Status::ALL.contains(&s));
            }
        }

        #[test]
        fn part_sequences_stay_legal(
            seq in proptest::collection::vec(proptest::sample::select(PartAction::ALL), 0..40),
        ) {
            let mut s = PartStatus::Waiting;
            for a in seq {
                match part_transition(s, a) {
                    Ok(next) => {
                        prop_assert!(!s.is_final(), "final {:?} moved by {:?}", s, a);
                        prop_assert!(part_allowed(s).contains(&a));
                        // Nothing waits again once started; only the last step finishes.
                        prop_assert!(next != PartStatus::Waiting);
                        prop_assert_eq!(next == PartStatus::Done, a == PartAction::Finish);
                        s = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(e, PartTransitionError { from: s, action: a });
                        prop_assert!(!part_allowed(s).contains(&a));
                    }
                }
                prop_assert!(PartStatus::ALL.contains(&s));
            }
        }

        #[test]
        fn applications_with_parts_never_reach_an_illegal_state(
            start in received(),
            n in 1usize..6,
            edges in proptest::collection::vec((0usize..6, 0usize..6), 0..10),
            ops in proptest::collection::vec((0u8..6, 0usize..6), 0..100),
        ) {
            let mut sim = Sim::new(start, n, &edges);
            sim.check()?;
            for (op, i) in ops {
                let before = sim.clone();
                let done = match op {
                    0 => sim.supplement(true),
                    1 => sim.supplement(false),
                    2 => sim.part(i, PartAction::Step),
                    3 => sim.part(i, PartAction::Finish),
                    4 => sim.part(i, PartAction::Suspend),
                    _ => sim.part(i, PartAction::Resume),
                };
                if !done {
                    prop_assert_eq!(&sim, &before, "a refused action changed something");
                }
                if before.app.is_final() {
                    prop_assert!(!done, "a final application moved");
                }
                prop_assert_eq!(
                    sim.app == Status::NotAccepted,
                    start == Status::NotAccepted
                );
                sim.check()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Material, MaterialForm, MaterialSource, MatterType};

    fn spec(materials: Vec<(&str, Necessity, bool)>) -> MatterSpec {
        MatterSpec {
            basic_code: "000000000001".into(),
            code: "m".into(),
            name: "m".into(),
            matter_type: MatterType::PublicService,
            unit_code: "u".into(),
            level: "县级".into(),
            case_kind: CaseKind::Promised,
            legal_limit: Limit::working_days(20),
            promised_limit: Limit::working_days(5),
            conditions: String::new(),
            steps: vec!["受理".into(), "审查".into(), "决定".into()],
            visits: 1,
            fees: String::new(),
            place: "p".into(),
            hours: "h".into(),
            consult_phone: "1".into(),
            complaint_phone: "1".into(),
            online_depth: 2,
            summary: String::new(),
            materials: materials
                .into_iter()
                .map(|(name, necessity, issued)| Material {
                    name: name.into(),
                    necessity,
                    form: MaterialForm::Either,
                    copies: 1,
                    source: if issued {
                        MaterialSource::Issued { by: "u".into() }
                    } else {
                        MaterialSource::Applicant
                    },
                    standard: String::new(),
                    blank_form: String::new(),
                    sample: String::new(),
                })
                .collect(),
        }
    }

    fn names(v: &[Defect]) -> Vec<&str> {
        v.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn a_bundle_asks_for_the_id_cards_once_saying_whose() {
        let birth = spec(vec![
            ("父母双方居民身份证", Necessity::Required, false),
            ("出生医学证明", Necessity::Required, false),
        ]);
        let insurance = spec(vec![
            ("居民身份证", Necessity::Required, false),
            ("监护人居民身份证", Necessity::Required, false),
        ]);
        let marriage = spec(vec![("夫妻双方居民身份证", Necessity::Required, false)]);
        let list = checklist(
            &[("birth", &birth), ("ins", &insurance), ("mar", &marriage)],
            &BTreeSet::new(),
            &Default::default(),
            false,
        );
        let ids: Vec<&ChecklistItem> = list.iter().filter(|i| i.name == "居民身份证").collect();
        assert_eq!(ids.len(), 1, "{list:?}");
        assert_eq!(ids[0].needed_by, vec!["birth", "ins", "mar"]);
        assert_eq!(
            ids[0].label(),
            "居民身份证（父母双方、本人、监护人、夫妻双方）"
        );
        // One card handed over answers every matter.
        let d = defects(
            &list,
            &Handed {
                provided: ["居民身份证".to_string(), "出生医学证明".to_string()].into(),
                defective: vec![],
            },
        )
        .unwrap();
        assert!(d.is_empty(), "{d:?}");
        // The applicant's own card alone reads as itself.
        let own = checklist(
            &[(
                "ins",
                &spec(vec![("居民身份证", Necessity::Required, false)]),
            )],
            &BTreeSet::new(),
            &Default::default(),
            false,
        );
        assert_eq!(own[0].label(), "居民身份证");
    }

    #[test]
    fn every_missing_item_is_listed_at_once() {
        let a = spec(vec![
            ("身份证", Necessity::Required, false),
            ("户口簿", Necessity::Required, true),
            ("申请表", Necessity::Required, false),
            (
                "委托书",
                Necessity::Conditional {
                    condition: "委托他人办理的".into(),
                },
                false,
            ),
            ("照片", Necessity::Optional, false),
        ]);
        let b = spec(vec![
            ("身份证", Necessity::Required, false),
            ("出生证明", Necessity::Required, false),
        ]);
        let produced: BTreeSet<String> = ["出生证明".to_string()].into();
        let list = checklist(
            &[("a", &a), ("b", &b)],
            &produced,
            &Default::default(),
            false,
        );
        let listed: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(listed, vec!["身份证", "申请表", "委托书", "照片"]);
        assert_eq!(list[0].needed_by, vec!["a", "b"]);
        assert!(!list[2].required && !list[3].required);

        let none = defects(&list, &Handed::default()).unwrap();
        assert_eq!(names(&none), vec!["身份证", "申请表"]);
        let handed = Handed {
            provided: ["身份证".to_string()].into(),
            defective: vec![Defect {
                name: "身份证".into(),
                reason: "已过有效期".into(),
            }],
        };
        let d = defects(&list, &handed).unwrap();
        assert_eq!(names(&d), vec!["身份证", "申请表"]);
        assert_eq!(d[0].reason, "已过有效期");

        // An agent makes the power of attorney required.
        let with_agent = checklist(&[("a", &a)], &produced, &Default::default(), true);
        let d = defects(
            &with_agent,
            &Handed {
                provided: ["身份证".to_string(), "申请表".to_string()].into(),
                defective: vec![],
            },
        )
        .unwrap();
        assert_eq!(names(&d), vec!["委托书"]);
        assert!(d[0].reason.contains("委托他人办理的"));

        let unknown = defects(
            &list,
            &Handed {
                provided: ["结婚证".to_string()].into(),
                defective: vec![],
            },
        );
        assert_eq!(unknown, Err(vec!["结婚证".to_string()]));
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_clock_counts_working_days_and_stops() {
        let cal = WorkCalendar::default();
        // Accepted Friday 2026-11-27 at 10:00; 5 working days end with Friday 12-04.
        let start = at(2026, 11, 27, 10);
        let five = Limit::working_days(5);
        assert_eq!(deadline(&cal, five, start, 0), at(2026, 12, 5, 0));
        // 即办件: by the end of the day.
        assert_eq!(
            deadline(&cal, Limit::working_days(0), start, 0),
            at(2026, 11, 28, 0)
        );
        // Stopped from Monday to Wednesday: two working days off the clock.
        let stopped = paused_days(
            &cal,
            LimitUnit::WorkingDays,
            at(2026, 11, 30, 15),
            at(2026, 12, 2, 9),
        );
        assert_eq!(stopped, 2);
        assert_eq!(deadline(&cal, five, start, stopped), at(2026, 12, 9, 0));
        // A weekend stop costs nothing.
        assert_eq!(
            paused_days(
                &cal,
                LimitUnit::WorkingDays,
                at(2026, 11, 27, 16),
                at(2026, 11, 29, 9)
            ),
            0
        );
        // Steps share the limit: the first of three gets ⌈5/3⌉ = 2 working days (Monday and
        // Tuesday); the last ends with the part.
        assert_eq!(
            step_deadline(&cal, five, start, 0, 1, 3),
            at(2026, 12, 2, 0)
        );
        assert_eq!(
            step_deadline(&cal, five, start, 0, 3, 3),
            at(2026, 12, 5, 0)
        );
    }

    #[test]
    fn bundle_parts_follow_the_dag() {
        let cal = WorkCalendar::default();
        let accepted = at(2026, 11, 27, 10);
        let order: Vec<String> = ["cert", "hukou", "med", "card"].map(String::from).to_vec();
        let edges = vec![
            ("cert".to_string(), "hukou".to_string()),
            ("hukou".to_string(), "med".to_string()),
            ("hukou".to_string(), "card".to_string()),
        ];
        let clock = |days: u32| PartClock {
            limit: Limit::working_days(days),
            started_at: None,
            paused: 0,
            done_at: None,
        };
        let mut clocks: HashMap<String, PartClock> = [
            ("cert".to_string(), clock(0)),
            ("hukou".to_string(), clock(1)),
            ("med".to_string(), clock(0)),
            ("card".to_string(), clock(10)),
        ]
        .into();
        clocks.get_mut("cert").unwrap().started_at = Some(accepted);
        let p = projected(&cal, &order, &edges, &clocks, accepted);
        assert_eq!(p["cert"], at(2026, 11, 28, 0));
        // The next part counts from the day the one before ends: Monday is its first day.
        assert_eq!(p["hukou"], at(2026, 12, 1, 0));
        assert_eq!(p["card"], at(2026, 12, 15, 0));
        let all = p.values().max().unwrap();
        assert_eq!(*all, p["card"]);

        let none = BTreeSet::new();
        assert_eq!(ready(&order, &edges, &none), vec!["cert"]);
        let done: BTreeSet<String> = ["cert".to_string(), "hukou".to_string()].into();
        assert_eq!(ready(&order, &edges, &done), vec!["med", "card"]);
    }
}
