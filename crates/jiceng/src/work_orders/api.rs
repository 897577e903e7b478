//! JSON API of 接诉即办: work orders, categories, calendar, SLA policies, responsibility
//! lists, citizens' tracking, and the outbox for admins.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::notify;
use crate::reference;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use crate::web::extract::MaybeApiUser;
use crate::work_orders;
use crate::work_orders::actions::ActionInput;
use crate::work_orders::model::NewOrder;
use crate::work_orders::read::OrderFilter;
use crate::work_orders::resp_list;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiceng_core::calendar::SpecialDay;
use jiceng_core::sla::{Policy, Priority};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/work-orders", post(create).get(list))
        .route("/api/v1/work-orders/suggest", post(suggest))
        .route("/api/v1/work-orders/caller-history", post(caller_history))
        .route("/api/v1/work-orders/{id}", get(detail))
        .route("/api/v1/work-orders/{id}/actions", post(act))
        .route("/api/v1/work-orders/{id}/assist-reply", post(assist_reply))
        .route("/api/v1/work-orders/{id}/photos/{photo}", get(photo))
        .route(
            "/api/v1/work-orders/{id}/reporter-phone",
            get(reporter_phone),
        )
        .route("/api/v1/notification-templates", get(templates))
        .route(
            "/api/v1/notification-templates/{event}",
            axum::routing::put(set_template).delete(reset_template),
        )
        .route("/api/v1/track", post(track))
        .route("/api/v1/track/rate", post(rate))
        .route("/api/v1/categories", get(categories))
        .route(
            "/api/v1/categories/{code}",
            axum::routing::put(set_category),
        )
        .route("/api/v1/calendar/{year}", get(calendar).put(set_calendar))
        .route("/api/v1/sla-policies", get(policies).put(set_policy))
        .route("/api/v1/responsibility-lists", get(lists).post(create_list))
        .route("/api/v1/responsibility-lists/diff", get(diff_lists))
        .route("/api/v1/responsibility-lists/{id}", get(get_list))
        .route(
            "/api/v1/responsibility-lists/{id}/publish",
            post(publish_list),
        )
        .route("/api/v1/responsibility-lists/{id}/xlsx", get(export_list))
        .route("/api/v1/responsibility-lists/import", post(import_list))
        .route("/api/v1/admin/outbox", get(outbox_messages))
        .route("/api/v1/metrics/work-orders", get(metrics))
        .route("/api/v1/worklist", get(worklist))
}

/// A photo of an order, for staff who may see the order.
async fn photo(
    State(app): State<App>,
    user: ApiUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> AppResult<impl IntoResponse> {
    let (content_type, data) = work_orders::photo(&app, &user.actor(), id, photo).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=86400".to_string(),
            ),
        ],
        data,
    ))
}

/// The reporter's full phone number (audited), to call the citizen back.
async fn reporter_phone(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    let phone = work_orders::reveal_phone(&app, &user.actor(), id).await?;
    Ok(Json(json!({"phone": phone})))
}

async fn templates(State(app): State<App>, user: ApiUser) -> AppResult<impl IntoResponse> {
    Ok(Json(
        json!({"items": notify::templates(&app, &user.actor()).await?}),
    ))
}

async fn set_template(
    State(app): State<App>,
    user: ApiUser,
    Path(event): Path<String>,
    ApiJson(input): ApiJson<notify::TemplateInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        notify::set_template(&app, &user.actor(), &event, Some(input)).await?,
    ))
}

async fn reset_template(
    State(app): State<App>,
    user: ApiUser,
    Path(event): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        notify::set_template(&app, &user.actor(), &event, None).await?,
    ))
}

/// Staff register orders with their token or session; citizens without either.
async fn create(
    State(app): State<App>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    user: MaybeApiUser,
    ApiJson(input): ApiJson<NewOrder>,
) -> AppResult<impl IntoResponse> {
    let actor = user.0.map(Actor::User);
    if actor.is_none() {
        crate::web::extract::citizen_allowance(&app, &headers, peer)?;
    }
    Ok((
        StatusCode::CREATED,
        Json(work_orders::create(&app, actor.as_ref(), input).await?),
    ))
}

async fn list(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(f): ApiQuery<OrderFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        work_orders::list(&app, &user.actor(), &f, page).await?,
    ))
}

