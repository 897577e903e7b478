//! JSON API of 一窗受理: applications, 好差评 and rectification, queue tickets and the 办不成事
//! desk.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::hall::applications;
use crate::hall::applications::actions::Action;
use crate::hall::applications::model::NewApplication;
use crate::hall::applications::read::ListFilter;
use crate::hall::desk;
use crate::hall::desk::DeskFilter;
use crate::hall::desk::RaiseInput;
use crate::hall::queue;
use crate::hall::queue::GroupInput;
use crate::hall::queue::TicketAction;
use crate::hall::ratings;
use crate::hall::ratings::RateInput;
use crate::hall::ratings::ReRateInput;
use crate::hall::ratings::RectAction;
use crate::hall::ratings::RectFilter;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use crate::web::extract::MaybeApiUser;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/applications", get(list).post(submit))
        .route("/api/v1/applications/checklist", get(checklist))
        .route("/api/v1/applications/track", post(track))
        .route("/api/v1/applications/supplement", post(supplement_online))
        .route("/api/v1/applications/{id}", get(detail))
        .route("/api/v1/applications/{id}/actions", post(act))
        .route("/api/v1/ratings", post(rate))
        .route("/api/v1/ratings/rankings", get(rankings))
        .route("/api/v1/rectifications", get(rectifications))
        .route("/api/v1/rectifications/{id}/actions", post(rect_act))
        .route("/api/v1/rectifications/{id}/rating", post(re_rate))
        .route("/api/v1/queue/groups", get(groups).post(set_group))
        .route("/api/v1/queue/tickets", post(issue))
        .route("/api/v1/queue/tickets/{id}", get(ticket))
        .route("/api/v1/queue/tickets/{id}/actions", post(ticket_act))
        .route("/api/v1/queue/call", post(call))
        .route("/api/v1/queue/current", get(current))
        .route("/api/v1/queue/pause", post(pause))
        .route("/api/v1/queue/hall", get(hall))
        .route("/api/v1/queue/stats", get(stats))
        .route("/api/v1/desk", get(desk_list).post(raise))
        .route("/api/v1/desk/{id}/resolve", post(resolve))
}

/// Staff receive at the window; anyone may apply online or at a kiosk, within the citizens'
/// allowance.
async fn submit(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    user: MaybeApiUser,
    ApiJson(input): ApiJson<NewApplication>,
) -> AppResult<impl IntoResponse> {
    let actor = user.0.map(Actor::User);
    if actor.is_none() {
        crate::web::extract::citizen_allowance(&app, &headers, peer)?;
    }
    Ok((
        StatusCode::CREATED,
        Json(applications::submit(&app, actor.as_ref(), input).await?),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubjectQuery {
    matter: Option<String>,
    bundle: Option<String>,
}

async fn checklist(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<SubjectQuery>,
) -> AppResult<impl IntoResponse> {
    let (title, items) =
        applications::checklist_for(&app, q.matter.as_deref(), q.bundle.as_deref()).await?;
    // Each line as the applicant reads it (居民身份证（本人、父母双方）) beside its name.
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            let mut v = json!(i);
            v["label"] = json!(i.label());
            v
        })
        .collect();
    Ok(Json(json!({"title": title, "items": items})))
}

async fn list(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(f): ApiQuery<ListFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        applications::list(&app, &user.actor(), &f, page).await?,
    ))
}

async fn detail(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(applications::get(&app, &user.actor(), id).await?))
}

async fn act(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(action): ApiJson<Action>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        applications::change(&app, &user.actor(), id, action).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodePin {
    code: String,
    pin: String,
    provided: Vec<String>,
}

async fn track(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    ApiJson(q): ApiJson<CodePin>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(applications::track(&app, &q.code, &q.pin).await?))
}

async fn supplement_online(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    ApiJson(q): ApiJson<CodePin>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        applications::supplement_online(&app, &q.code, &q.pin, q.provided).await?,
    ))
}

