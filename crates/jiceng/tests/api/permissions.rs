//! The permission matrix: every role × every endpoint of the foundation × inside/outside the
//! jurisdiction, by API token and by web session; and no list leaks what lies outside.

use crate::helpers::*;
use jiceng::kernel::actor::Actor;
use jiceng::org::{self, DepartmentInput, GridInput, RegionInput};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Principal {
    username: &'static str,
    /// Root of the account's region subtree.
    scope: &'static str,
    admin: bool,
    audit: bool,
}

const fn p(username: &'static str, scope: &'static str, admin: bool, audit: bool) -> Principal {
    Principal {
        username,
        scope,
        admin,
        audit,
    }
}

const COUNTY: &str = "339901000000";
const CHENGGUAN: &str = "339901001000";
const VILLAGE1: &str = "339901001001";

const PRINCIPALS: [Principal; 12] = [
    p("admin", COUNTY, true, true),
    // The audit log is not divided by region: only the county's admin and auditor read it.
    p("chengguan.admin", CHENGGUAN, true, false),
    p("auditor", COUNTY, false, true),
    p("leader", COUNTY, false, false),
    p("chengguan.leader", CHENGGUAN, false, false),
    p("supervisor", COUNTY, false, false),
    p("dispatcher", COUNTY, false, false),
    p("chengguan.dispatcher", CHENGGUAN, false, false),
    p("operator", COUNTY, false, false),
    p("clerk", COUNTY, false, false),
    p("chengguan.handler", CHENGGUAN, false, false),
    p("gw001", VILLAGE1, false, false),
];

/// A village inside the scope and one outside it.
fn villages(scope: &str) -> (&'static str, &'static str) {
    match scope {
        COUNTY => ("339901002001", "339902001001"),
        CHENGGUAN => ("339901001002", "339901002001"),
        _ => (VILLAGE1, "339901001002"),
    }
}

fn prefix(scope: &str) -> &str {
    if scope.ends_with("000000") {
        &scope[..6]
    } else if scope.ends_with("000") {
        &scope[..9]
    } else {
        scope
    }
}

/// A neighbouring county, so that county-level accounts have an outside too.
async fn add_neighbour(app: &TestApp) {
    let sys = Actor::System("test");
    let a = &app.app;
    for (code, name) in [
        ("339902000000", "邻县"),
        ("339902001000", "邻镇"),
        ("339902001001", "邻村"),
    ] {
        org::create_region(
            a,
            &sys,
            RegionInput {
                code: code.into(),
                name: name.into(),
                boundary: None,
            },
        )
        .await
        .unwrap();
    }
    let d = DepartmentInput {
        code: "vc-339902001001".into(),
        name: "邻村村民委员会".into(),
        kind: "village_committee".into(),
        region_code: "339902001001".into(),
        phone: String::new(),
        email: String::new(),
        active: true,
    };
    org::create_department(a, &sys, d).await.unwrap();
    let g = GridInput {
        code: "339902001001-01".into(),
        name: "邻村网格".into(),
        village_code: "339902001001".into(),
        geometry: json!({"type": "Polygon", "coordinates": [[[118.0, 30.0], [118.01, 30.0], [118.01, 30.01], [118.0, 30.01], [118.0, 30.0]]]}),
        worker_user_id: None,
    };
    org::create_grid(a, &sys, g).await.unwrap();
}

/// Either way of calling: a bearer token or a signed-in browser session.
enum Caller {
    Token(String),
    Session(Session),
}

impl Caller {
    fn mode(&self) -> &'static str {
        match self {
            Caller::Token(_) => "token",
            Caller::Session(_) => "session",
        }
    }

    async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        match self {
            Caller::Token(t) => app.call(method, path, Some(t), body).await,
            Caller::Session(s) => s.call(method, path, body).await,
        }
    }

    async fn post_raw(&self, app: &TestApp, path: &str, body: String) -> StatusCode {
        let req = match self {
            Caller::Token(t) => reqwest::Client::new().post(app.url(path)).bearer_auth(t),
            Caller::Session(s) => s.client.post(app.url(path)).header("x-csrf-token", &s.csrf),
        };
        req.body(body).send().await.unwrap().status()
    }
}

