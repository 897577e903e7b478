//! Server-rendered pages (askama), all text in Simplified Chinese.

use super::extract::{
    self, LOGIN_CSRF_COOKIE, SESSION_COOKIE, check_csrf, cookie_value, same_secret,
};
use crate::app::App;
use crate::config::SecureCookies;
use crate::error::AppError;
use crate::service::audit::{self, AuditFilter};
use crate::service::locate::Match;
use crate::service::org::{
    self, DepartmentFilter, DepartmentInput, DepartmentKind, RegionFilter, RegionInput,
};
use crate::service::users::{self, NewUser, UserFilter};
use crate::service::{Actor, Page, PageParams, UserActor, auth, transparency};
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use geo::Centroid;
use jiceng_core::clock::format_local;
use jiceng_core::{RegionLevel, Role};
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route("/map", get(map_page))
        .route("/grids/{code}", get(grid_page))
        .route("/locate", get(locate_page))
        .route("/admin/regions", get(regions_page).post(regions_submit))
        .route(
            "/admin/departments",
            get(departments_page).post(departments_submit),
        )
        .route("/admin/users", get(users_page).post(users_submit))
        .route("/audit", get(audit_page))
        .route("/audit/verify", axum::routing::post(audit_verify))
        .route("/audit/checkpoints", get(checkpoints_page))
        .route("/audit/entries/{seq}", get(audit_entry_page))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
}

// ---------------------------------------------------------------------------------------------
// Layout

/// What every page's frame shows: navigation for the role, the user, the CSRF token, and the
/// simulated time under `--fake-clock`.
pub struct Chrome {
    pub nav: Vec<(&'static str, &'static str)>,
    pub current: &'static str,
    pub user: Option<(String, &'static str)>,
    pub csrf: String,
    pub sim_time: Option<String>,
}

fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = vec![
        ("/", "首页"),
        ("/work-orders", "工单"),
        ("/window", "一窗受理"),
        ("/rankings", "排名"),
        ("/supervision", "督办"),
        ("/map", "网格地图"),
        ("/locate", "位置查询"),
        ("/admin/regions", "区划"),
        ("/admin/departments", "部门"),
    ];
    if role.manages_organisation() {
        nav.push(("/admin/users", "账号"));
        nav.push(("/admin/outbox", "通知"));
        nav.push(("/admin/templates", "通知模板"));
        nav.push(("/admin/categories", "诉求分类"));
    }
    if role.reads_audit_log() {
        nav.push(("/audit", "审计日志"));
    }
    nav
}

pub(crate) fn chrome(
    app: &App,
    user: Option<&UserActor>,
    current: &'static str,
    csrf: String,
) -> Chrome {
    Chrome {
        nav: user.map(|u| nav_for(u.role)).unwrap_or_default(),
        current,
        user: user.map(|u| (u.display_name.clone(), u.role.label())),
        csrf,
        sim_time: app.fake_clock.as_ref().map(|_| format_local(app.now())),
    }
}

pub(crate) fn session_csrf(u: &UserActor) -> String {
    match &u.via {
        crate::service::AuthVia::Session { csrf_token, .. } => csrf_token.clone(),
        crate::service::AuthVia::Token { .. } => String::new(),
    }
}

pub(crate) fn page_chrome(app: &App, u: &UserActor, current: &'static str) -> Chrome {
    chrome(app, Some(u), current, session_csrf(u))
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::internal(anyhow::anyhow!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

/// An error shown as a page; "not signed in" sends the browser to the login page.
pub struct WebError {
    err: AppError,
    chrome: Option<Chrome>,
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        WebError { err, chrome: None }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.err.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        if let Some(src) = &self.err.source {
            tracing::error!(error = ?src, code = self.err.code, "page failed");
        }
        let heading = match self.err.status {
            StatusCode::FORBIDDEN => "没有权限",
            StatusCode::NOT_FOUND => "找不到页面",
            s if s.is_server_error() => "服务器出错了",
            _ => "请求有误",
        };
        let chrome = self.chrome.unwrap_or(Chrome {
            nav: vec![("/", "首页")],
            current: "",
            user: None,
            csrf: String::new(),
            sim_time: None,
        });
        render(
            self.err.status,
            &ErrorPage {
                chrome,
                heading,
                message: self.err.message,
            },
        )
    }
}

/// A signed-in user for pages. Without a session the browser goes to the login page.
pub struct WebUser(pub UserActor);

impl FromRequestParts<App> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match extract::resolve(app, &parts.headers).await? {
            Some(u) => Ok(WebUser(u)),
            None => Err(AppError::unauthenticated().into()),
        }
    }
}

