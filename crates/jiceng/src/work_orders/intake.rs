//! 接诉即办, intake: checking a new order (channel rules, category, place, reporter), then
//! writing it by group commit — many orders in one transaction, with their timeline, automatic
//! dispatch, audit entries and notifications — each caller answered after the commit.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::notify;
use crate::org::locate::Match;
use crate::reference::Loaded;
use crate::store::bulk;
use crate::store::entities::assignment;
use crate::store::entities::order_event;
use crate::store::entities::photo;
use crate::store::entities::work_order;
use crate::work_orders::dispatch::DispatchData;
use crate::work_orders::dispatch::assignment_row;
use crate::work_orders::dispatch::dispatch_note;
use crate::work_orders::dispatch::planned_units;
use crate::work_orders::dispatch::set_dispatched;
use crate::work_orders::dispatched_message;
use crate::work_orders::model::Channel;
use crate::work_orders::model::MAX_DESCRIPTION;
use crate::work_orders::model::MAX_EXTENSIONS;
use crate::work_orders::model::NewOrder;
use crate::work_orders::model::check_photos;
use crate::work_orders::model::event_model;
use crate::work_orders::model::illegal;
use crate::work_orders::model::reporter_of;
use crate::work_orders::model::snapshot_of;
use crate::work_orders::read::OrderView;
use crate::work_orders::read::load_units;
use crate::work_orders::read::view_with;
use chrono::{DateTime, Utc};
use jiceng_core::Role;
use jiceng_core::classify::Suggestion;
use jiceng_core::dispatch::{Outcome, Place};
use jiceng_core::sla::{Level, Priority};
use jiceng_core::work_order::{Action, Flags, Rules, State, transition};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TryIntoModel,
};

// ---------------------------------------------------------------------------------------------
// Intake

/// Who may register orders and on which channel; citizens (no actor) use the web.
pub(crate) fn channel_for(actor: Option<&Actor>, asked: Option<&str>) -> AppResult<Channel> {
    use jiceng_core::work_order::Submitter;
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(Channel::parse(s).ok_or_else(|| {
            AppError::field(
                "channel",
                Code::WorkOrderBadChannel,
                "渠道只能是 hotline、grid、web、app、api 或 system",
            )
        })?),
        None => None,
    };
    let who = match actor {
        None => Submitter::Citizen,
        Some(Actor::User(u)) if u.role == Role::GridWorker => Submitter::GridWorker,
        Some(Actor::User(u)) if matches!(u.via, crate::kernel::actor::AuthVia::Token { .. }) => {
            Submitter::ApiClient
        }
        Some(Actor::User(_)) => Submitter::Staff,
        Some(Actor::System(_)) => Submitter::System,
    };
    jiceng_core::work_order::channel_for(who, asked).map_err(|_| {
        AppError::field(
            "channel",
            Code::WorkOrderBadChannel,
            "群众只能通过网站或移动端提交",
        )
    })
}

/// The classifier's best `n` categories for a text, retired ones left out.
pub(crate) fn active_suggestions(r: &Loaded, text: &str, n: usize) -> Vec<Suggestion> {
    r.classifier
        .suggest(text, n + 5)
        .into_iter()
        .filter(|s| r.categories.get(&s.label).is_some_and(|c| c.active))
        .take(n)
        .collect()
}

/// Classification suggestions for a text, with category names.
pub fn suggest(app: &App, text: &str, n: usize) -> Vec<(Suggestion, String)> {
    let r = crate::reference::of(app).get();
    active_suggestions(&r, text, n)
        .into_iter()
        .map(|s| {
            let name = r
                .categories
                .get(&s.label)
                .map(|c| c.path.clone())
                .unwrap_or_default();
            (s, name)
        })
        .collect()
}

pub(crate) struct Checked {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) priority: Priority,
    pub(crate) channel: Channel,
    pub(crate) category: (String, f64),
    pub(crate) lat_lon: Option<(f64, f64)>,
    pub(crate) address: String,
    pub(crate) reporter: Option<(String, jiceng_core::citizen::PhoneNumber)>,
    pub(crate) photos: Vec<(String, Vec<u8>)>,
    pub(crate) client_key: Option<String>,
    /// 诉求类型, when said.
    pub(crate) kind: Option<jiceng_core::work_order::RequestKind>,
    /// 直接答复办结: the answer given on the call.
    pub(crate) answer: Option<String>,
}

