//! Pages of 接诉即办: the board, an order with its actions, intake for staff and citizens, the
//! dispatcher's queue, and citizens' tracking with the callback rating.

use crate::error::AppError;
use crate::error::Code;
use crate::kernel::app::App;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::web::Chrome;
use crate::web::FormState;
use crate::web::PageResult;
use crate::web::WebUser;
use crate::web::check_public_csrf;
use crate::web::chrome;
use crate::web::field;
use crate::web::form_csrf;
use crate::web::page_chrome;
use crate::web::pager;
use crate::web::public_csrf;
use crate::web::render;
use crate::web::with_cookie;
use crate::work_orders;
use crate::work_orders::actions::ActionInput;
use crate::work_orders::model::NewOrder;
use crate::work_orders::model::Reporter;
use crate::work_orders::read::OrderFilter;
use crate::work_orders::read::OrderView;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiceng_core::clock::{format_due, format_local};
use jiceng_core::sla::Priority;
use jiceng_core::work_order::{Action, State as OrderState};
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/work-orders", get(board))
        .route("/worklist", get(worklist))
        .route("/work-orders/queue", get(queue))
        .route("/work-orders/new", get(new_page).post(new_submit))
        .route("/work-orders/{id}", get(detail))
        .route("/work-orders/{id}/act", get(act_get).post(act))
        .route("/report", get(report_page).post(report_submit))
        .route("/track", get(track_page).post(track_lookup))
        .route("/track/rate", post(rate))
        .route("/rankings", get(rankings))
        .route("/supervision", get(supervision))
        .route("/supervision-notices/{id}", get(notice_page))
        .route("/supervision/bulletin", get(bulletin_page))
        .route("/admin/outbox", get(outbox_page))
        .route("/admin/templates", get(templates_page))
        .route(
            "/admin/categories",
            get(categories_page).post(save_category),
        )
        .route(
            "/admin/templates/{event}",
            axum::routing::post(save_template),
        )
}

pub struct Row {
    id: i64,
    code: String,
    title: String,
    category: String,
    place: String,
    lead: String,
    status: &'static str,
    due: String,
    light: &'static str,
    light_label: &'static str,
}

/// Traffic light of an order: its escalation level, or green while in time.
fn light(o: &OrderView) -> (&'static str, &'static str) {
    match o.escalation.level.as_str() {
        _ if OrderState::parse(&o.status).is_some_and(|s| s.is_final()) => ("none", "已结束"),
        "supervised" => ("supervised", "督办"),
        "red" => ("red", "已超期"),
        "yellow" => ("yellow", "即将超期"),
        _ => ("green", "正常"),
    }
}

