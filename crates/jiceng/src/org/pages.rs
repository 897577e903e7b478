//! Organisation pages: the home page, regions, departments, the grid map, a grid, locate.

use crate::kernel::app::App;
use crate::kernel::paging::Page;
use crate::kernel::paging::PageParams;
use crate::org;
use crate::org::departments::DepartmentFilter;
use crate::org::departments::DepartmentInput;
use crate::org::departments::DepartmentKind;
use crate::org::locate::Match;
use crate::org::regions::RegionFilter;
use crate::org::regions::RegionInput;
use crate::web::Chrome;
use crate::web::FormState;
use crate::web::PageResult;
use crate::web::Pager;
use crate::web::WebUser;
use crate::web::field;
use crate::web::form_csrf;
use crate::web::outcome;
use crate::web::page_chrome;
use crate::web::pager;
use crate::web::render;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Form, Router};
use geo::Centroid;
use jiceng_core::{RegionLevel, Role};
use std::collections::HashMap;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/map", get(map_page))
        .route("/grids/{code}", get(grid_page).post(grid_submit))
        .route("/locate", get(locate_page))
        .route("/admin/regions", get(regions_page).post(regions_submit))
        .route(
            "/admin/departments",
            get(departments_page).post(departments_submit),
        )
}

// ---------------------------------------------------------------------------------------------
// Home

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub(crate) chrome: Chrome,
    pub(crate) greeting: String,
    pub(crate) role_label: &'static str,
    pub(crate) scope_name: String,
    pub(crate) stats: Vec<(&'static str, u64)>,
    pub(crate) cards: Vec<(&'static str, &'static str, &'static str)>,
    pub(crate) coming: Vec<&'static str>,
}

/// The home page's cards: the pages of the account's menu (one source: the menu), each with
/// what it is for.
impl RegionsPage {
    fn region_name(&self, code: &str) -> String {
        self.names.region_name(code).unwrap_or_default()
    }
}

pub(crate) fn cards_for(
    u: &crate::kernel::actor::UserActor,
) -> Vec<(&'static str, &'static str, &'static str)> {
    crate::web::nav_for(u)
        .into_iter()
        .filter_map(|(link, _)| {
            let (title, what) = match link {
                "/work-orders" => (
                    "工单（接诉即办）",
                    "登记、派单、签收、办理、回复与回访，超期自动督办",
                ),
                "/window" => ("一窗受理", "叫号、收件、一次性告知补正、出具受理回执"),
                "/window/applications" => ("办件", "本大厅受理的办件及其办理进度"),
                "/rankings" => ("排名", "各单位、乡镇的响应率、解决率、满意率"),
                "/supervision" => ("督办", "超期与督办工单"),
                "/map" => ("网格地图", "查看管辖范围内的网格划分和网格员"),
                "/locate" => ("位置查询", "由经纬度查询所在网格、村（社区）和乡镇（街道）"),
                "/admin/regions" => ("区划", "县、乡镇（街道）、村（社区）三级区划"),
                "/admin/departments" => {
                    ("部门与单位", "县级部门、乡镇机构、村（社区）组织和协办单位")
                }
                "/admin/users" => ("账号管理", "新增账号、分配角色和所属单位"),
                "/admin/outbox" => ("通知", "发给群众和单位的短信、邮件及其发送情况"),
                "/admin/templates" => ("通知模板", "各类通知的标题与正文"),
                "/admin/categories" => ("诉求分类", "三级诉求分类与关键词"),
                "/audit" => ("审计日志", "每一次登录、变更和拒绝访问的完整记录"),
                _ => return None,
            };
            Some((link, title, what))
        })
        .collect()
}

/// What is still to come for a role.
pub(crate) fn coming_for(role: Role) -> Vec<&'static str> {
    match role {
        Role::Leader => vec!["数据驾驶舱：趋势、热点、排名"],
        Role::GridWorker => vec!["网格员工作台：巡查、走访、任务"],
        Role::Operator
        | Role::Supervisor
        | Role::Dispatcher
        | Role::Handler
        | Role::Auditor
        | Role::WindowClerk
        | Role::Admin => vec![],
    }
}

pub(crate) async fn home(State(app): State<App>, user: WebUser) -> PageResult {
    // Who has work waiting starts from it.
    if !jiceng_core::worklist::kinds_for(user.0.role).is_empty() {
        return crate::work_orders::pages::worklist_page(&app, &user, Default::default()).await;
    }
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
        cards: cards_for(u),
        coming: coming_for(u.role),
    };
    Ok(render(StatusCode::OK, &page))
}

// ---------------------------------------------------------------------------------------------
// Regions, departments, users

