//! 接诉即办, every later action on an order (sign, contact, send back, extend, reply, review,
//! callback, reopen, merge, withdraw, assisting replies, the citizen's rating): one [`apply`]
//! checks the role and the state machine, then writes the order, its timeline, its audit entry
//! and its notifications in one transaction.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::notify;
use crate::store::bulk;
use crate::store::entities::assignment;
use crate::store::entities::department;
use crate::store::entities::order_event;
use crate::store::entities::photo;
use crate::store::entities::work_order;
use crate::work_orders::dispatch::do_dispatch;
use crate::work_orders::intake::to_reporter;
use crate::work_orders::is_lead;
use crate::work_orders::model::MAX_DESCRIPTION;
use crate::work_orders::model::check_photos;
use crate::work_orders::model::event;
use crate::work_orders::model::illegal;
use crate::work_orders::model::resolution_label;
use crate::work_orders::model::satisfaction_label;
use crate::work_orders::model::snapshot_of;
use crate::work_orders::read::OrderView;
use crate::work_orders::read::by_code_and_pin;
use crate::work_orders::read::flags_of;
use crate::work_orders::read::not_found;
use crate::work_orders::read::view;
use crate::work_orders::read::visible;
use crate::work_orders::rules_for;
use chrono::{DateTime, Utc};
use jiceng_core::dispatch::AssignmentRole;
use jiceng_core::dispatch::{self, Unit};
use jiceng_core::sla::DeadlineKind;
use jiceng_core::work_order::{Action, Resolution, Satisfaction, State, transition};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Actions

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: Action,
    #[serde(default)]
    pub note: String,
    /// Re-dispatch or manual dispatch: the lead unit.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// Manual dispatch: assisting units.
    #[serde(default)]
    pub assisting: Vec<i64>,
    /// Extension: working days asked for.
    #[serde(default)]
    pub days: Option<u32>,
    /// Merge: the master order.
    #[serde(default)]
    pub master_id: Option<i64>,
    /// Callback.
    #[serde(default)]
    pub resolution: Option<Resolution>,
    /// Dispatch: the category, when the dispatcher corrects it.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Reply: up to 9 photos of the result (base64 JPEG, PNG or WebP).
    #[serde(default)]
    pub photos: Vec<String>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
}

impl ActionInput {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            note: String::new(),
            unit_id: None,
            assisting: Vec::new(),
            days: None,
            master_id: None,
            resolution: None,
            satisfaction: None,
            category_code: None,
            photos: Vec::new(),
        }
    }

    pub fn note(mut self, note: &str) -> Self {
        self.note = note.to_string();
        self
    }

    pub fn unit(mut self, unit: Option<i64>) -> Self {
        self.unit_id = unit;
        self
    }

    pub fn satisfaction(mut self, s: Satisfaction) -> Self {
        self.satisfaction = Some(s);
        self
    }

    pub fn callback(mut self, r: Resolution, s: Satisfaction) -> Self {
        self.resolution = Some(r);
        self.satisfaction = Some(s);
        self
    }
}