pub(crate) fn check(app: &App, actor: Option<&Actor>, input: &NewOrder) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let description = input.description.trim().to_string();
    if description.is_empty() {
        errors.push(FieldError {
            field: "description".into(),
            message: "请填写诉求内容".into(),
        });
    } else if description.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError {
            field: "description".into(),
            message: format!("诉求内容不能超过{MAX_DESCRIPTION}个字"),
        });
    }
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if title.chars().count() > 100 {
        errors.push(FieldError {
            field: "title".into(),
            message: "标题不能超过100个字".into(),
        });
    }
    let priority = match input
        .priority
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Priority::Normal,
        Some(p) => Priority::parse(p).unwrap_or_else(|| {
            errors.push(FieldError {
                field: "priority".into(),
                message: "紧急程度只能是 urgent、expedited 或 normal".into(),
            });
            Priority::Normal
        }),
    };
    let lat_lon = match (input.lat, input.lon) {
        (Some(la), Some(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => {
            Some((la, lo))
        }
        (None, None) => None,
        _ => {
            errors.push(FieldError {
                field: "lat".into(),
                message: "经纬度不完整或超出范围（纬度 -90～90，经度 -180～180）".into(),
            });
            None
        }
    };
    let address = input
        .address
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if address.chars().count() > 200 {
        errors.push(FieldError {
            field: "address".into(),
            message: "地址不能超过200个字".into(),
        });
    }
    let reporter = match (&input.reporter, input.anonymous) {
        (Some(r), false) => {
            let name = r.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 50 {
                errors.push(FieldError {
                    field: "reporter.name".into(),
                    message: "请填写1～50个字的姓名".into(),
                });
            }
            match crate::kernel::citizen::phone("reporter.phone", Code::WorkOrderBadPhone, &r.phone)
            {
                Ok(p) => Some((name, p)),
                Err(e) => {
                    errors.extend(e.fields);
                    None
                }
            }
        }
        (None, true) | (Some(_), true) => None,
        (None, false) => {
            errors.push(FieldError {
                field: "reporter".into(),
                message: "请填写反映人姓名和电话，或选择匿名".into(),
            });
            None
        }
    };
    let photos = check_photos(&input.photos, "photos").unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    let scope = crate::kernel::citizen::client_key_scope(
        actor,
        input.reporter.as_ref().map(|r| r.phone.as_str()),
        &app.data_key,
    );
    let client_key = crate::kernel::citizen::parse_client_key(input.client_key.as_deref(), &scope)
        .unwrap_or_else(|message| {
            errors.push(FieldError {
                field: "client_key".into(),
                message: message.into(),
            });
            None
        });
    let kind = match input
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        None => None,
        Some(k) => {
            let parsed = jiceng_core::work_order::RequestKind::parse(k);
            if parsed.is_none() {
                errors.push(FieldError {
                    field: "kind".into(),
                    message: "诉求类型应为咨询、求助、投诉、举报、建议或表扬".into(),
                });
            }
            parsed
        }
    };
    let answer = input.answer.as_deref().map(str::trim).map(String::from);
    match &answer {
        Some(a) if a.is_empty() => errors.push(FieldError {
            field: "answer".into(),
            message: "直接答复办结须填写答复内容".into(),
        }),
        Some(a) if a.chars().count() > MAX_DESCRIPTION => errors.push(FieldError {
            field: "answer".into(),
            message: format!("答复内容不能超过{MAX_DESCRIPTION}个字"),
        }),
        _ => {}
    }
    let channel = match channel_for(actor, input.channel.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            errors.extend(e.fields);
            Channel::Web
        }
    };
    let reference = crate::reference::of(app).get();
    let category = match input
        .category_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(code) => match reference.categories.get(code) {
            Some(c) if !c.active => {
                errors.push(FieldError {
                    field: "category_code".into(),
                    message: format!("分类 {code} 已停用"),
                });
                (String::new(), 0.0)
            }
            Some(_) => (code.to_string(), 1.0),
            None => {
                errors.push(FieldError {
                    field: "category_code".into(),
                    message: format!("分类 {code} 不存在"),
                });
                (String::new(), 0.0)
            }
        },
        None => {
            let text = format!("{title} {description}");
            match active_suggestions(&reference, &text, 1).into_iter().next() {
                Some(s) => (s.label, s.confidence),
                None => {
                    errors.push(FieldError {
                        field: "category_code".into(),
                        message: "无法自动分类，请选择分类".into(),
                    });
                    (String::new(), 0.0)
                }
            }
        }
    };
    if !errors.is_empty() {
        let first = errors[0].message.clone();
        let code = if errors
            .iter()
            .any(|e| e.field == "category_code" && e.message.contains("不存在"))
        {
            Code::WorkOrderUnknownCategory
        } else {
            Code::WorkOrderInvalid
        };
        return Err(AppError::invalid(code, first, errors));
    }
    let title = if title.is_empty() {
        description.chars().take(30).collect()
    } else {
        title
    };
    Ok(Checked {
        title,
        description,
        priority,
        channel,
        category,
        lat_lon,
        address,
        reporter,
        photos,
        client_key,
        kind,
        answer,
    })
}

