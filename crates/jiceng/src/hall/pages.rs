//! Pages of 一窗受理: the window clerk's page (queue and intake), applications with their back
//! office actions, the printable receipt and notices, the hall display, the kiosk, the
//! citizen's tracking and rating page, rectifications and the 办不成事 desk. The forms post
//! JSON to the API (`/static/service.js`); the pages themselves are rendered here.

use crate::error::AppError;
use crate::error::Code;
use crate::hall::applications;
use crate::hall::applications::model::ApplicationSummary;
use crate::hall::applications::model::ApplicationView;
use crate::hall::applications::read::ListFilter;
use crate::hall::catalog;
use crate::hall::catalog::MatterFilter;
use crate::hall::catalog::MatterSummary;
use crate::hall::desk;
use crate::hall::desk::DeskFilter;
use crate::hall::desk::DeskView;
use crate::hall::queue;
use crate::hall::queue::GroupView;
use crate::hall::queue::TicketView;
use crate::hall::ratings;
use crate::hall::ratings::RectFilter;
use crate::hall::ratings::RectificationView;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::web::Chrome;
use crate::web::PageResult;
use crate::web::WebUser;
use crate::web::chrome;
use crate::web::page_chrome;
use crate::web::render;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use jiceng_core::application::Status;
use jiceng_core::clock::format_local;
use jiceng_core::rating::RatingChannel;
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/window", get(window))
        .route("/window/applications", get(list))
        .route("/window/applications/{id}", get(detail))
        .route("/window/applications/{id}/receipt", get(receipt))
        .route("/window/applications/{id}/notice", get(notice))
        .route("/window/rectifications", get(rectifications))
        .route("/window/desk", get(desk_page))
        .route("/window/stats", get(stats))
        .route("/hall", get(hall))
        .route("/ticket", get(kiosk))
        .route("/service/track", get(track_form).post(track_lookup))
        .route("/service/apply", get(apply))
        .route("/static/service.js", get(js))
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/service.js")),
    )
}

/// An instant, however many references deep the template holds it.
trait Instant {
    fn at(&self) -> DateTime<Utc>;
}

impl Instant for DateTime<Utc> {
    fn at(&self) -> DateTime<Utc> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn at(&self) -> DateTime<Utc> {
        (**self).at()
    }
}

/// Times on pages, in Beijing time.
fn local(d: impl Instant) -> String {
    format_local(d.at())
}

/// Pages that show times call `self.t(…)`.
trait Times {
    fn t(&self, d: impl Instant) -> String {
        local(d)
    }

    /// A deadline as people read it: a limit that ends at midnight is "by the end of" the day
    /// before (`2026-12-09 当日`), never "2026-12-10 00:00"; another shows its time.
    fn due(&self, d: impl Instant) -> String {
        jiceng_core::clock::format_due(d.at())
    }
}

#[derive(Template)]
#[template(path = "window.html")]
struct WindowPage {
    chrome: Chrome,
    matters: Vec<MatterSummary>,
    bundles: Vec<(String, String)>,
    groups: Vec<GroupView>,
    windows: Vec<String>,
    online: bool,
    selected: String,
}

/// What the intake form offers: every matter and every bundle.
async fn subjects(app: &App) -> Result<(Vec<MatterSummary>, Vec<(String, String)>), AppError> {
    let all = PageParams {
        page: 1,
        per_page: PageParams::MAX_PER_PAGE,
    };
    let matters = catalog::list(app, &MatterFilter::default(), all)
        .await?
        .items;
    let bundles = catalog::bundles(app)
        .await?
        .into_iter()
        .map(|b| (b.code, b.name))
        .collect();
    Ok((matters, bundles))
}