/// Takes one action on an order: checks that the actor sees it (an order outside the
/// jurisdiction reads as missing, whatever the action), then role, unit and state, then writes
/// the new state, the timeline, the audit entry and the notifications in one transaction.
#[tracing::instrument(skip_all, name = "work_order.apply", fields(order = id, action = input.action.code()))]
pub async fn apply(app: &App, actor: &Actor, id: i64, input: ActionInput) -> AppResult<OrderView> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    if input.note.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field(
            "note",
            Code::WorkOrderNoteTooLong,
            format!("说明不能超过{MAX_DESCRIPTION}个字"),
        ));
    }
    if !input.photos.is_empty() && !matches!(input.action, Action::Reply | Action::AnswerDirectly) {
        return Err(AppError::field(
            "photos",
            Code::WorkOrderPhotosNotAllowed,
            "只有回复时可以附照片",
        ));
    }
    let photos = check_photos(&input.photos, "photos")
        .map_err(|e| AppError::invalid(Code::WorkOrderBadPhoto, e.message.clone(), vec![e]))?;
    let now = app.now();
    let reference = crate::reference::of(app).get();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if !visible(&txn, actor, &m).await? {
        txn.rollback().await?;
        audit::deny(app, actor, "work_order.act", "work_order", &id.to_string()).await;
        return Err(not_found());
    }
    if !jiceng_core::work_order::role_may(u.role, input.action) {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            &format!("work_order.{}", input.action.code()),
            "work_order",
            &id.to_string(),
        )
        .await);
    }
    let units = assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if jiceng_core::work_order::needs_lead_unit(input.action) && !is_lead(u, &units) {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            "work_order.not_lead_unit",
            "work_order",
            &id.to_string(),
        )
        .await);
    }
    let from = m.status;
    let rules = rules_for(app, &m);
    let (to, flags) = transition(from, flags_of(&m)?, input.action, rules).map_err(illegal)?;
    let actor_name = actor.audit_name();
    let note = input.note.trim().to_string();
    let supervise_days = if input.action == Action::Supervise {
        Some(crate::work_orders::supervision::check_days(input.days)?)
    } else {
        None
    };
    let mut am: work_order::ActiveModel = m.clone().into();
    am.status = Set(to);
    crate::work_orders::read::set_flags(&mut am, &flags);
    am.updated_at = Set(now);
    let mut message: Option<notify::Message> = None;
    match input.action {
        Action::Sign => am.signed_at = Set(Some(now)),
        Action::Contact => am.contacted_at = Set(Some(now)),
        Action::Reply => {
            if note.is_empty() {
                return Err(AppError::field(
                    "note",
                    Code::WorkOrderReplyRequired,
                    "请填写回复内容",
                ));
            }
            am.replied_at = Set(Some(now));
        }
        Action::SendBack
        | Action::RequestExtension
        | Action::RejectSendBack
        | Action::RejectExtension
        | Action::ReturnReply
            if note.is_empty() =>
        {
            return Err(AppError::field(
                "note",
                Code::WorkOrderReasonRequired,
                "请填写理由",
            ));
        }
        Action::ApproveExtension => {
            let days = extension_days(&txn, id).await?;
            let base = m.resolve_by.unwrap_or(now);
            let due = jiceng_core::calendar::Limit::working_days(days)
                .deadline(&reference.calendar, base);
            am.resolve_by = Set(Some(due));
            message = to_reporter(
                &m,
                "work_order.extended",
                vec![
                    ("查询码", m.tracking_code.clone()),
                    ("办理期限", jiceng_core::clock::format_local(due)),
                ],
            );
        }
        Action::AnswerDirectly | Action::CallbackClose => {
            am.closed_at = Set(Some(now));
            if input.action == Action::CallbackClose {
                let (Some(r), Some(s)) = (input.resolution, input.satisfaction) else {
                    return Err(AppError::field(
                        "resolution",
                        Code::WorkOrderCallbackIncomplete,
                        "回访须记录解决情况和满意度",
                    ));
                };
                if r == Resolution::Unresolved {
                    return Err(AppError::field(
                        "resolution",
                        Code::WorkOrderUnresolved,
                        "群众反映未解决，应选择“重办”",
                    ));
                }
                am.resolution = Set(code_of(&r));
                am.satisfaction = Set(code_of(&s));
            }
        }
        Action::Reopen => {
            am.resolution = Set("unresolved".into());
            if let Some(s) = input.satisfaction {
                am.satisfaction = Set(code_of(&s));
            }
            am.replied_at = Set(None);
        }
        Action::Withdraw => am.closed_at = Set(Some(now)),
        Action::Merge => {
            let master_id = input.master_id.ok_or_else(|| {
                AppError::field("master_id", Code::WorkOrderMasterRequired, "请指定主工单")
            })?;
            let missing =
                || AppError::field("master_id", Code::WorkOrderMasterNotFound, "主工单不存在");
            let master = work_order::Entity::find_by_id(master_id)
                .one(&txn)
                .await?
                .ok_or_else(missing)?;
            // A master the actor may not see is as missing as one that does not exist.
            if !visible(&txn, actor, &master).await? {
                return Err(missing());
            }
            if master.id == m.id || master.master_id.is_some() || master.status.is_final() {
                return Err(AppError::field(
                    "master_id",
                    Code::WorkOrderBadMaster,
                    "主工单必须是另一张未办结的工单",
                ));
            }
            am.master_id = Set(Some(master.id));
            am.closed_at = Set(Some(now));
        }
        _ => {}
    }
    if input.action == Action::RequestExtension {
        let days = input.days.filter(|d| (1..=30).contains(d)).ok_or_else(|| {
            AppError::field("days", Code::WorkOrderBadDays, "延期天数须为1～30个工作日")
        })?;
        let event_id = event(
            &txn,
            id,
            now,
            &actor_name,
            Action::RequestExtension.code(),
            from.code(),
            to.code(),
            &format!("{days}个工作日：{note}"),
        )
        .await?;
        // The days asked for are a column of their own, never read back out of the note.
        order_event::Entity::update_many()
            .col_expr(
                order_event::Column::Days,
                sea_orm::sea_query::Expr::value(days as i32),
            )
            .filter(order_event::Column::Id.eq(event_id))
            .exec(&txn)
            .await?;
    }
    // 督办单: the notice, and its number and deadline in the timeline.
    let mut event_note = note.clone();
    if let Some(days) = supervise_days {
        let n = crate::work_orders::supervision::issue(
            &txn,
            app,
            &reference,
            &m,
            &actor_name,
            days,
            &note,
            now,
        )
        .await?;
        event_note = format!(
            "{}：{}个工作日内办结（期限 {}）。{}",
            jiceng_core::supervision::number(n.issued_at, n.id),
            days,
            jiceng_core::clock::format_due(n.due_at),
            n.requirement
        );
    }
    let mut m2 = am.update(&txn).await?;
    if input.action != Action::RequestExtension {
        let event_id = event(
            &txn,
            id,
            now,
            &actor_name,
            input.action.code(),
            from.code(),
            to.code(),
            &event_note,
        )
        .await?;
        let photos: Vec<photo::Model> = photos
            .iter()
            .map(|(ct, data)| photo::Model {
                id: 0,
                order_id: id,
                event_id: Some(event_id),
                content_type: ct.clone(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)),
                data: data.clone(),
                uploaded_by: actor_name.clone(),
                created_at: now,
            })
            .collect();
        bulk::insert_models::<photo::Entity, _>(&txn, &photos, "").await?;
    }
    // Side effects that need the updated row.
    match input.action {
        Action::Dispatch | Action::AcceptSendBack => {
            // Overriding the automatic dispatch (or accepting a send-back) corrects it: the
            // reason is required and the correction is kept for learning.
            let correcting = from == State::PendingSign || input.action == Action::AcceptSendBack;
            if from == State::PendingSign && note.is_empty() {
                return Err(AppError::field(
                    "note",
                    Code::WorkOrderReasonRequired,
                    "改派须填写理由",
                ));
            }
            if let Some(code) = input
                .category_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty() && *c != m.category_code)
            {
                if reference.categories.get(code).is_none() {
                    return Err(AppError::field(
                        "category_code",
                        Code::WorkOrderUnknownCategory,
                        format!("分类 {code} 不存在"),
                    ));
                }
                correct(
                    &txn,
                    now,
                    id,
                    "category",
                    &m.category_code,
                    code,
                    &actor_name,
                    &note,
                )
                .await?;
                let mut am: work_order::ActiveModel = m2.into();
                am.category_code = Set(code.to_string());
                am.category_confidence = Set(1.0);
                m2 = am.update(&txn).await?;
            }
            if correcting && let Some(unit) = input.unit_id {
                let before = format!(
                    "{}|{}",
                    m.lead_unit_id.map(|u| u.to_string()).unwrap_or_default(),
                    m.list_item_code
                );
                correct(
                    &txn,
                    now,
                    id,
                    "dispatch",
                    &before,
                    &unit.to_string(),
                    &actor_name,
                    &note,
                )
                .await?;
            }
            let plan = match input.unit_id {
                Some(unit) => manual_plan(&txn, actor, unit, &input.assisting, &note).await?,
                None if input.action == Action::AcceptSendBack => None,
                None => {
                    return Err(AppError::field(
                        "unit_id",
                        Code::WorkOrderUnitRequired,
                        "请选择主办单位",
                    ));
                }
            };
            if let Some(p) = plan {
                m2 = do_dispatch(&txn, app, &reference, m2, &p, now, &actor_name, rules).await?;
            } else {
                // Accepted send-back without a new unit: it waits in the manual queue.
                assignment::Entity::update_many()
                    .col_expr(
                        assignment::Column::Active,
                        sea_orm::sea_query::Expr::value(false),
                    )
                    .filter(assignment::Column::OrderId.eq(id))
                    .exec(&txn)
                    .await?;
                let mut am: work_order::ActiveModel = m2.into();
                am.lead_unit_id = Set(None);
                am.next_escalation_at = Set(None);
                m2 = am.update(&txn).await?;
            }
        }
        Action::Reopen => {
            // 重办: the resolve deadline starts again from now.
            let priority = m2.priority;
            let policy = reference.policy(&m2.category_code, priority);
            let due = policy.resolve.deadline(&reference.calendar, now);
            let mut am: work_order::ActiveModel = m2.into();
            am.resolve_by = Set(Some(due));
            am.resolve_started_at = Set(Some(now));
            m2 = am.update(&txn).await?;
            crate::work_orders::escalation::forget_kind(&txn, id, DeadlineKind::Resolve).await?;
        }
        Action::ApproveExtension => {
            // The extended deadline escalates afresh.
            crate::work_orders::escalation::forget_kind(&txn, id, DeadlineKind::Resolve).await?;
        }
        Action::Merge => {
            // Everything merged into the master is called back with it.
            let master = m2.master_id.expect("merge sets the master");
            event(
                &txn,
                master,
                now,
                &actor_name,
                Action::Merge.code(),
                "",
                "",
                &format!("合并工单{}", m2.tracking_code),
            )
            .await?;
        }
        Action::CallbackClose => {
            for dup in work_order::Entity::find()
                .filter(work_order::Column::MasterId.eq(id))
                .all(&txn)
                .await?
            {
                let fan_out = to_reporter(
                    &dup,
                    "work_order.merged_closed",
                    vec![("查询码", dup.tracking_code.clone())],
                );
                notify::enqueue_many(&txn, app, now, fan_out.into_iter().collect()).await?;
            }
            message = to_reporter(
                &m2,
                "work_order.closed",
                vec![("查询码", m2.tracking_code.clone())],
            );
        }
        Action::Urge => {
            // To the unit that owes the work (its head reads the unit's messages).
            if let Some(lead) = m2.lead_unit_id {
                message = Some(notify::Message::new(
                    format!("unit:{lead}"),
                    "work_order.urged",
                    vec![
                        ("查询码", m2.tracking_code.clone()),
                        ("标题", m2.title.clone()),
                        (
                            "意见",
                            if note.is_empty() {
                                "请加快办理".to_string()
                            } else {
                                note.clone()
                            },
                        ),
                        (
                            "办结期限",
                            m2.resolve_by
                                .map(jiceng_core::clock::format_local)
                                .unwrap_or_default(),
                        ),
                    ],
                ));
            }
        }
        Action::Reply => {
            message = to_reporter(
                &m2,
                "work_order.replied",
                vec![("查询码", m2.tracking_code.clone()), ("答复", note.clone())],
            );
        }
        _ => {}
    }
    m2 = crate::work_orders::escalation::reschedule(&txn, &reference, m2, now).await?;
    crate::work_orders::supervision::settle_if_answered(&txn, &m2, now).await?;
    notify::enqueue_many(&txn, app, now, message.into_iter().collect()).await?;
    let ev = Event::new("work_order.action", "work_order", id.to_string())
        .state(&snapshot_of(&m2))
        .reason(format!(
            "{}{}",
            input.action.label(),
            if note.is_empty() {
                String::new()
            } else {
                format!("：{note}")
            }
        ));
    audit::record(&txn, now, &actor_name, ev).await?;
    crate::work_orders::rollups::moved(&txn, Some(&m), &m2).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m2, true, Some(actor)).await
}