/// How many orders one intake transaction holds at most.
pub(crate) const INTAKE_BATCH: usize = 500;

/// Where a report is: by its coordinates, or by the village or community chosen from the list.
pub(crate) struct Placed {
    pub(crate) place: Place,
    pub(crate) county: Option<String>,
    pub(crate) grid: Option<String>,
    /// The coordinates lie outside the county: the report is taken, for a dispatcher to place.
    pub(crate) outside: bool,
    /// The place's name as found in the address or the description, when that placed it.
    pub(crate) by_text: Option<String>,
}

/// Places a report (intake and the operator's preview alike): the point's grid, village and
/// township when it has them; the chosen village where the point has no village (or there is
/// no point); nothing but a note for a point outside the county. A village code that is not
/// one of the county's is a field error.
pub(crate) fn place_report(
    snapshot: &crate::org::locate::Snapshot,
    lat_lon: Option<(f64, f64)>,
    village_code: Option<&str>,
    texts: &[&str],
) -> AppResult<Placed> {
    let located = lat_lon
        .map(|(la, lo)| snapshot.locate(lo, la))
        .filter(|l| l.matched != Match::OutsideJurisdiction);
    let outside = lat_lon.is_some() && located.is_none();
    let chosen = match village_code.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Some(snapshot.place_of_village(code).ok_or_else(|| {
            AppError::field(
                "village_code",
                Code::WorkOrderInvalid,
                "请从列表中选择所在村（社区）",
            )
        })?),
    };
    let by_point = located.as_ref().map(|l| Place {
        village: l.village.clone().map(|r| (r.code, r.name)),
        township: l.township.clone().map(|r| (r.code, r.name)),
    });
    // Neither a point nor a choice: the place the address (or the description) names.
    let named = if located.is_none() && chosen.is_none() {
        texts.iter().find_map(|t| snapshot.place_in_text(t))
    } else {
        None
    };
    let by_text = named.as_ref().map(|(_, n)| n.clone());
    let place = match (by_point, chosen, named) {
        (Some(p), _, _) if p.village.is_some() => p,
        (_, Some(p), _) => p,
        (Some(p), None, _) => p,
        (None, None, Some((p, _))) => p,
        (None, None, None) => Place::default(),
    };
    // The county of the point, or of the chosen village.
    let county = located
        .as_ref()
        .and_then(|l| l.county.clone())
        .map(|r| r.code)
        .or_else(|| {
            place
                .village
                .as_ref()
                .and_then(|(v, _)| jiceng_core::RegionCode::parse(v).ok())
                .and_then(|v| v.lineage().first().map(|c| c.to_string()))
        });
    Ok(Placed {
        grid: located
            .as_ref()
            .and_then(|l| l.grid.as_ref())
            .map(|g| g.code.clone()),
        place,
        county,
        outside,
        by_text,
    })
}

/// An order checked and located, waiting for the intake writer.
pub struct Intake {
    c: Checked,
    grid_code: Option<String>,
    place: Place,
    county: String,
    actor_name: String,
    /// The reporter's phone, encrypted with the data key.
    phone_enc: String,
    /// The citizen's 查询密码, kept only until the order is stored (as a digest) and the
    /// citizen told; none when staff register a case without a phone, since no one could
    /// receive it (such a case is followed by staff, not tracked by a citizen).
    pin: Option<String>,
    /// Reported at a point outside the county: taken, and left to a dispatcher.
    outside: bool,
}

