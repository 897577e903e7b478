//! Organisation JSON routes under `/api/v1`: locate, regions, departments, grids, import.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::org;
use crate::org::departments::DepartmentFilter;
use crate::org::departments::DepartmentInput;
use crate::org::grids::GridFilter;
use crate::org::grids::GridInput;
use crate::org::import;
use crate::org::import::ImportFile;
use crate::org::import::ImportKind;
use crate::org::regions::RegionFilter;
use crate::org::regions::RegionInput;
use crate::org::regions::RegionUpdate;
use crate::web::extract::ApiJson;
use crate::web::extract::ApiQuery;
use crate::web::extract::ApiUser;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/locate", get(locate))
        .route("/api/v1/regions", get(list_regions).post(create_region))
        .route(
            "/api/v1/regions/{code}",
            get(get_region).put(update_region).delete(delete_region),
        )
        .route(
            "/api/v1/departments",
            get(list_departments).post(create_department),
        )
        .route(
            "/api/v1/departments/{id}",
            get(get_department)
                .put(update_department)
                .delete(delete_department),
        )
        .route("/api/v1/grids", get(list_grids).post(create_grid))
        .route(
            "/api/v1/grids/{code}",
            get(get_grid).put(update_grid).delete(delete_grid),
        )
        .route("/api/v1/admin/import", post(import_org))
}

#[derive(Deserialize)]
pub(crate) struct LocateQuery {
    pub(crate) lat: f64,
    pub(crate) lon: f64,
}

pub(crate) async fn locate(
    State(app): State<App>,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> AppResult<impl IntoResponse> {
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(AppError::new(
            Code::LocateBadCoordinate,
            "经纬度超出范围：纬度 -90～90，经度 -180～180（WGS-84）",
        ));
    }
    Ok(Json(
        crate::org::locate::of(&app).snapshot().locate(q.lon, q.lat),
    ))
}

pub(crate) async fn list_regions(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<RegionFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::list_regions(&app, &user.actor(), &filter, page).await?,
    ))
}

pub(crate) async fn get_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(org::get_region(&app, &user.actor(), &code).await?))
}

pub(crate) async fn create_region(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<RegionInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_region(&app, &user.actor(), input).await?),
    ))
}

pub(crate) async fn update_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<RegionUpdate>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_region(&app, &user.actor(), &code, input).await?,
    ))
}

pub(crate) async fn delete_region(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    org::delete_region(&app, &user.actor(), &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_departments(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<DepartmentFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::list_departments(&app, &user.actor(), &filter, page).await?,
    ))
}

pub(crate) async fn get_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(org::get_department(&app, &user.actor(), id).await?))
}

pub(crate) async fn create_department(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<DepartmentInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(org::create_department(&app, &user.actor(), input).await?),
    ))
}

pub(crate) async fn update_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<DepartmentInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_department(&app, &user.actor(), id, input).await?,
    ))
}

pub(crate) async fn delete_department(
    State(app): State<App>,
    user: ApiUser,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    org::delete_department(&app, &user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Grids as a GeoJSON FeatureCollection, with paging members alongside.
pub(crate) async fn list_grids(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(filter): ApiQuery<GridFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<impl IntoResponse> {
    let page = org::list_grids(&app, &user.actor(), &filter, page).await?;
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": page.items.iter().map(|g| g.to_feature()).collect::<Vec<_>>(),
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    })))
}

pub(crate) async fn get_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::get_grid(&app, &user.actor(), &code)
            .await?
            .to_feature(),
    ))
}

pub(crate) async fn create_grid(
    State(app): State<App>,
    user: ApiUser,
    ApiJson(input): ApiJson<GridInput>,
) -> AppResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(
            org::create_grid(&app, &user.actor(), input)
                .await?
                .to_feature(),
        ),
    ))
}

pub(crate) async fn update_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<GridInput>,
) -> AppResult<impl IntoResponse> {
    Ok(Json(
        org::update_grid(&app, &user.actor(), &code, input)
            .await?
            .to_feature(),
    ))
}

pub(crate) async fn delete_grid(
    State(app): State<App>,
    user: ApiUser,
    Path(code): Path<String>,
) -> AppResult<StatusCode> {
    org::delete_grid(&app, &user.actor(), &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(crate) struct ImportQuery {
    pub(crate) kind: Option<String>,
}

/// One file per request; `?kind=regions|departments|grids`, or guessed from the content.
pub(crate) async fn import_org(
    State(app): State<App>,
    user: ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> AppResult<impl IntoResponse> {
    let kind = match q.kind.as_deref() {
        Some(k) => ImportKind::parse(k).ok_or_else(|| {
            AppError::new(
                Code::ImportBadKind,
                "kind 只能是 regions、departments 或 grids",
            )
        })?,
        None => ImportKind::detect(&body).ok_or_else(|| {
            AppError::new(
                Code::ImportUnknownKind,
                "无法识别文件类型，请用 kind 参数指明",
            )
        })?,
    };
    let file = ImportFile {
        name: "上传文件".into(),
        kind,
        bytes: body.to_vec(),
    };
    Ok(Json(
        import::import(&app, &user.actor(), vec![file], &|_, _| {}).await?,
    ))
}