impl WebUser {
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }

    pub(crate) fn fail(&self, app: &App, err: AppError) -> WebError {
        WebError {
            err,
            chrome: Some(page_chrome(app, &self.0, "")),
        }
    }
}

pub(crate) type PageResult = Result<Response, WebError>;

/// Submitted form values and per-field errors, so a form comes back with what was typed.
#[derive(Default)]
pub struct FormState {
    pub(crate) values: HashMap<String, String>,
    pub(crate) errors: HashMap<String, String>,
    pub(crate) message: Option<String>,
    pub(crate) ok: bool,
}

impl FormState {
    pub(crate) fn from_error(values: HashMap<String, String>, e: &AppError) -> Self {
        let errors = e
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.message.clone()))
            .collect();
        Self {
            values,
            errors,
            message: Some(e.message.clone()),
            ok: false,
        }
    }

    pub(crate) fn saved(message: String) -> Self {
        Self {
            message: Some(message),
            ok: true,
            ..Default::default()
        }
    }

    pub fn value(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    pub fn error(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
}

/// Paging links keep the filters in the query string.
pub struct Pager {
    pub(crate) page: u64,
    pub(crate) pages: u64,
    pub(crate) total: u64,
    pub(crate) query: String,
}

pub(crate) fn pager<T>(p: &Page<T>, filters: &[(&str, &str)]) -> Pager {
    let query = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}&",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    Pager {
        page: p.page,
        pages: p.pages(),
        total: p.total,
        query,
    }
}

/// What an admin form shows after a submit: the saved message, or the errors per field with
/// the input kept. A refusal or a server error is passed on for an error page.
pub(crate) fn outcome<T>(
    form: HashMap<String, String>,
    result: Result<T, AppError>,
    saved: impl FnOnce(T) -> String,
) -> Result<(FormState, StatusCode), AppError> {
    match result {
        Ok(v) => Ok((FormState::saved(saved(v)), StatusCode::OK)),
        Err(e) if e.is_internal() || e.status == StatusCode::FORBIDDEN => Err(e),
        Err(e) => Ok((FormState::from_error(form, &e), e.status)),
    }
}

pub(crate) fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).cloned().unwrap_or_default()
}

/// Checks the form's CSRF token against the session.
pub(crate) fn form_csrf(user: &WebUser, form: &HashMap<String, String>) -> Result<(), AppError> {
    check_csrf(&user.0, form.get("csrf").map(String::as_str).unwrap_or(""))
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    username: String,
}

fn secure(app: &App, headers: &HeaderMap) -> bool {
    match app.config.secure_cookies {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => {
            headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                == Some("https")
        }
    }
}

pub(crate) fn set_cookie(
    app: &App,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: cookie::SameSite,
) -> HeaderValue {
    let mut c = cookie::Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(secure(app, headers));
    if let Some(s) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(s));
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie is a valid header")
}

async fn login_page(State(app): State<App>, headers: HeaderMap) -> PageResult {
    if extract::resolve(&app, &headers)
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return Ok(Redirect::to("/").into_response());
    }
    let token = cookie_value(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| auth::random_token(32));
    let page = LoginPage {
        chrome: chrome(&app, None, "/login", token.clone()),
        error: None,
        username: String::new(),
    };
    let mut resp = render(StatusCode::OK, &page);
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &app,
            &headers,
            LOGIN_CSRF_COOKIE,
            &token,
            None,
            cookie::SameSite::Strict,
        ),
    );
    Ok(resp)
}

