//! 一窗受理, every later action on an application and its parts: the supplement that starts
//! the clock, the back office's steps on the working-day calendar, clock stops for 补正 and 特别
//! 程序, completion. Statuses move only through the core's state machines.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::hall::applications::intake::assigned_message;
use crate::hall::applications::intake::audit_state;
use crate::hall::applications::intake::defects_text;
use crate::hall::applications::intake::event;
use crate::hall::applications::intake::new_parts;
use crate::hall::applications::intake::outcome_message;
use crate::hall::applications::intake::promise;
use crate::hall::applications::intake::retime;
use crate::hall::applications::intake::start_part;
use crate::hall::applications::model::ApplicationView;
use crate::hall::applications::model::handles;
use crate::hall::applications::model::limit_of;
use crate::hall::applications::model::receives;
use crate::hall::applications::model::steps_of;
use crate::hall::applications::read::by_code_and_pin;
use crate::hall::applications::read::load_view;
use crate::hall::applications::read::not_found;
use crate::hall::applications::read::seen_by;
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
use crate::store::entities::bundle;
use jiceng_core::application::{
    self as domain, AppAction, ChecklistItem, Defect, Delivery, Handed, PartAction, PartStatus,
    Pause, Status,
};
use jiceng_core::bundle::BundleSpec;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Deserialize;
use std::collections::BTreeSet;

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

pub(crate) struct Loaded {
    pub(crate) m: application::Model,
    pub(crate) parts: Vec<application_part::Model>,
    pub(crate) edges: Vec<(String, String)>,
}

/// Applies an action: the one path for every change after intake.
#[tracing::instrument(skip_all, name = "application.change")]
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
                AppError::field("part", Code::ApplicationNoPart, "本办件没有这个事项")
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