fn row(o: &OrderView) -> Row {
    let (light, light_label) = light(o);
    let due = match OrderState::parse(&o.status) {
        Some(OrderState::PendingSign) => o.deadlines.sign_by,
        _ => o.deadlines.resolve_by,
    };
    Row {
        id: o.id,
        code: o.tracking_code.clone(),
        title: o.title.clone(),
        category: o
            .category
            .name
            .rsplit(" / ")
            .next()
            .unwrap_or("")
            .to_string(),
        place: o
            .location
            .township
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_else(|| o.address.clone()),
        lead: o
            .dispatch
            .lead
            .as_ref()
            .map(|l| l.name.clone())
            .unwrap_or_else(|| "待派单".into()),
        status: o.status_label,
        due: due.map(format_due).unwrap_or_default(),
        light,
        light_label,
    }
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPage {
    chrome: Chrome,
    greeting: String,
    role_label: &'static str,
    scope_name: String,
    kinds: Vec<crate::work_orders::worklist::KindCount>,
    current: &'static str,
    label: &'static str,
    rows: Vec<Row>,
    pager: crate::web::Pager,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct WorklistQuery {
    kind: String,
    page: u64,
}

/// 我的待办: the account's worklist as its home page — kinds with counts as tabs, one page of
/// the chosen kind, soonest deadline first.
pub(crate) async fn worklist_page(app: &App, user: &WebUser, q: WorklistQuery) -> PageResult {
    let actor = user.actor();
    let w = crate::work_orders::worklist::worklist(
        app,
        &actor,
        Some(&q.kind),
        PageParams {
            page: q.page.max(1),
            per_page: 50,
        },
    )
    .await
    .map_err(|e| user.fail(app, e))?;
    let u = &user.0;
    let page: Page<()> = Page {
        items: Vec::new(),
        total: w.total,
        page: w.page,
        per_page: w.per_page,
    };
    let current = w.kind.unwrap_or("");
    let scope_name = crate::org::locate::of(app)
        .snapshot()
        .region_name(u.jurisdiction.region.as_str())
        .unwrap_or_default();
    let view = WorklistPage {
        chrome: page_chrome(app, u, "/"),
        greeting: format!("您好，{}", u.display_name),
        role_label: u.role.label(),
        scope_name,
        pager: pager(&page, &[("kind", current)]),
        rows: w.items.iter().map(row).collect(),
        kinds: w.kinds,
        current,
        label: w.label,
    };
    Ok(render(StatusCode::OK, &view))
}

async fn worklist(
    State(app): State<App>,
    user: WebUser,
    Query(q): Query<WorklistQuery>,
) -> PageResult {
    worklist_page(&app, &user, q).await
}

#[derive(Template)]
#[template(path = "work_orders.html")]
struct BoardPage {
    chrome: Chrome,
    /// Whether the account registers orders (the 登记诉求 button).
    can_register: bool,
    heading: &'static str,
    rows: Vec<Row>,
    pager: crate::web::Pager,
    states: Vec<(&'static str, &'static str)>,
    status: String,
    q: String,
    overdue: bool,
}

fn states() -> Vec<(&'static str, &'static str)> {
    OrderState::ALL
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect()
}

async fn board(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<OrderFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let page = work_orders::list(&app, &user.actor(), &f, p)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let status = f.status.clone().unwrap_or_default();
    let q = f.q.clone().unwrap_or_default();
    let overdue = f.overdue == Some(true);
    let view = BoardPage {
        can_register: user.0.role.registers_work_orders(),
        chrome: page_chrome(&app, &user.0, "/work-orders"),
        heading: "工单",
        rows: page.items.iter().map(row).collect(),
        pager: pager(
            &page,
            &[
                ("status", &status),
                ("q", &q),
                ("overdue", if overdue { "true" } else { "" }),
            ],
        ),
        states: states(),
        status,
        q,
        overdue,
    };
    Ok(render(StatusCode::OK, &view))
}

/// The dispatcher's queue: orders waiting for a dispatch, a send-back decision or an extension.
/// The old dispatch board: the worklist now holds what it held, without its caps.
async fn queue(_user: WebUser) -> Redirect {
    Redirect::to("/worklist")
}

#[derive(Template)]
#[template(path = "work_order.html")]
struct DetailPage {
    chrome: Chrome,
    o: OrderView,
    priority: &'static str,
    channel: &'static str,
    confidence: String,
    place: String,
    sign_by: String,
    resolve_by: String,
    /// Categories to correct the order's to, by name (when a dispatch is offered).
    categories: Vec<(String, String)>,
    /// (action code, label, needs a note, turns work back: behind a confirmation)
    actions: Vec<(String, &'static str, bool, bool)>,
    /// Units to offer first when choosing one: those on the order now.
    suggested: Vec<(i64, String)>,
    units: Vec<(i64, String)>,
    timeline: Vec<(String, String, String, &'static str, String)>,
    message: Option<String>,
    ok: bool,
    /// The grids around the place reported, with the place marked.
    map: Option<crate::org::pages::SvgMap>,
    /// (url, caption)
    photos: Vec<(String, String)>,
    /// Whether this user may see the reporter's full number.
    may_reveal: bool,
}

fn action_code(a: Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

async fn detail_view(
    app: &App,
    user: &WebUser,
    id: i64,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> PageResult {
    let o = work_orders::get(app, &user.actor(), id)
        .await
        .map_err(|e| user.fail(app, e))?;
    let actions = o
        .allowed_actions
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            (
                action_code(a),
                a.label(),
                !matches!(
                    a,
                    Action::Sign | Action::ApproveReply | Action::ApproveExtension | Action::Urge
                ),
                jiceng_core::work_order::is_destructive(a),
            )
        })
        .collect::<Vec<_>>();
    let needs_units = actions
        .iter()
        .any(|a| a.0 == "dispatch" || a.0 == "accept_send_back");
    let units = if needs_units {
        let f = crate::org::departments::DepartmentFilter::default();
        crate::org::departments::list_departments(
            app,
            &user.actor(),
            &f,
            PageParams {
                page: 1,
                per_page: 500,
            },
        )
        .await
        .map_err(|e| user.fail(app, e))?
        .items
        .into_iter()
        .filter(|d| d.active)
        .map(|d| (d.id, d.name))
        .collect()
    } else {
        Vec::new()
    };
    let timeline = o
        .timeline
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            (
                format_local(e.time),
                e.label,
                e.actor_name,
                OrderState::parse(&e.to_status)
                    .map(|s| s.label())
                    .unwrap_or(""),
                e.note,
            )
        })
        .collect();
    let place = [
        o.location.township.as_ref(),
        o.location.village.as_ref(),
        o.location.grid.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|r| r.name.clone())
    .collect::<Vec<_>>()
    .join(" / ");
    let map = match (o.location.lon, o.location.lat) {
        (Some(lon), Some(lat)) => {
            let grids = crate::org::locate::of(app)
                .snapshot()
                .grids_near(lon, lat, 600.0);
            (!grids.is_empty()).then(|| {
                crate::org::pages::svg_map_around(
                    &grids,
                    Some((lon, lat)),
                    o.location.grid.as_ref().map(|g| g.code.as_str()),
                )
            })
        }
        _ => None,
    };
    let (mut reported, mut handled) = (0, 0);
    let photos = o
        .photos
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let caption = if p.event_id.is_none() {
                reported += 1;
                format!("反映照片 {reported}")
            } else {
                handled += 1;
                format!("办理照片 {handled}")
            };
            (p.url, caption)
        })
        .collect();
    let suggested: Vec<(i64, String)> = o
        .dispatch
        .lead
        .iter()
        .chain(o.dispatch.assisting.iter())
        .map(|u| (u.unit_id, u.name.clone()))
        .collect();
    let page = DetailPage {
        categories: if needs_units {
            crate::reference::of(app).get().categories.choices()
        } else {
            Vec::new()
        },
        suggested,
        chrome: page_chrome(app, &user.0, "/work-orders"),
        priority: Priority::parse(&o.priority)
            .map(|p| p.label())
            .unwrap_or(""),
        channel: work_orders::Channel::parse(&o.channel)
            .map(|c| c.label())
            .unwrap_or(""),
        confidence: format!("{:.0}%", o.category.confidence * 100.0),
        place,
        sign_by: o.deadlines.sign_by.map(format_due).unwrap_or_default(),
        resolve_by: o.deadlines.resolve_by.map(format_due).unwrap_or_default(),
        actions,
        units,
        timeline,
        message,
        ok,
        map,
        photos,
        may_reveal: jiceng_core::work_order::may_reveal_phone(user.0.role),
        o,
    };
    Ok(render(status, &page))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    /// The action just taken (its code), after the redirect that follows a form.
    done: String,
}