pub(crate) fn code_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The working days of the pending extension request, from its timeline entry.
pub(crate) async fn extension_days(txn: &DatabaseTransaction, id: i64) -> AppResult<u32> {
    let e = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(id))
        .filter(order_event::Column::Action.eq(Action::RequestExtension.code()))
        .order_by_desc(order_event::Column::Id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::new(Code::WorkOrderNothingPending, "没有待审批的延期申请"))?;
    e.days.and_then(|d| u32::try_from(d).ok()).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("extension request {} has no days", e.id))
    })
}

/// A dispatcher's own choice of units, among the active units of the dispatcher's area (a
/// unit outside it reads as unknown, so ids are not probed).
pub(crate) async fn manual_plan(
    txn: &DatabaseTransaction,
    actor: &Actor,
    lead: i64,
    assisting: &[i64],
    note: &str,
) -> AppResult<Option<dispatch::Plan>> {
    let find = |id: i64| async move {
        department::Entity::find_by_id(id)
            .one(txn)
            .await?
            .filter(|d| d.active)
            .filter(|d| {
                jiceng_core::RegionCode::parse(&d.region_code)
                    .is_ok_and(|r| actor.covers_region(&r))
            })
            .map(|d| Unit {
                id: d.id,
                name: d.name,
            })
            .ok_or_else(|| {
                AppError::field(
                    "unit_id",
                    Code::WorkOrderUnknownUnit,
                    format!("单位 {id} 不存在或已停用"),
                )
            })
    };
    let lead = find(lead).await?;
    let mut units = Vec::new();
    for a in assisting {
        if *a != lead.id {
            units.push(find(*a).await?);
        }
    }
    let mut reasons = vec![format!("派单员人工派单，主办：{}", lead.name)];
    if !note.is_empty() {
        reasons.push(format!("理由：{note}"));
    }
    Ok(Some(dispatch::Plan {
        item_code: String::new(),
        lead,
        assisting: units,
        reasons,
    }))
}