/// A citizen supplements online, by code and 查询密码.
#[tracing::instrument(skip_all, name = "application.supplement_online")]
pub async fn supplement_online(
    app: &App,
    code: &str,
    pin: &str,
    provided: Vec<String>,
) -> AppResult<ApplicationView> {
    let m = by_code_and_pin(app, code, pin).await?;
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

pub(crate) async fn load_for_update(txn: &DatabaseTransaction, id: i64) -> AppResult<Loaded> {
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
            .map(|b| crate::store::json::<BundleSpec>("bundles.spec", &b.spec))
            .transpose()?
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
    // Every stored status is read strictly once here; a value the core does not know is an
    // internal error before anything is changed.
    Ok(Loaded { m, parts, edges })
}

pub(crate) fn state_error(message: &str) -> AppError {
    AppError::new(Code::ApplicationBadState, message.to_string())
}

pub(crate) async fn apply(
    app: &App,
    id: i64,
    actor_name: &str,
    who: &str,
    action: Action,
) -> AppResult<ApplicationView> {
    let reference = crate::reference::of(app).get();
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
            domain::transition(m.status, AppAction::SupplementIncomplete)
                .map_err(|e| state_error(e.message()))?;
            audit_action = "application.supplement";
            let mut handed: Handed = crate::store::json("applications.handed", &m.handed)?;
            handed
                .provided
                .extend(provided.into_iter().map(|s| s.trim().to_string()));
            // What was defective and is handed again counts as put right, unless found
            // defective again.
            let again: BTreeSet<String> = handed.provided.clone();
            handed.defective.retain(|d| !again.contains(&d.name));
            handed.defective.extend(defective);
            let checklist: Vec<ChecklistItem> =
                crate::store::json("applications.checklist", &m.checklist)?;
            let defects = domain::defects(&checklist, &handed).map_err(|unknown| {
                AppError::field(
                    "provided",
                    Code::ApplicationUnknownMaterial,
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
                m.status = domain::transition(m.status, AppAction::supplement(&defects))
                    .map_err(|e| state_error(e.message()))?;
                m.accepted_at = Some(now);
                let mut fresh = new_parts(&s, m.id, cal, now)?;
                let rows =
                    bulk::insert_models::<application_part::Entity, _>(&txn, &fresh, "id").await?;
                for (p, r) in fresh.iter_mut().zip(rows) {
                    p.id = r.try_get("", "id")?;
                }
                m.promised_at = promise(cal, &fresh, &s.edges, now)?;
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
                    if p.status == PartStatus::Active {
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
                messages.push(outcome_message(&m)?);
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
                messages.push(outcome_message(&m)?);
            }
        }
        Action::Advance {
            part,
            note,
            result_no,
            delivery,
        } => {
            domain::transition(m.status, AppAction::WorkOnPart)
                .map_err(|e| state_error(e.message()))?;
            audit_action = "application.advance";
            let i = parts.iter().position(|p| p.id == part).ok_or_else(|| {
                AppError::field("part", Code::ApplicationNoPart, "本办件没有这个事项")
            })?;
            let p = &mut parts[i];
            domain::part_transition(p.status, PartAction::Step)
                .map_err(|e| state_error(e.message()))?;
            let steps = steps_of(p)?;
            let step = p.step as usize;
            let last = step + 1 >= steps.len();
            let note = note.trim().to_string();
            if note.chars().count() > 500 {
                return Err(AppError::field(
                    "note",
                    Code::ApplicationBadNote,
                    "办理意见不超过500字",
                ));
            }
            p.handler = who.to_string();
            if last {
                let no = result_no.trim();
                if no.is_empty() || no.chars().count() > 64 {
                    return Err(AppError::field(
                        "result_no",
                        Code::ApplicationNoResult,
                        "办结须填写结果编号（证照号或文书号，不超过64字）",
                    ));
                }
                let delivery = match delivery.as_deref().map(str::trim) {
                    None | Some("") => m.delivery,
                    Some(d) => Delivery::parse(d).ok_or_else(|| {
                        AppError::field(
                            "delivery",
                            Code::ApplicationBadDelivery,
                            "送达方式应为窗口领取、邮寄送达或电子证照",
                        )
                    })?,
                };
                p.step = steps.len() as i32;
                p.status = domain::part_transition(p.status, PartAction::Finish)
                    .map_err(|e| state_error(e.message()))?;
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
                    notify::Message::new(
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
                    .filter(|p| p.status == PartStatus::Done)
                    .map(|p| p.matter_code.clone())
                    .collect();
                let codes: Vec<String> = parts.iter().map(|p| p.matter_code.clone()).collect();
                let next = domain::ready(&codes, &edges, &done);
                for p in parts.iter_mut() {
                    if next.contains(&p.matter_code) && p.status == PartStatus::Waiting {
                        start_part(p, cal, now)?;
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
                let states: Vec<PartStatus> = parts.iter().map(|p| p.status).collect();
                let next = domain::status_from_parts(m.status, &states);
                if next == Status::Completed {
                    m.status = next;
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
                        notify::Message::new(
                            format!("phone:{}", m.applicant_phone_masked),
                            "application.completed",
                            vec![("查询码", m.code.clone()), ("事项", m.title.clone())],
                        )
                        .address(&m.applicant_phone_enc),
                    );
                }
            } else {
                p.step += 1;
                retime(p, cal)?;
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
            domain::transition(m.status, AppAction::WorkOnPart)
                .map_err(|e| state_error(e.message()))?;
            audit_action = "application.suspend";
            let kind = Pause::parse(kind.trim()).ok_or_else(|| {
                AppError::field(
                    "kind",
                    Code::ApplicationBadPause,
                    "暂停原因应为补正材料、听证、专家评审、现场勘验或公示",
                )
            })?;
            let note = note.trim().to_string();
            if note.is_empty() || note.chars().count() > 500 {
                return Err(AppError::field(
                    "note",
                    Code::ApplicationBadNote,
                    "请写明暂停计时的说明（不超过500字）",
                ));
            }
            let p = parts.iter_mut().find(|p| p.id == part).ok_or_else(|| {
                AppError::field("part", Code::ApplicationNoPart, "本办件没有这个事项")
            })?;
            p.status = domain::part_transition(p.status, PartAction::Suspend)
                .map_err(|e| state_error(e.message()))?;
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
                notify::Message::new(
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
                AppError::field("part", Code::ApplicationNoPart, "本办件没有这个事项")
            })?;
            let resumed = domain::part_transition(p.status, PartAction::Resume)
                .map_err(|e| state_error(e.message()))?;
            let from = p.paused_at.unwrap_or(now);
            let days = domain::paused_days(cal, limit_of(p)?.unit, from, now);
            p.paused_days += days as i32;
            p.status = resumed;
            p.paused_at = None;
            let kind = crate::store::optional_code::<Pause>(&p.pause_kind)?
                .map(Pause::label)
                .unwrap_or("");
            p.pause_kind = String::new();
            retime(p, cal)?;
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
    if m.status == Status::InProgress {
        let accepted = m.accepted_at.unwrap_or(now);
        let before = m.promised_at;
        m.promised_at = promise(cal, &parts, &edges, accepted)?;
        if before.is_some() && m.promised_at != before {
            messages.push(
                notify::Message::new(
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
    notify::enqueue_many(&txn, app, now, messages).await?;
    txn.commit().await?;
    load_view(&app.db.conn, &m, now).await
}