/// A registered order as the intake writer stored it.
pub struct Created {
    model: work_order::Model,
    units: Vec<assignment::Model>,
    names: std::collections::HashMap<i64, String>,
}

/// The intake queue: orders registered at the same moment share one durable commit.
pub type IntakeQueue = std::sync::Arc<crate::kernel::group_commit::Queue<Intake, Created>>;

pub fn intake_queue() -> IntakeQueue {
    crate::kernel::group_commit::Queue::new(INTAKE_BATCH, |app, jobs| {
        Box::pin(write_intakes(app, jobs))
    })
}

/// Registers an order: classified, located, dispatched and given its deadlines, all in one
/// transaction with its audit entry and the notifications it causes. Answers after the commit
/// is durable.
#[tracing::instrument(skip_all, name = "work_order.create")]
pub async fn create(app: &App, actor: Option<&Actor>, input: NewOrder) -> AppResult<OrderView> {
    if let Some(a @ Actor::User(u)) = actor
        && !u.role.registers_work_orders()
    {
        return Err(audit::deny(app, a, "work_order.create", "work_order", "").await);
    }
    // 直接答复办结 is the hotline's and the dispatchers' to give.
    let answers = input.answer.is_some();
    if answers
        && !matches!(actor, Some(Actor::User(u))
            if jiceng_core::work_order::role_may(u.role, Action::AnswerDirectly))
    {
        return Err(match actor {
            Some(a) => audit::deny(app, a, "work_order.answer_directly", "work_order", "").await,
            None => AppError::field("answer", Code::WorkOrderInvalid, "群众反映不能直接办结"),
        });
    }
    let c = check(app, actor, &input)?;
    let snapshot = crate::org::locate::of(app).snapshot();
    let placed = place_report(
        &snapshot,
        c.lat_lon,
        input.village_code.as_deref(),
        &[&c.address, &c.description],
    )?;
    let county = placed
        .county
        .clone()
        .or_else(|| {
            actor
                .and_then(|a| a.jurisdiction())
                .and_then(|j| j.region.lineage().first().map(|c| c.to_string()))
        })
        .or_else(|| snapshot.first_county())
        .unwrap_or_default();
    let phone_enc = c
        .reporter
        .as_ref()
        .map(|r| app.data_key.seal(r.1.as_str()))
        .unwrap_or_default();
    let pin = (actor.is_none() || c.reporter.is_some()).then(crate::kernel::citizen::new_pin);
    let job = Intake {
        c,
        grid_code: placed.grid,
        place: placed.place,
        county,
        actor_name: actor
            .map(Actor::audit_name)
            .unwrap_or_else(|| "citizen".into()),
        phone_enc,
        pin: pin.clone(),
        outside: placed.outside,
    };
    let created = app.wing::<IntakeQueue>().submit(app, job).await?;
    let mut v = view_with(
        &app.db.conn,
        app,
        &created.model,
        created.units,
        &created.names,
        false,
        actor,
    )
    .await?;
    // The citizen sees the pin once, in this answer; staff who registered a call never do
    // (the reporter gets it by SMS). A retried client key answers with the order stored
    // before, whose pin is another one: it is not shown again.
    if let Some(pin) = pin.filter(|_| actor.is_none()) {
        let stored_now = created.model.pin_digest.as_deref()
            == Some(
                crate::kernel::citizen::pin_digest(&app.data_key, &v.tracking_code, &pin).as_str(),
            );
        if stored_now {
            v.tracking_pin = Some(pin);
        }
    }
    Ok(v)
}

