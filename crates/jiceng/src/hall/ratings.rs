//! 好差评: citizens rate an application or a work order (once per channel), with the national
//! dimensions. A 差评 opens a rectification task for the unit that did the work — contact the
//! citizen within 1 working day, answer within 15 (configurable) — and the citizen may rate
//! the rectification. Monthly rankings by window, staff, matter and unit flag the bottom tenth.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::notify;
use crate::org::departments::unit_names;
use crate::store::entities::application;
use crate::store::entities::application_part;
use crate::store::entities::rating;
use crate::store::entities::rectification;
use crate::store::entities::work_order;
use chrono::{DateTime, Datelike, Utc};
use jiceng_core::Role;
use jiceng_core::calendar::Limit;
use jiceng_core::clock::china_offset;
use jiceng_core::rating::RectStatus;
use jiceng_core::rating::{Group, Level, Ranked, RatingChannel, rank};
use sea_orm::ActiveValue::Set;
use sea_orm::QuerySelect;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RateInput {
    /// The application's or work order's tracking code.
    pub code: String,
    /// The citizen's 查询密码 for it.
    pub pin: String,
    /// `offline` (default) or `online`.
    pub channel: Option<String>,
    /// `very_satisfied` … `very_dissatisfied`.
    pub level: String,
    /// Scores 1–5 by dimension name (整体满意度, 服务效率, …).
    pub dimensions: BTreeMap<String, u8>,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatingView {
    pub id: i64,
    pub subject_kind: String,
    pub subject_code: String,
    pub channel: String,
    pub level: &'static str,
    pub level_label: &'static str,
    pub score: i32,
    pub dimensions: BTreeMap<String, u8>,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    /// The rectification a 差评 opened.
    pub rectification: Option<RectificationView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RectificationView {
    pub id: i64,
    pub rating_id: i64,
    pub subject_code: String,
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub status: String,
    pub status_label: &'static str,
    pub contact_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub outcome_label: &'static str,
    pub answer: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub comment: String,
    pub level_label: &'static str,
    /// The citizen's rating of the rectification, once given.
    pub re_rating: Option<&'static str>,
}

fn outcome_label(s: &str) -> &'static str {
    match s {
        "rectified" => "整改",
        "explained" => "解释说明",
        "appealed" => "申诉复核",
        _ => "",
    }
}

fn month_of(t: DateTime<Utc>) -> String {
    let d = t.with_timezone(&china_offset());
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Who was rated: the subject and where the work was done.
struct Rated {
    kind: &'static str,
    id: i64,
    code: String,
    title: String,
    window: String,
    staff: String,
    matter_code: String,
    unit_id: Option<i64>,
    /// Where the work was done: the hall's region, or the order's place.
    region_code: String,
    /// Why it cannot be rated yet, if it cannot.
    not_ready: Option<&'static str>,
}

/// What a rating names by its code: with the citizen's pin, or `None` for the demo's seeding,
/// which rates on synthetic citizens' behalf.
async fn rated(app: &App, code: &str, pin: Option<&str>) -> AppResult<Rated> {
    let code = code.trim().to_uppercase();
    if code.starts_with('S') {
        let m = match pin {
            Some(pin) => crate::hall::applications::read::by_code_and_pin(app, &code, pin).await?,
            None => application::Entity::find()
                .filter(application::Column::Code.eq(code.clone()))
                .one(&app.db.conn)
                .await?
                .ok_or_else(|| AppError::new(Code::ApplicationNotFound, "查询码不正确"))?,
        };
        // The unit of the work: the matter's, or for a bundle the first matter's.
        let unit = application_part::Entity::find()
            .filter(application_part::Column::ApplicationId.eq(m.id))
            .order_by_asc(application_part::Column::Seq)
            .one(&app.db.conn)
            .await?
            .map(|p| p.unit_id);
        Ok(Rated {
            kind: "application",
            id: m.id,
            title: m.title,
            code: m.code,
            window: m.window,
            staff: m.received_by,
            matter_code: m.subject_code,
            unit_id: unit,
            region_code: m.region_code,
            not_ready: (!m.status.may_be_rated())
                .then_some("请先按一次性告知补齐材料，受理后即可评价"),
        })
    } else {
        let m: work_order::Model = match pin {
            Some(pin) => crate::work_orders::read::by_code_and_pin(app, &code, pin).await?,
            None => work_order::Entity::find()
                .filter(work_order::Column::TrackingCode.eq(code.clone()))
                .one(&app.db.conn)
                .await?
                .ok_or_else(|| AppError::new(Code::WorkOrderNotFound, "查询码不正确"))?,
        };
        Ok(Rated {
            region_code: crate::work_orders::read::region_of(app, &m),
            not_ready: (!m.status.may_be_rated())
                .then_some("诉求答复后才能评价，办理进展可随时查询"),
            kind: "work_order",
            id: m.id,
            title: m.title,
            code: m.tracking_code,
            window: String::new(),
            staff: String::new(),
            matter_code: m.category_code,
            unit_id: m.lead_unit_id,
        })
    }
}

fn check_rating(
    channel: RatingChannel,
    level: &str,
    dimensions: &BTreeMap<String, u8>,
    comment: &str,
) -> AppResult<Level> {
    let mut errors = Vec::new();
    let level = Level::parse(level.trim());
    if level.is_none() {
        errors.push(FieldError {
            field: "level".into(),
            message: "请选择评价等级（非常满意、满意、基本满意、不满意、非常不满意）".into(),
        });
    }
    let allowed = channel.dimensions();
    for (k, v) in dimensions {
        if !allowed.contains(&k.as_str()) {
            errors.push(FieldError {
                field: "dimensions".into(),
                message: format!(
                    "{}评价没有“{k}”这一项，可评：{}",
                    channel.label(),
                    allowed.join("、")
                ),
            });
        } else if !(1..=5).contains(v) {
            errors.push(FieldError {
                field: "dimensions".into(),
                message: format!("“{k}”的分值应为1～5"),
            });
        }
    }
    let n = comment.trim().chars().count();
    if n > 500 {
        errors.push(FieldError {
            field: "comment".into(),
            message: "评价内容不超过500字".into(),
        });
    }
    if level.is_some_and(Level::is_bad) && n == 0 {
        errors.push(FieldError {
            field: "comment".into(),
            message: "差评请写明不满意的原因，便于整改".into(),
        });
    }
    match level {
        Some(l) if errors.is_empty() => Ok(l),
        _ => Err(AppError::invalid(
            Code::RatingInvalid,
            errors[0].message.clone(),
            errors,
        )),
    }
}

fn duplicate() -> AppError {
    AppError::new(
        Code::RatingDuplicate,
        "已经评价过了，每个办件每个渠道只能评价一次",
    )
}

/// Stores a rating; a second one for the same subject and channel is refused, even when two
/// arrive at once (the unique index decides).
async fn insert_rating(
    txn: &sea_orm::DatabaseTransaction,
    m: rating::Model,
) -> AppResult<rating::Model> {
    let mut am = rating::ActiveModel::from(m).reset_all();
    am.id = sea_orm::ActiveValue::NotSet;
    am.insert(txn)
        .await
        .map_err(|e| AppError::unique_or_internal(e, duplicate))
}

/// A citizen rates an application or a work order, by its code and 查询密码; a 差评 opens a
/// rectification task.
pub async fn rate(app: &App, input: RateInput) -> AppResult<RatingView> {
    rate_checked(app, input, true).await
}

/// The demo's seeding rates on its synthetic citizens' behalf, without their pins.
pub(crate) async fn rate_seeded(app: &App, input: RateInput) -> AppResult<RatingView> {
    rate_checked(app, input, false).await
}

async fn rate_checked(app: &App, input: RateInput, with_pin: bool) -> AppResult<RatingView> {
    let channel = match input.channel.as_deref().map(str::trim) {
        None | Some("") => RatingChannel::Offline,
        Some(c) => RatingChannel::parse(c).ok_or_else(|| {
            AppError::field(
                "channel",
                Code::RatingBadChannel,
                "评价渠道应为线下（offline）或线上（online）",
            )
        })?,
    };
    let level = check_rating(channel, &input.level, &input.dimensions, &input.comment)?;
    let r = rated(app, &input.code, with_pin.then_some(input.pin.as_str())).await?;
    if let Some(why) = r.not_ready {
        return Err(AppError::new(Code::RatingNotReady, why));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    if rating::Entity::find()
        .filter(rating::Column::SubjectKind.eq(r.kind))
        .filter(rating::Column::SubjectId.eq(r.id))
        .filter(rating::Column::Channel.eq(channel.code()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(duplicate());
    }
    let m = insert_rating(
        &txn,
        rating::Model {
            id: 0,
            subject_kind: r.kind.into(),
            subject_id: r.id,
            subject_code: r.code.clone(),
            channel,
            score: level.score() as i32,
            dimensions: serde_json::to_string(&input.dimensions).expect("dimensions serialise"),
            comment: input.comment.trim().to_string(),
            window: r.window.clone(),
            staff: r.staff.clone(),
            matter_code: r.matter_code.clone(),
            unit_id: r.unit_id,
            month: month_of(now),
            created_at: now,
            region_code: r.region_code.clone(),
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        "citizen:rating",
        Event::new("rating.create", "rating", m.id.to_string())
            .state(&serde_json::json!({"subject": r.code, "channel": m.channel, "score": m.score, "comment": m.comment}))
            .reason(level.label()),
    )
    .await?;
    let mut rect = None;
    if level.is_bad() {
        let reference = crate::reference::of(app).get();
        let cal = &reference.calendar;
        let contact_due = Limit::working_days(app.config.rectify_contact_days).deadline(cal, now);
        let answer_due = Limit::working_days(app.config.rectify_answer_days).deadline(cal, now);
        let t = rectification::ActiveModel {
            rating_id: Set(m.id),
            unit_id: Set(r.unit_id),
            subject_code: Set(r.code.clone()),
            status: Set(RectStatus::Open),
            contact_due: Set(contact_due),
            answer_due: Set(answer_due),
            contacted_at: Set(None),
            outcome: Set(String::new()),
            answer: Set(String::new()),
            handled_by: Set(String::new()),
            answered_at: Set(None),
            created_at: Set(now),
            region_code: Set(r.region_code.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            now,
            "system:rating",
            Event::new("rectification.open", "rectification", t.id.to_string()).reason(format!(
                "{}：{}",
                r.code,
                level.label()
            )),
        )
        .await?;
        if let Some(u) = r.unit_id {
            notify::enqueue_many(
                &txn,
                app,
                now,
                vec![notify::Message::new(
                    format!("unit:{u}"),
                    "rating.rectification",
                    vec![
                        ("对象", format!("{}（{}）", r.title, r.code)),
                        ("等级", level.label().to_string()),
                        ("评价内容", m.comment.clone()),
                        ("联系期限", jiceng_core::clock::format_local(contact_due)),
                        ("整改期限", jiceng_core::application::due_day(answer_due)),
                    ],
                )],
            )
            .await?;
        }
        rect = Some(t);
    }
    txn.commit().await?;
    let names = unit_names(
        &app.db.conn,
        rect.iter().filter_map(|t| t.unit_id).collect(),
    )
    .await?;
    rating_view(&m, rect.map(|t| rect_view(&t, &m, None, &names, now)))
}

fn rating_view(m: &rating::Model, rect: Option<RectificationView>) -> AppResult<RatingView> {
    let level = Level::from_score(m.score as u8).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("rating {} has score {}", m.id, m.score))
    })?;
    Ok(RatingView {
        id: m.id,
        subject_kind: m.subject_kind.clone(),
        subject_code: m.subject_code.clone(),
        channel: m.channel.code().to_string(),
        level: level.code(),
        level_label: level.label(),
        score: m.score,
        dimensions: crate::store::json("ratings.dimensions", &m.dimensions)?,
        comment: m.comment.clone(),
        created_at: m.created_at,
        rectification: rect,
    })
}

fn rect_view(
    t: &rectification::Model,
    r: &rating::Model,
    again: Option<&rating::Model>,
    names: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> RectificationView {
    let overdue = match t.status {
        RectStatus::Open => t.contact_due < now,
        RectStatus::Contacted => t.answer_due < now,
        _ => false,
    };
    RectificationView {
        id: t.id,
        rating_id: t.rating_id,
        subject_code: t.subject_code.clone(),
        unit_id: t.unit_id,
        unit_name: t
            .unit_id
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        status: t.status.code().to_string(),
        status_label: t.status.label(),
        contact_due: t.contact_due,
        answer_due: t.answer_due,
        contacted_at: t.contacted_at,
        outcome: t.outcome.clone(),
        outcome_label: outcome_label(&t.outcome),
        answer: t.answer.clone(),
        answered_at: t.answered_at,
        overdue,
        comment: r.comment.clone(),
        level_label: Level::from_score(r.score as u8)
            .map(Level::label)
            .unwrap_or(""),
        re_rating: again
            .and_then(|a| Level::from_score(a.score as u8))
            .map(Level::label),
    }
}

// ---------------------------------------------------------------------------------------------
// Rectification

fn oversees(actor: &Actor) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => matches!(u.role, Role::Admin | Role::Supervisor | Role::Leader),
    }
}

/// Who answers a 差评's rectification: the unit's own staff, or the county's admins and
/// supervision office (a township's admin is not the unit, and does not answer for it).
fn may_handle(actor: &Actor, unit: Option<i64>) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => {
            actor.oversees_deployment() || (unit.is_some() && u.jurisdiction.department_id == unit)
        }
    }
}