async fn detail(
    State(app): State<App>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> PageResult {
    // The message is the action's label, never text taken from the address.
    let done = Action::ALL
        .into_iter()
        .find(|a| a.code() == q.done)
        .map(|a| format!("已{}", a.label()));
    let ok = done.is_some();
    detail_view(&app, &user, id, done, ok, StatusCode::OK).await
}

/// The form's address asked for by a browser (a refresh after an error, a bookmark): the
/// order itself.
async fn act_get(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/work-orders/{id}"))
}

fn enum_of<T: serde::de::DeserializeOwned>(form: &HashMap<String, String>, k: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(field(form, k))).ok()
}

fn parse_action(form: &HashMap<String, String>) -> Result<ActionInput, AppError> {
    let action: Action = serde_json::from_value(serde_json::Value::String(field(form, "action")))
        .map_err(|_| AppError::new(Code::WorkOrderBadAction, "未知的操作"))?;
    let num = |k: &str| field(form, k).trim().parse::<i64>().ok();
    Ok(ActionInput {
        action,
        note: field(form, "note"),
        unit_id: num("unit_id"),
        assisting: Vec::new(),
        days: num("days").map(|d| d.clamp(0, u32::MAX as i64) as u32),
        master_id: num("master_id"),
        resolution: enum_of(form, "resolution"),
        satisfaction: enum_of(form, "satisfaction"),
        category_code: Some(field(form, "category_code")).filter(|c| !c.trim().is_empty()),
        photos: serde_json::from_str(&field(form, "photos")).unwrap_or_default(),
    })
}

