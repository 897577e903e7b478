//! 一窗受理: applications for a matter or a 一件事 bundle, received at a window, online, at a
//! kiosk or by an agent (帮办代办). The window checks the materials once: the application is
//! accepted with a receipt, or told everything missing at once (一次性告知), or not accepted
//! with its reason. Accepted, each matter becomes a part in its unit's back office that walks
//! the matter's steps against the working-day calendar; the clock stops during 补正 and 特别
//! 程序, bundle parts start in DAG order, and the citizen sees one application and one
//! progress line. Every change goes through [`submit`] or [`change`], which write the
//! application, its timeline, its audit entry and its notifications in one transaction.

use super::audit::{self, Event};
use super::catalog::unit_names;
use super::{Actor, Page, PageParams, outbox};
use crate::app::App;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::bulk;
use crate::store::entities::{application, application_event, application_part, bundle, matter};
use chrono::{DateTime, Utc};
use jiceng_core::Role;
use jiceng_core::application::{
    self as domain, Channel, ChecklistItem, Defect, Delivery, Handed, PartClock, PartStatus, Pause,
    Status,
};
use jiceng_core::bundle::BundleSpec;
use jiceng_core::calendar::Limit;
use jiceng_core::catalog::MatterSpec;
use jiceng_core::id_card::IdCard;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// How many applications one intake transaction holds at most.
const BATCH: usize = 300;

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
    pub actor: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// One application, whole.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: i64,
    pub code: String,
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
    pub received_by: String,
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

fn status_of(m: &application::Model) -> Status {
    Status::parse(&m.status).unwrap_or(Status::InProgress)
}

fn part_status(p: &application_part::Model) -> PartStatus {
    PartStatus::parse(&p.status).unwrap_or(PartStatus::Waiting)
}

fn steps_of(p: &application_part::Model) -> Vec<String> {
    serde_json::from_str(&p.steps).unwrap_or_default()
}

fn limit_of(p: &application_part::Model) -> Limit {
    serde_json::from_str(&p.limit_spec).unwrap_or(Limit::working_days(0))
}

