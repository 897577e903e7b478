//! 一窗受理, reading: one application with its parts and progress, lists within the actor's
//! reach, and the citizen's tracking by code and 查询密码.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::hall::applications::model::Applicant;
use crate::hall::applications::model::ApplicationSummary;
use crate::hall::applications::model::ApplicationView;
use crate::hall::applications::model::EventView;
use crate::hall::applications::model::PartView;
use crate::hall::applications::model::Progress;
use crate::hall::applications::model::event_label;
use crate::hall::applications::model::first_step;
use crate::hall::applications::model::region_pattern;
use crate::hall::applications::model::sees_region;
use crate::hall::applications::model::steps_of;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::org::departments::unit_names;
use crate::store::entities::application;
use crate::store::entities::application_event;
use crate::store::entities::application_part;
use chrono::{DateTime, Utc};
use jiceng_core::application::{self as domain, Delivery, PartStatus, Pause, Status};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn view(
    m: &application::Model,
    parts: &[application_part::Model],
    events: &[application_event::Model],
    units: &HashMap<i64, String>,
    names: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> AppResult<ApplicationView> {
    let name_of = |code: &str| names.get(code).cloned().unwrap_or_default();
    let status = m.status;
    let channel = m.channel;
    let delivery = m.delivery;
    let parts_v: Vec<PartView> = parts
        .iter()
        .map(|p| -> AppResult<PartView> {
            let steps = steps_of(p)?;
            let st = p.status;
            let step = p.step.max(0) as usize;
            Ok(PartView {
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
                pause: crate::store::optional_code::<Pause>(&p.pause_kind)?.map(Pause::label),
                result_no: p.result_no.clone(),
                result_delivery: crate::store::optional_code::<Delivery>(&p.result_delivery)?
                    .map(|d| d.label().to_string())
                    .unwrap_or_default(),
                done_at: p.done_at,
                overdue: st == PartStatus::Active && p.deadline.is_some_and(|d| d < now),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
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
    Ok(ApplicationView {
        id: m.id,
        code: m.code.clone(),
        tracking_pin: None,
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
        agent: match m.agent.as_str() {
            "" | "null" => None,
            a => Some(crate::store::json("applications.agent", a)?),
        },
        checklist: crate::store::json("applications.checklist", &m.checklist)?,
        defects: crate::store::json("applications.defects", &m.defects)?,
        reason: m.reason.clone(),
        delivery: delivery.code(),
        delivery_label: delivery.label(),
        window: m.window.clone(),
        received_by: m.received_by.clone(),
        received_by_name: name_of(&m.received_by),
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
                actor_name: name_of(&e.actor),
                note: e.note.clone(),
                at: e.at,
            })
            .collect(),
    })
}

pub(crate) async fn load_view<C: ConnectionTrait>(
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
    let names = crate::kernel::names::of_actors(
        db,
        events
            .iter()
            .map(|e| e.actor.as_str())
            .chain([m.received_by.as_str()]),
    )
    .await?;
    view(m, &parts, &events, &units, &names, now)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Loads an application the actor may see: one of a hall in the actor's region subtree, or
/// one with a part for the actor's unit; any other reads as missing.
pub(crate) async fn seen_by(app: &App, actor: &Actor, id: i64) -> AppResult<application::Model> {
    let m = application::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    if visible(app, actor, &m).await? {
        Ok(m)
    } else {
        Err(not_found())
    }
}

/// Whether the actor may see an application: one of a hall in the actor's region subtree, or
/// one with a part for the actor's unit.
pub(crate) async fn visible(app: &App, actor: &Actor, m: &application::Model) -> AppResult<bool> {
    if sees_region(actor, &m.region_code) {
        return Ok(true);
    }
    let Some(dept) = actor.jurisdiction().and_then(|j| j.department_id) else {
        return Ok(false);
    };
    Ok(application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(m.id))
        .filter(application_part::Column::UnitId.eq(dept))
        .one(&app.db.conn)
        .await?
        .is_some())
}

pub(crate) fn not_found() -> AppError {
    AppError::new(Code::ApplicationNotFound, "没有这个办件")
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ApplicationView> {
    let m = seen_by(app, actor, id).await?;
    load_view(&app.db.conn, &m, app.now()).await
}

/// A citizen's application by its code and 查询密码.
pub(crate) async fn by_code_and_pin(
    app: &App,
    code: &str,
    pin: &str,
) -> AppResult<application::Model> {
    crate::kernel::citizen::by_code_and_pin::<application::Entity>(
        app,
        application::Column::Code,
        code,
        pin,
        |m| m.pin_digest.as_deref(),
        || AppError::new(Code::ApplicationNotFound, "查询码或查询密码不正确"),
    )
    .await
}

/// A citizen tracks an application by its code and 查询密码: the progress, without the names
/// of staff.
pub async fn track(app: &App, code: &str, pin: &str) -> AppResult<ApplicationView> {
    let m = by_code_and_pin(app, code, pin).await?;
    let mut v = load_view(&app.db.conn, &m, app.now()).await?;
    for e in v.timeline.iter_mut() {
        e.actor = String::new();
        e.actor_name = String::new();
    }
    for p in v.parts.iter_mut() {
        p.handler = String::new();
    }
    v.received_by = String::new();
    v.received_by_name = String::new();
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
    // What the actor sees at all: its halls' applications, and those with a part for its unit.
    let by_place = region_pattern(actor);
    let own_unit = actor.jurisdiction().and_then(|j| j.department_id);
    if by_place.is_none() && own_unit.is_none() {
        return Err(AppError::forbidden());
    }
    let mut scope = Condition::any();
    if let Some(p) = &by_place {
        scope = scope.add(application::Column::RegionCode.like(p.as_str()));
    }
    if let Some(d) = own_unit {
        let mine = application_part::Entity::find()
            .select_only()
            .column(application_part::Column::ApplicationId)
            .filter(application_part::Column::UnitId.eq(d));
        scope =
            scope.add(application::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(mine)));
    }
    let mut q = application::Entity::find().filter(scope);
    // Back-office staff look at their unit's work; others may narrow to a unit.
    let unit = if by_place.is_some() { f.unit } else { own_unit };
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
            AppError::field("status", Code::ApplicationBadStatus, "没有这个办件状态")
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
    crate::kernel::paging::paginate(&app.db.conn, q, page, |m: application::Model| {
        let status = m.status;
        Ok(ApplicationSummary {
            id: m.id,
            status: status.code(),
            status_label: status.label(),
            channel_label: m.channel.label(),
            promised_day: m.promised_at.map(domain::due_day).unwrap_or_default(),
            code: m.code,
            title: m.title,
            applicant_name: m.applicant_name,
            received_at: m.received_at,
        })
    })
    .await
}
