//! 一窗受理, intake: checking an application at a window, online, at a kiosk or assisted
//! (帮办代办) — materials once across a bundle, ID numbers and phones sealed — then accepted with
//! a receipt, told everything missing at once (一次性告知), or not accepted; written by group
//! commit with its parts, timeline, audit entries and notifications.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::hall::applications::model::Agent;
use crate::hall::applications::model::AgentInput;
use crate::hall::applications::model::ApplicationView;
use crate::hall::applications::model::BATCH;
use crate::hall::applications::model::NewApplication;
use crate::hall::applications::model::first_step;
use crate::hall::applications::model::limit_of;
use crate::hall::applications::model::receives;
use crate::hall::applications::model::steps_of;
use crate::hall::applications::read::view;
use crate::hall::applications::subject::Subject;
use crate::hall::applications::subject::subject;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::notify;
use crate::store::bulk;
use crate::store::entities::application;
use crate::store::entities::application_event;
use crate::store::entities::application_part;
use chrono::{DateTime, Utc};
use jiceng_core::application::{
    self as domain, Channel, Defect, Delivery, Handed, PartClock, PartStatus, Status,
};
use jiceng_core::id_card::IdCard;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::{BTreeSet, HashMap};

// ---------------------------------------------------------------------------------------------
// Intake

/// An application checked, waiting for the intake writer.
pub struct Job {
    model: application::Model,
    subject: std::sync::Arc<Subject>,
    accept: bool,
    actor_name: String,
    /// The applicant's 查询密码, kept only until it is stored (as a digest) and sent.
    pin: String,
}

/// What the writer stored.
#[derive(Clone)]
pub struct Stored {
    units: HashMap<i64, String>,
    model: application::Model,
    parts: Vec<application_part::Model>,
    events: Vec<application_event::Model>,
}

pub type IntakeQueue = std::sync::Arc<crate::kernel::group_commit::Queue<Job, Stored>>;

pub fn intake_queue() -> IntakeQueue {
    crate::kernel::group_commit::Queue::new(BATCH, |app, jobs| Box::pin(write_batch(app, jobs)))
}

pub(crate) fn bad(errors: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    errors.push(FieldError {
        field: field.into(),
        message: message.into(),
    });
}

pub(crate) fn check_client_key(k: Option<&str>, scope: &str) -> AppResult<Option<String>> {
    crate::kernel::citizen::parse_client_key(k, scope)
        .map_err(|m| AppError::field("client_key", Code::ApplicationBadClientKey, m))
}