/// The first step the back office does: 受理 is done at the window.
fn first_step(steps: &[String]) -> usize {
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

fn view(
    m: &application::Model,
    parts: &[application_part::Model],
    events: &[application_event::Model],
    units: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> ApplicationView {
    let status = status_of(m);
    let channel = Channel::parse(&m.channel).unwrap_or(Channel::Window);
    let delivery = Delivery::parse(&m.delivery).unwrap_or(Delivery::Pickup);
    let parts_v: Vec<PartView> = parts
        .iter()
        .map(|p| {
            let steps = steps_of(p);
            let st = part_status(p);
            let step = p.step.max(0) as usize;
            PartView {
                id: p.id,
                seq: p.seq,
                matter_code: p.matter_code.clone(),
                matter_name: p.matter_name.clone(),
                unit_id: p.unit_id,
                unit_name: units.get(&p.unit_id).cloned().unwrap_or_default(),
                status: st.code(),
                status_label: st.label(),
                step_label: match st {
                    PartStatus::Done => "已办结".into(),
                    PartStatus::Waiting => "等待前序事项".into(),
                    _ => steps.get(step).cloned().unwrap_or_default(),
                },
                step,
                steps,
                step_due: p.step_due,
                handler: p.handler.clone(),
                started_at: p.started_at,
                deadline: p.deadline,
                paused_days: p.paused_days,
                pause: Pause::parse(&p.pause_kind).map(Pause::label),
                result_no: p.result_no.clone(),
                result_delivery: Delivery::parse(&p.result_delivery)
                    .map(|d| d.label().to_string())
                    .unwrap_or_default(),
                done_at: p.done_at,
                overdue: st == PartStatus::Active && p.deadline.is_some_and(|d| d < now),
            }
        })
        .collect();
    let total: usize = 1 + parts_v
        .iter()
        .map(|p| p.steps.len() - first_step(&p.steps))
        .sum::<usize>();
    let done: usize = match status {
        Status::InProgress | Status::Completed => {
            1 + parts_v
                .iter()
                .map(|p| p.step.saturating_sub(first_step(&p.steps)))
                .sum::<usize>()
        }
        _ => 0,
    };
    let now_label = match status {
        Status::InProgress => parts_v
            .iter()
            .filter(|p| p.status != "done" && p.status != "waiting")
            .map(|p| format!("{}：{}", p.matter_name, p.step_label))
            .collect::<Vec<_>>()
            .join("；"),
        s => s.label().to_string(),
    };
    let part_names: HashMap<i64, &str> = parts
        .iter()
        .map(|p| (p.id, p.matter_name.as_str()))
        .collect();
    ApplicationView {
        id: m.id,
        code: m.code.clone(),
        subject_kind: m.subject_kind.clone(),
        subject_code: m.subject_code.clone(),
        title: m.title.clone(),
        channel: channel.code(),
        channel_label: channel.label(),
        status: status.code(),
        status_label: status.label(),
        applicant: Applicant {
            name: m.applicant_name.clone(),
            id_masked: m.applicant_id_masked.clone(),
            phone_masked: m.applicant_phone_masked.clone(),
        },
        agent: serde_json::from_str(&m.agent).ok(),
        checklist: serde_json::from_str(&m.checklist).unwrap_or_default(),
        defects: serde_json::from_str(&m.defects).unwrap_or_default(),
        reason: m.reason.clone(),
        delivery: delivery.code(),
        delivery_label: delivery.label(),
        window: m.window.clone(),
        received_by: m.received_by.clone(),
        received_at: m.received_at,
        accepted_at: m.accepted_at,
        promised_at: m.promised_at,
        promised_day: m.promised_at.map(domain::due_day).unwrap_or_default(),
        completed_at: m.completed_at,
        progress: Progress {
            done: done.min(total),
            total,
            percent: (done.min(total) * 100 / total.max(1)) as u32,
            now: now_label,
        },
        parts: parts_v,
        timeline: events
            .iter()
            .map(|e| EventView {
                kind: e.kind.clone(),
                label: event_label(&e.kind),
                matter: e
                    .part_id
                    .and_then(|id| part_names.get(&id).map(|s| s.to_string()))
                    .unwrap_or_default(),
                actor: e.actor.clone(),
                note: e.note.clone(),
                at: e.at,
            })
            .collect(),
    }
}

async fn load_view<C: ConnectionTrait>(
    db: &C,
    m: &application::Model,
    now: DateTime<Utc>,
) -> AppResult<ApplicationView> {
    let parts = application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(m.id))
        .order_by_asc(application_part::Column::Seq)
        .all(db)
        .await?;
    let events = application_event::Entity::find()
        .filter(application_event::Column::ApplicationId.eq(m.id))
        .order_by_asc(application_event::Column::Id)
        .all(db)
        .await?;
    let units = unit_names(db, parts.iter().map(|p| p.unit_id).collect()).await?;
    Ok(view(m, &parts, &events, &units, now))
}

// ---------------------------------------------------------------------------------------------
// The subject: a matter or a bundle, with its members' current specs

struct Member {
    code: String,
    version: i32,
    spec: MatterSpec,
    unit_id: i64,
    unit_name: String,
}

/// A matter or bundle as intake needs it; cached for a few seconds (see [`SUBJECT_CACHE`]).
pub(crate) struct Subject {
    kind: &'static str,
    code: String,
    title: String,
    /// In a topological order.
    members: Vec<Member>,
    edges: Vec<(String, String)>,
    produced: BTreeSet<String>,
}

async fn current_matters<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<HashMap<String, matter::Model>> {
    Ok(matter::Entity::find()
        .filter(matter::Column::Code.is_in(codes.to_vec()))
        .filter(matter::Column::Current.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect())
}

fn member(m: &matter::Model, units: &HashMap<i64, String>) -> AppResult<Member> {
    Ok(Member {
        code: m.code.clone(),
        version: m.version,
        spec: serde_json::from_str(&m.spec)
            .map_err(|e| AppError::internal(anyhow::anyhow!("matter {}: {e}", m.code)))?,
        unit_id: m.unit_id,
        unit_name: units.get(&m.unit_id).cloned().unwrap_or_default(),
    })
}

/// How long intake trusts a subject it has read; saving a matter or a bundle empties the
/// cache of this process at once.
pub const SUBJECT_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

async fn subject(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<std::sync::Arc<Subject>> {
    let key = format!(
        "{}|{}",
        matter_code.unwrap_or("").trim(),
        bundle_code.unwrap_or("").trim()
    );
    if let Some(s) = app.caches.subject(&key, SUBJECT_CACHE) {
        return Ok(s);
    }
    let s = std::sync::Arc::new(read_subject(app, matter_code, bundle_code).await?);
    app.caches.cache_subject(key, s.clone());
    Ok(s)
}

async fn read_subject(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<Subject> {
    let db = &app.db.conn;
    match (
        matter_code.map(str::trim).filter(|s| !s.is_empty()),
        bundle_code.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(code), None) => {
            let found = current_matters(db, &[code.to_string()]).await?;
            let m = found.get(code).ok_or_else(|| {
                AppError::field("matter", "application.unknown_matter", "没有这个事项")
            })?;
            let units = unit_names(db, vec![m.unit_id]).await?;
            let mem = member(m, &units)?;
            Ok(Subject {
                kind: "matter",
                code: code.to_string(),
                title: mem.spec.name.clone(),
                members: vec![mem],
                edges: vec![],
                produced: BTreeSet::new(),
            })
        }
        (None, Some(code)) => {
            let b = bundle::Entity::find_by_id(code.to_string())
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::field("bundle", "application.unknown_bundle", "没有这件事")
                })?;
            let spec: BundleSpec = serde_json::from_str(&b.spec)
                .map_err(|e| AppError::internal(anyhow::anyhow!("bundle {code}: {e}")))?;
            let order: Vec<String> = spec
                .stages()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("bundle {code} has a cycle")))?
                .concat();
            let found = current_matters(db, &order).await?;
            let units = unit_names(db, found.values().map(|m| m.unit_id).collect()).await?;
            let members = order
                .iter()
                .map(|c| {
                    found.get(c).map(|m| member(m, &units)).unwrap_or_else(|| {
                        Err(AppError::conflict(
                            "application.bundle_outdated",
                            format!("这件事包含的事项 {c} 已不在目录中，请联系管理员"),
                        ))
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(Subject {
                kind: "bundle",
                code: code.to_string(),
                title: spec.name.clone(),
                members,
                edges: spec.edges.clone(),
                produced: spec.outputs.iter().map(|o| o.material.clone()).collect(),
            })
        }
        _ => Err(AppError::field(
            "matter",
            "application.no_subject",
            "请选择一个事项或一件事（二者选一）",
        )),
    }
}

impl Subject {
    fn checklist(&self, applies: &BTreeSet<String>, has_agent: bool) -> Vec<ChecklistItem> {
        let members: Vec<(&str, &MatterSpec)> = self
            .members
            .iter()
            .map(|m| (m.code.as_str(), &m.spec))
            .collect();
        domain::checklist(&members, &self.produced, applies, has_agent)
    }
}

/// The materials checklist of a matter or bundle before anything is handed over, for the
/// window's form and the online one.
pub async fn checklist_for(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<(String, Vec<ChecklistItem>)> {
    let s = subject(app, matter_code, bundle_code).await?;
    let list = s.checklist(&BTreeSet::new(), false);
    Ok((s.title.clone(), list))
}

// ---------------------------------------------------------------------------------------------
// Permissions

fn receives(actor: &Actor) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => matches!(u.role, Role::WindowClerk | Role::Admin),
    }
}

fn sees_all(actor: &Actor) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => matches!(
            u.role,
            Role::WindowClerk | Role::Admin | Role::Leader | Role::Supervisor | Role::Auditor
        ),
    }
}

/// Whether the actor does the work of a unit's back office.
fn handles(actor: &Actor, unit_id: i64) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => u.role == Role::Admin || u.jurisdiction.department_id == Some(unit_id),
    }
}

// ---------------------------------------------------------------------------------------------
// Intake

/// An application checked, waiting for the intake writer.
pub struct Job {
    model: application::Model,
    subject: std::sync::Arc<Subject>,
    accept: bool,
    actor_name: String,
}

/// What the writer stored.
pub struct Stored {
    units: HashMap<i64, String>,
    model: application::Model,
    parts: Vec<application_part::Model>,
    events: Vec<application_event::Model>,
}

pub type IntakeQueue = std::sync::Arc<super::group_commit::Queue<Job, Stored>>;

pub fn intake_queue() -> IntakeQueue {
    super::group_commit::Queue::new(BATCH, |app, jobs| Box::pin(write_batch(app, jobs)))
}

fn bad(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError {
        field: field.into(),
        message: message.into(),
    });
}

fn check_client_key(k: Option<&str>) -> AppResult<Option<String>> {
    match k.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(k)
            if k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(AppError::field(
            "client_key",
            "application.bad_client_key",
            "client_key 只能由字母、数字、- 和 _ 组成，最长64个字符",
        )),
    }
}