impl Intake {
    /// The order as received, before dispatch.
    pub(crate) fn accepted(
        &self,
        code: &str,
        now: DateTime<Utc>,
        key: &crate::kernel::crypto::DataKey,
    ) -> work_order::ActiveModel {
        let c = &self.c;
        let phone = c.reporter.as_ref().map(|r| &r.1);
        let mut am = work_order::ActiveModel {
            tracking_code: Set(code.to_string()),
            title: Set(c.title.clone()),
            description: Set(c.description.clone()),
            channel: Set(c.channel),
            priority: Set(c.priority),
            category_code: Set(c.category.0.clone()),
            category_confidence: Set((c.category.1 * 1000.0).round() / 1000.0),
            lat: Set(c.lat_lon.map(|x| x.0)),
            lon: Set(c.lat_lon.map(|x| x.1)),
            address: Set(c.address.clone()),
            grid_code: Set(self.grid_code.clone()),
            village_code: Set(self.place.village.as_ref().map(|v| v.0.clone())),
            township_code: Set(self.place.township.as_ref().map(|t| t.0.clone())),
            reporter_name: Set(c.reporter.as_ref().map(|r| r.0.clone()).unwrap_or_default()),
            reporter_phone: Set(phone.map(|p| p.masked()).unwrap_or_default()),
            reporter_phone_last4: Set(phone.map(|p| p.last4().to_string()).unwrap_or_default()),
            anonymous: Set(c.reporter.is_none()),
            status: Set(State::Accepted),
            // Written by `set_flags` below, with the columns the worklists query.
            flags: sea_orm::ActiveValue::NotSet,
            send_back_pending: sea_orm::ActiveValue::NotSet,
            extension_pending: sea_orm::ActiveValue::NotSet,
            returned: sea_orm::ActiveValue::NotSet,
            kind: Set(c.kind.map(|k| k.code().to_string()).unwrap_or_default()),
            lead_unit_id: Set(None),
            list_item_code: Set(String::new()),
            dispatch_reasons: Set("[]".into()),
            dispatched_at: Set(None),
            resolve_started_at: Set(None),
            signed_at: Set(None),
            contacted_at: Set(None),
            replied_at: Set(None),
            closed_at: Set(None),
            sign_by: Set(None),
            contact_by: Set(None),
            resolve_by: Set(None),
            escalation: Set(Level::None),
            next_escalation_at: Set(None),
            master_id: Set(None),
            resolution: Set(String::new()),
            satisfaction: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            reporter_phone_enc: Set(self.phone_enc.clone()),
            reporter_phone_digest: Set(phone
                .map(|p| key.lookup_digest(p.as_str()))
                .unwrap_or_default()),
            client_key: Set(c.client_key.clone()),
            pin_digest: Set(self
                .pin
                .as_ref()
                .map(|pin| crate::kernel::citizen::pin_digest(key, code, pin))),
            // Assigned by the database on insert.
            id: Set(0),
        };
        crate::work_orders::read::set_flags(&mut am, &Flags::default());
        am
    }
}

/// Tracking codes not yet taken, one query for the whole batch.
pub(crate) async fn fresh_codes(txn: &DatabaseTransaction, n: usize) -> AppResult<Vec<String>> {
    crate::kernel::citizen::fresh_codes::<work_order::Entity, _>(
        txn,
        work_order::Column::TrackingCode,
        None,
        n,
    )
    .await
}