/// Receives an application: checks the applicant, the agent and the materials, and decides at
/// once — accepted with a receipt, a one-time correction notice, or not accepted. Staff
/// receive at the window or for an agent; anyone may apply online or at a kiosk (`actor` is
/// `None`). Answers after the commit is durable.
#[tracing::instrument(skip_all, name = "application.submit")]
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
                Code::ApplicationBadChannel,
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
    let scope = crate::kernel::citizen::client_key_scope(
        actor,
        Some(input.applicant.phone.as_str()),
        &app.data_key,
    );
    let client_key = check_client_key(input.client_key.as_deref(), &scope)?;
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
    let phone = jiceng_core::citizen::PhoneNumber::parse(&a.phone).ok();
    if phone.is_none() {
        bad(
            &mut errors,
            "applicant.phone",
            crate::kernel::citizen::BAD_PHONE,
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
            Code::ApplicationInvalid,
            errors[0].message.clone(),
            errors,
        ));
    }
    let (subject, id, phone) = (
        subject.expect("checked"),
        id.expect("checked"),
        phone.expect("checked"),
    );
    let status = domain::intake(refused.is_some(), &defects);
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
    // The hall's region: the receiving clerk's; online and kiosk applications belong to the
    // county's hall.
    let region_code = match actor {
        Some(Actor::User(u)) => u.jurisdiction.region.to_string(),
        _ => crate::org::locate::of(app)
            .snapshot()
            .first_county()
            .unwrap_or_default(),
    };
    let model = application::Model {
        id: 0,
        region_code,
        code: String::new(),
        subject_kind: subject.kind.into(),
        subject_code: subject.code.clone(),
        title: subject.title.clone(),
        channel,
        status,
        applicant_name: name,
        applicant_id_masked: id.masked(),
        applicant_id_enc: app.data_key.seal(id.as_str()),
        applicant_id_digest: app.data_key.lookup_digest(id.as_str()),
        applicant_phone_masked: phone.masked(),
        applicant_phone_enc: app.data_key.seal(phone.as_str()),
        phone_last4: phone.last4().to_string(),
        agent: agent
            .map(|g| serde_json::to_string(&g).expect("agent serialises"))
            .unwrap_or_default(),
        checklist: serde_json::to_string(&checklist).expect("checklist serialises"),
        handed: serde_json::to_string(&handed).expect("handed serialises"),
        defects: serde_json::to_string(&defects).expect("defects serialise"),
        reason: refused.unwrap_or_default(),
        delivery,
        window: input.window.trim().to_string(),
        received_by,
        ticket_id: input.ticket_id,
        client_key,
        // Set by the writer, once the code is known.
        pin_digest: None,
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
        pin: crate::kernel::citizen::new_pin(),
    };
    let pin = job.pin.clone();
    let stored = app.wing::<IntakeQueue>().submit(app, job).await?;
    // Everything in a new application was done by who submitted it.
    let names: std::collections::HashMap<String, String> = stored
        .events
        .iter()
        .map(|e| e.actor.clone())
        .chain([stored.model.received_by.clone()])
        .map(|code| (code, crate::kernel::names::of_actor(actor)))
        .collect();
    let mut v = view(
        &stored.model,
        &stored.parts,
        &stored.events,
        &stored.units,
        &names,
        now,
    )?;
    // An applicant online or at a kiosk sees the pin once, in this answer; at the window it
    // goes to the applicant's phone, not to the clerk.
    // A retried client key answers with the application stored before, whose pin is not
    // this one: it is not shown again.
    let stored_now = stored.model.pin_digest.as_deref()
        == Some(crate::kernel::citizen::pin_digest(&app.data_key, &v.code, &pin).as_str());
    if actor.is_none() && stored_now {
        v.tracking_pin = Some(pin);
    }
    Ok(v)
}

pub(crate) fn check_agent(
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
pub(crate) async fn fresh_codes(txn: &DatabaseTransaction, n: usize) -> AppResult<Vec<String>> {
    crate::kernel::citizen::fresh_codes::<application::Entity, _>(
        txn,
        application::Column::Code,
        Some(jiceng_core::citizen::APPLICATION_PREFIX),
        n,
    )
    .await
}

/// The parts of an accepted application: the members in order, those without predecessors
/// started now.
pub(crate) fn new_parts(
    subject: &Subject,
    app_id: i64,
    cal: &jiceng_core::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<Vec<application_part::Model>> {
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
                status: PartStatus::Waiting,
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
                start_part(&mut p, cal, now)?;
            }
            Ok(p)
        })
        .collect()
}

/// Starts a part's clock.
pub(crate) fn start_part(
    p: &mut application_part::Model,
    cal: &jiceng_core::calendar::WorkCalendar,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Callers start only waiting parts (new ones, or those whose predecessors are done).
    p.status = domain::part_transition(p.status, domain::PartAction::Start)
        .map_err(|e| AppError::internal(anyhow::anyhow!("starting a part: {}", e.message())))?;
    p.started_at = Some(now);
    retime(p, cal)
}

/// A part's deadline and its current step's, from its start and the days stopped.
pub(crate) fn retime(
    p: &mut application_part::Model,
    cal: &jiceng_core::calendar::WorkCalendar,
) -> AppResult<()> {
    let Some(start) = p.started_at else {
        return Ok(());
    };
    let steps = steps_of(p)?;
    let limit = limit_of(p)?;
    let base = first_step(&steps);
    let n = steps.len() - base;
    let paused = p.paused_days.max(0) as u32;
    p.deadline = Some(domain::deadline(cal, limit, start, paused));
    p.step_due = (p.status != PartStatus::Done)
        .then(|| domain::step_deadline(cal, limit, start, paused, p.step as usize - base + 1, n));
    Ok(())
}