async fn detail(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(work_orders::get(&app, &user.actor(), id).await?))
}

async fn act(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ActionInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        work_orders::apply(&app, &user.actor(), id, input).await?,
    ))
}

#[derive(Deserialize)]
struct AssistReply {
    note: String,
}

async fn assist_reply(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<AssistReply>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        work_orders::assist_reply(&app, &user.actor(), id, &r.note).await?,
    ))
}

#[derive(Deserialize)]
struct SuggestInput {
    text: String,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    /// The village or community chosen, when there are no coordinates.
    #[serde(default)]
    village_code: Option<String>,
    /// The address as typed: a village, community or township named in it places the report
    /// when there are neither coordinates nor a choice.
    #[serde(default)]
    address: String,
}

/// Category suggestions with their confidence and the words that drove them, where the point
/// is, and open orders nearby that may be the same problem.
async fn suggest(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(s): ApiJson<SuggestInput>,
) -> AppResult<impl IntoResponse> {
    if s.text.chars().count() > work_orders::MAX_DESCRIPTION {
        return Err(AppError::field(
            "text",
            Code::WorkOrderInvalid,
            "文本不能超过4000个字",
        ));
    }
    let suggestions = work_orders::suggest(&app, &s.text, 3);
    let top = suggestions.first().map(|(x, _)| x.label.clone());
    let top_confidence = suggestions.first().map_or(0.0, |(x, _)| x.confidence);
    let items: Vec<_> = suggestions
        .into_iter()
        .map(|(s, name)| json!({"code": s.label, "name": name, "confidence": s.confidence, "words": s.words, "source": s.source}))
        .collect();
    let lat_lon = match (s.lat, s.lon) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Some((lat, lon))
        }
        _ => None,
    };
    let snapshot = crate::org::locate::of(&app).snapshot();
    // The place as intake will find it, and the dispatch intake will make there.
    let placed = work_orders::intake::place_report(
        &snapshot,
        lat_lon,
        s.village_code.as_deref(),
        &[&s.address, &s.text],
    )
    .ok();
    let place = placed.as_ref().map(|p| {
        json!({
            "village": p.place.village.as_ref().map(|(c, n)| json!({"code": c, "name": n})),
            "township": p.place.township.as_ref().map(|(c, n)| json!({"code": c, "name": n})),
            "by_text": p.by_text,
            "outside": p.outside,
        })
    });
    let plan = match (&top, &placed) {
        (_, Some(p)) if p.outside => Some(jiceng_core::dispatch::outside_area()),
        (Some(c), Some(p)) if p.place.village.is_some() || p.place.township.is_some() => {
            let county = p
                .county
                .clone()
                .or_else(|| snapshot.first_county())
                .unwrap_or_default();
            Some(jiceng_core::dispatch::unless_unsure(
                work_orders::preview_dispatch_at(&app, c, &p.place, &county).await?,
                top_confidence,
                app.config.auto_dispatch_min_confidence,
            ))
        }
        _ => None,
    };
    let (location, duplicates) = match lat_lon {
        Some((lat, lon)) => (
            Some(snapshot.locate(lon, lat)),
            work_orders::nearby_open(&app, &user.actor(), lat, lon, top.as_deref(), 300.0).await?,
        ),
        None => (None, Vec::new()),
    };
    Ok(Json(
        json!({"suggestions": items, "location": location, "place": place, "duplicates": duplicates, "dispatch": plan}),
    ))
}

/// The number in the body, never in a URL (where logs and histories keep it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallerInput {
    phone: String,
}

/// 来电历史: the caller's earlier orders, by the phone number.
async fn caller_history(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiJson(c): ApiJson<CallerInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        work_orders::read::caller_history(&app, &user.actor(), &c.phone, page).await?,
    ))
}

/// A citizen's code and 查询密码, in the body (never in a URL, where logs and histories keep it).
#[derive(Deserialize)]
struct TrackInput {
    code: String,
    pin: String,
}

async fn track(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    ApiJson(q): ApiJson<TrackInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(work_orders::track(&app, &q.code, &q.pin).await?))
}

async fn categories(State(app): State<App>) -> impl IntoResponse {
    let r = crate::reference::of(&app).get();
    Json(json!({"items": r.categories.all()}))
}

