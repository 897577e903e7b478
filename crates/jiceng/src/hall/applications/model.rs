//! 一窗受理, the application's vocabulary: the input of a new application (applicant, agent),
//! its views and summaries, the stored status and step columns read back, and who may
//! receive, see and handle applications.

use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::store::entities::application_part;
use chrono::{DateTime, Utc};
use jiceng_core::Role;
use jiceng_core::application::{ChecklistItem, Defect};
use jiceng_core::calendar::Limit;
use serde::{Deserialize, Serialize};

/// How many applications one intake transaction holds at most.
pub(crate) const BATCH: usize = 300;

// ---------------------------------------------------------------------------------------------
// Input

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApplicantInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
}

/// Someone acting for the applicant: a staff member (帮办员) or a relative with a power of
/// attorney.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgentInput {
    /// `staff` or `relative`.
    pub kind: String,
    pub name: String,
    pub id_number: String,
    /// e.g. 子女, 配偶.
    pub relationship: String,
    /// The power of attorney (委托书) as the window recorded it.
    pub authorization: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewApplication {
    /// A matter's implementation code, or
    pub matter: Option<String>,
    /// a bundle's code.
    pub bundle: Option<String>,
    /// `window` (default for staff), `online`, `kiosk` or `assisted`.
    pub channel: Option<String>,
    pub applicant: ApplicantInput,
    pub agent: Option<AgentInput>,
    /// Materials handed over, by name.
    pub provided: Vec<String>,
    /// Materials found defective, with why.
    pub defective: Vec<Defect>,
    /// Conditional materials whose condition holds.
    pub applies: Vec<String>,
    /// Set to refuse the application, with the reason (不予受理).
    pub not_accepted: Option<String>,
    /// `pickup` (default), `mail` or `electronic`.
    pub delivery: Option<String>,
    pub window: String,
    /// The queue ticket the applicant was called with, if any.
    pub ticket_id: Option<i64>,
    /// Sent again after a dropped connection, the same key gives the same application.
    pub client_key: Option<String>,
}

/// The agent as stored: the ID number sealed, masked for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agent {
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    #[serde(default)]
    pub id_masked: String,
    #[serde(default, skip_serializing)]
    pub id_enc: String,
    pub relationship: String,
    pub authorization: String,
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    pub name: String,
    pub id_masked: String,
    pub phone_masked: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartView {
    pub id: i64,
    pub seq: i32,
    pub matter_code: String,
    pub matter_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub steps: Vec<String>,
    /// Index of the step being done (equal to the number of steps when done).
    pub step: usize,
    pub step_label: String,
    pub step_due: Option<DateTime<Utc>>,
    pub handler: String,
    pub started_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub paused_days: i32,
    pub pause: Option<&'static str>,
    pub result_no: String,
    pub result_delivery: String,
    pub done_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub kind: String,
    pub label: &'static str,
    pub matter: String,
    /// Who, as stored (`user:clerk`).
    pub actor: String,
    /// Who, as a person reads it.
    pub actor_name: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// One application, whole.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub code: String,
    /// The applicant's 查询密码: only in the answer to an applicant's own submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_pin: Option<String>,
    pub subject_kind: String,
    pub subject_code: String,
    pub title: String,
    pub channel: &'static str,
    pub channel_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub applicant: Applicant,
    pub agent: Option<Agent>,
    pub checklist: Vec<ChecklistItem>,
    /// The one-time notice: every missing or defective item (待补正 only).
    pub defects: Vec<Defect>,
    pub reason: String,
    pub delivery: &'static str,
    pub delivery_label: &'static str,
    pub window: String,
    /// Who received it, as stored (`user:clerk`).
    pub received_by: String,
    /// Who received it, as a person reads it.
    pub received_by_name: String,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    /// The promised completion day as people say it.
    pub promised_day: String,
    pub completed_at: Option<DateTime<Utc>>,
    pub parts: Vec<PartView>,
    pub progress: Progress,
    pub timeline: Vec<EventView>,
}

/// The one progress line the citizen sees: steps done of all steps.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub percent: u32,
    pub now: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationSummary {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub applicant_name: String,
    pub channel_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub received_at: DateTime<Utc>,
    pub promised_day: String,
}

/// A part's steps (JSON); a value that does not decode is an internal error, not "no steps".
pub(crate) fn steps_of(p: &application_part::Model) -> AppResult<Vec<String>> {
    crate::store::json("application_parts.steps", &p.steps)
}

/// A part's time limit (JSON); a value that does not decode is an internal error, never a
/// limit of 0 working days.
pub(crate) fn limit_of(p: &application_part::Model) -> AppResult<Limit> {
    crate::store::json("application_parts.limit_spec", &p.limit_spec)
}

/// The first step the back office does: 受理 is done at the window.
pub(crate) fn first_step(steps: &[String]) -> usize {
    usize::from(steps.len() > 1 && steps[0] == "受理")
}

pub fn event_label(kind: &str) -> &'static str {
    match kind {
        "received" => "收件",
        "accepted" => "受理",
        "needs_correction" => "一次性告知补正",
        "supplemented" => "补正材料",
        "not_accepted" => "不予受理",
        "started" => "转入承办单位",
        "step" => "办理环节完成",
        "suspended" => "暂停计时",
        "resumed" => "恢复计时",
        "part_done" => "事项办结",
        "completed" => "全部办结",
        _ => "其他",
    }
}

// ---------------------------------------------------------------------------------------------
// Permissions

pub(crate) fn receives(actor: &Actor) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => {
            matches!(u.role, Role::WindowClerk | Role::Admin) && !u.jurisdiction.assigned_only
        }
    }
}

/// Whether the actor sees the applications of a hall's region by place: clerks, admins,
/// leaders, supervisors and auditors see their region subtree's halls (a township's clerk
/// their 便民服务中心, not the county's hall); the back offices see only the applications that
/// have a part for their unit.
pub(crate) fn sees_region(actor: &Actor, region: &str) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => {
            sees_by_place(u)
                && jiceng_core::RegionCode::parse(region)
                    .is_ok_and(|r| u.jurisdiction.covers_region(&r))
        }
    }
}

/// The region subtree whose halls' applications the actor sees by place, as a `LIKE` pattern;
/// `None` for an actor who sees none by place (back-office staff), `Some("%")` for the system.
pub(crate) fn region_pattern(actor: &Actor) -> Option<String> {
    match actor {
        Actor::System(_) => Some("%".into()),
        Actor::User(u) => sees_by_place(u).then(|| u.jurisdiction.region_like_pattern()),
    }
}

/// The roles that see a hall's applications by its region (not bound to a functional unit).
fn sees_by_place(u: &crate::kernel::actor::UserActor) -> bool {
    matches!(
        u.role,
        Role::WindowClerk | Role::Admin | Role::Leader | Role::Supervisor | Role::Auditor
    ) && !u.jurisdiction.assigned_only
}

/// Whether the actor does the work of a unit's back office: that unit's own staff (an
/// administrator is not the unit, and does not set licence numbers in its name).
pub(crate) fn handles(actor: &Actor, unit_id: i64) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => u.jurisdiction.department_id == Some(unit_id),
    }
}