/// A message to the reporter of an order, unless anonymous.
pub(crate) fn to_reporter(
    m: &work_order::Model,
    event: &'static str,
    vars: Vec<(&'static str, String)>,
) -> Option<notify::Message> {
    let r = reporter_of(m);
    (!r.is_empty()).then(|| notify::Message::new(r, event, vars).address(&m.reporter_phone_enc))
}

/// Writes a batch of checked orders in one transaction: the orders, their timelines,
/// assignments, audit entries and notifications, each kind in a few multi-row statements.
pub(crate) async fn write_intakes(app: &App, all: &[Intake]) -> AppResult<Vec<Created>> {
    let reference = crate::reference::of(app).get();
    let now = app.now();
    let rules = Rules {
        max_extensions: MAX_EXTENSIONS,
        send_back_open: true,
    };
    let t0 = std::time::Instant::now();
    let txn = app.db.begin_write().await?;
    // A report sent again with its client key is answered with the order registered before.
    let keys: Vec<String> = all.iter().filter_map(|j| j.c.client_key.clone()).collect();
    let known: std::collections::HashSet<String> = if keys.is_empty() {
        Default::default()
    } else {
        work_order::Entity::find()
            .select_only()
            .column(work_order::Column::ClientKey)
            .filter(work_order::Column::ClientKey.is_in(keys))
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect()
    };
    let mut seen = std::collections::HashSet::new();
    let is_new: Vec<bool> = all
        .iter()
        .map(|j| match &j.c.client_key {
            None => true,
            Some(k) => !known.contains(k) && seen.insert(k.clone()),
        })
        .collect();
    let jobs: Vec<&Intake> = all
        .iter()
        .zip(&is_new)
        .filter(|(_, n)| **n)
        .map(|(j, _)| j)
        .collect();
    let data = DispatchData::current(app, &txn).await?;
    let codes = fresh_codes(&txn, jobs.len()).await?;
    let mut rows = Vec::with_capacity(jobs.len());
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (j, code) in jobs.iter().zip(&codes) {
        if j.c.answer.is_some() {
            // 直接答复办结: closed on the call, never dispatched.
            let mut am = j.accepted(code, now, &app.data_key);
            let (s, f) = transition(
                State::Accepted,
                Flags::default(),
                Action::AnswerDirectly,
                rules,
            )
            .map_err(illegal)?;
            am.status = Set(s);
            crate::work_orders::read::set_flags(&mut am, &f);
            am.closed_at = Set(Some(now));
            rows.push(am);
            outcomes.push(None);
            continue;
        }
        let outcome = if j.outside {
            jiceng_core::dispatch::outside_area()
        } else {
            jiceng_core::dispatch::unless_unsure(
                data.plan(&reference, &j.c.category.0, &j.place, &j.county),
                j.c.category.1,
                app.config.auto_dispatch_min_confidence,
            )
        };
        let mut am = j.accepted(code, now, &app.data_key);
        match &outcome {
            Outcome::Dispatch(p) => {
                set_dispatched(
                    &mut am,
                    &reference,
                    State::Accepted,
                    Flags::default(),
                    &j.c.category.0,
                    j.c.priority,
                    p,
                    now,
                    rules,
                )?;
            }
            Outcome::Manual(reasons) => {
                let (s, f) = transition(
                    State::Accepted,
                    Flags::default(),
                    Action::QueueForDispatch,
                    rules,
                )
                .map_err(illegal)?;
                am.status = Set(s);
                crate::work_orders::read::set_flags(&mut am, &f);
                am.dispatch_reasons = Set(serde_json::to_string(reasons).expect("reasons"));
            }
        }
        rows.push(am);
        outcomes.push(Some(outcome));
    }
    let t_plan = t0.elapsed();
    let mut models = Vec::with_capacity(jobs.len());
    for am in rows {
        models.push(am.try_into_model()?);
    }
    let mut ids: std::collections::HashMap<String, i64> =
        std::collections::HashMap::with_capacity(jobs.len());
    for r in
        bulk::insert_models::<work_order::Entity, _>(&txn, &models, "id, tracking_code").await?
    {
        ids.insert(r.try_get("", "tracking_code")?, r.try_get("", "id")?);
    }
    for m in &mut models {
        m.id = ids.remove(&m.tracking_code).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "order {} was not returned by its insert",
                m.tracking_code
            ))
        })?;
    }
    // The cockpit's figures move with the orders, in this transaction.
    crate::work_orders::rollups::added(&txn, &models).await?;
    let t_orders = t0.elapsed();
    let mut events = Vec::with_capacity(jobs.len() * 2);
    let mut assignments = Vec::with_capacity(jobs.len() * 2);
    let mut audits = Vec::with_capacity(jobs.len());
    let mut messages = Vec::with_capacity(jobs.len() * 2);
    for ((j, m), outcome) in jobs.iter().zip(&models).zip(&outcomes) {
        let accepted = State::Accepted.code();
        events.push(event_model(
            m.id,
            now,
            &j.actor_name,
            jiceng_core::work_order::ACCEPT,
            "",
            accepted,
            &format!("{}，{}", j.c.channel.label(), j.c.priority.label()),
        ));
        match outcome {
            None => {
                let answer = j.c.answer.clone().unwrap_or_default();
                events.push(event_model(
                    m.id,
                    now,
                    &j.actor_name,
                    Action::AnswerDirectly.code(),
                    accepted,
                    m.status.code(),
                    &answer,
                ));
                messages.extend(to_reporter(
                    m,
                    "work_order.answered",
                    vec![("查询码", m.tracking_code.clone()), ("答复", answer)],
                ));
            }
            Some(Outcome::Dispatch(p)) => {
                events.push(event_model(
                    m.id,
                    now,
                    &j.actor_name,
                    jiceng_core::work_order::Action::Dispatch.code(),
                    accepted,
                    m.status.code(),
                    &dispatch_note(p),
                ));
                for (unit, role) in planned_units(p) {
                    assignments.push(assignment_row(m.id, unit.id, role, now));
                }
                messages.push(dispatched_message(m, &p.lead));
            }
            Some(Outcome::Manual(reasons)) => events.push(event_model(
                m.id,
                now,
                "system:dispatch",
                jiceng_core::work_order::Action::QueueForDispatch.code(),
                accepted,
                m.status.code(),
                &reasons.join("；"),
            )),
        }
        audits.push((
            j.actor_name.clone(),
            Event::new("work_order.create", "work_order", m.id.to_string()).state(&snapshot_of(m)),
        ));
        messages.extend(
            to_reporter(
                m,
                "work_order.received",
                vec![("查询码", m.tracking_code.clone())],
            )
            .map(|msg| match &j.pin {
                Some(pin) => msg.secret("查询密码", pin.clone()),
                None => msg,
            }),
        );
    }
    bulk::insert_models::<order_event::Entity, _>(&txn, &events, "").await?;
    let mut units: std::collections::HashMap<i64, Vec<assignment::Model>> =
        std::collections::HashMap::new();
    let inserted = bulk::insert_models::<assignment::Entity, _>(
        &txn,
        &assignments,
        "id, order_id, unit_id, role",
    )
    .await?;
    for r in inserted {
        let a = assignment::Model {
            id: r.try_get("", "id")?,
            order_id: r.try_get("", "order_id")?,
            unit_id: r.try_get("", "unit_id")?,
            role: r.try_get("", "role")?,
            active: true,
            reply: String::new(),
            created_at: now,
        };
        units.entry(a.order_id).or_default().push(a);
    }
    let photos: Vec<photo::Model> = jobs
        .iter()
        .zip(&models)
        .flat_map(|(j, m)| {
            j.c.photos.iter().map(|(ct, data)| photo::Model {
                id: 0,
                order_id: m.id,
                event_id: None,
                content_type: ct.clone(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)),
                data: data.clone(),
                uploaded_by: j.actor_name.clone(),
                created_at: now,
            })
        })
        .collect();
    bulk::insert_models::<photo::Entity, _>(&txn, &photos, "").await?;
    let t_rows = t0.elapsed();
    audit::record_batch(&txn, now, audits).await?;
    notify::enqueue_many(&txn, app, now, messages).await?;
    let t_audit = t0.elapsed();
    let repeats: Vec<String> = all
        .iter()
        .zip(&is_new)
        .filter(|(_, n)| !**n)
        .filter_map(|(j, _)| j.c.client_key.clone())
        .collect();
    let mut before: std::collections::HashMap<String, Created> = Default::default();
    if !repeats.is_empty() {
        let found = work_order::Entity::find()
            .filter(work_order::Column::ClientKey.is_in(repeats))
            .all(&txn)
            .await?;
        let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
        let (mut by_order, names) = load_units(&txn, &ids).await?;
        for model in found {
            let units = by_order.remove(&model.id).unwrap_or_default();
            let key = model.client_key.clone().unwrap_or_default();
            before.insert(
                key,
                Created {
                    model,
                    units,
                    names: names.clone(),
                },
            );
        }
    }
    txn.commit().await?;
    tracing::debug!(orders = jobs.len(), plan = ?t_plan, orders_inserted = ?t_orders, rows = ?t_rows, audit_outbox = ?t_audit, committed = ?t0.elapsed(), "intake batch");
    let mut fresh = models.into_iter().map(|model| {
        let mut units = units.remove(&model.id).unwrap_or_default();
        units.sort_by_key(|a| a.id);
        let names = units
            .iter()
            .filter_map(|a| Some((a.unit_id, data.unit_name(a.unit_id)?.to_string())))
            .collect();
        Created {
            model,
            units,
            names,
        }
    });
    let mut out = Vec::with_capacity(all.len());
    for (j, new) in all.iter().zip(is_new) {
        let c = if new {
            fresh.next()
        } else {
            j.c.client_key.as_ref().and_then(|k| {
                before.get(k).map(|c| Created {
                    model: c.model.clone(),
                    units: c.units.clone(),
                    names: c.names.clone(),
                })
            })
        };
        out.push(
            c.ok_or_else(|| AppError::internal(anyhow::anyhow!("intake batch lost an order")))?,
        );
    }
    Ok(out)
}