/// The promised completion of an accepted application: its parts projected along the DAG.
pub(crate) fn promise(
    cal: &jiceng_core::calendar::WorkCalendar,
    parts: &[application_part::Model],
    edges: &[(String, String)],
    accepted_at: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let order: Vec<String> = parts.iter().map(|p| p.matter_code.clone()).collect();
    let clocks: HashMap<String, PartClock> = parts
        .iter()
        .map(|p| -> AppResult<(String, PartClock)> {
            Ok((
                p.matter_code.clone(),
                PartClock {
                    limit: limit_of(p)?,
                    started_at: p.started_at,
                    paused: p.paused_days.max(0) as u32,
                    done_at: p.done_at,
                },
            ))
        })
        .collect::<AppResult<_>>()?;
    Ok(domain::projected(cal, &order, edges, &clocks, accepted_at)
        .into_values()
        .max())
}

pub(crate) fn event(
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

pub(crate) fn defects_text(defects: &[Defect]) -> String {
    defects
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}．{}（{}）", i + 1, d.name, d.reason))
        .collect::<Vec<_>>()
        .join("；")
}

/// What the applicant is told of the outcome at the window.
pub(crate) fn outcome_message(m: &application::Model) -> AppResult<notify::Message> {
    let to = format!("phone:{}", m.applicant_phone_masked);
    let msg = match m.status {
        Status::NeedsCorrection => {
            let d: Vec<Defect> = crate::store::json("applications.defects", &m.defects)?;
            notify::Message::new(
                to,
                "application.correction",
                vec![
                    ("查询码", m.code.clone()),
                    ("事项", m.title.clone()),
                    ("清单", defects_text(&d)),
                ],
            )
        }
        Status::NotAccepted => notify::Message::new(
            to,
            "application.not_accepted",
            vec![
                ("查询码", m.code.clone()),
                ("事项", m.title.clone()),
                ("原因", m.reason.clone()),
            ],
        ),
        _ => notify::Message::new(
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
    Ok(msg.address(&m.applicant_phone_enc))
}

/// What a unit is told when a part reaches it.
pub(crate) fn assigned_message(
    m: &application::Model,
    p: &application_part::Model,
) -> notify::Message {
    notify::Message::new(
        format!("unit:{}", p.unit_id),
        "application.assigned",
        vec![
            ("查询码", m.code.clone()),
            ("事项", p.matter_name.clone()),
            ("期限", p.deadline.map(domain::due_day).unwrap_or_default()),
        ],
    )
}

/// Where a job's answer comes from: written now, the application stored before for its
/// client key, or the job earlier in this batch that carried the same key.
enum Slot {
    Fresh(usize),
    Before(String),
    Twin(usize),
}

/// Writes a batch of applications. A client key sent again — before, or twice in this batch —
/// is answered with the application stored for it; duplicates are found inside the write
/// transaction, and nowhere else. When two nodes store the same key at once, the unique index
/// fails the later transaction; its second look finds the application the other stored.
pub(crate) async fn write_batch(app: &App, jobs: &[Job]) -> AppResult<Vec<Stored>> {
    match write_batch_once(app, jobs).await {
        Err(e) if e.is_internal() && jobs.iter().any(|j| j.model.client_key.is_some()) => {
            write_batch_once(app, jobs).await
        }
        r => r,
    }
}

async fn write_batch_once(app: &App, jobs: &[Job]) -> AppResult<Vec<Stored>> {
    let txn = app.db.begin_write().await?;
    let keys: Vec<String> = jobs
        .iter()
        .filter_map(|j| j.model.client_key.clone())
        .collect();
    let before: HashMap<String, application::Model> = if keys.is_empty() {
        HashMap::new()
    } else {
        application::Entity::find()
            .filter(application::Column::ClientKey.is_in(keys))
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.client_key.clone()?, m)))
            .collect()
    };
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut fresh: Vec<&Job> = Vec::with_capacity(jobs.len());
    let mut plan = Vec::with_capacity(jobs.len());
    for j in jobs {
        plan.push(match j.model.client_key.as_deref() {
            Some(k) if before.contains_key(k) => Slot::Before(k.to_string()),
            Some(k) if first.contains_key(k) => Slot::Twin(first[k]),
            key => {
                if let Some(k) = key {
                    first.insert(k, fresh.len());
                }
                fresh.push(j);
                Slot::Fresh(fresh.len() - 1)
            }
        });
    }
    let written = if fresh.is_empty() {
        txn.commit().await?;
        Vec::new()
    } else {
        write_fresh(app, txn, &fresh).await?
    };
    let mut out = Vec::with_capacity(plan.len());
    for slot in plan {
        out.push(match slot {
            Slot::Fresh(i) | Slot::Twin(i) => written[i].clone(),
            Slot::Before(k) => stored_of(&app.db.conn, before[&k].clone()).await?,
        });
    }
    Ok(out)
}