/// Receives an application: checks the applicant, the agent and the materials, and decides at
/// once — accepted with a receipt, a one-time correction notice, or not accepted. Staff
/// receive at the window or for an agent; anyone may apply online or at a kiosk (`actor` is
/// `None`). Answers after the commit is durable.
pub async fn submit(
    app: &App,
    actor: Option<&Actor>,
    input: NewApplication,
) -> AppResult<ApplicationView> {
    let channel = match (input.channel.as_deref().map(str::trim), actor) {
        (None | Some(""), Some(_)) => Channel::Window,
        (None | Some(""), None) => Channel::Online,
        (Some(c), _) => Channel::parse(c).ok_or_else(|| {
            AppError::field(
                "channel",
                "application.bad_channel",
                "渠道应为窗口、网上办、自助终端或帮办代办",
            )
        })?,
    };
    match (channel, actor) {
        (Channel::Window | Channel::Assisted, None) => return Err(AppError::unauthenticated()),
        (Channel::Window | Channel::Assisted, Some(a)) if !receives(a) => {
            return Err(audit::deny(app, a, "application.receive", "application", "").await);
        }
        _ => {}
    }
    let client_key = check_client_key(input.client_key.as_deref())?;
    if let Some(k) = &client_key
        && let Some(m) = application::Entity::find()
            .filter(application::Column::ClientKey.eq(k.clone()))
            .one(&app.db.conn)
            .await?
    {
        return load_view(&app.db.conn, &m, app.now()).await;
    }
    let now = app.now();
    let today = now
        .with_timezone(&jiceng_core::clock::china_offset())
        .date_naive();
    let mut errors = Vec::new();
    let a = &input.applicant;
    let name = a.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 50 {
        bad(&mut errors, "applicant.name", "请填写1～50个字的申请人姓名");
    }
    let id = match IdCard::parse(a.id_number.trim(), today) {
        Ok(id) => Some(id),
        Err(e) => {
            bad(&mut errors, "applicant.id_number", e.to_string());
            None
        }
    };
    let phone = super::work_orders::normalise_phone(&a.phone);
    if phone.is_none() {
        bad(
            &mut errors,
            "applicant.phone",
            "电话号码格式不正确（11位手机号或带区号的固定电话）",
        );
    }
    let agent = match (&input.agent, channel) {
        (None, Channel::Assisted) => {
            bad(&mut errors, "agent", "帮办代办须填写代办人");
            None
        }
        (None, _) => None,
        (Some(g), _) => check_agent(app, actor, g, today, &mut errors),
    };
    let delivery = match input.delivery.as_deref().map(str::trim) {
        None | Some("") => Delivery::Pickup,
        Some(d) => Delivery::parse(d).unwrap_or_else(|| {
            bad(
                &mut errors,
                "delivery",
                "送达方式应为窗口领取、邮寄送达或电子证照",
            );
            Delivery::Pickup
        }),
    };
    if let Some(t) = input.ticket_id
        && crate::store::entities::queue_ticket::Entity::find_by_id(t)
            .one(&app.db.conn)
            .await?
            .is_none()
    {
        bad(&mut errors, "ticket_id", "没有这张号票");
    }
    if input.window.chars().count() > 40 {
        bad(&mut errors, "window", "窗口名称不超过40个字");
    }
    let subject = match subject(app, input.matter.as_deref(), input.bundle.as_deref()).await {
        Ok(s) => Some(s),
        Err(e) if !e.fields.is_empty() => {
            errors.extend(e.fields);
            None
        }
        Err(e) => return Err(e),
    };
    let mut checklist = Vec::new();
    let mut defects = Vec::new();
    let handed = Handed {
        provided: input
            .provided
            .iter()
            .map(|s| s.trim().to_string())
            .collect(),
        defective: input.defective.clone(),
    };
    if let Some(s) = &subject {
        let applies: BTreeSet<String> =
            input.applies.iter().map(|s| s.trim().to_string()).collect();
        checklist = s.checklist(&applies, agent.is_some());
        let conditional: BTreeSet<&str> = checklist
            .iter()
            .filter(|i| !i.condition.is_empty())
            .map(|i| i.name.as_str())
            .collect();
        for a in &applies {
            if !conditional.contains(a.as_str()) {
                bad(&mut errors, "applies", format!("“{a}”不是本事项的条件材料"));
            }
        }
        match domain::defects(&checklist, &handed) {
            Ok(d) => defects = d,
            Err(unknown) => bad(
                &mut errors,
                "provided",
                format!("材料不在本事项的清单中：{}", unknown.join("、")),
            ),
        }
    }
    let refused = input
        .not_accepted
        .as_deref()
        .map(str::trim)
        .map(String::from);
    if let Some(r) = &refused {
        if actor.is_none() {
            bad(
                &mut errors,
                "not_accepted",
                "只有窗口工作人员可以作出不予受理决定",
            );
        } else if r.is_empty() || r.chars().count() > 500 {
            bad(
                &mut errors,
                "not_accepted",
                "不予受理须写明理由（不超过500字）",
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(
            "application.invalid",
            errors[0].message.clone(),
            errors,
        ));
    }
    let (subject, id, phone) = (
        subject.expect("checked"),
        id.expect("checked"),
        phone.expect("checked"),
    );
    let status = if refused.is_some() {
        Status::NotAccepted
    } else if defects.is_empty() {
        Status::InProgress
    } else {
        Status::NeedsCorrection
    };
    let actor_name = actor
        .map(Actor::audit_name)
        .unwrap_or_else(|| match channel {
            Channel::Kiosk => "citizen:kiosk".into(),
            _ => "citizen:online".into(),
        });
    let received_by = match actor {
        Some(Actor::User(u)) => u.display_name.clone(),
        Some(Actor::System(s)) => s.to_string(),
        None => channel.label().to_string(),
    };
    let model = application::Model {
        id: 0,
        code: String::new(),
        subject_kind: subject.kind.into(),
        subject_code: subject.code.clone(),
        title: subject.title.clone(),
        channel: channel.code().into(),
        status: status.code().into(),
        applicant_name: name,
        applicant_id_masked: id.masked(),
        applicant_id_enc: app.data_key.seal(id.as_str()),
        applicant_id_digest: app.data_key.lookup_digest(id.as_str()),
        applicant_phone_masked: super::work_orders::mask_phone(&phone),
        applicant_phone_enc: app.data_key.seal(&phone),
        phone_last4: phone[phone.len() - 4..].to_string(),
        agent: agent
            .map(|g| serde_json::to_string(&g).expect("agent serialises"))
            .unwrap_or_default(),
        checklist: serde_json::to_string(&checklist).expect("checklist serialises"),
        handed: serde_json::to_string(&handed).expect("handed serialises"),
        defects: serde_json::to_string(&defects).expect("defects serialise"),
        reason: refused.unwrap_or_default(),
        delivery: delivery.code().into(),
        window: input.window.trim().to_string(),
        received_by,
        ticket_id: input.ticket_id,
        client_key,
        received_at: now,
        accepted_at: None,
        promised_at: None,
        completed_at: None,
        updated_at: now,
    };
    let job = Job {
        accept: status == Status::InProgress,
        model,
        subject,
        actor_name,
    };
    let key = job.model.client_key.clone();
    let stored = match app.applications.submit(app, job).await {
        Ok(s) => s,
        // The same key sent twice at the same moment: the other request stored it.
        Err(e) if e.is_internal() && key.is_some() => {
            match application::Entity::find()
                .filter(application::Column::ClientKey.eq(key))
                .one(&app.db.conn)
                .await?
            {
                Some(m) => return load_view(&app.db.conn, &m, app.now()).await,
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(view(
        &stored.model,
        &stored.parts,
        &stored.events,
        &stored.units,
        now,
    ))
}

fn check_agent(
    app: &App,
    actor: Option<&Actor>,
    g: &AgentInput,
    today: chrono::NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<Agent> {
    let kind = g.kind.trim();
    let name = match (kind, actor) {
        ("staff", Some(Actor::User(u))) if g.name.trim().is_empty() => u.display_name.clone(),
        _ => g.name.trim().to_string(),
    };
    if name.is_empty() || name.chars().count() > 50 {
        bad(errors, "agent.name", "请填写1～50个字的代办人姓名");
    }
    match kind {
        "staff" => {
            if actor.is_none() {
                bad(errors, "agent.kind", "帮办员代办须由工作人员在窗口办理");
            }
            Some(Agent {
                kind: "staff".into(),
                kind_label: "帮办员".into(),
                name,
                id_masked: String::new(),
                id_enc: String::new(),
                relationship: String::new(),
                authorization: g.authorization.trim().to_string(),
            })
        }
        "relative" => {
            let id = match IdCard::parse(g.id_number.trim(), today) {
                Ok(id) => Some(id),
                Err(e) => {
                    bad(errors, "agent.id_number", format!("代办人{e}"));
                    None
                }
            };
            let rel = g.relationship.trim();
            if rel.is_empty() || rel.chars().count() > 20 {
                bad(errors, "agent.relationship", "请填写代办人与申请人的关系");
            }
            let auth = g.authorization.trim();
            if auth.is_empty() || auth.chars().count() > 200 {
                bad(
                    errors,
                    "agent.authorization",
                    "亲属代办须有授权委托书（填写委托书编号或说明）",
                );
            }
            Some(Agent {
                kind: "relative".into(),
                kind_label: "亲属代办".into(),
                name,
                id_masked: id.as_ref().map(IdCard::masked).unwrap_or_default(),
                id_enc: id
                    .map(|i| app.data_key.seal(i.as_str()))
                    .unwrap_or_default(),
                relationship: rel.into(),
                authorization: auth.into(),
            })
        }
        _ => {
            bad(
                errors,
                "agent.kind",
                "代办人类型应为帮办员（staff）或亲属（relative）",
            );
            None
        }
    }
}

/// Application codes start with `S`, which work-order codes never hold.
fn app_code() -> String {
    format!("S{}", super::work_orders::tracking_code())
}

async fn fresh_codes(txn: &DatabaseTransaction, n: usize) -> AppResult<Vec<String>> {
    loop {
        let mut codes: Vec<String> = (0..n).map(|_| app_code()).collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() < n {
            continue;
        }
        let taken = application::Entity::find()
            .select_only()
            .column(application::Column::Code)
            .filter(application::Column::Code.is_in(codes.clone()))
            .into_tuple::<String>()
            .all(txn)
            .await?;
        if taken.is_empty() {
            return Ok(codes);
        }
    }
}

/// The parts of an accepted application: the members in order, those without predecessors
/// started now.
fn new_parts(
    subject: &Subject,
    app_id: i64,
    cal: &jiceng_core::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> Vec<application_part::Model> {
    let ready = domain::ready(
        &subject
            .members
            .iter()
            .map(|m| m.code.clone())
            .collect::<Vec<_>>(),
        &subject.edges,
        &BTreeSet::new(),
    );
    subject
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let steps = m.spec.steps.clone();
            let mut p = application_part::Model {
                id: 0,
                application_id: app_id,
                seq: i as i32,
                matter_code: m.code.clone(),
                matter_version: m.version,
                matter_name: m.spec.name.clone(),
                unit_id: m.unit_id,
                status: PartStatus::Waiting.code().into(),
                step: first_step(&steps) as i32,
                steps: serde_json::to_string(&steps).expect("steps serialise"),
                limit_spec: serde_json::to_string(&domain::part_limit(&m.spec))
                    .expect("limit serialises"),
                step_due: None,
                handler: String::new(),
                started_at: None,
                deadline: None,
                paused_days: 0,
                paused_at: None,
                pause_kind: String::new(),
                result_no: String::new(),
                result_delivery: String::new(),
                done_at: None,
            };
            if ready.contains(&m.code) {
                start_part(&mut p, cal, now);
            }
            p
        })
        .collect()
}

/// Starts a part's clock.
fn start_part(
    p: &mut application_part::Model,
    cal: &jiceng_core::calendar::WorkCalendar,
    now: DateTime<Utc>,
) {
    p.status = PartStatus::Active.code().into();
    p.started_at = Some(now);
    retime(p, cal);
}

/// A part's deadline and its current step's, from its start and the days stopped.
fn retime(p: &mut application_part::Model, cal: &jiceng_core::calendar::WorkCalendar) {
    let Some(start) = p.started_at else { return };
    let steps = steps_of(p);
    let limit = limit_of(p);
    let base = first_step(&steps);
    let n = steps.len() - base;
    let paused = p.paused_days.max(0) as u32;
    p.deadline = Some(domain::deadline(cal, limit, start, paused));
    p.step_due = (part_status(p) != PartStatus::Done)
        .then(|| domain::step_deadline(cal, limit, start, paused, p.step as usize - base + 1, n));
}

/// The promised completion of an accepted application: its parts projected along the DAG.
fn promise(
    cal: &jiceng_core::calendar::WorkCalendar,
    parts: &[application_part::Model],
    edges: &[(String, String)],
    accepted_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let order: Vec<String> = parts.iter().map(|p| p.matter_code.clone()).collect();
    let clocks: HashMap<String, PartClock> = parts
        .iter()
        .map(|p| {
            (
                p.matter_code.clone(),
                PartClock {
                    limit: limit_of(p),
                    started_at: p.started_at,
                    paused: p.paused_days.max(0) as u32,
                    done_at: p.done_at,
                },
            )
        })
        .collect();
    domain::projected(cal, &order, edges, &clocks, accepted_at)
        .into_values()
        .max()
}

fn event(
    app_id: i64,
    part_id: Option<i64>,
    kind: &str,
    actor: &str,
    note: String,
    at: DateTime<Utc>,
) -> application_event::Model {
    application_event::Model {
        id: 0,
        application_id: app_id,
        part_id,
        kind: kind.into(),
        actor: actor.into(),
        note,
        at,
    }
}

fn defects_text(defects: &[Defect]) -> String {
    defects
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}．{}（{}）", i + 1, d.name, d.reason))
        .collect::<Vec<_>>()
        .join("；")
}

/// What the applicant is told of the outcome at the window.
fn outcome_message(m: &application::Model) -> outbox::Message {
    let to = format!("phone:{}", m.applicant_phone_masked);
    let msg = match status_of(m) {
        Status::NeedsCorrection => {
            let d: Vec<Defect> = serde_json::from_str(&m.defects).unwrap_or_default();
            outbox::Message::new(
                to,
                "application.correction",
                vec![
                    ("查询码", m.code.clone()),
                    ("事项", m.title.clone()),
                    ("清单", defects_text(&d)),
                ],
            )
        }
        Status::NotAccepted => outbox::Message::new(
            to,
            "application.not_accepted",
            vec![
                ("查询码", m.code.clone()),
                ("事项", m.title.clone()),
                ("原因", m.reason.clone()),
            ],
        ),
        _ => outbox::Message::new(
            to,
            "application.accepted",
            vec![
                ("查询码", m.code.clone()),
                ("事项", m.title.clone()),
                (
                    "承诺日期",
                    m.promised_at.map(domain::due_day).unwrap_or_default(),
                ),
            ],
        ),
    };
    msg.address(&m.applicant_phone_enc)
}

/// What a unit is told when a part reaches it.
fn assigned_message(m: &application::Model, p: &application_part::Model) -> outbox::Message {
    outbox::Message::new(
        format!("unit:{}", p.unit_id),
        "application.assigned",
        vec![
            ("查询码", m.code.clone()),
            ("事项", p.matter_name.clone()),
            ("期限", p.deadline.map(domain::due_day).unwrap_or_default()),
        ],
    )
}

async fn write_batch(app: &App, jobs: &[Job]) -> AppResult<Vec<Stored>> {
    let reference = app.reference.get();
    let cal = &reference.calendar;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let codes = fresh_codes(&txn, jobs.len()).await?;
    let mut models: Vec<application::Model> = Vec::with_capacity(jobs.len());
    // Each job's parts, started as the DAG allows; their application ids come after insert.
    let mut job_parts: Vec<Vec<application_part::Model>> = Vec::with_capacity(jobs.len());
    for (j, code) in jobs.iter().zip(codes) {
        let mut m = j.model.clone();
        m.code = code;
        m.received_at = now;
        m.updated_at = now;
        let parts = if j.accept {
            let parts = new_parts(&j.subject, 0, cal, now);
            m.accepted_at = Some(now);
            m.promised_at = promise(cal, &parts, &j.subject.edges, now);
            parts
        } else {
            Vec::new()
        };
        models.push(m);
        job_parts.push(parts);
    }
    let ids: HashMap<String, i64> =
        bulk::insert_models::<application::Entity, _>(&txn, &models, "id, code")
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get("", "code")?, r.try_get("", "id")?)))
            .collect::<Result<_, sea_orm::DbErr>>()?;
    let mut all_parts = Vec::new();
    let mut spans = Vec::with_capacity(jobs.len());
    for (m, parts) in models.iter_mut().zip(job_parts) {
        m.id = ids[&m.code];
        let from = all_parts.len();
        all_parts.extend(parts.into_iter().map(|mut p| {
            p.application_id = m.id;
            p
        }));
        spans.push(from..all_parts.len());
    }
    if !all_parts.is_empty() {
        let rows =
            bulk::insert_models::<application_part::Entity, _>(&txn, &all_parts, "id").await?;
        for (p, r) in all_parts.iter_mut().zip(rows) {
            p.id = r.try_get("", "id")?;
        }
    }
    let mut events = Vec::new();
    let mut audits = Vec::new();
    let mut messages = Vec::new();
    let mut event_spans = Vec::with_capacity(jobs.len());
    for ((j, m), span) in jobs.iter().zip(&models).zip(&spans) {
        let from = events.len();
        let parts = &all_parts[span.clone()];
        events.push(event(
            m.id,
            None,
            "received",
            &j.actor_name,
            format!(
                "{}收件",
                Channel::parse(&m.channel).map(Channel::label).unwrap_or("")
            ),
            now,
        ));
        let status = status_of(m);
        let note = match status {
            Status::InProgress => format!(
                "材料齐全，予以受理，承诺{}前办结",
                m.promised_at.map(domain::due_day).unwrap_or_default()
            ),
            Status::NeedsCorrection => format!(
                "出具一次性告知书，需补正：{}",
                defects_text(&serde_json::from_str::<Vec<Defect>>(&m.defects).unwrap_or_default())
            ),
            Status::NotAccepted => format!("不予受理：{}", m.reason),
            Status::Completed => String::new(),
        };
        events.push(event(
            m.id,
            None,
            status_event(status),
            &j.actor_name,
            note,
            now,
        ));
        for p in parts
            .iter()
            .filter(|p| part_status(p) == PartStatus::Active)
        {
            events.push(event(
                m.id,
                Some(p.id),
                "started",
                &j.actor_name,
                format!("转{}办理", p.matter_name),
                now,
            ));
            messages.push(assigned_message(m, p));
        }
        messages.push(outcome_message(m));
        audits.push((
            j.actor_name.clone(),
            Event::new("application.submit", "application", m.code.clone())
                .state(&audit_state(m, parts))
                .reason(status.label()),
        ));
        event_spans.push(from..events.len());
    }
    let rows = bulk::insert_models::<application_event::Entity, _>(&txn, &events, "id").await?;
    for (e, r) in events.iter_mut().zip(rows) {
        e.id = r.try_get("", "id")?;
    }
    audit::record_batch(&txn, now, audits).await?;
    outbox::enqueue_many(&txn, app, now, messages).await?;
    txn.commit().await?;
    Ok(models
        .into_iter()
        .zip(jobs)
        .zip(spans)
        .zip(event_spans)
        .map(|(((model, job), span), espan)| Stored {
            units: job
                .subject
                .members
                .iter()
                .map(|m| (m.unit_id, m.unit_name.clone()))
                .collect(),
            model,
            parts: all_parts[span].to_vec(),
            events: events[espan].to_vec(),
        })
        .collect())
}