#[derive(Template)]
#[template(path = "service_apply.html")]
struct ApplyPage {
    chrome: Chrome,
    matters: Vec<MatterSummary>,
    bundles: Vec<(String, String)>,
    online: bool,
    selected: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApplyQuery {
    matter: String,
    bundle: String,
}

/// The citizen's online application: the same form as the window's, without the queue.
async fn apply(State(app): State<App>, Query(q): Query<ApplyQuery>) -> PageResult {
    let (matters, bundles) = subjects(&app).await?;
    let selected = match (q.matter.trim(), q.bundle.trim()) {
        ("", "") => String::new(),
        ("", b) => format!("bundle:{b}"),
        (m, _) => format!("matter:{m}"),
    };
    Ok(render(
        StatusCode::OK,
        &ApplyPage {
            chrome: chrome(&app, None, "/service/apply", String::new()),
            matters,
            bundles,
            online: true,
            selected,
        },
    ))
}

async fn window(State(app): State<App>, user: WebUser) -> PageResult {
    let (matters, bundles) = subjects(&app).await?;
    // The windows of the clerk's own hall.
    let groups = queue::groups_staffed_by(&app, &user.actor()).await?;
    let mut windows: Vec<String> = groups.iter().flat_map(|g| g.windows.clone()).collect();
    windows.sort_by_key(|w| {
        w.trim_end_matches("号窗口")
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    windows.dedup();
    Ok(render(
        StatusCode::OK,
        &WindowPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            matters,
            bundles,
            groups,
            windows,
            online: false,
            selected: String::new(),
        },
    ))
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    items: Vec<ApplicationSummary>,
}

impl Times for ListPage {}

async fn list(State(app): State<App>, user: WebUser, Query(f): Query<ListFilter>) -> PageResult {
    let page = applications::list(
        &app,
        &Actor::User(user.0.clone()),
        &f,
        PageParams {
            page: 1,
            per_page: 200,
        },
    )
    .await?;
    Ok(render(
        StatusCode::OK,
        &ListPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            q: f.q.clone().unwrap_or_default(),
            status: f.status.clone().unwrap_or_default(),
            statuses: Status::ALL.iter().map(|s| (s.code(), s.label())).collect(),
            items: page.items,
        },
    ))
}

#[derive(Template)]
#[template(path = "application.html")]
struct DetailPage {
    chrome: Chrome,
    a: ApplicationView,
}

impl Times for DetailPage {}

async fn detail(State(app): State<App>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    let a = applications::get(&app, &Actor::User(user.0.clone()), id).await?;
    Ok(render(
        StatusCode::OK,
        &DetailPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            a,
        },
    ))
}

#[derive(Template)]
#[template(path = "app_print.html")]
struct PrintPage {
    heading: &'static str,
    kind: &'static str,
    a: ApplicationView,
    received: String,
    accepted: String,
    /// (material, why, standard)
    defects: Vec<(String, String, String)>,
    today: String,
    /// 受理机关: the units of the application's matters; and where it was received.
    authorities: Vec<String>,
    hall: String,
    /// 咨询电话 and 监督投诉电话 of its matters.
    consult_phones: Vec<String>,
    complaint_phones: Vec<String>,
    /// The tracking page with the code filled in, and its QR code (inline SVG).
    track_url: String,
    qr: String,
}

async fn print_page(
    app: &App,
    headers: &axum::http::HeaderMap,
    a: ApplicationView,
    kind: &'static str,
) -> PageResult {
    let mut authorities: Vec<String> = Vec::new();
    let (mut consult_phones, mut complaint_phones): (Vec<String>, Vec<String>) =
        (Vec::new(), Vec::new());
    for p in &a.parts {
        if !authorities.contains(&p.unit_name) {
            authorities.push(p.unit_name.clone());
        }
        let m = crate::hall::catalog::get(app, &p.matter_code).await?;
        for (list, phone) in [
            (&mut consult_phones, m.spec.consult_phone),
            (&mut complaint_phones, m.spec.complaint_phone),
        ] {
            if !phone.is_empty() && !list.contains(&phone) {
                list.push(phone);
            }
        }
    }
    let track_url = format!(
        "{}/service/track?code={}",
        crate::web::public_base(app, headers),
        a.code
    );
    let county = crate::org::locate::of(app).snapshot().county_name();
    Ok(print_doc(
        app,
        a,
        kind,
        authorities,
        format!("{county}政务服务中心"),
        consult_phones,
        complaint_phones,
        track_url,
    ))
}