async fn rate(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    ApiJson(input): ApiJson<RateInput>,
) -> AppResult<impl IntoResponse> {
    Ok((StatusCode::CREATED, Json(ratings::rate(&app, input).await?)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RankQuery {
    by: String,
    month: String,
}

async fn rankings(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<RankQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        ratings::rankings(&app, &user.actor(), &q.by, &q.month).await?,
    ))
}

async fn rectifications(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(f): ApiQuery<RectFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        ratings::rectifications(&app, &user.actor(), &f, page).await?,
    ))
}

async fn rect_act(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<RectAction>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(ratings::act(&app, &user.actor(), id, a).await?))
}

async fn re_rate(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReRateInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(ratings::rate_rectification(&app, id, input).await?),
    ))
}

async fn groups(State(app): State<App>) -> AppResult<impl IntoResponse> {
    Ok(Json(json!({"items": queue::groups(&app).await?})))
}

async fn set_group(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(g): ApiJson<GroupInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(queue::set_group(&app, &user.actor(), g).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IssueInput {
    group: String,
    reserved: bool,
    phone_last4: String,
}

/// Anyone may take a ticket at the hall's kiosk, within the citizens' allowance; a reserved
/// one (called first) only from the group's own windows.
async fn issue(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    user: MaybeApiUser,
    ApiJson(i): ApiJson<IssueInput>,
) -> AppResult<impl IntoResponse> {
    let actor = user.0.map(Actor::User);
    if actor.is_none() {
        crate::web::extract::citizen_allowance(&app, &headers, peer)?;
    }
    Ok((
        StatusCode::CREATED,
        Json(queue::issue(&app, actor.as_ref(), &i.group, i.reserved, &i.phone_last4).await?),
    ))
}

async fn ticket(State(app): State<App>, Path(id): Path<i64>) -> AppResult<impl IntoResponse> {
    Ok(Json(queue::ticket(&app, id).await?))
}

async fn ticket_act(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<TicketAction>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(queue::act(&app, &user.actor(), id, a).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallInput {
    window: String,
}

async fn call(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(c): ApiJson<CallInput>,
) -> AppResult<impl IntoResponse> {
    match queue::call_next(&app, &user.actor(), &c.window).await? {
        Some(t) => Ok(Json(json!({"ticket": t}))),
        None => Ok(Json(
            json!({"ticket": null, "message": "当前没有等候的群众"}),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseInput {
    window: String,
    /// true: 暂停叫号; false: 恢复叫号.
    paused: bool,
}

/// 暂停叫号 / 恢复叫号 of a window for the rest of the day.
async fn pause(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(p): ApiJson<PauseInput>,
) -> AppResult<impl IntoResponse> {
    let paused = queue::pause(&app, &user.actor(), &p.window, p.paused).await?;
    Ok(Json(json!({"window": p.window.trim(), "paused": paused})))
}

async fn hall(State(app): State<App>) -> AppResult<impl IntoResponse> {
    Ok(Json(queue::hall(&app).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatsQuery {
    from: String,
    to: String,
}

fn day(s: &str, field: &str) -> AppResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, Code::QueueBadDate, "日期格式应为 YYYY-MM-DD"))
}

async fn stats(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<impl IntoResponse> {
    let (from, to) = (day(&q.from, "from")?, day(&q.to, "to")?);
    Ok(Json(
        json!({"items": queue::stats(&app, &user.actor(), from, to).await?}),
    ))
}

async fn desk_list(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(f): ApiQuery<DeskFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(desk::list(&app, &user.actor(), &f, page).await?))
}

async fn raise(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(i): ApiJson<RaiseInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(desk::raise(&app, &user.actor(), i).await?),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResolveInput {
    resolution: String,
}

async fn resolve(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ResolveInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        desk::resolve(&app, &user.actor(), id, &r.resolution).await?,
    ))
}

/// The ticket a window is serving now.
async fn current(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(c): ApiQuery<CallInput>,
) -> AppResult<impl IntoResponse> {
    let ticket = queue::current(&app, &user.actor(), &c.window).await?;
    let paused = queue::window_paused(&app, &user.actor(), &c.window).await?;
    Ok(Json(json!({"ticket": ticket, "paused": paused})))
}