async fn act(
    State(app): State<App>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let mut input = parse_action(&form)?;
    // A merge names its master by tracking code, as people know it.
    let master_code = field(&form, "master_code");
    if input.action == Action::Merge && !master_code.trim().is_empty() {
        match work_orders::id_by_code(&app, &user.actor(), &master_code).await {
            Ok(m) => input.master_id = Some(m),
            Err(e) if e.is_internal() => return Err(user.fail(&app, e)),
            Err(_) => {
                return detail_view(
                    &app,
                    &user,
                    id,
                    Some(format!("没有查询码为 {} 的工单", master_code.trim())),
                    false,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    }
    let action = input.action;
    match work_orders::apply(&app, &user.actor(), id, input).await {
        // Post, redirect, get: a refresh shows the order again instead of acting twice.
        Ok(v) => {
            // A 督办单 is printed next.
            let notice = v.supervision_notices.as_ref().and_then(|l| l.last());
            let to = match notice {
                Some(n) if action == Action::Supervise => n.url.clone(),
                _ => format!("/work-orders/{id}?done={}", action.code()),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) if e.is_internal() || e.status() == StatusCode::NOT_FOUND => Err(user.fail(&app, e)),
        Err(e) => detail_view(&app, &user, id, Some(e.message.clone()), false, e.status()).await,
    }
}

#[derive(Template)]
#[template(path = "new_work_order.html")]
struct NewPage {
    chrome: Chrome,
    /// 诉求类型 choices.
    kinds: Vec<(&'static str, &'static str)>,
    heading: &'static str,
    action: &'static str,
    staff: bool,
    priorities: Vec<(&'static str, &'static str)>,
    /// The villages and communities by township, to choose a place without coordinates.
    villages: Vec<(String, Vec<(String, String)>)>,
    /// Photos already attached (kept across a refused submit).
    photo_count: usize,
    /// Categories to choose by name (staff).
    categories: Vec<(String, String)>,
    /// The county's grids, to pick the place with a tap.
    map: Option<crate::org::pages::SvgMap>,
    form: FormState,
}

fn new_page_view(app: &App, chrome: Chrome, staff: bool, form: FormState) -> NewPage {
    let photo_count = serde_json::from_str::<Vec<String>>(form.value("photos"))
        .map(|p| p.len())
        .unwrap_or(0);
    NewPage {
        kinds: jiceng_core::work_order::RequestKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        villages: crate::org::locate::of(app)
            .snapshot()
            .villages_by_township(),
        photo_count,
        map: {
            let grids = crate::org::locate::of(app).snapshot().all_grids();
            (!grids.is_empty()).then(|| crate::org::pages::svg_map(&grids, None))
        },
        categories: if staff {
            crate::reference::of(app).get().categories.choices()
        } else {
            Vec::new()
        },
        chrome,
        heading: if staff {
            "登记诉求"
        } else {
            "我要反映问题"
        },
        action: if staff { "/work-orders/new" } else { "/report" },
        staff,
        priorities: Priority::ALL
            .iter()
            .rev()
            .map(|p| (p.code(), p.label()))
            .collect(),
        form,
    }
}

async fn new_page(
    State(app): State<App>,
    user: WebUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    if !user.0.role.registers_work_orders() {
        return Err(user.fail(
            &app,
            crate::kernel::audit::deny(&app, &user.actor(), "work_order.create", "work_order", "")
                .await,
        ));
    }
    // After 保存并登记下一件: what was registered, checked against the store (never text from
    // the address shown as is).
    let registered = field(&q, "registered");
    let mut form = FormState::default();
    if !registered.is_empty()
        && work_orders::id_by_code(&app, &user.actor(), &registered)
            .await
            .is_ok()
    {
        form.message = Some(format!(
            "已登记，查询码 {}。请登记下一件。",
            registered.trim().to_uppercase()
        ));
        form.ok = true;
    }
    Ok(render(
        StatusCode::OK,
        &new_page_view(&app, page_chrome(&app, &user.0, "/work-orders"), true, form),
    ))
}

fn order_from_form(form: &HashMap<String, String>, staff: bool) -> NewOrder {
    let num = |k: &str| field(form, k).trim().parse::<f64>().ok();
    let anonymous = field(form, "anonymous") == "true";
    let name = field(form, "reporter_name");
    let phone = field(form, "reporter_phone");
    NewOrder {
        title: None,
        description: field(form, "description"),
        lat: num("lat"),
        lon: num("lon"),
        address: Some(field(form, "address")),
        village_code: Some(field(form, "village_code")),
        kind: Some(field(form, "kind")),
        category_code: if staff {
            Some(field(form, "category_code"))
        } else {
            None
        },
        priority: if staff {
            Some(field(form, "priority"))
        } else {
            None
        },
        channel: None,
        reporter: if anonymous && name.trim().is_empty() && phone.trim().is_empty() {
            None
        } else {
            Some(Reporter { name, phone })
        },
        anonymous,
        // Filled by the page's script: the photos, shrunk in the browser, as a JSON list.
        photos: serde_json::from_str(&field(form, "photos")).unwrap_or_default(),
        client_key: Some(field(form, "client_key")),
        answer: if staff && field(form, "answer_directly") == "1" {
            Some(field(form, "answer"))
        } else {
            None
        },
    }
}

async fn new_submit(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let next = field(&form, "next") == "1";
    match work_orders::create(&app, Some(&user.actor()), order_from_form(&form, true)).await {
        // 保存并登记下一件: a fresh form, saying what was just registered.
        Ok(o) if next => Ok(Redirect::to(&format!(
            "/work-orders/new?registered={}",
            o.tracking_code
        ))
        .into_response()),
        Ok(o) => Ok(Redirect::to(&format!("/work-orders/{}", o.id)).into_response()),
        Err(e) if e.is_internal() => Err(user.fail(&app, e)),
        Err(e) => Ok(render(
            e.status(),
            &new_page_view(
                &app,
                page_chrome(&app, &user.0, "/work-orders"),
                true,
                FormState::from_error(form, &e),
            ),
        )),
    }
}

/// The anonymous CSRF token of public forms (double-submit cookie), and the cookie to set.
async fn report_page(State(app): State<App>, headers: HeaderMap) -> PageResult {
    let (token, cookie) = public_csrf(&app, &headers);
    let page = new_page_view(
        &app,
        chrome(&app, None, "/report", token),
        false,
        FormState::default(),
    );
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

async fn report_submit(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_public_csrf(&headers, &form)?;
    let (token, _) = public_csrf(&app, &headers);
    if let Err(e) = crate::web::extract::citizen_allowance(&app, &headers, peer) {
        return Ok(render(
            e.status(),
            &new_page_view(
                &app,
                chrome(&app, None, "/report", token),
                false,
                FormState::from_error(form, &e),
            ),
        ));
    }
    match work_orders::create(&app, None, order_from_form(&form, false)).await {
        Ok(o) => {
            // The confirmation is this page, not a redirect: the pin never goes into a URL,
            // and is shown this once.
            let pin = o.tracking_pin.clone().unwrap_or_default();
            let message = if pin.is_empty() {
                format!(
                    "您的诉求此前已提交并受理，查询码 {}；查询密码已在首次提交时告知。",
                    o.tracking_code
                )
            } else {
                "您的诉求已受理，我们会尽快办理。".to_string()
            };
            let sms = o.reporter.is_some();
            let code = o.tracking_code.clone();
            let mut page = track_view(
                &app,
                token,
                o.tracking_code,
                pin.clone(),
                Some(message),
                true,
            )
            .await;
            if !pin.is_empty() {
                page.issued = Some((code, pin, sms));
            }
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) if e.is_internal() => Err(e.into()),
        Err(e) => Ok(render(
            e.status(),
            &new_page_view(
                &app,
                chrome(&app, None, "/report", token),
                false,
                FormState::from_error(form, &e),
            ),
        )),
    }
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    chrome: Chrome,
    /// Just registered: the code and pin shown large, once, and whether an SMS carries them.
    issued: Option<(String, String, bool)>,
    /// The unit's photos of what it did, as data URLs.
    reply_photos: Vec<String>,
    code: String,
    pin: String,
    order: Option<OrderView>,
    resolve_by: String,
    timeline: Vec<(String, String, String)>,
    can_rate: bool,
    message: Option<String>,
    ok: bool,
}

async fn track_view(
    app: &App,
    token: String,
    code: String,
    pin: String,
    message: Option<String>,
    ok: bool,
) -> TrackPage {
    let mut page = TrackPage {
        issued: None,
        reply_photos: Vec::new(),
        chrome: chrome(app, None, "/track", token),
        code,
        pin,
        order: None,
        resolve_by: String::new(),
        timeline: Vec::new(),
        can_rate: false,
        message,
        ok,
    };
    if page.code.is_empty() || page.pin.is_empty() {
        return page;
    }
    match work_orders::track(app, &page.code, &page.pin).await {
        Ok(o) => {
            page.resolve_by = o.deadlines.resolve_by.map(format_local).unwrap_or_default();
            page.timeline = o
                .timeline
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (format_local(e.time), e.label, e.note))
                .collect();
            page.can_rate = o.status == OrderState::PendingCallback.code();
            // What the unit did, as it photographed it (inline: the pin never goes in a URL).
            use base64::Engine;
            page.reply_photos = crate::work_orders::read::reply_photos(app, o.id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(ct, data)| {
                    format!(
                        "data:{ct};base64,{}",
                        base64::engine::general_purpose::STANDARD.encode(data)
                    )
                })
                .collect();
            page.order = Some(o);
        }
        Err(e) => {
            page.message = Some(e.message);
            page.ok = false;
        }
    }
    page
}

/// The tracking form; a code in the address fills it in (the pin is never taken from one).
async fn track_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let (token, cookie) = public_csrf(&app, &headers);
    let page = track_view(&app, token, field(&q, "code"), String::new(), None, true).await;
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

/// The citizen's code and pin, posted: the order's progress.
async fn track_lookup(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_public_csrf(&headers, &form)?;
    crate::web::extract::citizen_lookup(&app, &headers, peer)?;
    let (token, cookie) = public_csrf(&app, &headers);
    let page = track_view(
        &app,
        token,
        field(&form, "code"),
        field(&form, "pin"),
        None,
        true,
    )
    .await;
    Ok(with_cookie(render(StatusCode::OK, &page), cookie))
}

async fn rate(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_public_csrf(&headers, &form)?;
    crate::web::extract::citizen_lookup(&app, &headers, peer)?;
    let (token, _) = public_csrf(&app, &headers);
    let (Some(r), Some(s)) = (enum_of(&form, "resolution"), enum_of(&form, "satisfaction")) else {
        return Err(AppError::new(Code::WorkOrderBadRating, "请选择解决情况和满意度").into());
    };
    let (code, pin) = (field(&form, "code"), field(&form, "pin"));
    let (message, ok) = match work_orders::citizen_callback(&app, &code, &pin, r, s).await {
        Ok(_) => ("感谢您的评价！".to_string(), true),
        Err(e) if e.is_internal() => return Err(e.into()),
        Err(e) => (e.message, false),
    };
    Ok(render(
        StatusCode::OK,
        &track_view(&app, token, code, pin, Some(message), ok).await,
    ))
}

pub struct RankRow {
    rank: usize,
    name: String,
    orders: u64,
    response: String,
    resolution: String,
    satisfaction: String,
    composite: String,
    on_time: String,
    hours: String,
    send_back: String,
}

#[derive(Template)]
#[template(path = "rankings.html")]
struct RankingsPage {
    chrome: Chrome,
    group_by: &'static str,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<RankRow>,
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// 排名: units, townships or categories ranked by the composite score.
async fn rankings(
    State(app): State<App>,
    user: WebUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    use crate::work_orders::metrics::{GroupBy, MetricsQuery, work_order_metrics};
    let (group_by, key) = match q.get("group_by").map(String::as_str) {
        Some("township") => (GroupBy::Township, "township"),
        Some("category") => (GroupBy::Category, "category"),
        _ => (GroupBy::Unit, "unit"),
    };
    let m = work_order_metrics(
        &app,
        &user.actor(),
        &MetricsQuery {
            group_by,
            from: None,
            to: None,
        },
    )
    .await
    .map_err(|e| user.fail(&app, e))?;
    let rows = m
        .groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let x = g.metrics;
            RankRow {
                rank: i + 1,
                name: g.name,
                orders: x.orders,
                response: pct(x.response_rate),
                resolution: pct(x.resolution_rate),
                satisfaction: pct(x.satisfaction_rate),
                composite: x
                    .composite
                    .map(|c| format!("{:.1}", c * 100.0))
                    .unwrap_or_else(|| "—".into()),
                on_time: pct(x.on_time_rate),
                hours: x
                    .average_handling_hours
                    .map(|h| format!("{h:.1}"))
                    .unwrap_or_else(|| "—".into()),
                send_back: pct(x.send_back_rate),
            }
        })
        .collect();
    let page = RankingsPage {
        chrome: page_chrome(&app, &user.0, "/rankings"),
        group_by: key,
        tabs: vec![
            ("unit", "按单位"),
            ("township", "按乡镇（街道）"),
            ("category", "按分类"),
        ],
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    rows: Vec<crate::notify::MessageView>,
    pager: crate::web::Pager,
}

/// Notifications sent (or waiting), for admins: the demo's `log` channel shows up here.
async fn outbox_page(
    State(app): State<App>,
    user: WebUser,
    Query(p): Query<PageParams>,
) -> PageResult {
    let page = crate::notify::page(&app, &user.actor(), None, p)
        .await
        .map_err(|e| user.fail(&app, e))?;
    Ok(render(
        StatusCode::OK,
        &OutboxPage {
            chrome: page_chrome(&app, &user.0, "/admin/outbox"),
            pager: pager(&page, &[]),
            rows: page.items,
        },
    ))
}

#[derive(Template)]
#[template(path = "categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    items: Vec<crate::reference::CategoryView>,
    form: crate::web::FormState,
}

fn categories_view(app: &App, user: &WebUser, form: crate::web::FormState) -> CategoriesPage {
    CategoriesPage {
        chrome: page_chrome(app, &user.0, "/admin/categories"),
        items: crate::reference::of(app)
            .get()
            .categories
            .all()
            .into_iter()
            .cloned()
            .collect(),
        form,
    }
}

async fn categories_page(State(app): State<App>, headers: HeaderMap, user: WebUser) -> PageResult {
    if !user.actor().is_deployment_admin() {
        return Err(user.fail(
            &app,
            crate::kernel::audit::deny(&app, &user.actor(), "category.list", "category", "").await,
        ));
    }
    let (form, clear) = crate::web::take_flash(&app, &headers);
    Ok(with_cookie(
        render(StatusCode::OK, &categories_view(&app, &user, form)),
        clear,
    ))
}

async fn save_category(
    State(app): State<App>,
    headers: HeaderMap,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    crate::web::form_csrf(&user, &form)?;
    let input = crate::reference::CategoryInput {
        name: field(&form, "name"),
        keywords: field(&form, "keywords"),
        active: field(&form, "inactive") != "true",
    };
    let code = field(&form, "code");
    let result = crate::reference::set_category(&app, &user.actor(), &code, input).await;
    let (state, status) = crate::web::outcome(form, result, |c| format!("已保存分类：{}", c.path))
        .map_err(|e| user.fail(&app, e))?;
    if state.ok {
        let m = state.message.unwrap_or_default();
        return Ok(crate::web::saved_redirect(
            &app,
            &headers,
            "/admin/categories",
            &m,
        ));
    }
    Ok(render(status, &categories_view(&app, &user, state)))
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage {
    chrome: Chrome,
    items: Vec<crate::notify::TemplateView>,
    message: Option<String>,
    ok: bool,
}

async fn templates_view(
    app: &App,
    user: &WebUser,
    message: Option<String>,
    ok: bool,
    status: StatusCode,
) -> PageResult {
    let items = crate::notify::templates(app, &user.actor())
        .await
        .map_err(|e| user.fail(app, e))?;
    Ok(render(
        status,
        &TemplatesPage {
            chrome: page_chrome(app, &user.0, "/admin/templates"),
            items,
            message,
            ok,
        },
    ))
}

async fn templates_page(State(app): State<App>, headers: HeaderMap, user: WebUser) -> PageResult {
    let (form, clear) = crate::web::take_flash(&app, &headers);
    Ok(with_cookie(
        templates_view(&app, &user, form.message, form.ok, StatusCode::OK).await?,
        clear,
    ))
}

async fn save_template(
    State(app): State<App>,
    headers: HeaderMap,
    user: WebUser,
    Path(event): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    crate::web::form_csrf(&user, &form)?;
    let input = (field(&form, "op") != "reset").then(|| crate::notify::TemplateInput {
        subject: field(&form, "subject"),
        body: field(&form, "body"),
    });
    match crate::notify::set_template(&app, &user.actor(), &event, input).await {
        Ok(t) => Ok(crate::web::saved_redirect(
            &app,
            &headers,
            "/admin/templates",
            &format!("已保存：{}", t.label),
        )),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::FORBIDDEN => {
            templates_view(&app, &user, Some(e.message.clone()), false, e.status()).await
        }
        Err(e) => Err(user.fail(&app, e)),
    }
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct SupervisionPage {
    chrome: Chrome,
    units: Vec<crate::work_orders::escalation::UnitOverdue>,
    /// The unit chosen (its id), if one is.
    unit: Option<i64>,
    /// Each late order, the whole days it is past its resolve deadline, and whether its unit
    /// still owes the work (and so may be pressed).
    rows: Vec<(Row, i64, bool)>,
    pager: crate::web::Pager,
    /// Whether the account may press a unit (催办, 督办单).
    can_urge: bool,
    townships: Vec<(String, String)>,
    township: String,
    /// At least this many days late ("" for any).
    days: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SupervisionQuery {
    township: String,
    /// A lead unit's late orders only.
    unit: Option<i64>,
    /// At least this many days past the resolve deadline.
    days: Option<u32>,
    page: u64,
}

/// 督查督办 board: overdue orders per unit, and the orders themselves.
async fn supervision(
    State(app): State<App>,
    user: WebUser,
    Query(q): Query<SupervisionQuery>,
) -> PageResult {
    let actor = user.actor();
    let units = crate::work_orders::escalation::overdue_by_unit(&app, Some(&actor))
        .await
        .map_err(|e| user.fail(&app, e))?;
    // Open orders past their deadline or under supervision, a page at a time (no cap).
    let f = OrderFilter {
        overdue: Some(true),
        open: Some(true),
        township: Some(q.township.clone()),
        unit: q.unit,
        overdue_days: q.days,
        sort: Some("deadline".into()),
        ..Default::default()
    };
    let page = work_orders::list(
        &app,
        &actor,
        &f,
        PageParams {
            page: q.page.max(1),
            per_page: 50,
        },
    )
    .await
    .map_err(|e| user.fail(&app, e))?;
    let snapshot = crate::org::locate::of(&app).snapshot();
    let townships = snapshot
        .townships_in(&user.0.jurisdiction)
        .into_iter()
        .collect();
    Ok(render(
        StatusCode::OK,
        &SupervisionPage {
            chrome: page_chrome(&app, &user.0, "/supervision"),
            units,
            rows: page
                .items
                .iter()
                .map(|o| {
                    let late = o
                        .deadlines
                        .resolve_by
                        .map(|due| jiceng_core::supervision::days_overdue(due, app.now()))
                        .unwrap_or(0);
                    let owes = OrderState::parse(&o.status).is_some_and(|s| s.unit_owes_work());
                    (row(o), late, owes)
                })
                .collect(),
            pager: pager(
                &page,
                &[
                    ("township", &q.township),
                    ("unit", &q.unit.map(|u| u.to_string()).unwrap_or_default()),
                    ("days", &q.days.map(|d| d.to_string()).unwrap_or_default()),
                ],
            ),
            days: q.days.map(|d| d.to_string()).unwrap_or_default(),
            unit: q.unit,
            can_urge: jiceng_core::work_order::role_may(user.0.role, Action::Urge),
            townships,
            township: q.township,
        },
    ))
}

#[derive(Template)]
#[template(path = "supervision_notice.html")]
struct NoticePage {
    county: String,
    n: crate::work_orders::supervision::NoticeView,
    o: OrderView,
    /// The order's deadline and how late it was when the notice was issued.
    resolve_by: String,
    late_days: i64,
}

/// A 督办单, printable: for whoever sees its order (the supervisor who issues it, the unit
/// that receives it).
async fn notice_page(State(app): State<App>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    let (n, o) = crate::work_orders::supervision::get(&app, &user.actor(), id)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let late_days = o
        .deadlines
        .resolve_by
        .map(|due| jiceng_core::supervision::days_overdue(due, n.issued_at))
        .unwrap_or(0);
    Ok(render(
        StatusCode::OK,
        &NoticePage {
            county: crate::org::locate::of(&app).snapshot().county_name(),
            resolve_by: o.deadlines.resolve_by.map(format_due).unwrap_or_default(),
            late_days,
            n,
            o,
        },
    ))
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    chrome: Chrome,
    week: jiceng_core::supervision::Week,
    text: String,
}

/// The week's 通报, drafted from the figures for the supervisor to edit, copy and print.
async fn bulletin_page(State(app): State<App>, user: WebUser) -> PageResult {
    let (week, text) = crate::work_orders::supervision::bulletin(&app, &user.actor())
        .await
        .map_err(|e| user.fail(&app, e))?;
    Ok(render(
        StatusCode::OK,
        &BulletinPage {
            chrome: page_chrome(&app, &user.0, "/supervision"),
            week,
            text,
        },
    ))
}
