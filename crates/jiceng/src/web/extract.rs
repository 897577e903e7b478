//! Extractors: who is calling (session cookie or bearer token), and JSON / query input whose
//! rejections become our errors with stable codes and Chinese messages.

use crate::auth;
use crate::error::AppError;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::actor::AuthVia;
use crate::kernel::actor::UserActor;
use crate::kernel::app::App;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "jiceng_session";
pub const LOGIN_CSRF_COOKIE: &str = "jiceng_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Constant-time comparison for secrets.
pub use jiceng_core::citizen::same_secret;

pub fn csrf_error() -> AppError {
    AppError::new(
        Code::AuthCsrfInvalid,
        "页面已过期或来源不可信，请刷新页面后重试",
    )
}

/// Checks the CSRF token a form or script sent against the session's.
pub fn check_csrf(user: &UserActor, sent: &str) -> Result<(), AppError> {
    match &user.via {
        AuthVia::Session { csrf_token, .. } if same_secret(csrf_token, sent) => Ok(()),
        AuthVia::Session { .. } => Err(csrf_error()),
        AuthVia::Token { .. } => Ok(()),
    }
}

/// The caller, if signed in. A bearer token that is wrong is an error, not "anonymous".
pub async fn resolve(app: &App, headers: &HeaderMap) -> Result<Option<UserActor>, AppError> {
    if let Some(token) = bearer(headers) {
        return auth::resolve_token(app, token).await.map(Some);
    }
    match cookie_value(headers, SESSION_COOKIE) {
        Some(c) => auth::resolve_session(app, &c).await,
        None => Ok(None),
    }
}

/// A signed-in staff member, for the JSON API. Unsafe methods on a session also need the
/// `X-CSRF-Token` header.
pub struct ApiUser(pub UserActor);

impl ApiUser {
    pub fn actor(&self) -> Actor {
        Actor::User(self.0.clone())
    }
}

impl FromRequestParts<App> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let user = resolve(app, &parts.headers)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            check_csrf(&user, sent)?;
        }
        Ok(ApiUser(user))
    }
}

/// A JSON body whose rejections are ours.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| {
                m.strip_prefix("application/")
                    .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
            });
        if !is_json {
            return Err(json_rejection(JsonRejection::MissingJsonContentType(
                Default::default(),
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, app)
            .await
            .map_err(|e| json_rejection(JsonRejection::BytesRejection(e)))?;
        if let Some(field) = control_character_field(&bytes) {
            return Err(control_character(&field));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

/// Whether a character is a control character that no text field may hold: C0 except tab,
/// line feed and carriage return (U+0000 breaks PostgreSQL text; the others only hide text).
pub fn is_forbidden_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// The field error for a control character in `field`.
pub fn control_character(field: &str) -> AppError {
    AppError::field(
        field,
        Code::RequestControlCharacter,
        format!("“{field}”不能包含控制字符（如 U+0000）"),
    )
}

/// The first field (a dotted path) of a JSON body whose text holds a forbidden control
/// character. Raw control characters are already invalid JSON, so only escapes can carry
/// one (`\u0000`, but also `\b` and `\f`): bodies without a backslash are passed over
/// without parsing.
fn control_character_field(bytes: &[u8]) -> Option<String> {
    if !bytes.contains(&b'\\') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        let bad = |s: &str| s.chars().any(is_forbidden_control);
        match v {
            serde_json::Value::String(s) if bad(s) => Some(path.to_string()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, x)| walk(x, &format!("{path}[{i}]"))),
            serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if bad(k) { Some(p) } else { walk(x, &p) }
            }),
            _ => None,
        }
    }
    walk(&v, "").map(|p| if p.is_empty() { "body".into() } else { p })
}

fn json_rejection(rej: JsonRejection) -> AppError {
    match rej {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            Code::RequestUnsupportedMediaType,
            "请求体必须是 JSON（Content-Type: application/json）",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            AppError::new(Code::RequestMalformedJson, "请求体不是有效的 JSON")
        }
        JsonRejection::JsonDataError(e) => AppError::new(
            Code::RequestInvalidBody,
            format!(
                "请求体字段缺失或类型错误：{}",
                e.body_text().rsplit(": ").next().unwrap_or_default()
            ),
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            too_large()
        }
        other => AppError::new(
            Code::RequestUnreadableBody,
            format!("请求体无法读取（{}）", other.status()),
        ),
    }
}

pub fn too_large() -> AppError {
    AppError::new(Code::RequestTooLarge, "请求体太大")
}

/// Query parameters whose rejections are ours.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, app).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(AppError::new(
                Code::RequestBadQuery,
                format!(
                    "查询参数无效：{}",
                    e.body_text().rsplit(": ").next().unwrap_or_default()
                ),
            )),
            Err(_) => Err(AppError::new(Code::RequestBadQuery, "查询参数无效")),
        }
    }
}

/// The caller if signed in, for public endpoints that show more to staff.
pub struct MaybeApiUser(pub Option<UserActor>);

impl FromRequestParts<App> for MaybeApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let user = resolve(app, &parts.headers).await?;
        if let Some(u) = &user
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            check_csrf(u, sent)?;
        }
        Ok(MaybeApiUser(user))
    }
}

/// The citizen's address: the connection's, or, when the configuration trusts the proxy in
/// front, the address that proxy saw — the last `X-Forwarded-For` entry (the ones before it
/// are whatever the client chose to send).
pub fn client_addr(app: &App, headers: &HeaderMap, peer: std::net::SocketAddr) -> std::net::IpAddr {
    if app.config.trust_forwarded_for
        && let Some(ip) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse().ok())
    {
        return ip;
    }
    peer.ip()
}

