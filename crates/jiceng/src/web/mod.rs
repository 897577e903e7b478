//! The page kit shared by every wing's pages: the chrome (navigation per role, large-font
//! mode), rendering, errors as pages, the signed-in user, form state, pagers, the style sheet
//! and the script.

use crate::error::AppError;
use crate::kernel::actor::Actor;
use crate::kernel::actor::UserActor;
use crate::kernel::app::App;
use crate::kernel::paging::Page;
use crate::web::extract::LOGIN_CSRF_COOKIE;
use crate::web::extract::check_csrf;
use crate::web::extract::cookie_value;
use crate::web::extract::same_secret;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use jiceng_core::clock::format_local;
use std::collections::HashMap;

pub mod extract;
pub mod system;

/// The page kit's own files: the style sheet and the script.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route(
            "/static/prefs.js",
            get(|| asset("text/javascript", include_str!("../../static/prefs.js"))),
        )
        .route(
            "/static/print.css",
            get(|| asset("text/css", include_str!("../../static/print.css"))),
        )
        .route(
            "/static/hall.css",
            get(|| asset("text/css", include_str!("../../static/hall.css"))),
        )
}

/// A file the binary carries, cached for an hour.
async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                format!("{content_type}; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        body,
    )
}

/// The security headers on every response: a Content-Security-Policy that allows the site's
/// own scripts, styles and images only (no inline script or style, no framing, no plug-ins),
/// `nosniff`, no referrer sent elsewhere, and HSTS when the request came over TLS.
pub async fn security_headers(
    axum::extract::State(app): axum::extract::State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let tls = crate::auth::pages::secure(&app, req.headers());
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, axum::http::HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    if tls {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    resp
}

pub(crate) async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/app.css")),
    )
}

pub(crate) async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/app.js")),
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

/// The navigation a user sees: only what they may open (deployment-wide settings, the outbox
/// and the audit log for the county's admins and auditors).
pub(crate) fn nav_for(u: &UserActor) -> Vec<(&'static str, &'static str)> {
    use jiceng_core::Role::*;
    let actor = Actor::User(u.clone());
    let r = u.role;
    let mut nav = vec![("/", "首页")];
    let mut add = |show: bool, link: (&'static str, &'static str)| {
        if show {
            nav.push(link);
        }
    };
    add(r != WindowClerk, ("/work-orders", "工单"));
    add(matches!(r, WindowClerk | Admin), ("/window", "一窗受理"));
    add(
        matches!(
            r,
            WindowClerk | Admin | Leader | Supervisor | Auditor | Handler
        ),
        ("/window/applications", "办件"),
    );
    add(
        matches!(r, Leader | Supervisor | Admin | Dispatcher),
        ("/rankings", "排名"),
    );
    add(
        matches!(r, Leader | Supervisor | Admin | Dispatcher),
        ("/supervision", "督办"),
    );
    add(true, ("/map", "网格地图"));
    add(
        matches!(r, Operator | Dispatcher | GridWorker | Admin),
        ("/locate", "位置查询"),
    );
    add(u.administers(), ("/admin/regions", "区划"));
    add(u.administers(), ("/admin/departments", "部门"));
    add(u.administers(), ("/admin/users", "账号"));
    add(actor.is_deployment_admin(), ("/admin/outbox", "通知"));
    add(
        actor.is_deployment_admin(),
        ("/admin/templates", "通知模板"),
    );
    add(
        actor.is_deployment_admin(),
        ("/admin/categories", "诉求分类"),
    );
    add(actor.reads_audit_log(), ("/audit", "审计日志"));
    nav
}

pub(crate) fn chrome(
    app: &App,
    user: Option<&UserActor>,
    current: &'static str,
    csrf: String,
) -> Chrome {
    Chrome {
        nav: user.map(nav_for).unwrap_or_default(),
        current,
        user: user.map(|u| (u.display_name.clone(), u.role.label())),
        csrf,
        sim_time: app.fake_clock.as_ref().map(|_| format_local(app.now())),
    }
}

pub(crate) fn session_csrf(u: &UserActor) -> String {
    match &u.via {
        crate::kernel::actor::AuthVia::Session { csrf_token, .. } => csrf_token.clone(),
        crate::kernel::actor::AuthVia::Token { .. } => String::new(),
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
pub(crate) struct ErrorPage {
    pub(crate) chrome: Chrome,
    pub(crate) heading: &'static str,
    pub(crate) message: String,
    /// What to do next.
    pub(crate) hint: &'static str,
}

/// An error shown as a page; "not signed in" sends the browser to the login page.
pub struct WebError {
    err: AppError,
    chrome: Option<Chrome>,
    /// The page a browser asked for before it was sent to sign in.
    next: Option<String>,
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        WebError {
            err,
            chrome: None,
            next: None,
        }
    }
}

/// Where the login page may send the browser after signing in: a page of this site only
/// (never another host, `//evil` or `/\evil`), and not the login page itself.
/// The address citizens reach this site at: `public_url` when configured, otherwise the one
/// the browser asking used (its `Host`, if it is a plain host name). No trailing slash.
pub(crate) fn public_base(app: &App, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = &app.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A QR code of `text` as an inline SVG element (black on white, at least 132 px square).
pub(crate) fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(132, 132)
                .quiet_zone(true)
                .build();
            // Inline in the page: without the XML declaration.
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        // Longer than a QR code holds: the address printed beside it is enough.
        Err(_) => String::new(),
    }
}

pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains("://")
        && !next.starts_with("/login")
        && !next.starts_with("/logout")
        // A page to return to, not a download that is itself an act (an audited export).
        && !next.contains("export")
        && next.len() <= 512
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.err.status() == StatusCode::UNAUTHORIZED {
            return match self.next.as_deref().and_then(safe_next) {
                Some(next) => Redirect::to(&format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                ))
                .into_response(),
                None => Redirect::to("/login").into_response(),
            };
        }
        if let Some(src) = &self.err.source {
            tracing::error!(error = ?src, code = self.err.code.as_str(), "page failed");
        }
        let heading = match self.err.status() {
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
        let status = self.err.status();
        render(
            status,
            &ErrorPage {
                chrome,
                heading,
                message: self.err.message,
                hint: match status {
                    StatusCode::FORBIDDEN => {
                        "您的账号没有使用这一页面或操作的权限；如工作需要，请联系本级系统管理员开通相应角色。"
                    }
                    StatusCode::NOT_FOUND => "请检查地址，或从首页的菜单进入。",
                    StatusCode::METHOD_NOT_ALLOWED => "请回到上一页，从页面上的按钮重新操作。",
                    s if s.is_server_error() => "请稍后再试；如反复出现，请联系系统管理员。",
                    _ => "",
                },
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
            // Back to this page after signing in (a page, not a form's post).
            None => Err(WebError {
                err: AppError::unauthenticated(),
                chrome: None,
                next: (parts.method == axum::http::Method::GET)
                    .then(|| parts.uri.path_and_query().map(|p| p.to_string()))
                    .flatten(),
            }),
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
            next: None,
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
const FLASH_COOKIE: &str = "jiceng_flash";

/// After a form was saved: back to its page (a GET), carrying the message in a short-lived
/// cookie, so that a refresh neither posts again nor answers 405 (post, redirect, get).
pub(crate) fn saved_redirect(app: &App, headers: &HeaderMap, to: &str, message: &str) -> Response {
    use base64::Engine;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(message.as_bytes());
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        crate::auth::pages::set_cookie(
            app,
            headers,
            FLASH_COOKIE,
            &value,
            Some(60),
            cookie::SameSite::Strict,
        ),
    );
    resp
}

/// The page after such a redirect: the saved message (if any) and the cookie that clears it.
pub(crate) fn take_flash(
    app: &App,
    headers: &HeaderMap,
) -> (FormState, Option<axum::http::HeaderValue>) {
    use base64::Engine;
    match cookie_value(headers, FLASH_COOKIE)
        .and_then(|v| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|m| m.chars().count() <= 200)
    {
        Some(m) => (
            FormState::saved(m),
            Some(crate::auth::pages::set_cookie(
                app,
                headers,
                FLASH_COOKIE,
                "",
                Some(0),
                cookie::SameSite::Strict,
            )),
        ),
        None => (FormState::default(), None),
    }
}

pub(crate) fn outcome<T>(
    form: HashMap<String, String>,
    result: Result<T, AppError>,
    saved: impl FnOnce(T) -> String,
) -> Result<(FormState, StatusCode), AppError> {
    match result {
        Ok(v) => Ok((FormState::saved(saved(v)), StatusCode::OK)),
        Err(e) if e.is_internal() || e.status() == StatusCode::FORBIDDEN => Err(e),
        Err(e) => Ok((FormState::from_error(form, &e), e.status())),
    }
}

pub(crate) fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).cloned().unwrap_or_default()
}

/// Checks the form's CSRF token against the session.
pub(crate) fn form_csrf(user: &WebUser, form: &HashMap<String, String>) -> Result<(), AppError> {
    check_csrf(&user.0, form.get("csrf").map(String::as_str).unwrap_or(""))
}

/// Refuses a form (`application/x-www-form-urlencoded`) any of whose names or values holds a
/// forbidden control character, before any handler sees it: the page says which field.
pub async fn refuse_control_characters_in_forms(
    axum::extract::State(app): axum::extract::State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, app.config.body_limit_bytes).await {
        Ok(b) => b,
        Err(_) => return WebError::from(crate::web::extract::too_large()).into_response(),
    };
    let bad = form_urlencoded::parse(&bytes).find(|(k, v)| {
        k.chars()
            .chain(v.chars())
            .any(crate::web::extract::is_forbidden_control)
    });
    if let Some((k, _)) = bad {
        let err = crate::web::extract::control_character(&k);
        return WebError::from(err).into_response();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// The token of an anonymous form (report, tracking, rating): a double-submit cookie, made
/// when the browser has none yet.
pub(crate) fn public_csrf(
    app: &App,
    headers: &HeaderMap,
) -> (String, Option<axum::http::HeaderValue>) {
    match cookie_value(headers, LOGIN_CSRF_COOKIE).filter(|t| t.len() >= 32) {
        Some(t) => (t, None),
        None => {
            let t = crate::auth::random_token(32);
            let c = crate::auth::pages::set_cookie(
                app,
                headers,
                LOGIN_CSRF_COOKIE,
                &t,
                None,
                cookie::SameSite::Strict,
            );
            (t, Some(c))
        }
    }
}

pub(crate) fn with_cookie(mut resp: Response, cookie: Option<axum::http::HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// Checks an anonymous form's token against its cookie.
pub(crate) fn check_public_csrf(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(), AppError> {
    let expected = cookie_value(headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &field(form, "csrf")) {
        return Err(crate::web::extract::csrf_error());
    }
    Ok(())
}