async fn set_category(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<reference::CategoryInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        reference::set_category(&app, &user.actor(), &code, input).await?,
    ))
}

async fn calendar(State(app): State<App>, Path(year): Path<i32>) -> impl IntoResponse {
    Json(json!({"year": year, "days": reference::year(&app, year)}))
}

#[derive(Deserialize)]
struct CalendarInput {
    days: Vec<SpecialDay>,
}

async fn set_calendar(
    State(app): State<App>,
    user: ApiUser,
    Path(year): Path<i32>,
    ApiJson(c): ApiJson<CalendarInput>,
) -> AppResult<impl IntoResponse> {
    let n = reference::set_year(&app, &user.actor(), year, c.days).await?;
    Ok(Json(json!({"year": year, "days": n})))
}

async fn policies(State(app): State<App>, _user: ApiUser) -> impl IntoResponse {
    Json(json!({"items": reference::policies(&app)}))
}

#[derive(Deserialize)]
struct PolicyInput {
    category_code: String,
    priority: String,
    policy: Policy,
}

async fn set_policy(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(p): ApiJson<PolicyInput>,
) -> AppResult<impl IntoResponse> {
    let priority = Priority::parse(&p.priority).ok_or_else(|| {
        AppError::field(
            "priority",
            Code::WorkOrderInvalid,
            "紧急程度只能是 urgent、expedited 或 normal",
        )
    })?;
    reference::set_policy(
        &app,
        &user.actor(),
        p.category_code.trim(),
        priority,
        p.policy,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn lists(State(app): State<App>, user: ApiUser) -> AppResult<impl IntoResponse> {
    Ok(Json(
        json!({"items": resp_list::versions(&app, &user.actor()).await?}),
    ))
}

async fn create_list(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<resp_list::NewList>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(resp_list::create_draft(&app, &user.actor(), input).await?),
    ))
}

async fn get_list(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(resp_list::get(&app, &user.actor(), id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PublishInput {
    effective_date: Option<String>,
}

/// Body `{}` or `{"effective_date": "2026-12-01"}`.
async fn publish_list(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<PublishInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        resp_list::publish(&app, &user.actor(), id, input.effective_date.as_deref()).await?,
    ))
}

#[derive(Deserialize)]
struct DiffQuery {
    a: i64,
    b: i64,
}

async fn diff_lists(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(resp_list::diff(&app, &user.actor(), q.a, q.b).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutboxQuery {
    recipient: Option<String>,
}

async fn outbox_messages(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<OutboxQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        notify::page(&app, &user.actor(), q.recipient.as_deref(), page).await?,
    ))
}

#[derive(Deserialize)]
struct RateInput {
    code: String,
    pin: String,
    resolution: jiceng_core::work_order::Resolution,
    satisfaction: jiceng_core::work_order::Satisfaction,
}

/// The citizen's callback rating from the tracking page.
async fn rate(
    State(app): State<App>,
    _: crate::web::extract::CitizenLookup,
    ApiJson(r): ApiJson<RateInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        work_orders::citizen_callback(&app, &r.code, &r.pin, r.resolution, r.satisfaction).await?,
    ))
}

async fn metrics(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<crate::work_orders::metrics::MetricsQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        crate::work_orders::metrics::work_order_metrics(&app, &user.actor(), &q).await?,
    ))
}

/// The list as a spreadsheet (the import template).
async fn export_list(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<axum::response::Response> {
    let bytes = resp_list::export_xlsx(&app, &user.actor(), id).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"resp-list-{id}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ImportListQuery {
    region_code: String,
    #[serde(default)]
    note: String,
}

/// A new draft from a spreadsheet; the body is the .xlsx file.
async fn import_list(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<ImportListQuery>,
    body: axum::body::Bytes,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(
            resp_list::import_xlsx(&app, &user.actor(), &q.region_code, &q.note, body.to_vec())
                .await?,
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorklistQuery {
    kind: String,
}

/// What the caller must do now: every kind with its count, and a page of one kind.
async fn worklist(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<WorklistQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        crate::work_orders::worklist::worklist(&app, &user.actor(), Some(&q.kind), page).await?,
    ))
}