#[derive(Template)]
#[template(path = "regions.html")]
pub(crate) struct RegionsPage {
    pub(crate) chrome: Chrome,
    /// Region names, to show a parent by name.
    pub(crate) names: std::sync::Arc<crate::org::locate::Snapshot>,
    pub(crate) page: Page<org::RegionView>,
    pub(crate) pager: Pager,
    pub(crate) levels: Vec<(&'static str, &'static str)>,
    pub(crate) level: String,
    pub(crate) q: String,
    pub(crate) can_edit: bool,
    pub(crate) form: FormState,
}

pub(crate) async fn regions_view(
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
        names: crate::org::locate::of(app).snapshot(),
        chrome: page_chrome(app, &user.0, "/admin/regions"),
        pager: pager(&p, &[("level", &level), ("q", &q)]),
        page: p,
        levels: RegionLevel::ALL
            .iter()
            .map(|l| (l.code(), l.label()))
            .collect(),
        level,
        q,
        can_edit: user.0.administers(),
        form,
    };
    Ok(render(status, &view))
}

pub(crate) async fn regions_page(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    user: WebUser,
    Query(f): Query<RegionFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let (form, clear) = crate::web::take_flash(&app, &headers);
    Ok(crate::web::with_cookie(
        regions_view(&app, &user, f, p, form, StatusCode::OK).await?,
        clear,
    ))
}

pub(crate) async fn regions_submit(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
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
    if state.ok {
        let m = state.message.unwrap_or_default();
        return Ok(crate::web::saved_redirect(
            &app,
            &headers,
            "/admin/regions",
            &m,
        ));
    }
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
pub(crate) struct DepartmentsPage {
    pub(crate) chrome: Chrome,
    pub(crate) page: Page<org::DepartmentView>,
    pub(crate) pager: Pager,
    pub(crate) kinds: Vec<(&'static str, &'static str)>,
    pub(crate) kind: String,
    pub(crate) q: String,
    pub(crate) can_edit: bool,
    pub(crate) form: FormState,
}

pub(crate) async fn departments_view(
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
        can_edit: user.0.administers(),
        form,
    };
    Ok(render(status, &view))
}

pub(crate) async fn departments_page(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    user: WebUser,
    Query(f): Query<DepartmentFilter>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let (form, clear) = crate::web::take_flash(&app, &headers);
    Ok(crate::web::with_cookie(
        departments_view(&app, &user, f, p, form, StatusCode::OK).await?,
        clear,
    ))
}

pub(crate) async fn departments_submit(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
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
    if state.ok {
        let m = state.message.unwrap_or_default();
        return Ok(crate::web::saved_redirect(
            &app,
            &headers,
            "/admin/departments",
            &m,
        ));
    }
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

// ---------------------------------------------------------------------------------------------
// Grid map

pub struct MapShape {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) short: String,
    pub(crate) points: String,
    pub(crate) fill: &'static str,
    pub(crate) label_x: String,
    pub(crate) label_y: String,
    /// The grid the page is about (an order's, or the grid's own page): outlined.
    pub(crate) current: bool,
    pub(crate) village_code: String,
}

pub struct SvgMap {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) shapes: Vec<MapShape>,
    /// A point to mark (an order's place), projected.
    pub(crate) marker: Option<(String, String)>,
    /// Label size in drawing units: larger when there are few grids, so that a label reads
    /// at about 12 px or more on a 390 px phone.
    pub(crate) label_size: String,
    /// Many grids (the county): the drawing keeps a readable width and scrolls on a phone.
    pub(crate) many: bool,
    /// The projection, for a page that turns a click back into a place: lon = x / kx + west,
    /// lat = north − y / ky.
    pub(crate) west: String,
    pub(crate) north: String,
    pub(crate) kx: String,
    pub(crate) ky: String,
}

pub(crate) const PALETTE: [&str; 8] = [
    "#e57373", "#64b5f6", "#81c784", "#ffb74d", "#ba68c8", "#4db6ac", "#f06292", "#a1887f",
];