#[allow(clippy::too_many_arguments)]
fn print_doc(
    app: &App,
    a: ApplicationView,
    kind: &'static str,
    authorities: Vec<String>,
    hall: String,
    consult_phones: Vec<String>,
    complaint_phones: Vec<String>,
    track_url: String,
) -> axum::response::Response {
    let heading = match kind {
        "receipt" => "受理回执",
        "notice" => "一次性告知书",
        _ => "不予受理告知书",
    };
    let defects = a
        .defects
        .iter()
        .map(|d| {
            let standard = a
                .checklist
                .iter()
                .find(|c| c.name == d.name)
                .map(|c| c.standard.clone())
                .unwrap_or_default();
            (d.name.clone(), d.reason.clone(), standard)
        })
        .collect();
    render(
        StatusCode::OK,
        &PrintPage {
            heading,
            kind,
            received: local(a.received_at),
            accepted: a.accepted_at.map(local).unwrap_or_default(),
            defects,
            qr: crate::web::qr_svg(&track_url),
            authorities,
            hall,
            consult_phones,
            complaint_phones,
            track_url,
            today: app
                .now()
                .with_timezone(&jiceng_core::clock::china_offset())
                .format("%Y年%m月%d日")
                .to_string(),
            a,
        },
    )
}

async fn receipt(
    State(app): State<App>,
    user: WebUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let a = applications::get(&app, &Actor::User(user.0.clone()), id).await?;
    if a.accepted_at.is_none() {
        return Err(
            AppError::new(Code::ApplicationNotAccepted, "该办件尚未受理，没有受理回执").into(),
        );
    }
    print_page(&app, &headers, a, "receipt").await
}

async fn notice(
    State(app): State<App>,
    user: WebUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let a = applications::get(&app, &Actor::User(user.0.clone()), id).await?;
    let kind = match a.status {
        "needs_correction" => "notice",
        "not_accepted" => "refusal",
        _ => {
            return Err(
                AppError::new(Code::ApplicationNoNotice, "该办件无需补正，也未被拒绝受理").into(),
            );
        }
    };
    print_page(&app, &headers, a, kind).await
}

#[derive(Template)]
#[template(path = "rectifications.html")]
struct RectPage {
    chrome: Chrome,
    items: Vec<RectificationView>,
}

impl Times for RectPage {}

async fn rectifications(State(app): State<App>, user: WebUser) -> PageResult {
    let page = ratings::rectifications(
        &app,
        &Actor::User(user.0.clone()),
        &RectFilter::default(),
        PageParams {
            page: 1,
            per_page: 200,
        },
    )
    .await?;
    Ok(render(
        StatusCode::OK,
        &RectPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            items: page.items,
        },
    ))
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    chrome: Chrome,
    items: Vec<DeskView>,
}

impl Times for DeskPage {}

async fn desk_page(State(app): State<App>, user: WebUser) -> PageResult {
    let page = desk::list(
        &app,
        &Actor::User(user.0.clone()),
        &DeskFilter::default(),
        PageParams {
            page: 1,
            per_page: 200,
        },
    )
    .await?;
    Ok(render(
        StatusCode::OK,
        &DeskPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            items: page.items,
        },
    ))
}

#[derive(Template)]
#[template(path = "hall.html")]
struct HallPage {
    called: Vec<TicketView>,
    groups: Vec<GroupView>,
    paused: Vec<String>,
}

async fn hall(State(app): State<App>) -> PageResult {
    let h = queue::hall(&app).await?;
    Ok(render(
        StatusCode::OK,
        &HallPage {
            called: h.called,
            groups: h.groups,
            paused: h.paused,
        },
    ))
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct KioskPage {
    chrome: Chrome,
    groups: Vec<GroupView>,
}

async fn kiosk(State(app): State<App>) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &KioskPage {
            chrome: chrome(&app, None, "/ticket", String::new()),
            groups: queue::groups(&app).await?,
        },
    ))
}

#[derive(Template)]
#[template(path = "service_track.html")]
struct TrackPage {
    chrome: Chrome,
    code: String,
    pin: String,
    /// Whether the found application may be rated now (the core's rule).
    can_rate: bool,
    app: Option<ApplicationView>,
    message: Option<String>,
    dimensions: &'static [&'static str],
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrackInput {
    code: String,
    pin: String,
}