async fn login_submit(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let sent = field(&form, "csrf");
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &sent) {
        return Err(extract::csrf_error().into());
    }
    let username = field(&form, "username");
    match auth::login_web(&app, &username, &field(&form, "password")).await {
        Ok(s) => {
            let mut resp = Redirect::to("/").into_response();
            let idle = app.config.session_idle_minutes * 60;
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &app,
                    &headers,
                    SESSION_COOKIE,
                    &s.cookie,
                    Some(idle),
                    cookie::SameSite::Lax,
                ),
            );
            Ok(resp)
        }
        Err(e) if !e.is_internal() => {
            let page = LoginPage {
                chrome: chrome(&app, None, "/login", expected),
                error: Some(e.message.clone()),
                username,
            };
            Ok(render(e.status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(app): State<App>,
    headers: HeaderMap,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    auth::logout(&app, &user.0).await?;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            &app,
            &headers,
            SESSION_COOKIE,
            "",
            Some(0),
            cookie::SameSite::Lax,
        ),
    );
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// Home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    greeting: String,
    role_label: &'static str,
    scope_name: String,
    stats: Vec<(&'static str, u64)>,
    cards: Vec<(&'static str, &'static str, &'static str)>,
    coming: Vec<&'static str>,
}

fn cards_for(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut cards = vec![
        (
            "/work-orders",
            "工单（接诉即办）",
            "登记、派单、签收、办理、回复与回访，超期自动督办",
        ),
        ("/map", "网格地图", "查看管辖范围内的网格划分和网格员"),
        (
            "/locate",
            "位置查询",
            "由经纬度查询所在网格、村（社区）和乡镇（街道）",
        ),
        (
            "/admin/regions",
            "区划",
            "县、乡镇（街道）、村（社区）三级区划",
        ),
        (
            "/admin/departments",
            "部门与单位",
            "县级部门、乡镇机构、村（社区）组织和协办单位",
        ),
    ];
    if role.manages_organisation() {
        cards.push(("/admin/users", "账号管理", "新增账号、分配角色和所属单位"));
    }
    if role.reads_audit_log() {
        cards.push(("/audit", "审计日志", "每一次登录、变更和拒绝访问的完整记录"));
    }
    cards
}

fn coming_for(role: Role) -> Vec<&'static str> {
    match role {
        Role::Operator | Role::Supervisor => vec!["月度排名与通报"],
        Role::Dispatcher | Role::Handler | Role::GridWorker | Role::Auditor => vec![],
        Role::WindowClerk => vec!["一窗受理与一次性告知", "排队叫号"],
        Role::Leader => vec!["数据驾驶舱：趋势、热点、排名"],
        Role::Admin => vec!["权责清单的表格导入导出"],
    }
}

async fn home(State(app): State<App>, user: WebUser) -> PageResult {
    let actor = user.actor();
    let s = org::summary(&app, &actor)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let u = &user.0;
    let scope_name = org::get_region(&app, &actor, u.jurisdiction.region.as_str())
        .await
        .map(|r| r.name)
        .unwrap_or_else(|_| u.jurisdiction.region.to_string());
    let page = HomePage {
        chrome: page_chrome(&app, u, "/"),
        greeting: format!("您好，{}", u.display_name),
        role_label: u.role.label(),
        scope_name,
        stats: vec![
            ("乡镇（街道）", s.townships),
            ("村（社区）", s.villages),
            ("网格", s.grids),
            ("部门与单位", s.departments),
        ],
        cards: cards_for(u.role),
        coming: coming_for(u.role),
    };
    Ok(render(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Regions, departments, users

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    chrome: Chrome,
    page: Page<org::RegionView>,
    pager: Pager,
    levels: Vec<(&'static str, &'static str)>,
    level: String,
    q: String,
    can_edit: bool,
    form: FormState,
}

async fn regions_view(
    app: &App,
    user: &WebUser,
    filter: RegionFilter,
    page: PageParams,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    let p = org::list_regions(app, &user.actor(), &filter, page)
        .await
        .map_err(|e| user.fail(app, e))?;
    let level = filter.level.unwrap_or_default();
    let q = filter.q.unwrap_or_default();
    let view = RegionsPage {
        chrome: page_chrome(app, &user.0, "/admin/regions"),
        pager: pager(&p, &[("level", &level), ("q", &q)]),
        page: p,
        levels: RegionLevel::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        level,
        q,
        can_edit: user.0.role.manages_organisation(),
        form,
    };
    Ok(render(status, &view))
}

async fn regions_page(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<RegionFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    regions_view(&app, &user, f, p, FormState::default(), StatusCode::OK).await
}

async fn regions_submit(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let input = RegionInput {
        code: field(&form, "code"),
        name: field(&form, "name"),
        boundary: None,
    };
    let result = org::create_region(&app, &user.actor(), input).await;
    let (state, status) = outcome(form, result, |r| {
        format!("已新增区划：{}（{}）", r.name, r.code)
    })
    .map_err(|e| user.fail(&app, e))?;
    regions_view(
        &app,
        &user,
        RegionFilter::default(),
        PageParams::default(),
        state,
        status,
    )
    .await
}

#[derive(Template)]
#[template(path = "departments.html")]
struct DepartmentsPage {
    chrome: Chrome,
    page: Page<org::DepartmentView>,
    pager: Pager,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    q: String,
    can_edit: bool,
    form: FormState,
}

async fn departments_view(
    app: &App,
    user: &WebUser,
    filter: DepartmentFilter,
    page: PageParams,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    let p = org::list_departments(app, &user.actor(), &filter, page)
        .await
        .map_err(|e| user.fail(app, e))?;
    let kind = filter.kind.unwrap_or_default();
    let q = filter.q.unwrap_or_default();
    let view = DepartmentsPage {
        chrome: page_chrome(app, &user.0, "/admin/departments"),
        pager: pager(&p, &[("kind", &kind), ("q", &q)]),
        page: p,
        kinds: DepartmentKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        kind,
        q,
        can_edit: user.0.role.manages_organisation(),
        form,
    };
    Ok(render(status, &view))
}

async fn departments_page(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<DepartmentFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    departments_view(&app, &user, f, p, FormState::default(), StatusCode::OK).await
}

async fn departments_submit(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let input = DepartmentInput {
        code: field(&form, "code"),
        name: field(&form, "name"),
        kind: field(&form, "kind"),
        region_code: field(&form, "region_code"),
        phone: field(&form, "phone"),
        email: field(&form, "email"),
        active: true,
    };
    let result = org::create_department(&app, &user.actor(), input).await;
    let (state, status) = outcome(form, result, |d| format!("已新增部门：{}", d.name))
        .map_err(|e| user.fail(&app, e))?;
    departments_view(
        &app,
        &user,
        DepartmentFilter::default(),
        PageParams::default(),
        state,
        status,
    )
    .await
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    page: Page<users::UserView>,
    pager: Pager,
    roles: Vec<(&'static str, &'static str)>,
    role: String,
    q: String,
    form: FormState,
}

async fn users_view(
    app: &App,
    user: &WebUser,
    filter: UserFilter,
    page: PageParams,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    let p = users::list_users(app, &user.actor(), &filter, page)
        .await
        .map_err(|e| user.fail(app, e))?;
    let role = filter.role.unwrap_or_default();
    let q = filter.q.unwrap_or_default();
    let view = UsersPage {
        chrome: page_chrome(app, &user.0, "/admin/users"),
        pager: pager(&p, &[("role", &role), ("q", &q)]),
        page: p,
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        role,
        q,
        form,
    };
    Ok(render(status, &view))
}

async fn users_page(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<UserFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    users_view(&app, &user, f, p, FormState::default(), StatusCode::OK).await
}

async fn users_submit(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let input = NewUser {
        username: field(&form, "username"),
        display_name: field(&form, "display_name"),
        role: field(&form, "role"),
        org: field(&form, "org"),
        password: field(&form, "password"),
    };
    let result = users::create_user(&app, &user.actor(), input).await;
    let mut kept = form;
    kept.remove("password");
    let (state, status) = outcome(kept, result, |u| format!("已新增账号：{}", u.username))
        .map_err(|e| user.fail(&app, e))?;
    users_view(
        &app,
        &user,
        UserFilter::default(),
        PageParams::default(),
        state,
        status,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Grid map

pub struct MapShape {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) short: String,
    pub(super) points: String,
    pub(super) fill: &'static str,
    pub(super) label_x: String,
    pub(super) label_y: String,
}

pub struct SvgMap {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) shapes: Vec<MapShape>,
    /// A point to mark (an order's place), projected.
    pub(super) marker: Option<(String, String)>,
}

const PALETTE: [&str; 8] = [
    "#e57373", "#64b5f6", "#81c784", "#ffb74d", "#ba68c8", "#4db6ac", "#f06292", "#a1887f",
];

/// Grids as drawn: their outlines from GeoJSON.
pub fn grid_shapes(grids: &[org::GridView]) -> Vec<crate::service::locate::GridShape> {
    grids
        .iter()
        .filter_map(|g| {
            let geom: geojson::Geometry = serde_json::from_value(g.geometry.clone()).ok()?;
            Some(crate::service::locate::GridShape {
                code: g.code.clone(),
                name: g.name.clone(),
                village_code: g.village_code.clone(),
                polygon: jiceng_core::geometry::grid_polygon(&geom.value).ok()?,
            })
        })
        .collect()
}

/// Projects grid polygons into an SVG drawing, coloured by township, with a point marked
/// (lon, lat) when given.
pub fn svg_map(grids: &[crate::service::locate::GridShape], marker: Option<(f64, f64)>) -> SvgMap {
    let polys: Vec<(usize, &geo::Polygon<f64>)> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| (i, &g.polygon))
        .collect();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, p) in &polys {
        for c in p.exterior().coords() {
            min_x = min_x.min(c.x);
            max_x = max_x.max(c.x);
            min_y = min_y.min(c.y);
            max_y = max_y.max(c.y);
        }
    }
    let width = 1000.0;
    let kx = ((min_y + max_y) / 2.0).to_radians().cos();
    let span_x = ((max_x - min_x) * kx).max(1e-9);
    let scale = width / span_x;
    let height = ((max_y - min_y) * scale).max(1.0);
    let project = |x: f64, y: f64| ((x - min_x) * kx * scale, (max_y - y) * scale);
    let mut townships: Vec<&str> = grids
        .iter()
        .map(|g| &g.village_code[..9.min(g.village_code.len())])
        .collect();
    townships.sort_unstable();
    townships.dedup();
    let shapes = polys
        .iter()
        .map(|(i, p)| {
            let g = &grids[*i];
            let points = p
                .exterior()
                .coords()
                .map(|c| {
                    let (x, y) = project(c.x, c.y);
                    format!("{x:.1},{y:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ");
            let c = p
                .centroid()
                .map(|c| project(c.x(), c.y()))
                .unwrap_or((0.0, 0.0));
            let t = townships
                .binary_search(&&g.village_code[..9.min(g.village_code.len())])
                .unwrap_or(0);
            MapShape {
                code: g.code.clone(),
                short: g
                    .name
                    .chars()
                    .rev()
                    .take(6)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
                name: g.name.clone(),
                points,
                fill: PALETTE[t % PALETTE.len()],
                label_x: format!("{:.1}", c.0),
                label_y: format!("{:.1}", c.1),
            }
        })
        .collect();
    SvgMap {
        width: width as u32,
        height: height.ceil() as u32,
        shapes,
        marker: marker.map(|(x, y)| {
            let (x, y) = project(x, y);
            (format!("{x:.1}"), format!("{y:.1}"))
        }),
    }
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    chrome: Chrome,
    grid_count: usize,
    map: SvgMap,
}

/// Grids drawn on one page at most; larger jurisdictions are better served by filters.
const MAP_LIMIT: u64 = 3000;

async fn map_page(State(app): State<App>, user: WebUser) -> PageResult {
    let grids = org::grids_for_map(&app, &user.actor(), MAP_LIMIT)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let page = MapPage {
        chrome: page_chrome(&app, &user.0, "/map"),
        grid_count: grids.len(),
        map: svg_map(&grid_shapes(&grids), None),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "grid.html")]
struct GridPage {
    chrome: Chrome,
    grid: org::GridView,
    village: String,
    township: String,
    worker: String,
}

async fn grid_page(State(app): State<App>, user: WebUser, Path(code): Path<String>) -> PageResult {
    let d = org::grid_detail(&app, &user.actor(), &code)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let page = GridPage {
        chrome: page_chrome(&app, &user.0, "/map"),
        village: format!("{}（{}）", d.village_name, d.grid.village_code),
        township: d.township_name,
        worker: d.worker_name.unwrap_or_else(|| "未指定".into()),
        grid: d.grid,
    };
    Ok(render(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Locate

#[derive(Template)]
#[template(path = "locate.html")]
struct LocatePage {
    chrome: Chrome,
    lat: String,
    lon: String,
    error: Option<String>,
    result: Option<(&'static str, String, String, String, String)>,
}

async fn locate_page(
    State(app): State<App>,
    user: WebUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let lat = q.get("lat").cloned().unwrap_or_default();
    let lon = q.get("lon").cloned().unwrap_or_default();
    let mut page = LocatePage {
        chrome: page_chrome(&app, &user.0, "/locate"),
        lat: lat.clone(),
        lon: lon.clone(),
        error: None,
        result: None,
    };
    if !lat.is_empty() || !lon.is_empty() {
        match (lat.trim().parse::<f64>(), lon.trim().parse::<f64>()) {
            (Ok(la), Ok(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => {
                let r = app.locator.snapshot().locate(lo, la);
                let name = |x: Option<crate::service::locate::RegionRef>| {
                    x.map(|r| format!("{}（{}）", r.name, r.code))
                        .unwrap_or_else(|| "—".into())
                };
                let verdict = match r.matched {
                    Match::Grid => "位于网格内",
                    Match::Region => "不在任何网格内，位于区划边界内",
                    Match::OutsideJurisdiction => "不在本系统管辖范围内",
                };
                let grid = r
                    .grid
                    .map(|g| format!("{}（{}）", g.name, g.code))
                    .unwrap_or_else(|| "—".into());
                page.result = Some((
                    verdict,
                    grid,
                    name(r.village),
                    name(r.township),
                    name(r.county),
                ));
            }
            _ => page.error = Some("请输入有效的经纬度：纬度 -90～90，经度 -180～180".into()),
        }
    }
    Ok(render(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Audit

pub struct AuditRow {
    seq: i64,
    time: String,
    actor: String,
    action: String,
    entity: String,
    digest: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    page: Page<audit::AuditView>,
    rows: Vec<AuditRow>,
    pager: Pager,
    filter_actor: String,
    filter_action: String,
    filter_entity_type: String,
    log_size: u64,
    checkpoint: Option<transparency::CheckpointView>,
    cp_time: String,
    vkey: String,
    last_verify: Option<String>,
}

async fn audit_page(
    State(app): State<App>,
    user: WebUser,
    Query(f): Query<AuditFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let page = audit::list(&app, &user.actor(), &f, p)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let rows = page
        .items
        .iter()
        .map(|e| AuditRow {
            seq: e.seq,
            time: format_local(e.time),
            actor: e.actor.clone(),
            action: e.action.clone(),
            entity: format!("{} {}", e.entity_type, e.entity_id),
            digest: e
                .state_digest
                .as_deref()
                .map(|d| d[..16].to_string())
                .unwrap_or_default(),
            reason: e.reason.clone(),
        })
        .collect();
    let (a, b, c) = (
        f.actor.unwrap_or_default(),
        f.action.unwrap_or_default(),
        f.entity_type.unwrap_or_default(),
    );
    let fail = |e| user.fail(&app, e);
    let checkpoint = match transparency::latest_checkpoint(&app).await {
        Ok(cp) => Some(cp),
        Err(e) if e.status == StatusCode::NOT_FOUND => None,
        Err(e) => return Err(fail(e)),
    };
    let last_verify = transparency::last_verification(&app)
        .await
        .map_err(fail)?
        .map(|(t, who, what)| format!("{}，{}：{}", format_local(t), who, what));
    let view = AuditPage {
        log_size: transparency::log_size(&app.db.conn).await.map_err(fail)?,
        cp_time: checkpoint
            .as_ref()
            .map(|c| format_local(c.created_at))
            .unwrap_or_default(),
        checkpoint,
        vkey: transparency::signer(&app)
            .await
            .map_err(fail)?
            .verifier()
            .vkey(),
        last_verify,
        chrome: page_chrome(&app, &user.0, "/audit"),
        pager: pager(&page, &[("actor", &a), ("action", &b), ("entity_type", &c)]),
        page,
        rows,
        filter_actor: a,
        filter_action: b,
        filter_entity_type: c,
    };
    Ok(render(StatusCode::OK, &view))
}

async fn audit_verify(
    State(app): State<App>,
    user: WebUser,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    transparency::verify_and_record(&app, &user.actor())
        .await
        .map_err(|e| user.fail(&app, e))?;
    Ok(Redirect::to("/audit").into_response())
}

#[derive(Template)]
#[template(path = "audit_checkpoints.html")]
struct CheckpointsPage {
    chrome: Chrome,
    page: Page<transparency::CheckpointView>,
    rows: Vec<(i64, String, String, String)>,
    pager: Pager,
    vkey: String,
}

async fn checkpoints_page(
    State(app): State<App>,
    user: WebUser,
    Query(p): Query<PageParams>,
) -> PageResult {
    if !user.0.role.reads_audit_log() {
        return Err(user.fail(
            &app,
            audit::deny(
                &app,
                &user.actor(),
                "audit.checkpoints",
                "audit_checkpoint",
                "",
            )
            .await,
        ));
    }
    let fail = |e| user.fail(&app, e);
    let page = transparency::checkpoint_history(&app, p)
        .await
        .map_err(fail)?;
    let rows = page
        .items
        .iter()
        .map(|c| {
            let witnesses = if c.cosignatures.is_empty() {
                "暂无".to_string()
            } else {
                c.cosignatures
                    .iter()
                    .map(|w| w.witness.clone())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            (
                c.tree_size,
                format_local(c.created_at),
                c.root_hash.clone(),
                witnesses,
            )
        })
        .collect();
    let view = CheckpointsPage {
        chrome: page_chrome(&app, &user.0, "/audit"),
        pager: pager(&page, &[]),
        rows,
        page,
        vkey: transparency::signer(&app)
            .await
            .map_err(fail)?
            .verifier()
            .vkey(),
    };
    Ok(render(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
struct AuditEntryPage {
    chrome: Chrome,
    entry: audit::AuditView,
    time: String,
    proof: Option<transparency::InclusionProof>,
    proof_json: String,
    server_check: String,
}

/// One entry with its inclusion proof against the latest checkpoint, checked by the server
/// and again in the browser.
async fn audit_entry_page(
    State(app): State<App>,
    user: WebUser,
    Path(seq): Path<i64>,
) -> PageResult {
    let fail = |e| user.fail(&app, e);
    let entry = audit::get(&app, &user.actor(), seq).await.map_err(fail)?;
    let checkpoint = match transparency::latest_checkpoint(&app).await {
        Ok(cp) => Some(cp),
        Err(e) if e.status == StatusCode::NOT_FOUND => None,
        Err(e) => return Err(fail(e)),
    };
    let mut proof = None;
    let mut server_check = String::new();
    if let Some(cp) = checkpoint.filter(|c| c.tree_size >= seq) {
        let p = transparency::inclusion(&app, seq as u64 - 1, Some(cp.tree_size as u64))
            .await
            .map_err(fail)?;
        let key = transparency::signer(&app).await.map_err(fail)?.verifier();
        server_check = match transparency::check_inclusion(&key, &cp.note, &p) {
            Ok(()) => "通过：检查点签名有效，证明路径算出的根哈希与之一致".into(),
            Err(e) => format!("失败：{e}"),
        };
        proof = Some(p);
    }
    let view = AuditEntryPage {
        chrome: page_chrome(&app, &user.0, "/audit"),
        time: format_local(entry.time),
        proof_json: proof
            .as_ref()
            .map(|p| serde_json::to_string(&p.proof).unwrap_or_default())
            .unwrap_or_default(),
        proof,
        entry,
        server_check,
    };
    Ok(render(StatusCode::OK, &view))
}