/// Grids as drawn: their outlines from GeoJSON.
pub fn grid_shapes(grids: &[org::GridView]) -> Vec<crate::org::locate::GridShape> {
    grids
        .iter()
        .filter_map(|g| {
            let geom: geojson::Geometry = serde_json::from_value(g.geometry.clone()).ok()?;
            Some(crate::org::locate::GridShape {
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
pub fn svg_map(grids: &[crate::org::locate::GridShape], marker: Option<(f64, f64)>) -> SvgMap {
    svg_map_around(grids, marker, None)
}

/// [`svg_map`] with one grid outlined (the order's, or the grid's own page).
pub fn svg_map_around(
    grids: &[crate::org::locate::GridShape],
    marker: Option<(f64, f64)>,
    current: Option<&str>,
) -> SvgMap {
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
                current: current == Some(g.code.as_str()),
                village_code: g.village_code.clone(),
            }
        })
        .collect();
    // About seven label characters across a grid's share of the width.
    let across = (grids.len().max(1) as f64).sqrt();
    let label_size = (width / across / 7.0).clamp(13.0, 44.0);
    SvgMap {
        width: width as u32,
        height: height.ceil() as u32,
        label_size: format!("{label_size:.0}"),
        many: grids.len() > 30,
        west: format!("{min_x:.7}"),
        north: format!("{max_y:.7}"),
        kx: format!("{:.4}", kx * scale),
        ky: format!("{scale:.4}"),
        shapes,
        marker: marker.map(|(x, y)| {
            let (x, y) = project(x, y);
            (format!("{x:.1}"), format!("{y:.1}"))
        }),
    }
}

#[derive(Template)]
#[template(path = "map.html")]
pub(crate) struct MapPage {
    pub(crate) chrome: Chrome,
    pub(crate) grid_count: usize,
    pub(crate) map: SvgMap,
}

/// Grids drawn on one page at most; larger jurisdictions are better served by filters.
pub(crate) const MAP_LIMIT: u64 = 3000;

pub(crate) async fn map_page(State(app): State<App>, user: WebUser) -> PageResult {
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
pub(crate) struct GridPage {
    pub(crate) chrome: Chrome,
    pub(crate) grid: org::GridView,
    pub(crate) village: String,
    pub(crate) township: String,
    pub(crate) worker: String,
    /// For an administrator over the grid: the grid workers to choose from.
    pub(crate) workers: Option<Vec<(i64, String)>>,
    pub(crate) map: Option<crate::org::pages::SvgMap>,
    pub(crate) form: FormState,
}

async fn grid_view(
    app: &App,
    user: &WebUser,
    code: &str,
    form: FormState,
    status: StatusCode,
) -> PageResult {
    let d = org::grid_detail(app, &user.actor(), code)
        .await
        .map_err(|e| user.fail(app, e))?;
    let workers = org::grids::worker_choices(app, &user.actor(), code)
        .await
        .map_err(|e| user.fail(app, e))?;
    // The grid outlined among its neighbours.
    let map = serde_json::from_value::<geojson::Geometry>(d.grid.geometry.clone())
        .ok()
        .and_then(|g| jiceng_core::geometry::grid_polygon(&g.value).ok())
        .and_then(|p| p.centroid())
        .map(|c| {
            let grids = crate::org::locate::of(app)
                .snapshot()
                .grids_near(c.x(), c.y(), 2000.0);
            svg_map_around(&grids, None, Some(code))
        });
    let page = GridPage {
        chrome: page_chrome(app, &user.0, "/map"),
        village: format!("{}（{}）", d.village_name, d.grid.village_code),
        township: d.township_name,
        worker: d.worker_name.unwrap_or_else(|| "未指定".into()),
        grid: d.grid,
        workers,
        map,
        form,
    };
    Ok(render(status, &page))
}

pub(crate) async fn grid_page(
    State(app): State<App>,
    user: WebUser,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let (form, clear) = crate::web::take_flash(&app, &headers);
    let mut resp = grid_view(&app, &user, &code, form, StatusCode::OK).await?;
    if let Some(c) = clear {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// An administrator assigns the grid's worker and replaces its boundary with an uploaded
/// GeoJSON (the same checks as the API: inside the village, no overlap, a worker of the
/// village or above).
pub(crate) async fn grid_submit(
    State(app): State<App>,
    user: WebUser,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    form_csrf(&user, &form)?;
    let actor = user.actor();
    let current = org::get_grid(&app, &actor, &code)
        .await
        .map_err(|e| user.fail(&app, e))?;
    let uploaded = field(&form, "geojson");
    let geometry = if uploaded.trim().is_empty() {
        Ok(current.geometry.clone())
    } else {
        org::grids::geometry_of_upload(&uploaded)
    };
    let worker = field(&form, "worker_user_id");
    let result = match geometry {
        Ok(geometry) => {
            org::update_grid(
                &app,
                &actor,
                &code,
                org::GridInput {
                    code: code.clone(),
                    name: current.name.clone(),
                    village_code: current.village_code.clone(),
                    geometry,
                    worker_user_id: worker.trim().parse().ok(),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(crate::web::saved_redirect(
            &app,
            &headers,
            &format!("/grids/{code}"),
            "已保存网格",
        )),
        Err(e) if e.is_internal() || e.status() == StatusCode::FORBIDDEN => Err(user.fail(&app, e)),
        Err(e) => {
            let mut kept = form;
            // The upload is not sent back into the page.
            kept.remove("geojson");
            let state = FormState::from_error(kept, &e);
            grid_view(&app, &user, &code, state, e.status()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Locate

#[derive(Template)]
#[template(path = "locate.html")]
pub(crate) struct LocatePage {
    pub(crate) chrome: Chrome,
    pub(crate) lat: String,
    pub(crate) lon: String,
    pub(crate) error: Option<String>,
    pub(crate) result: Option<(&'static str, String, String, String, String)>,
}

pub(crate) async fn locate_page(
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
                let r = crate::org::locate::of(&app).snapshot().locate(lo, la);
                let name = |x: Option<crate::org::locate::RegionRef>| {
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