async fn department_id(app: &TestApp, code: &str) -> i64 {
    use jiceng::store::entities::department::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Entity::find()
        .filter(Column::Code.eq(code))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn expect(ok: bool, allowed: StatusCode, denied: StatusCode) -> StatusCode {
    if ok { allowed } else { denied }
}

#[tokio::test]
async fn every_role_by_token_and_session_inside_and_outside() {
    let app = TestApp::spawn().await;
    add_neighbour(&app).await;
    let mut failures = Vec::new();
    let mut serial = 0;
    let root = app.token("admin").await;
    // Work to leak: an order in 城关 and one in another township, an application at the
    // county's hall and one at 城关's.
    let gw = app.token("gw001").await;
    crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&app.token("operator").await),
            Some(json!({"description": "路口的井盖松动，车辆经过时响声很大",
                "lat": 29.87, "lon": 120.02,
                "reporter": {"name": "赵六", "phone": "13600136001"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for clerk in ["clerk", "chengguan.clerk"] {
        let (s, b) = app
            .call(
                Method::POST,
                "/api/v1/applications",
                Some(&app.token(clerk).await),
                Some(json!({"matter": format!("{COUNTY}-mzj-0009"),
                    "applicant": crate::service::applicant(41), "provided": [],
                    "window": "1号窗口"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{clerk}: {b}");
    }
    let (_, days) = app
        .call(Method::GET, "/api/v1/calendar/2026", None, None)
        .await;
    for pr in &PRINCIPALS {
        let (v_in, v_out) = villages(pr.scope);
        let scope_prefix = prefix(pr.scope);
        let callers = [
            Caller::Token(app.token(pr.username).await),
            Caller::Session(app.browser_session(pr.username).await),
        ];
        for c in &callers {
            let ctx = format!("{} by {}", pr.username, c.mode());
            macro_rules! check {
                ($what:expr, $want:expr, $got:expr, $body:expr) => {
                    if $want != $got {
                        failures.push(format!(
                            "{ctx}: {}: want {}, got {} {}",
                            $what, $want, $got, $body
                        ));
                    }
                };
            }
            let (s, b) = c.call(&app, Method::GET, "/api/v1/me", None).await;
            check!("me", StatusCode::OK, s, &b);

            // Lists: everything returned lies in the jurisdiction.
            for (path, key, field) in [
                ("/api/v1/regions?per_page=500", "items", "code"),
                ("/api/v1/departments?per_page=500", "items", "region_code"),
                ("/api/v1/grids?per_page=500", "features", "village_code"),
            ] {
                let (s, b) = c.call(&app, Method::GET, path, None).await;
                check!(path, StatusCode::OK, s, &b);
                let items = b[key].as_array().cloned().unwrap_or_default();
                for it in &items {
                    let v = if key == "features" {
                        &it["properties"][field]
                    } else {
                        &it[field]
                    };
                    let own_department = key == "items"
                        && field == "region_code"
                        && it["code"] == "chengguan-office"
                        && pr.username == "chengguan.handler";
                    if !v.as_str().unwrap_or("").starts_with(scope_prefix) && !own_department {
                        failures.push(format!("{ctx}: {path} leaks {it}"));
                    }
                }
                let hay = Value::Array(items).to_string();
                if !hay.contains(v_in) {
                    failures.push(format!("{ctx}: {path} misses {v_in}"));
                }
            }
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/regions?q=邻", None)
                .await;
            if pr.scope != "339902000000" && b["total"] != 0 {
                failures.push(format!("{ctx}: search leaks the neighbour county: {b} {s}"));
            }

            // Details.
            for (v, inside) in [(v_in, true), (v_out, false)] {
                let want = expect(inside, StatusCode::OK, StatusCode::NOT_FOUND);
                let (s, b) = c
                    .call(&app, Method::GET, &format!("/api/v1/regions/{v}"), None)
                    .await;
                check!(&format!("region {v}"), want, s, &b);
                let id = department_id(&app, &format!("vc-{v}")).await;
                let (s, b) = c
                    .call(
                        &app,
                        Method::GET,
                        &format!("/api/v1/departments/{id}"),
                        None,
                    )
                    .await;
                check!(&format!("department vc-{v}"), want, s, &b);
                let (s, b) = c
                    .call(&app, Method::GET, &format!("/api/v1/grids/{v}-01"), None)
                    .await;
                check!(&format!("grid {v}-01"), want, s, &b);
            }

            // Admin reads.
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/users?per_page=500", None)
                .await;
            check!(
                "users",
                expect(pr.admin, StatusCode::OK, StatusCode::FORBIDDEN),
                s,
                &b
            );
            if pr.admin
                && b["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| !u["region_code"].as_str().unwrap().starts_with(scope_prefix))
            {
                failures.push(format!("{ctx}: users list leaks"));
            }
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/audit?per_page=5", None)
                .await;
            check!(
                "audit",
                expect(pr.audit, StatusCode::OK, StatusCode::FORBIDDEN),
                s,
                &b
            );

            // Changes: same values, so the matrix can run in any order.
            for (v, inside) in [(v_in, true), (v_out, false)] {
                let want = if !pr.admin {
                    StatusCode::FORBIDDEN
                } else {
                    expect(inside, StatusCode::OK, StatusCode::NOT_FOUND)
                };
                let (_, region) = app
                    .call(
                        Method::GET,
                        &format!("/api/v1/regions/{v}"),
                        Some(&root),
                        None,
                    )
                    .await;
                let name = if region["name"].is_string() {
                    region["name"].clone()
                } else {
                    json!("邻村")
                };
                let (s, b) = c
                    .call(
                        &app,
                        Method::PUT,
                        &format!("/api/v1/regions/{v}"),
                        Some(json!({"name": name, "boundary": region["boundary"]})),
                    )
                    .await;
                check!(&format!("PUT region {v}"), want, s, &b);
                let id = department_id(&app, &format!("vc-{v}")).await;
                let body = json!({"code": format!("vc-{v}"), "name": "村（居）民委员会", "kind": "village_committee", "region_code": v});
                let (s, b) = c
                    .call(
                        &app,
                        Method::PUT,
                        &format!("/api/v1/departments/{id}"),
                        Some(body),
                    )
                    .await;
                check!(&format!("PUT department {id}"), want, s, &b);
                let (_, grid) = app
                    .call(
                        Method::GET,
                        &format!("/api/v1/grids/{v}-01"),
                        Some(&root),
                        None,
                    )
                    .await;
                let grid = if grid["geometry"].is_object() {
                    grid
                } else {
                    json!({"geometry": {"type": "Polygon", "coordinates": [[[118.0, 30.0], [118.01, 30.0], [118.01, 30.01], [118.0, 30.01], [118.0, 30.0]]]}, "properties": {"name": "邻村网格", "worker_user_id": null}})
                };
                let body = json!({"code": format!("{v}-01"), "name": grid["properties"]["name"], "village_code": v, "geometry": grid["geometry"], "worker_user_id": grid["properties"]["worker_user_id"]});
                let (s, b) = c
                    .call(
                        &app,
                        Method::PUT,
                        &format!("/api/v1/grids/{v}-01"),
                        Some(body),
                    )
                    .await;
                check!(&format!("PUT grid {v}-01"), want, s, &b);

                // Deletion: refused to non-admins, unseen outside; an admin's deletion inside
                // is the CRUD story's business (it would empty the matrix's fixtures).
                if !pr.admin || !inside {
                    for path in [
                        format!("/api/v1/grids/{v}-01"),
                        format!("/api/v1/departments/{id}"),
                        format!("/api/v1/regions/{v}"),
                    ] {
                        let (s, b) = c.call(&app, Method::DELETE, &path, None).await;
                        check!(&format!("DELETE {path}"), want, s, &b);
                    }
                }

                serial += 1;
                let want_create = if !pr.admin {
                    StatusCode::FORBIDDEN
                } else {
                    expect(inside, StatusCode::CREATED, StatusCode::NOT_FOUND)
                };
                let body = json!({"username": format!("matrix{serial}"), "display_name": "矩阵", "role": "operator", "org": v, "password": "matrix-password-1"});
                let (s, b) = c
                    .call(&app, Method::POST, "/api/v1/users", Some(body))
                    .await;
                check!(&format!("POST user in {v}"), want_create, s, &b);

                let new_code = format!("{}{:03}", &v[..9], 100 + serial);
                let want_import = if !pr.admin {
                    StatusCode::FORBIDDEN
                } else {
                    expect(inside, StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY)
                };
                let s = c
                    .post_raw(
                        &app,
                        "/api/v1/admin/import?kind=regions",
                        format!("code,name\n{new_code},矩阵村\n"),
                    )
                    .await;
                check!(&format!("import into {v}"), want_import, s, &Value::Null);
            }
            // Work orders and applications: whatever a list returns lies in the jurisdiction,
            // or is assigned to the caller's unit.
            let me = user_row(&app, pr.username).await;
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/work-orders?per_page=200", None)
                .await;
            if s == StatusCode::OK {
                for o in b["items"].as_array().cloned().unwrap_or_default() {
                    let id = o["id"].as_i64().unwrap();
                    if !order_is_theirs(&app, id, scope_prefix, pr.scope, me.department_id).await {
                        failures.push(format!("{ctx}: work-order list leaks {id}"));
                    }
                }
            }
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/applications?per_page=200", None)
                .await;
            if s == StatusCode::OK {
                for a in b["items"].as_array().cloned().unwrap_or_default() {
                    let id = a["id"].as_i64().unwrap();
                    if !application_is_theirs(&app, id, scope_prefix, me.department_id).await {
                        failures.push(format!("{ctx}: application list leaks {id}"));
                    }
                }
            }
            // Deployment-wide: the county's admin alone.
            let county_admin = pr.admin && pr.scope == COUNTY;
            let (s, b) = c
                .call(&app, Method::GET, "/api/v1/admin/outbox", None)
                .await;
            check!(
                "outbox",
                expect(county_admin, StatusCode::OK, StatusCode::FORBIDDEN),
                s,
                &b
            );
            let (s, b) = c
                .call(
                    &app,
                    Method::PUT,
                    "/api/v1/calendar/2026",
                    Some(json!({"days": days["days"]})),
                )
                .await;
            check!(
                "PUT calendar",
                expect(county_admin, StatusCode::OK, StatusCode::FORBIDDEN),
                s,
                &b
            );

            let (s, b) = c
                .call(
                    &app,
                    Method::POST,
                    "/api/v1/admin/clock",
                    Some(json!({"advance_minutes": 1})),
                )
                .await;
            check!(
                "clock",
                expect(county_admin, StatusCode::OK, StatusCode::FORBIDDEN),
                s,
                &b
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every refusal was audited.
    let admin = app.token("admin").await;
    let (_, denied) = app
        .get("/api/v1/audit?action=auth.denied&per_page=1", &admin)
        .await;
    assert!(denied["total"].as_u64().unwrap() > 50, "{denied}");
}

#[tokio::test]
async fn every_role_lands_on_a_working_home_page() {
    let app = TestApp::spawn().await;
    let roles = [
        ("admin", "系统管理员"),
        ("auditor", "审计员"),
        ("leader", "领导"),
        ("supervisor", "督查督办"),
        ("dispatcher", "派单员"),
        ("operator", "受理员"),
        ("clerk", "窗口工作人员"),
        ("handler", "承办人"),
        ("gw001", "网格员"),
    ];
    for (user, label) in roles {
        let s = app.browser_session(user).await;
        let (status, html) = s.page("/").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert!(html.contains(label), "{user} sees its role");
        assert!(
            html.contains("大字模式"),
            "{user} has the large-font toggle"
        );
        for page in ["/map", "/locate", "/admin/regions", "/admin/departments"] {
            let (status, _) = s.page(page).await;
            assert_eq!(status, StatusCode::OK, "{user} {page}");
        }
        let (status, html) = s.page("/admin/users").await;
        let admin = user == "admin";
        assert_eq!(
            status,
            if admin {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            },
            "{user} /admin/users"
        );
        if !admin {
            assert!(html.contains("没有权限"));
        }
        let (status, _) = s.page("/audit").await;
        let reads = user == "admin" || user == "auditor";
        assert_eq!(
            status,
            if reads {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            },
            "{user} /audit"
        );
    }
    // The map draws every grid of the jurisdiction, each a link to its page.
    let s = app.browser_session("chengguan.leader").await;
    let (_, html) = s.page("/map").await;
    assert_eq!(html.matches("<polygon").count(), 15);
    let (status, html) = s.page("/grids/339901001001-01").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("城关街道"));
    let (status, _) = s.page("/grids/339901002001-01").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .browser_session("admin")
        .await
        .page("/locate?lat=29.8125&lon=119.915")
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn user_row(app: &TestApp, username: &str) -> jiceng::store::entities::user::Model {
    use jiceng::store::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap()
}

/// Whether an order lies in the caller's region subtree (a county account also sees orders
/// without a place), or is assigned to the caller's unit.
async fn order_is_theirs(
    app: &TestApp,
    id: i64,
    prefix: &str,
    scope: &str,
    unit: Option<i64>,
) -> bool {
    use jiceng::store::entities::{assignment, work_order};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let o = work_order::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let place = o.village_code.clone().or(o.township_code.clone());
    if place.as_deref().is_some_and(|p| p.starts_with(prefix))
        || (place.is_none() && scope == COUNTY)
    {
        return true;
    }
    let Some(unit) = unit else { return false };
    !assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::UnitId.eq(unit))
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .is_empty()
}

/// Whether an application is of a hall in the caller's region subtree, or has a part for the
/// caller's unit.
async fn application_is_theirs(app: &TestApp, id: i64, prefix: &str, unit: Option<i64>) -> bool {
    use jiceng::store::entities::{application, application_part};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let a = application::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    if a.region_code.starts_with(prefix) {
        return true;
    }
    let Some(unit) = unit else { return false };
    !application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(id))
        .filter(application_part::Column::UnitId.eq(unit))
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .is_empty()
}