/// The allowance bucket of an address: IPv4 addresses each, IPv6 by their /64 (one subscriber
/// line gets a whole /64, so a bucket per address would be no limit at all).
fn bucket_of(addr: std::net::IpAddr) -> std::net::IpAddr {
    match addr {
        // An IPv4 client of a server listening on `[::]` arrives as `::ffff:a.b.c.d`.
        std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => {
            std::net::IpAddr::V4(v6.to_ipv4_mapped().expect("checked"))
        }
        std::net::IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            std::net::IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// Refuses a citizen's report beyond the allowance of their address (429).
pub fn citizen_allowance(
    app: &App,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
) -> Result<(), AppError> {
    spend(app, headers, peer, Spend::Report)
}

/// What a citizen's request spends: a new case, or a look-up by code and pin.
#[derive(Clone, Copy)]
enum Spend {
    Report,
    Lookup,
}

/// Takes one from the address's allowance of that kind (the hall's kiosks have none), or
/// refuses with 429.
fn spend(
    app: &App,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
    what: Spend,
) -> Result<(), AppError> {
    let addr = client_addr(app, headers, peer);
    let allowances = app.wing::<CitizenAllowance>();
    let (allowance, per_hour) = match what {
        Spend::Report => (&allowances.reports, app.config.citizen_reports_per_hour),
        Spend::Lookup => (&allowances.lookups, app.config.citizen_lookups_per_hour),
    };
    if is_kiosk(app, addr) || allowance.take(addr, per_hour) {
        return Ok(());
    }
    Err(match what {
        Spend::Report => AppError::new(
            Code::WorkOrderRateLimited,
            "提交过于频繁，请稍后再试；紧急情况请拨打12345或110",
        ),
        Spend::Lookup => AppError::new(
            Code::CitizenRateLimited,
            "查询过于频繁，请稍后再试；也可拨打12345查询办理进度",
        ),
    })
}

fn is_kiosk(app: &App, addr: std::net::IpAddr) -> bool {
    app.config
        .kiosk_addresses
        .iter()
        .any(|k| k.trim().parse() == Ok(addr))
}

/// A citizen's look-up by code and 查询密码 (tracking, rating, supplementing, the answer to a
/// 差评): spends one from the address's look-up allowance, and is refused with 429 past it.
/// The per-code lock bounds the guesses at one code; this bounds guesses spread over many
/// codes, and the throttle rows wrong pins write.
pub struct CitizenLookup;

impl FromRequestParts<App> for CitizenLookup {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no peer address")))?;
        citizen_lookup(app, &parts.headers, peer).map(|()| CitizenLookup)
    }
}

/// Spends one look-up from the address's allowance (see [`CitizenLookup`]); the pages call
/// it themselves, to answer with a page.
pub fn citizen_lookup(
    app: &App,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
) -> Result<(), AppError> {
    spend(app, headers, peer, Spend::Lookup)
}

/// Citizens' allowances per address bucket: reports (new cases) and look-ups by code and pin,
/// counted apart. The web kit's runtime.
#[derive(Default)]
pub struct CitizenAllowance {
    pub reports: Allowance,
    pub lookups: Allowance,
}

/// One allowance: per address bucket (tokens left, when counted), and when the map was last
/// swept of idle buckets.
#[derive(Default)]
pub struct Allowance(std::sync::Mutex<Buckets>);

#[derive(Default)]
pub struct Buckets {
    map: std::collections::HashMap<std::net::IpAddr, (f64, std::time::Instant)>,
    swept: Option<std::time::Instant>,
}

impl Allowance {
    /// Takes one report from an address's allowance (a bucket of `per_hour` filling at
    /// `per_hour` an hour); false when it is empty.
    pub fn take(&self, addr: std::net::IpAddr, per_hour: u32) -> bool {
        if per_hour == 0 {
            return true;
        }
        let cap = per_hour as f64;
        let now = std::time::Instant::now();
        let mut b = self.0.lock().expect("report allowance lock");
        // Full buckets carry no information: drop them, at most once a minute, so that a flood
        // of addresses costs one sweep a minute rather than one per request.
        if b.map.len() > 100_000
            && b.swept
                .is_none_or(|t| now.duration_since(t).as_secs() >= 60)
        {
            b.map
                .retain(|_, (_, at)| now.duration_since(*at).as_secs() < 3600);
            b.swept = Some(now);
        }
        let (tokens, at) = b.map.entry(bucket_of(addr)).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * cap / 3600.0).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_line_is_one_bucket_and_sweeps_are_rare() {
        let a: std::net::IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(bucket_of(a), bucket_of(b));
        assert_ne!(bucket_of(a), bucket_of(c));
        let allowance = Allowance::default();
        assert!(allowance.take(a, 2));
        assert!(allowance.take(b, 2));
        // The line's allowance is spent, whichever address of it asks.
        assert!(!allowance.take("2001:db8:1:2::77".parse().unwrap(), 2));
        assert!(allowance.take(c, 2));
        let v4: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(bucket_of(v4), v4);
        // Mapped IPv4 clients keep a bucket each instead of sharing ::ffff:0:0/64.
        let mapped: std::net::IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(bucket_of(mapped), v4);
        assert_ne!(bucket_of("::ffff:192.0.2.2".parse().unwrap()), v4);
    }
}