/// The tracking form; a code in the address fills it in (the pin is never taken from one).
async fn track_form(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    Query(q): Query<TrackInput>,
) -> PageResult {
    let (token, cookie) = crate::web::public_csrf(&app, &headers);
    Ok(crate::web::with_cookie(
        track_page(&app, token, q.code, String::new()).await?,
        cookie,
    ))
}

/// The applicant's code and pin, posted (with the form's token, within the address's look-up
/// allowance): the application's progress and the rating form.
async fn track_lookup(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    crate::web::check_public_csrf(&headers, &form)?;
    crate::web::extract::citizen_lookup(&app, &headers, peer)?;
    let (token, cookie) = crate::web::public_csrf(&app, &headers);
    let (code, pin) = (
        crate::web::field(&form, "code"),
        crate::web::field(&form, "pin"),
    );
    Ok(crate::web::with_cookie(
        track_page(&app, token, code, pin).await?,
        cookie,
    ))
}

async fn track_page(app: &App, token: String, code: String, pin: String) -> PageResult {
    let (found, message) = if code.trim().is_empty() || pin.trim().is_empty() {
        (None, None)
    } else {
        match applications::track(app, &code, &pin).await {
            Ok(a) => (Some(a), None),
            Err(e) if e.is_internal() => return Err(e.into()),
            Err(e) => (None, Some(e.message)),
        }
    };
    Ok(render(
        StatusCode::OK,
        &TrackPage {
            chrome: chrome(app, None, "/service/track", token),
            can_rate: found
                .as_ref()
                .and_then(|a| jiceng_core::application::Status::parse(a.status))
                .is_some_and(|s| s.may_be_rated()),
            code,
            pin,
            app: found,
            message,
            dimensions: RatingChannel::Offline.dimensions(),
        },
    ))
}

#[derive(Template)]
#[template(path = "service_stats.html")]
struct StatsPage {
    chrome: Chrome,
    month: String,
    by: String,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<jiceng_core::rating::Ranked>,
    from: String,
    to: String,
    /// (group, hour or empty for the day, count, mean, p90)
    waits: Vec<(String, String, usize, f64, f64)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatsQuery {
    month: String,
    by: String,
    from: String,
    to: String,
}

/// 好差评 rankings of a month and the hall's waits over a period, for those who oversee.
async fn stats(State(app): State<App>, user: WebUser, Query(q): Query<StatsQuery>) -> PageResult {
    let actor = Actor::User(user.0.clone());
    let local_now = app.now().with_timezone(&jiceng_core::clock::china_offset());
    let month = if q.month.trim().is_empty() {
        local_now.format("%Y-%m").to_string()
    } else {
        q.month.trim().to_string()
    };
    let by = if q.by.is_empty() {
        "window".to_string()
    } else {
        q.by.clone()
    };
    let rows = ratings::rankings(&app, &actor, &by, &month).await?.items;
    let day = |s: &str, default: chrono::NaiveDate| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").unwrap_or(default)
    };
    let today = local_now.date_naive();
    let to = day(&q.to, today);
    let from = day(&q.from, to - chrono::Duration::days(30));
    let names: std::collections::HashMap<String, String> = queue::groups(&app)
        .await?
        .into_iter()
        .map(|g| (g.code, g.name))
        .collect();
    let waits = queue::stats(&app, &actor, from, to)
        .await?
        .into_iter()
        .map(|w| {
            (
                names.get(&w.group).cloned().unwrap_or(w.group),
                w.hour
                    .map(|h| format!("{h}:00—{}:00", h + 1))
                    .unwrap_or_default(),
                w.count,
                w.mean_minutes,
                w.p90_minutes,
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &StatsPage {
            chrome: page_chrome(&app, &user.0, "/window"),
            month,
            by,
            tabs: vec![
                ("window", "按窗口"),
                ("staff", "按工作人员"),
                ("matter", "按事项"),
                ("unit", "按部门"),
            ],
            rows,
            from: from.format("%Y-%m-%d").to_string(),
            to: to.format("%Y-%m-%d").to_string(),
            waits,
        },
    ))
}