/// The region subtree whose ratings and rectifications the actor sees by place, as a `LIKE`
/// pattern; `None` for staff of a functional unit, who see their unit's only.
fn region_pattern(actor: &Actor) -> Option<String> {
    match actor {
        Actor::System(_) => Some("%".into()),
        Actor::User(u) => u.jurisdiction.work_like_pattern(),
    }
}

/// Whether the actor sees a rectification: its unit's staff, and by place those who oversee
/// the hall's ratings (leaders, supervisors, admins, window clerks) of its region subtree.
fn sees_rectification(actor: &Actor, t: &rectification::Model) -> bool {
    match actor {
        Actor::System(_) => true,
        Actor::User(u) => {
            (t.unit_id.is_some() && u.jurisdiction.department_id == t.unit_id)
                || ((oversees(actor) || u.role == Role::WindowClerk)
                    && region_pattern(actor).is_some()
                    && jiceng_core::RegionCode::parse(&t.region_code)
                        .is_ok_and(|r| u.jurisdiction.covers_region(&r)))
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RectFilter {
    pub status: Option<String>,
}

/// Rectification tasks: a unit's own, or all for supervisors, leaders and the service
/// centre's window clerks (who run 好差评 for the hall).
pub async fn rectifications(
    app: &App,
    actor: &Actor,
    f: &RectFilter,
    page: PageParams,
) -> AppResult<Page<RectificationView>> {
    let mut q = rectification::Entity::find();
    if let Actor::User(u) = actor {
        // The unit's own tasks; by place, those of the region subtree for who oversees them.
        let mut scope = sea_orm::Condition::any();
        if let Some(dept) = u.jurisdiction.department_id {
            scope = scope.add(rectification::Column::UnitId.eq(dept));
        }
        let by_place = (oversees(actor) || u.role == Role::WindowClerk)
            .then(|| region_pattern(actor))
            .flatten();
        if let Some(p) = &by_place {
            scope = scope.add(rectification::Column::RegionCode.like(p));
        }
        if u.jurisdiction.department_id.is_none() && by_place.is_none() {
            return Err(AppError::forbidden());
        }
        q = q.filter(scope);
    }
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(rectification::Column::Status.eq(s));
    }
    let page = crate::kernel::paging::paginate(
        &app.db.conn,
        q.order_by_desc(rectification::Column::Id),
        page,
        Ok,
    )
    .await?;
    let ratings: HashMap<i64, rating::Model> = rating::Entity::find()
        .filter(
            rating::Column::Id.is_in(page.items.iter().map(|t| t.rating_id).collect::<Vec<_>>()),
        )
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let again: HashMap<i64, rating::Model> = rating::Entity::find()
        .filter(rating::Column::SubjectKind.eq("rectification"))
        .filter(
            rating::Column::SubjectId.is_in(page.items.iter().map(|t| t.id).collect::<Vec<_>>()),
        )
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|r| (r.subject_id, r))
        .collect();
    let names = unit_names(
        &app.db.conn,
        page.items.iter().filter_map(|t| t.unit_id).collect(),
    )
    .await?;
    let now = app.now();
    Ok(Page {
        items: page
            .items
            .iter()
            .filter_map(|t| {
                ratings
                    .get(&t.rating_id)
                    .map(|r| rect_view(t, r, again.get(&t.id), &names, now))
            })
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RectAction {
    /// The unit has reached the citizen.
    Contact {
        #[serde(default)]
        note: String,
    },
    /// The unit answers: 整改 (rectified), 解释说明 (explained) or 申诉复核 (appealed).
    Answer { outcome: String, answer: String },
}

/// The one path for a rectification's changes.
pub async fn act(
    app: &App,
    actor: &Actor,
    id: i64,
    action: RectAction,
) -> AppResult<RectificationView> {
    let now = app.now();
    let txn = app.db.begin_write().await?;
    // Locked for this transaction, so that two answers never both see it open.
    let t = rectification::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(Code::RectificationNotFound, "没有这个整改任务"))?;
    if !sees_rectification(actor, &t) && !may_handle(actor, t.unit_id) {
        txn.rollback().await?;
        audit::deny(
            app,
            actor,
            "rectification.act",
            "rectification",
            &id.to_string(),
        )
        .await;
        return Err(AppError::new(
            Code::RectificationNotFound,
            "没有这个整改任务",
        ));
    }
    if !may_handle(actor, t.unit_id) {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            "rectification.act",
            "rectification",
            &id.to_string(),
        )
        .await);
    }
    let r = rating::Entity::find_by_id(t.rating_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("rectification {id} lost its rating")))?;
    let mut am: rectification::ActiveModel = t.clone().into();
    let (action_name, reason) = match action {
        RectAction::Contact { note } => {
            if t.status != RectStatus::Open {
                return Err(AppError::new(Code::RectificationBadState, "已联系过群众"));
            }
            am.status = Set(RectStatus::Contacted);
            am.contacted_at = Set(Some(now));
            am.handled_by = Set(actor.audit_name());
            ("rectification.contact", note.trim().to_string())
        }
        RectAction::Answer { outcome, answer } => {
            if !matches!(t.status, RectStatus::Open | RectStatus::Contacted) {
                return Err(AppError::new(
                    Code::RectificationBadState,
                    "该整改任务已答复",
                ));
            }
            let label = outcome_label(outcome.trim());
            if label.is_empty() {
                return Err(AppError::field(
                    "outcome",
                    Code::RectificationBadOutcome,
                    "处理方式应为整改、解释说明或申诉复核",
                ));
            }
            let answer = answer.trim().to_string();
            if answer.is_empty() || answer.chars().count() > 1000 {
                return Err(AppError::field(
                    "answer",
                    Code::RectificationBadAnswer,
                    "请填写答复内容（不超过1000字）",
                ));
            }
            am.status = Set(RectStatus::Answered);
            if t.contacted_at.is_none() {
                am.contacted_at = Set(Some(now));
            }
            am.outcome = Set(outcome.trim().to_string());
            am.answer = Set(answer.clone());
            am.handled_by = Set(actor.audit_name());
            am.answered_at = Set(Some(now));
            let phone = subject_phone(app, &r).await?;
            notify::enqueue_many(
                &txn,
                app,
                now,
                vec![
                    notify::Message::new(
                        format!("phone:{}", phone.1),
                        "rating.answered",
                        vec![
                            ("对象", r.subject_code.clone()),
                            ("方式", label.to_string()),
                            ("答复", answer.clone()),
                        ],
                    )
                    .address(&phone.0),
                ],
            )
            .await?;
            ("rectification.answer", format!("{label}：{answer}"))
        }
    };
    let t = am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new(action_name, "rectification", id.to_string()).reason(reason),
    )
    .await?;
    txn.commit().await?;
    let names = unit_names(&app.db.conn, t.unit_id.into_iter().collect()).await?;
    Ok(rect_view(&t, &r, None, &names, now))
}