/// Keeps a dispatcher's correction of the automatic classification or dispatch.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn correct(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    order_id: i64,
    kind: &str,
    before: &str,
    after: &str,
    actor: &str,
    reason: &str,
) -> AppResult<()> {
    crate::store::entities::correction::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.to_string()),
        before: Set(before.to_string()),
        after: Set(after.to_string()),
        actor: Set(actor.to_string()),
        reason: Set(reason.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// An assisting unit's reply to the lead (协办回复); the order's state does not change.
#[tracing::instrument(skip_all, name = "work_order.assist_reply", fields(order = id))]
pub async fn assist_reply(app: &App, actor: &Actor, id: i64, text: &str) -> AppResult<OrderView> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field(
            "note",
            Code::WorkOrderReplyRequired,
            format!("请填写1～{MAX_DESCRIPTION}个字的协办意见"),
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    // An order outside the actor's view reads as missing, as in every other action.
    if !visible(&txn, actor, &m).await? {
        txn.rollback().await?;
        audit::deny(
            app,
            actor,
            "work_order.assist_reply",
            "work_order",
            &id.to_string(),
        )
        .await;
        return Err(not_found());
    }
    let mine = assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::Role.eq(AssignmentRole::Assist))
        .filter(assignment::Column::Active.eq(true))
        .filter(assignment::Column::UnitId.eq(u.jurisdiction.department_id.unwrap_or(-1)))
        .one(&txn)
        .await?;
    let Some(a) = mine else {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            "work_order.assist_reply",
            "work_order",
            &id.to_string(),
        )
        .await);
    };
    if m.status.is_final() {
        return Err(AppError::new(
            Code::WorkOrderIllegalTransition,
            "工单已结束，不能再提交协办意见",
        ));
    }
    let mut am: assignment::ActiveModel = a.into();
    am.reply = Set(text.to_string());
    am.update(&txn).await?;
    event(
        &txn,
        id,
        now,
        &actor.audit_name(),
        jiceng_core::work_order::ASSIST_REPLY,
        m.status.code(),
        m.status.code(),
        text,
    )
    .await?;
    if let Some(lead) = m.lead_unit_id {
        let msg = notify::Message::new(
            format!("unit:{lead}"),
            "work_order.assist_reply",
            vec![
                ("查询码", m.tracking_code.clone()),
                ("意见", text.to_string()),
            ],
        );
        notify::enqueue_many(&txn, app, now, vec![msg]).await?;
    }
    let ev = Event::new("work_order.assist_reply", "work_order", id.to_string())
        .reason(text.to_string());
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m, true, Some(actor)).await
}