/// An application already stored, as intake answers it.
async fn stored_of<C: ConnectionTrait>(db: &C, model: application::Model) -> AppResult<Stored> {
    let parts = application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(model.id))
        .order_by_asc(application_part::Column::Seq)
        .all(db)
        .await?;
    let events = application_event::Entity::find()
        .filter(application_event::Column::ApplicationId.eq(model.id))
        .order_by_asc(application_event::Column::Id)
        .all(db)
        .await?;
    let units =
        crate::org::departments::unit_names(db, parts.iter().map(|p| p.unit_id).collect()).await?;
    Ok(Stored {
        units,
        model,
        parts,
        events,
    })
}

/// Writes the applications that are new, with their parts, timeline, audit entries and
/// notifications, in `txn`, and commits.
async fn write_fresh(
    app: &App,
    txn: sea_orm::DatabaseTransaction,
    jobs: &[&Job],
) -> AppResult<Vec<Stored>> {
    let reference = crate::reference::of(app).get();
    let cal = &reference.calendar;
    let now = app.now();
    let codes = fresh_codes(&txn, jobs.len()).await?;
    let mut models: Vec<application::Model> = Vec::with_capacity(jobs.len());
    // Each job's parts, started as the DAG allows; their application ids come after insert.
    let mut job_parts: Vec<Vec<application_part::Model>> = Vec::with_capacity(jobs.len());
    for (j, code) in jobs.iter().zip(codes) {
        let mut m = j.model.clone();
        m.pin_digest = Some(crate::kernel::citizen::pin_digest(
            &app.data_key,
            &code,
            &j.pin,
        ));
        m.code = code;
        m.received_at = now;
        m.updated_at = now;
        let parts = if j.accept {
            let parts = new_parts(&j.subject, 0, cal, now)?;
            m.accepted_at = Some(now);
            m.promised_at = promise(cal, &parts, &j.subject.edges, now)?;
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
            format!("{}收件", m.channel.label()),
            now,
        ));
        let status = m.status;
        let note = match status {
            Status::InProgress => format!(
                "材料齐全，予以受理，承诺{}前办结",
                m.promised_at.map(domain::due_day).unwrap_or_default()
            ),
            Status::NeedsCorrection => format!(
                "出具一次性告知书，需补正：{}",
                defects_text(&crate::store::json::<Vec<Defect>>(
                    "applications.defects",
                    &m.defects
                )?)
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
        for p in parts.iter().filter(|p| p.status == PartStatus::Active) {
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
        messages.push(outcome_message(m)?);
        messages.push(
            notify::Message::new(
                format!("phone:{}", m.applicant_phone_masked),
                "application.pin",
                vec![("查询码", m.code.clone())],
            )
            .address(&m.applicant_phone_enc)
            .secret("查询密码", j.pin.clone()),
        );
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
    notify::enqueue_many(&txn, app, now, messages).await?;
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

pub(crate) fn status_event(s: Status) -> &'static str {
    match s {
        Status::InProgress => "accepted",
        Status::NeedsCorrection => "needs_correction",
        Status::NotAccepted => "not_accepted",
        Status::Completed => "completed",
    }
}

/// What the audit log keeps of an application: the state, never the applicant's ID number.
pub(crate) fn audit_state(
    m: &application::Model,
    parts: &[application_part::Model],
) -> serde_json::Value {
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