/// The sealed and masked phone of who rated.
async fn subject_phone(app: &App, r: &rating::Model) -> AppResult<(String, String)> {
    use crate::store::entities::application;
    Ok(match r.subject_kind.as_str() {
        "application" => application::Entity::find_by_id(r.subject_id)
            .one(&app.db.conn)
            .await?
            .map(|m| (m.applicant_phone_enc, m.applicant_phone_masked))
            .unwrap_or_default(),
        _ => work_order::Entity::find_by_id(r.subject_id)
            .one(&app.db.conn)
            .await?
            .map(|m| (m.reporter_phone_enc, m.reporter_phone))
            .unwrap_or_default(),
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReRateInput {
    pub code: String,
    pub pin: String,
    pub level: String,
    pub comment: String,
}

/// The citizen rates the answer to a 差评; the task is then closed.
pub async fn rate_rectification(app: &App, id: i64, input: ReRateInput) -> AppResult<RatingView> {
    let level = check_rating(
        RatingChannel::Offline,
        &input.level,
        &Default::default(),
        &input.comment,
    )?;
    let t = rectification::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::new(Code::RectificationNotFound, "没有这个整改任务"))?;
    let r = rated(app, &input.code, Some(&input.pin)).await?;
    if r.code != t.subject_code {
        return Err(AppError::new(
            Code::RectificationNotFound,
            "没有这个整改任务",
        ));
    }
    if t.status != RectStatus::Answered {
        return Err(AppError::new(
            if t.status == RectStatus::Closed {
                Code::RatingDuplicate
            } else {
                Code::RectificationBadState
            },
            if t.status == RectStatus::Closed {
                "已经评价过整改情况了"
            } else {
                "单位尚未答复，答复后才能评价整改情况"
            },
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let m = insert_rating(
        &txn,
        rating::Model {
            id: 0,
            subject_kind: "rectification".into(),
            subject_id: t.id,
            subject_code: t.subject_code.clone(),
            channel: RatingChannel::Offline,
            score: level.score() as i32,
            dimensions: "{}".into(),
            comment: input.comment.trim().to_string(),
            window: String::new(),
            staff: String::new(),
            matter_code: String::new(),
            unit_id: t.unit_id,
            month: month_of(now),
            created_at: now,
            region_code: t.region_code.clone(),
        },
    )
    .await?;
    let mut am: rectification::ActiveModel = t.into();
    am.status = Set(RectStatus::Closed);
    am.update(&txn).await?;
    audit::record(
        &txn,
        now,
        "citizen:rating",
        Event::new("rectification.rated", "rectification", id.to_string()).reason(level.label()),
    )
    .await?;
    txn.commit().await?;
    rating_view(&m, None)
}

// ---------------------------------------------------------------------------------------------
// Rankings

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    Window,
    Staff,
    Matter,
    Unit,
}

impl RankBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "window" => Some(Self::Window),
            "staff" => Some(Self::Staff),
            "matter" => Some(Self::Matter),
            "unit" => Some(Self::Unit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rankings {
    pub month: String,
    pub by: String,
    pub items: Vec<Ranked>,
}

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

async fn groups(app: &App, by: RankBy, month: &str, region: &str) -> AppResult<Vec<Group>> {
    let rows = rating::Entity::find()
        .filter(rating::Column::RegionCode.like(region))
        .filter(rating::Column::Month.eq(month))
        .filter(rating::Column::SubjectKind.ne("rectification"))
        .all(&app.db.conn)
        .await?;
    let names = if by == RankBy::Unit {
        unit_names(
            &app.db.conn,
            rows.iter().filter_map(|r| r.unit_id).collect(),
        )
        .await?
    } else {
        HashMap::new()
    };
    let mut by_key: BTreeMap<String, Group> = BTreeMap::new();
    for r in rows {
        let (key, name) = match by {
            RankBy::Window => (r.window.clone(), r.window.clone()),
            RankBy::Staff => (r.staff.clone(), r.staff.clone()),
            RankBy::Matter => (r.matter_code.clone(), r.matter_code.clone()),
            RankBy::Unit => match r.unit_id {
                Some(u) => (u.to_string(), names.get(&u).cloned().unwrap_or_default()),
                None => (String::new(), String::new()),
            },
        };
        if key.is_empty() {
            continue;
        }
        by_key
            .entry(key.clone())
            .or_insert_with(|| Group {
                key,
                name,
                scores: vec![],
            })
            .scores
            .push(r.score as u8);
    }
    Ok(by_key.into_values().collect())
}

/// The month's ranking; the bottom tenth flagged, those flagged the month before too marked
/// for review. Staff who oversee may read it.
pub async fn rankings(app: &App, actor: &Actor, by: &str, month: &str) -> AppResult<Rankings> {
    if !oversees(actor) && !matches!(actor.role(), Some(Role::WindowClerk | Role::Auditor)) {
        return Err(AppError::forbidden());
    }
    // The ratings of the actor's region subtree.
    let region = region_pattern(actor).ok_or_else(AppError::forbidden)?;
    let by_k = RankBy::parse(by.trim()).ok_or_else(|| {
        AppError::field(
            "by",
            Code::RatingBadBy,
            "排名维度应为 window、staff、matter 或 unit",
        )
    })?;
    let (y, m) = parse_month(month).ok_or_else(|| {
        AppError::field(
            "month",
            Code::RatingBadMonth,
            "月份格式应为 YYYY-MM，如 2026-11",
        )
    })?;
    let this = format!("{y:04}-{m:02}");
    let prev = if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    };
    let before: BTreeSet<String> = rank(groups(app, by_k, &prev, &region).await?, &BTreeSet::new())
        .into_iter()
        .filter(|r| r.flagged)
        .map(|r| r.key)
        .collect();
    let mut items = rank(groups(app, by_k, &this, &region).await?, &before);
    if by_k == RankBy::Matter {
        let codes: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
        let names: HashMap<String, String> = crate::store::entities::matter::Entity::find()
            .filter(crate::store::entities::matter::Column::Code.is_in(codes))
            .filter(crate::store::entities::matter::Column::Current.eq(true))
            .all(&app.db.conn)
            .await?
            .into_iter()
            .map(|m| (m.code, m.name))
            .collect();
        for i in items.iter_mut() {
            if let Some(n) = names.get(&i.key) {
                i.name = n.clone();
            }
        }
    }
    Ok(Rankings {
        month: this,
        by: by.trim().to_string(),
        items,
    })
}