/// The citizen's own callback (回访) from the tracking page once the reply is approved:
/// resolved closes the order, unresolved reopens it.
#[tracing::instrument(skip_all, name = "work_order.citizen_callback")]
pub async fn citizen_callback(
    app: &App,
    code: &str,
    pin: &str,
    resolution: Resolution,
    satisfaction: Satisfaction,
) -> AppResult<OrderView> {
    let m = by_code_and_pin(app, code, pin).await?;
    if m.status != State::PendingCallback {
        return Err(AppError::new(
            Code::WorkOrderNotReadyForRating,
            "工单答复审核通过后才能评价",
        ));
    }
    let (action, state) = if resolution == Resolution::Unresolved {
        (Action::Reopen, State::InProgress)
    } else {
        (Action::CallbackClose, State::Closed)
    };
    let now = app.now();
    let reference = crate::reference::of(app).get();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let from = m.status;
    let (to, flags) =
        transition(from, flags_of(&m)?, action, rules_for(app, &m)).map_err(illegal)?;
    debug_assert_eq!(to, state);
    let mut am: work_order::ActiveModel = m.clone().into();
    am.status = Set(to);
    crate::work_orders::read::set_flags(&mut am, &flags);
    am.resolution = Set(code_of(&resolution));
    am.satisfaction = Set(code_of(&satisfaction));
    am.updated_at = Set(now);
    if to == State::Closed {
        am.closed_at = Set(Some(now));
    } else {
        let policy = reference.policy(&m.category_code, m.priority);
        am.resolve_by = Set(Some(policy.resolve.deadline(&reference.calendar, now)));
        am.resolve_started_at = Set(Some(now));
        am.replied_at = Set(None);
        crate::work_orders::escalation::forget_kind(&txn, m.id, DeadlineKind::Resolve).await?;
    }
    let m2 = am.update(&txn).await?;
    let m2 = crate::work_orders::escalation::reschedule(&txn, &reference, m2, now).await?;
    let note = format!(
        "群众评价：{}，{}",
        resolution_label(resolution),
        satisfaction_label(satisfaction)
    );
    event(
        &txn,
        m2.id,
        now,
        "citizen",
        action.code(),
        from.code(),
        to.code(),
        &note,
    )
    .await?;
    if let Some(lead) = m2.lead_unit_id
        && to == State::InProgress
    {
        let msg = notify::Message::new(
            format!("unit:{lead}"),
            "work_order.reopened",
            vec![("查询码", m2.tracking_code.clone())],
        );
        notify::enqueue_many(&txn, app, now, vec![msg]).await?;
    }
    let ev = Event::new("work_order.action", "work_order", m2.id.to_string())
        .state(&snapshot_of(&m2))
        .reason(note);
    audit::record(&txn, now, "citizen", ev).await?;
    crate::work_orders::rollups::moved(&txn, Some(&m), &m2).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m2, true, None).await
}
