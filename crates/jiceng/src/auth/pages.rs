//! Sign-in pages (login, logout) and the users' admin page.

use crate::auth;
use crate::auth::users;
use crate::auth::users::NewUser;
use crate::auth::users::UserFilter;
use crate::config::SecureCookies;
use crate::kernel::app::App;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::web::Chrome;
use crate::web::FormState;
use crate::web::PageResult;
use crate::web::Pager;
use crate::web::WebUser;
use crate::web::chrome;
use crate::web::extract;
use crate::web::extract::LOGIN_CSRF_COOKIE;
use crate::web::extract::SESSION_COOKIE;
use crate::web::extract::cookie_value;
use crate::web::extract::same_secret;
use crate::web::field;
use crate::web::form_csrf;
use crate::web::outcome;
use crate::web::page_chrome;
use crate::web::pager;
use crate::web::render;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use jiceng_core::Role;
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route("/admin/users", get(users_page).post(users_submit))
        .route(
            "/admin/users/{id}",
            get(user_edit_page).post(user_edit_submit),
        )
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) chrome: Chrome,
    pub(crate) error: Option<String>,
    pub(crate) username: String,
    /// The page to return to after signing in.
    pub(crate) next: String,
}

pub(crate) fn secure(app: &App, headers: &HeaderMap) -> bool {
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

pub(crate) async fn login_page(
    State(app): State<App>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> PageResult {
    let next = crate::web::safe_next(&field(&q, "next"))
        .unwrap_or("")
        .to_string();
    if extract::resolve(&app, &headers)
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return Ok(Redirect::to(if next.is_empty() { "/" } else { &next }).into_response());
    }
    let token = cookie_value(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| auth::random_token(32));
    let page = LoginPage {
        chrome: chrome(&app, None, "/login", token.clone()),
        error: None,
        username: String::new(),
        next,
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

pub(crate) async fn login_submit(
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
    let next = crate::web::safe_next(&field(&form, "next"))
        .unwrap_or("")
        .to_string();
    match auth::login_web(&app, &username, &field(&form, "password")).await {
        Ok(s) => {
            let mut resp = Redirect::to(if next.is_empty() { "/" } else { &next }).into_response();
            // No Max-Age: the cookie lasts while the browser does, and the server ends the
            // session after the idle timeout, counted from the last request — so an active
            // user is never signed out 30 minutes after signing in.
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &app,
                    &headers,
                    SESSION_COOKIE,
                    &s.cookie,
                    None,
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
                next,
            };
            Ok(render(e.status(), &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn logout(
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

#[derive(Template)]
#[template(path = "users.html")]
pub(crate) struct UsersPage {
    pub(crate) chrome: Chrome,
    pub(crate) page: Page<users::UserView>,
    pub(crate) pager: Pager,
    pub(crate) roles: Vec<(&'static str, &'static str)>,
    pub(crate) role: String,
    pub(crate) q: String,
    pub(crate) form: FormState,
}

pub(crate) async fn users_view(
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

pub(crate) async fn users_page(
    State(app): State<App>,
    headers: HeaderMap,
    user: WebUser,
    Query(f): Query<UserFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let (form, clear) = crate::web::take_flash(&app, &headers);
    Ok(crate::web::with_cookie(
        users_view(&app, &user, f, p, form, StatusCode::OK).await?,
        clear,
    ))
}

pub(crate) async fn users_submit(
    State(app): State<App>,
    headers: HeaderMap,
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
    if state.ok {
        let m = state.message.unwrap_or_default();
        return Ok(crate::web::saved_redirect(
            &app,
            &headers,
            "/admin/users",
            &m,
        ));
    }
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

#[derive(Template)]
#[template(path = "user_edit.html")]
pub(crate) struct UserEditPage {
    pub(crate) chrome: Chrome,
    pub(crate) u: users::UserView,
    pub(crate) locked: Option<String>,
    pub(crate) roles: Vec<(&'static str, &'static str)>,
    pub(crate) form: FormState,
}

async fn user_edit_view(
    app: &App,
    user: &WebUser,
    id: i64,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    // Editing accounts is an administrator's work (one's own account is read by the API).
    if !user.0.administers() {
        return Err(user.fail(
            app,
            crate::kernel::audit::deny(app, &user.actor(), "user.edit", "user", &id.to_string())
                .await,
        ));
    }
    let u = users::get_user(app, &user.actor(), id)
        .await
        .map_err(|e| user.fail(app, e))?;
    let locked = users::locked_until(app, &u.username)
        .await
        .map_err(|e| user.fail(app, e))?
        .map(jiceng_core::clock::format_local);
    Ok(render(
        status,
        &UserEditPage {
            chrome: page_chrome(app, &user.0, "/admin/users"),
            u,
            locked,
            roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
            form,
        },
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct SavedQuery {
    saved: String,
}

/// One account, to edit: name, role, unit, enabled, a new password, a lock lifted.
pub(crate) async fn user_edit_page(
    State(app): State<App>,
    user: WebUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let form = if q.saved == "1" {
        FormState {
            message: Some("已保存".into()),
            ok: true,
            ..FormState::default()
        }
    } else {
        FormState::default()
    };
    user_edit_view(&app, &user, id, form, StatusCode::OK).await
}

pub(crate) async fn user_edit_submit(
    State(app): State<App>,
    user: WebUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let text = |k: &str| Some(field(&form, k)).filter(|v| !v.trim().is_empty());
    let input = users::UserUpdate {
        display_name: text("display_name"),
        role: text("role"),
        org: text("org"),
        active: Some(field(&form, "active") == "true"),
        password: text("password"),
        unlock: field(&form, "unlock") == "true",
    };
    match users::update_user(&app, &user.actor(), id, input).await {
        // Post, redirect, get.
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response()),
        Err(e)
            if e.is_internal()
                || e.status() == StatusCode::FORBIDDEN
                || e.status() == StatusCode::NOT_FOUND =>
        {
            Err(user.fail(&app, e))
        }
        Err(e) => {
            let mut kept = form;
            kept.remove("password");
            let state = FormState::from_error(kept, &e);
            user_edit_view(&app, &user, id, state, e.status()).await
        }
    }
}