fn status_event(s: Status) -> &'static str {
    match s {
        Status::InProgress => "accepted",
        Status::NeedsCorrection => "needs_correction",
        Status::NotAccepted => "not_accepted",
        Status::Completed => "completed",
    }
}

/// What the audit log keeps of an application: the state, never the applicant's ID number.
fn audit_state(m: &application::Model, parts: &[application_part::Model]) -> serde_json::Value {
    serde_json::json!({
        "code": m.code,
        "subject": format!("{}:{}", m.subject_kind, m.subject_code),
        "status": m.status,
        "applicant_id": m.applicant_id_masked,
        "defects": m.defects,
        "reason": m.reason,
        "promised_at": m.promised_at,
        "parts": parts.iter().map(|p| serde_json::json!({
            "matter": p.matter_code,
            "status": p.status,
            "step": p.step,
            "deadline": p.deadline,
            "paused_days": p.paused_days,
            "result_no": p.result_no,
        })).collect::<Vec<_>>(),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Loads an application the actor may see.
async fn seen_by(app: &App, actor: &Actor, id: i64) -> AppResult<application::Model> {
    let m = application::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    if sees_all(actor) {
        return Ok(m);
    }
    let Some(dept) = actor.jurisdiction().and_then(|j| j.department_id) else {
        return Err(not_found());
    };
    let mine = application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(id))
        .filter(application_part::Column::UnitId.eq(dept))
        .one(&app.db.conn)
        .await?;
    mine.map(|_| m).ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::not_found("application.not_found", "没有这个办件")
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ApplicationView> {
    let m = seen_by(app, actor, id).await?;
    load_view(&app.db.conn, &m, app.now()).await
}

/// A citizen's application by its code and the last four digits of the phone.
pub(crate) async fn by_code_and_last4(
    app: &App,
    code: &str,
    last4: &str,
) -> AppResult<application::Model> {
    application::Entity::find()
        .filter(application::Column::Code.eq(code.trim().to_uppercase()))
        .one(&app.db.conn)
        .await?
        .filter(|m| {
            !last4.trim().is_empty()
                && crate::http::extract::same_secret(&m.phone_last4, last4.trim())
        })
        .ok_or_else(|| AppError::not_found("application.not_found", "查询码或手机号后四位不正确"))
}

/// A citizen tracks an application: the progress, without the names of staff.
pub async fn track(app: &App, code: &str, last4: &str) -> AppResult<ApplicationView> {
    let m = by_code_and_last4(app, code, last4).await?;
    let mut v = load_view(&app.db.conn, &m, app.now()).await?;
    for e in v.timeline.iter_mut() {
        e.actor = String::new();
    }
    for p in v.parts.iter_mut() {
        p.handler = String::new();
    }
    v.received_by = String::new();
    Ok(v)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    pub status: Option<String>,
    /// Only applications with a part in this unit (the back office's queue).
    pub unit: Option<i64>,
    /// A code or the applicant's name.
    pub q: Option<String>,
    /// Only parts waiting for this unit's work now (active or stopped).
    pub pending: bool,
}

/// Applications the actor may see, newest first. Back-office staff see their unit's.
pub async fn list(
    app: &App,
    actor: &Actor,
    f: &ListFilter,
    page: PageParams,
) -> AppResult<Page<ApplicationSummary>> {
    let unit = match (sees_all(actor), f.unit) {
        (true, u) => u,
        (false, _) => Some(
            actor
                .jurisdiction()
                .and_then(|j| j.department_id)
                .ok_or_else(AppError::forbidden)?,
        ),
    };
    let mut q = application::Entity::find();
    if let Some(u) = unit {
        let mut parts = application_part::Entity::find()
            .select_only()
            .column(application_part::Column::ApplicationId)
            .filter(application_part::Column::UnitId.eq(u));
        if f.pending {
            parts = parts.filter(
                application_part::Column::Status
                    .is_in([PartStatus::Active.code(), PartStatus::Suspended.code()]),
            );
        }
        let ids: Vec<i64> = parts.into_tuple::<i64>().all(&app.db.conn).await?;
        q = q.filter(application::Column::Id.is_in(ids));
    }
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        let s = Status::parse(s).ok_or_else(|| {
            AppError::field("status", "application.bad_status", "没有这个办件状态")
        })?;
        q = q.filter(application::Column::Status.eq(s.code()));
    }
    if let Some(words) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(application::Column::Code.eq(words.to_uppercase()))
                .add(application::Column::ApplicantName.eq(words)),
        );
    }
    let q = q.order_by_desc(application::Column::Id);
    super::paginate(&app.db.conn, q, page, |m: application::Model| {
        ApplicationSummary {
            id: m.id,
            status: status_of(&m).code(),
            status_label: status_of(&m).label(),
            channel_label: Channel::parse(&m.channel).map(Channel::label).unwrap_or(""),
            promised_day: m.promised_at.map(domain::due_day).unwrap_or_default(),
            code: m.code,
            title: m.title,
            applicant_name: m.applicant_name,
            received_at: m.received_at,
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Changes after intake

/// What may be done to an application after intake.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The applicant hands over what the notice asked for (window).
    Supplement {
        #[serde(default)]
        provided: Vec<String>,
        #[serde(default)]
        defective: Vec<Defect>,
    },
    /// The back office finishes the current step of a part; the last step needs the result.
    Advance {
        part: i64,
        #[serde(default)]
        note: String,
        #[serde(default)]
        result_no: String,
        #[serde(default)]
        delivery: Option<String>,
    },
    /// Stops a part's clock for 补正 or a 特别程序.
    Suspend {
        part: i64,
        kind: String,
        #[serde(default)]
        note: String,
    },
    /// Starts it again; the deadlines move by the working days stopped.
    Resume {
        part: i64,
        #[serde(default)]
        note: String,
    },
}

struct Loaded {
    m: application::Model,
    parts: Vec<application_part::Model>,
    edges: Vec<(String, String)>,
}

/// Applies an action: the one path for every change after intake.
pub async fn change(
    app: &App,
    actor: &Actor,
    id: i64,
    action: Action,
) -> AppResult<ApplicationView> {
    let seen = seen_by(app, actor, id).await?;
    // Supplements are taken at the window; the parts' work by their units.
    let part_unit = |p: i64| async move {
        application_part::Entity::find_by_id(p)
            .filter(application_part::Column::ApplicationId.eq(id))
            .one(&app.db.conn)
            .await
    };
    match &action {
        Action::Supplement { .. } if !receives(actor) => {
            return Err(audit::deny(
                app,
                actor,
                "application.supplement",
                "application",
                &seen.code,
            )
            .await);
        }
        Action::Advance { part, .. }
        | Action::Suspend { part, .. }
        | Action::Resume { part, .. } => {
            let p = part_unit(*part).await?.ok_or_else(|| {
                AppError::field("part", "application.no_part", "本办件没有这个事项")
            })?;
            if !handles(actor, p.unit_id) {
                return Err(audit::deny(
                    app,
                    actor,
                    "application.handle",
                    "application",
                    &seen.code,
                )
                .await);
            }
        }
        _ => {}
    }
    let actor_name = actor.audit_name();
    let who = match actor {
        Actor::User(u) => u.display_name.clone(),
        Actor::System(s) => s.to_string(),
    };
    apply(app, id, &actor_name, &who, action).await
}

/// A citizen supplements online, by code and the last four digits of the phone.
pub async fn supplement_online(
    app: &App,
    code: &str,
    last4: &str,
    provided: Vec<String>,
) -> AppResult<ApplicationView> {
    let m = by_code_and_last4(app, code, last4).await?;
    apply(
        app,
        m.id,
        "citizen:online",
        "申请人",
        Action::Supplement {
            provided,
            defective: vec![],
        },
    )
    .await
}

async fn load_for_update(txn: &DatabaseTransaction, id: i64) -> AppResult<Loaded> {
    let m = application::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    let parts = application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(id))
        .order_by_asc(application_part::Column::Seq)
        .all(txn)
        .await?;
    let edges = if m.subject_kind == "bundle" {
        bundle::Entity::find_by_id(m.subject_code.clone())
            .one(txn)
            .await?
            .and_then(|b| serde_json::from_str::<BundleSpec>(&b.spec).ok())
            .map(|b| b.edges)
            .unwrap_or_default()
    } else {
        vec![]
    };
    // The order among this application's own parts: a bundle changed since keeps its parts.
    let codes: BTreeSet<&str> = parts.iter().map(|p| p.matter_code.as_str()).collect();
    let edges = edges
        .into_iter()
        .filter(|(a, b)| codes.contains(a.as_str()) && codes.contains(b.as_str()))
        .collect();
    Ok(Loaded { m, parts, edges })
}

fn state_error(message: &str) -> AppError {
    AppError::conflict("application.bad_state", message.to_string())
}

async fn apply(
    app: &App,
    id: i64,
    actor_name: &str,
    who: &str,
    action: Action,
) -> AppResult<ApplicationView> {
    let reference = app.reference.get();
    let cal = &reference.calendar;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let Loaded {
        mut m,
        mut parts,
        edges,
    } = load_for_update(&txn, id).await?;
    let before_parts = parts.clone();
    let mut events = Vec::new();
    let mut messages = Vec::new();
    let audit_action;
    match action {
        Action::Supplement {
            provided,
            defective,
        } => {
            if status_of(&m) != Status::NeedsCorrection {
                return Err(state_error("只有待补正的办件可以补正材料"));
            }
            audit_action = "application.supplement";
            let mut handed: Handed = serde_json::from_str(&m.handed).unwrap_or_default();
            handed
                .provided
                .extend(provided.into_iter().map(|s| s.trim().to_string()));
            // What was defective and is handed again counts as put right, unless found
            // defective again.
            let again: BTreeSet<String> = handed.provided.clone();
            handed.defective.retain(|d| !again.contains(&d.name));
            handed.defective.extend(defective);
            let checklist: Vec<ChecklistItem> =
                serde_json::from_str(&m.checklist).unwrap_or_default();
            let defects = domain::defects(&checklist, &handed).map_err(|unknown| {
                AppError::field(
                    "provided",
                    "application.unknown_material",
                    format!("材料不在本事项的清单中：{}", unknown.join("、")),
                )
            })?;
            m.handed = serde_json::to_string(&handed).expect("handed serialises");
            m.defects = serde_json::to_string(&defects).expect("defects serialise");
            if defects.is_empty() {
                // The clock starts now: the promised date counts from acceptance.
                let s = subject(
                    app,
                    (m.subject_kind == "matter").then_some(m.subject_code.as_str()),
                    (m.subject_kind == "bundle").then_some(m.subject_code.as_str()),
                )
                .await?;
                m.status = Status::InProgress.code().into();
                m.accepted_at = Some(now);
                let mut fresh = new_parts(&s, m.id, cal, now);
                let rows =
                    bulk::insert_models::<application_part::Entity, _>(&txn, &fresh, "id").await?;
                for (p, r) in fresh.iter_mut().zip(rows) {
                    p.id = r.try_get("", "id")?;
                }
                m.promised_at = promise(cal, &fresh, &s.edges, now);
                events.push(event(
                    m.id,
                    None,
                    "supplemented",
                    actor_name,
                    "材料已补齐".into(),
                    now,
                ));
                events.push(event(
                    m.id,
                    None,
                    "accepted",
                    actor_name,
                    format!(
                        "予以受理，承诺{}前办结",
                        m.promised_at.map(domain::due_day).unwrap_or_default()
                    ),
                    now,
                ));
                for p in &fresh {
                    if part_status(p) == PartStatus::Active {
                        events.push(event(
                            m.id,
                            Some(p.id),
                            "started",
                            actor_name,
                            format!("转{}办理", p.matter_name),
                            now,
                        ));
                        messages.push(assigned_message(&m, p));
                    }
                }
                messages.push(outcome_message(&m));
                parts = fresh;
            } else {
                events.push(event(
                    m.id,
                    None,
                    "supplemented",
                    actor_name,
                    format!("仍需补正：{}", defects_text(&defects)),
                    now,
                ));
                messages.push(outcome_message(&m));
            }
        }
        Action::Advance {
            part,
            note,
            result_no,
            delivery,
        } => {
            if status_of(&m) != Status::InProgress {
                return Err(state_error("办件不在办理中"));
            }
            audit_action = "application.advance";
            let i = parts.iter().position(|p| p.id == part).ok_or_else(|| {
                AppError::field("part", "application.no_part", "本办件没有这个事项")
            })?;
            let p = &mut parts[i];
            match part_status(p) {
                PartStatus::Active => {}
                PartStatus::Suspended => {
                    return Err(state_error("该事项正在暂停计时，请先恢复计时"));
                }
                PartStatus::Waiting => return Err(state_error("该事项须等前序事项办结后才能办理")),
                PartStatus::Done => return Err(state_error("该事项已办结")),
            }
            let steps = steps_of(p);
            let step = p.step as usize;
            let last = step + 1 >= steps.len();
            let note = note.trim().to_string();
            if note.chars().count() > 500 {
                return Err(AppError::field(
                    "note",
                    "application.bad_note",
                    "办理意见不超过500字",
                ));
            }
            p.handler = who.to_string();
            if last {
                let no = result_no.trim();
                if no.is_empty() || no.chars().count() > 64 {
                    return Err(AppError::field(
                        "result_no",
                        "application.no_result",
                        "办结须填写结果编号（证照号或文书号，不超过64字）",
                    ));
                }
                let delivery = match delivery.as_deref().map(str::trim) {
                    None | Some("") => Delivery::parse(&m.delivery).unwrap_or(Delivery::Pickup),
                    Some(d) => Delivery::parse(d).ok_or_else(|| {
                        AppError::field(
                            "delivery",
                            "application.bad_delivery",
                            "送达方式应为窗口领取、邮寄送达或电子证照",
                        )
                    })?,
                };
                p.step = steps.len() as i32;
                p.status = PartStatus::Done.code().into();
                p.done_at = Some(now);
                p.step_due = None;
                p.result_no = no.to_string();
                p.result_delivery = delivery.code().into();
                events.push(event(
                    m.id,
                    Some(p.id),
                    "part_done",
                    actor_name,
                    format!("{}完成，结果编号{}，{}", steps[step], no, delivery.label()),
                    now,
                ));
                messages.push(
                    outbox::Message::new(
                        format!("phone:{}", m.applicant_phone_masked),
                        "application.result",
                        vec![
                            ("查询码", m.code.clone()),
                            ("事项", p.matter_name.clone()),
                            ("结果", no.to_string()),
                            ("送达方式", delivery.label().to_string()),
                        ],
                    )
                    .address(&m.applicant_phone_enc),
                );
                // Start what was waiting for it.
                let done: BTreeSet<String> = parts
                    .iter()
                    .filter(|p| part_status(p) == PartStatus::Done)
                    .map(|p| p.matter_code.clone())
                    .collect();
                let codes: Vec<String> = parts.iter().map(|p| p.matter_code.clone()).collect();
                let next = domain::ready(&codes, &edges, &done);
                for p in parts.iter_mut() {
                    if next.contains(&p.matter_code) && part_status(p) == PartStatus::Waiting {
                        start_part(p, cal, now);
                        events.push(event(
                            m.id,
                            Some(p.id),
                            "started",
                            actor_name,
                            format!("前序事项已办结，转{}办理", p.matter_name),
                            now,
                        ));
                        messages.push(assigned_message(&m, p));
                    }
                }
                if parts.iter().all(|p| part_status(p) == PartStatus::Done) {
                    m.status = Status::Completed.code().into();
                    m.completed_at = Some(now);
                    events.push(event(
                        m.id,
                        None,
                        "completed",
                        actor_name,
                        "全部事项已办结".into(),
                        now,
                    ));
                    messages.push(
                        outbox::Message::new(
                            format!("phone:{}", m.applicant_phone_masked),
                            "application.completed",
                            vec![("查询码", m.code.clone()), ("事项", m.title.clone())],
                        )
                        .address(&m.applicant_phone_enc),
                    );
                }
            } else {
                p.step += 1;
                retime(p, cal);
                let done_step = steps[step].clone();
                events.push(event(
                    m.id,
                    Some(p.id),
                    "step",
                    actor_name,
                    if note.is_empty() {
                        format!("{done_step}完成")
                    } else {
                        format!("{done_step}完成：{note}")
                    },
                    now,
                ));
            }
        }
        Action::Suspend { part, kind, note } => {
            if status_of(&m) != Status::InProgress {
                return Err(state_error("办件不在办理中"));
            }
            audit_action = "application.suspend";
            let kind = Pause::parse(kind.trim()).ok_or_else(|| {
                AppError::field(
                    "kind",
                    "application.bad_pause",
                    "暂停原因应为补正材料、听证、专家评审、现场勘验或公示",
                )
            })?;
            let note = note.trim().to_string();
            if note.is_empty() || note.chars().count() > 500 {
                return Err(AppError::field(
                    "note",
                    "application.bad_note",
                    "请写明暂停计时的说明（不超过500字）",
                ));
            }
            let p = parts.iter_mut().find(|p| p.id == part).ok_or_else(|| {
                AppError::field("part", "application.no_part", "本办件没有这个事项")
            })?;
            if part_status(p) != PartStatus::Active {
                return Err(state_error("只有办理中的事项可以暂停计时"));
            }
            p.status = PartStatus::Suspended.code().into();
            p.paused_at = Some(now);
            p.pause_kind = kind.code().into();
            events.push(event(
                m.id,
                Some(p.id),
                "suspended",
                actor_name,
                format!("{}：{note}", kind.label()),
                now,
            ));
            messages.push(
                outbox::Message::new(
                    format!("phone:{}", m.applicant_phone_masked),
                    "application.suspended",
                    vec![
                        ("查询码", m.code.clone()),
                        ("事项", p.matter_name.clone()),
                        ("原因", format!("{}（{note}）", kind.label())),
                    ],
                )
                .address(&m.applicant_phone_enc),
            );
        }
        Action::Resume { part, note } => {
            audit_action = "application.resume";
            let p = parts.iter_mut().find(|p| p.id == part).ok_or_else(|| {
                AppError::field("part", "application.no_part", "本办件没有这个事项")
            })?;
            if part_status(p) != PartStatus::Suspended {
                return Err(state_error("该事项没有暂停计时"));
            }
            let from = p.paused_at.unwrap_or(now);
            let days = domain::paused_days(cal, limit_of(p).unit, from, now);
            p.paused_days += days as i32;
            p.status = PartStatus::Active.code().into();
            p.paused_at = None;
            let kind = Pause::parse(&p.pause_kind).map(Pause::label).unwrap_or("");
            p.pause_kind = String::new();
            retime(p, cal);
            let note = note.trim();
            events.push(event(
                m.id,
                Some(p.id),
                "resumed",
                actor_name,
                format!(
                    "{kind}结束，恢复计时，顺延{days}天{}",
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!("：{note}")
                    }
                ),
                now,
            ));
        }
    }
    if status_of(&m) == Status::InProgress {
        let accepted = m.accepted_at.unwrap_or(now);
        let before = m.promised_at;
        m.promised_at = promise(cal, &parts, &edges, accepted);
        if before.is_some() && m.promised_at != before {
            messages.push(
                outbox::Message::new(
                    format!("phone:{}", m.applicant_phone_masked),
                    "application.rescheduled",
                    vec![
                        ("查询码", m.code.clone()),
                        (
                            "承诺日期",
                            m.promised_at.map(domain::due_day).unwrap_or_default(),
                        ),
                    ],
                )
                .address(&m.applicant_phone_enc),
            );
        }
    }
    m.updated_at = now;
    application::ActiveModel::from(m.clone())
        .reset_all()
        .update(&txn)
        .await?;
    for p in &parts {
        if before_parts.iter().any(|b| b.id == p.id && b != p) {
            application_part::ActiveModel::from(p.clone())
                .reset_all()
                .update(&txn)
                .await?;
        }
    }
    bulk::insert_models::<application_event::Entity, _>(&txn, &events, "").await?;
    audit::record(
        &txn,
        now,
        actor_name,
        Event::new(audit_action, "application", m.code.clone()).state(&audit_state(&m, &parts)),
    )
    .await?;
    outbox::enqueue_many(&txn, app, now, messages).await?;
    txn.commit().await?;
    load_view(&app.db.conn, &m, now).await
}
