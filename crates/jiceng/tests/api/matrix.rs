//! The permission matrix over every route: each route the server declares (read from the
//! source, so that a new route without a row here fails the test) × every kind of account
//! (county, township and village staff of each role, a county department's handler, the
//! township hall's clerk) and an anonymous caller × bearer token and browser session ×
//! objects inside and outside the caller's jurisdiction. Each answer must be what the row
//! says: allowed (no 401/403/404), refused (403 or 404), hidden (404: outside the
//! jurisdiction an object reads as missing), or a sign-in (401, or a redirect to the login
//! page). The lists, searches and prints also must not show an object outside the caller's
//! area (`permissions.rs` and the leak checks at the end).

use crate::helpers::*;
use jiceng::kernel::actor::AuthVia;
use jiceng_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};

const COUNTY: &str = "339901000000";
const CHENGGUAN: &str = "339901001000";
/// A village of 城关 with grids, and one of another township.
const V_CG: &str = "339901001002";
const V_OTHER: &str = "339901002001";

/// A caller: an account (with what the server knows of it) or nobody.
struct Who {
    name: &'static str,
    role: Option<Role>,
    /// The root of the account's region subtree.
    scope: String,
    dept: Option<i64>,
    /// Staff of a functional unit: work by assignment only.
    assigned_only: bool,
    /// Objects of the fixture this caller may see, by the rules written out in this file.
    orders: HashSet<i64>,
    applications: HashSet<i64>,
}

impl Who {
    fn is(&self, roles: &[Role]) -> bool {
        self.role.is_some_and(|r| roles.contains(&r))
    }
    fn covers(&self, region: &str) -> bool {
        let s = &self.scope;
        let prefix = if s.ends_with("000000") {
            &s[..6]
        } else if s.ends_with("000") {
            &s[..9]
        } else {
            s
        };
        self.role.is_some() && region.starts_with(prefix)
    }
    fn admin(&self) -> bool {
        self.is(&[Role::Admin]) && !self.assigned_only
    }
    fn county_admin(&self) -> bool {
        self.admin() && self.scope == COUNTY
    }
    fn audit_reader(&self) -> bool {
        self.is(&[Role::Admin, Role::Auditor]) && self.scope == COUNTY && !self.assigned_only
    }
    /// Roles that see a hall's records by its region.
    fn hall_by_place(&self) -> bool {
        self.is(&[
            Role::WindowClerk,
            Role::Admin,
            Role::Leader,
            Role::Supervisor,
            Role::Auditor,
        ]) && !self.assigned_only
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    /// Let through: anything but 401, 403, 404, 429, a 5xx or the login page.
    Ok,
    /// 403, or 404 where the object's existence is not the caller's to know.
    Refused,
    /// 404: outside the jurisdiction the object reads as missing.
    Hidden,
    /// The object is seen; the action may still be refused (403) or not fit (409/422).
    Seen,
    /// Allowed, though an earlier caller may have used it up (404 then).
    Gone,
    /// Sign in first: 401, or a redirect to the login page.
    Login,
    Exactly(u16),
    OneOf(&'static [u16]),
}

fn judge(want: Want, status: StatusCode, location: &str) -> bool {
    let s = status.as_u16();
    let to_login = s == 303 && location.starts_with("/login");
    let passed = !matches!(s, 401 | 403 | 404 | 429) && s < 500 && !to_login;
    match want {
        Want::Ok => passed,
        Want::Refused => s == 403 || s == 404,
        Want::Hidden => s == 404,
        Want::Seen => (passed || s == 403) && s != 404,
        Want::Gone => passed || s == 404,
        Want::Login => s == 401 || to_login,
        Want::Exactly(n) => s == n,
        Want::OneOf(n) => n.contains(&s),
    }
}

type Rule = Box<dyn Fn(&Who) -> Want>;

fn public() -> Rule {
    Box::new(|_| Want::Ok)
}

/// Signed-in callers for whom `allowed` holds; others are refused.
fn staff(allowed: impl Fn(&Who) -> bool + 'static) -> Rule {
    Box::new(move |w| {
        if w.role.is_none() {
            Want::Login
        } else if allowed(w) {
            Want::Ok
        } else {
            Want::Refused
        }
    })
}

fn anyone_signed_in() -> Rule {
    staff(|_| true)
}

/// An object: hidden from whoever cannot see it; for who can, `then`.
fn object(sees: impl Fn(&Who) -> bool + 'static, then: Want) -> Rule {
    Box::new(move |w| {
        if w.role.is_none() {
            Want::Login
        } else if !sees(w) {
            Want::Hidden
        } else {
            then
        }
    })
}

enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    /// A form anyone may post (citizens): its token is the public one.
    PublicForm(Vec<(&'static str, String)>),
    Raw(Vec<u8>),
}

struct Case {
    method: Method,
    /// The route as declared, for the coverage check.
    route: &'static str,
    path: String,
    body: Body,
    rule: Rule,
}

fn case(
    method: Method,
    route: &'static str,
    path: impl Into<String>,
    body: Body,
    rule: Rule,
) -> Case {
    Case {
        method,
        route,
        path: path.into(),
        body,
        rule,
    }
}

fn get(route: &'static str, rule: Rule) -> Case {
    case(Method::GET, route, route, Body::Empty, rule)
}

fn form(fields: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    fields.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Every `.route("…", get(…).post(…))` in the server's source, as "METHOD /path".
fn declared_routes() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let mut rest = text.as_str();
                while let Some(i) = rest.find(".route(") {
                    rest = &rest[i + ".route(".len()..];
                    let Some(q) = rest.find('"') else { break };
                    let path_start = &rest[q + 1..];
                    let path = &path_start[..path_start.find('"').unwrap()];
                    // The handlers: up to the parenthesis that closes `.route(`.
                    let mut depth = 1;
                    let mut end = 0;
                    for (k, ch) in rest.char_indices() {
                        match ch {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    end = k;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let handlers = &rest[..end];
                    for m in ["get", "post", "put", "delete", "patch"] {
                        let mut h = handlers;
                        while let Some(j) = h.find(&format!("{m}(")) {
                            let before = h[..j].chars().last();
                            if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                                out.insert(format!("{} {path}", m.to_uppercase()));
                            }
                            h = &h[j + m.len() + 1..];
                        }
                    }
                    rest = &rest[end..];
                }
            }
        }
    }
    out
}

/// A caller's way in.
enum Caller {
    Anonymous(reqwest::Client),
    Token(String),
    Session(Session),
}

impl Caller {
    fn mode(&self) -> &'static str {
        match self {
            Caller::Anonymous(_) => "anonymous",
            Caller::Token(_) => "token",
            Caller::Session(_) => "session",
        }
    }

    fn client<'a>(&'a self, app: &'a TestApp) -> &'a reqwest::Client {
        match self {
            Caller::Anonymous(c) => c,
            Caller::Token(_) => &app.client,
            Caller::Session(s) => &s.client,
        }
    }

    /// The token a citizen's form carries: the one its page gave this browser.
    async fn public_token(&self, app: &TestApp) -> String {
        let page = self
            .client(app)
            .get(app.url("/track"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden_csrf(&page)
    }

    async fn send(&self, app: &TestApp, c: &Case) -> Option<(StatusCode, String, String)> {
        let mut req = self.client(app).request(c.method.clone(), app.url(&c.path));
        match self {
            Caller::Token(t) => req = req.bearer_auth(t),
            Caller::Session(s) if c.method != Method::GET => {
                req = req.header("x-csrf-token", &s.csrf)
            }
            _ => {}
        }
        req = match &c.body {
            Body::Empty => req,
            Body::Json(v) => req.json(v),
            Body::Raw(b) => req.body(b.clone()),
            Body::Form(f) => {
                let token = match self {
                    Caller::Session(s) => s.csrf.clone(),
                    _ => String::new(),
                };
                let mut f = f.clone();
                f.push(("csrf", token));
                req.form(&f)
            }
            Body::PublicForm(f) => {
                // A citizen's form posted with a bearer token has no browser behind it.
                if matches!(self, Caller::Token(_)) {
                    return None;
                }
                let mut f = f.clone();
                f.push(("csrf", self.public_token(app).await));
                req.form(&f)
            }
        };
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.unwrap_or_default();
        Some((status, location, text.chars().take(200).collect()))
    }
}

async fn who(app: &TestApp, name: &'static str) -> Who {
    use jiceng::store::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {name}"));
    let actor = jiceng::auth::actor_for(&app.app.db.conn, &u, AuthVia::Token { id: 0 })
        .await
        .unwrap();
    Who {
        name,
        role: Some(u.role),
        scope: u.region_code.clone(),
        dept: u.department_id,
        assigned_only: actor.jurisdiction.assigned_only,
        orders: HashSet::new(),
        applications: HashSet::new(),
    }
}

/// Whether the caller sees an order, by the rule of the issue: its place lies in the caller's
/// region subtree (a county account also sees orders without one) — except for functional
/// units — or the caller's unit is assigned to it now.
async fn sees_order(app: &TestApp, w: &Who, id: i64) -> bool {
    use jiceng::store::entities::{assignment, work_order};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let o = work_order::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    if !w.assigned_only {
        match o.village_code.as_ref().or(o.township_code.as_ref()) {
            Some(p) if w.covers(p) => return true,
            None if w.scope == COUNTY => return true,
            _ => {}
        }
    }
    let Some(d) = w.dept else { return false };
    assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::UnitId.eq(d))
        .filter(assignment::Column::Active.eq(true))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .is_some()
}

/// Whether the caller sees an application: its hall's region lies in the subtree of a caller
/// who sees the hall's work by place, or it has a part for the caller's unit.
async fn sees_application(app: &TestApp, w: &Who, id: i64) -> bool {
    use jiceng::store::entities::{application, application_part};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let a = application::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    if w.hall_by_place() && w.covers(&a.region_code) {
        return true;
    }
    let Some(d) = w.dept else { return false };
    application_part::Entity::find()
        .filter(application_part::Column::ApplicationId.eq(id))
        .filter(application_part::Column::UnitId.eq(d))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .is_some()
}

const PRINCIPALS: [&str; 15] = [
    "admin",
    "chengguan.admin",
    "auditor",
    "leader",
    "chengguan.leader",
    "supervisor",
    "dispatcher",
    "chengguan.dispatcher",
    "operator",
    "clerk",
    "chengguan.clerk",
    "handler",
    "handler.xfjy",
    "chengguan.handler",
    "gw001",
];

async fn region_body(app: &TestApp, code: &str) -> Value {
    let (_, r) = app
        .get(
            &format!("/api/v1/regions/{code}"),
            &app.token("admin").await,
        )
        .await;
    json!({"name": r["name"], "boundary": r["boundary"]})
}

async fn grid_body(app: &TestApp, code: String) -> Value {
    let (_, g) = app
        .get(&format!("/api/v1/grids/{code}"), &app.token("admin").await)
        .await;
    json!({"code": code, "name": g["properties"]["name"], "village_code": g["properties"]["village_code"],
        "geometry": g["geometry"], "worker_user_id": g["properties"]["worker_user_id"]})
}

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test]
async fn every_route_every_role_inside_and_outside() {
    use jiceng::store::entities::{department, photo, rectification, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn_with(Options {
        // Every caller here comes from 127.0.0.1: let it be the hall's kiosk, so that the
        // citizens' allowances do not end the walk half-way.
        kiosk_addresses: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
    let db = &app.app.db.conn;
    let root = app.token("admin").await;

    // ---- Fixtures: work and records inside and outside each caller's area.
    let gw = app.token("gw001").await;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&gw),
            Some(
                json!({"description": "消防通道被私家车长期占用，消防车无法通行",
                "lat": 29.8125, "lon": 119.915, "photos": [PNG],
                "reporter": {"name": "王建国", "phone": "13800138000"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let wo_cg = o["id"].as_i64().unwrap();
    let photo_id = photo::Entity::find()
        .filter(photo::Column::OrderId.eq(wo_cg))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "路口的井盖松动，车辆经过时响声很大",
                "lat": 29.87, "lon": 120.02,
                "reporter": {"name": "赵六", "phone": "13600136001"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let wo_other = o["id"].as_i64().unwrap();
    let wo_code = o["tracking_code"].as_str().unwrap().to_string();
    let wo_pin = o["tracking_pin"].as_str().unwrap().to_string();
    // A 督办单 on the other order, for the notice's page.
    let supervisor = app.token("supervisor").await;
    let (s, o) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{wo_other}/actions"),
            Some(&supervisor),
            Some(json!({"action": "supervise", "days": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let notice_id = o["supervision_notices"][0]["id"].as_i64().unwrap();
    let mut apps = Vec::new();
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
        let code = b["code"].as_str().unwrap().to_string();
        let pin = app.pin_of(&code).await;
        apps.push((b["id"].as_i64().unwrap(), code, pin));
    }
    let (app_county, app_cg) = (apps[0].clone(), apps[1].clone());
    // Both hand over what the checklist asks for, so that they are accepted and may be rated.
    let (_, checklist) = app
        .call(
            Method::GET,
            &format!("/api/v1/applications/checklist?matter={COUNTY}-mzj-0009"),
            None,
            None,
        )
        .await;
    let all: Vec<Value> = checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    for (_, code, pin) in &apps {
        let (s, b) = app
            .call(
                Method::POST,
                "/api/v1/applications/supplement",
                None,
                Some(json!({"code": code, "pin": pin, "provided": all})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "in_progress", "{b}");
    }
    // A 差评 of 城关's application opens a rectification for the matter's unit.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(
                json!({"code": app_cg.1, "pin": app_cg.2, "level": "dissatisfied",
                "comment": "窗口让我跑了两趟"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // And one of the county hall's, which 城关's staff must not see.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(
                json!({"code": app_county.1, "pin": app_county.2, "level": "very_dissatisfied",
                "channel": "online", "comment": "材料要求前后说法不一"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let rect = rectification::Entity::find()
        .filter(rectification::Column::SubjectCode.eq(app_cg.1.clone()))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    // A desk case the county clerk owns.
    let (s, desk) = app
        .call(
            Method::POST,
            "/api/v1/desk",
            Some(&app.token("clerk").await),
            Some(
                json!({"subject_kind": "application", "subject_code": app_county.1,
                "summary": "材料在两个部门之间来回退"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{desk}");
    let desk_id = desk["id"].as_i64().unwrap();
    let (s, t) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "general"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let ticket = t["id"].as_i64().unwrap();
    let (s, lists) = app.get("/api/v1/responsibility-lists", &root).await;
    assert_eq!(s, StatusCode::OK);
    let county_list = lists["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["region_code"] == COUNTY)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, draft) = app
        .call(
            Method::POST,
            "/api/v1/responsibility-lists",
            Some(&root),
            Some(json!({"region_code": CHENGGUAN, "note": "矩阵草稿", "items": []})),
        )
        .await;
    assert!(s.is_success(), "{draft}");
    let draft = draft["id"].as_i64().unwrap();
    let (s, checkpoint) = app
        .call(Method::POST, "/api/v1/audit/checkpoint", Some(&root), None)
        .await;
    assert!(s.is_success(), "{checkpoint}");
    let tree_size = checkpoint["tree_size"].as_u64().expect("tree size");
    let (_, templates) = app.get("/api/v1/notification-templates", &root).await;
    let template = templates["items"][0].clone();
    let event = template["event"].as_str().unwrap().to_string();
    let (_, categories) = app
        .call(Method::GET, "/api/v1/categories", None, None)
        .await;
    let category = categories["items"][0].clone();
    let (_, days) = app
        .call(Method::GET, "/api/v1/calendar/2026", None, None)
        .await;
    let (_, policies) = app.get("/api/v1/sla-policies", &root).await;
    let policy = policies["items"][0].clone();
    let (_, groups) = app
        .call(Method::GET, "/api/v1/queue/groups", None, None)
        .await;
    let group = groups["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "general")
        .unwrap()
        .clone();
    let (_, matters) = app
        .call(Method::GET, "/api/v1/matters?per_page=1", None, None)
        .await;
    let matter = matters["items"][0]["code"].as_str().unwrap().to_string();
    let (_, bundles) = app.call(Method::GET, "/api/v1/bundles", None, None).await;
    let bundle = bundles["items"][0]["code"].as_str().unwrap().to_string();
    let cg_handler = user::Entity::find()
        .filter(user::Column::Username.eq("chengguan.handler"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let (s, tok) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "chengguan.handler", "password": PASSWORD})),
        )
        .await;
    assert!(s.is_success(), "{tok}");
    let (_, tokens) = app.get("/api/v1/auth/tokens", &root).await;
    let victim_token = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["username"] == "chengguan.handler" || t["user_id"] == cg_handler.id)
        .map(|t| t["id"].as_i64().unwrap())
        .expect("the township handler's token");
    let dept = |code: &'static str| async move {
        department::Entity::find()
            .filter(department::Column::Code.eq(code))
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let vc_cg = dept("vc-339901001002").await;
    let vc_other = dept("vc-339901002001").await;
    let office = dept("chengguan-office").await;
    let dept_body = |d: &department::Model| {
        json!({"code": d.code, "name": d.name, "kind": d.kind.code(), "region_code": d.region_code,
            "phone": d.phone, "email": d.email, "active": d.active})
    };
    let assisting: HashSet<i64> = {
        use jiceng::store::entities::assignment;
        assignment::Entity::find()
            .filter(assignment::Column::OrderId.eq(wo_other))
            .filter(assignment::Column::Active.eq(true))
            .filter(assignment::Column::Role.eq(jiceng_core::dispatch::AssignmentRole::Assist))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.unit_id)
            .collect()
    };
    let far_square = json!({"type": "Polygon", "coordinates": [[[100.0, 20.0], [100.001, 20.0], [100.001, 20.001], [100.0, 20.001], [100.0, 20.0]]]});

    // ---- The table: every route, what each caller may do.
    use Method as M;
    let (cg_id, cg_code, cg_pin) = app_cg.clone();
    let (county_id, county_code, _) = app_county.clone();
    let sees_wo = |id: i64| move |w: &Who| w.orders.contains(&id);
    let sees_app = |id: i64| move |w: &Who| w.applications.contains(&id);
    let rect_unit = rect.unit_id;
    let rect_region = rect.region_code.clone();
    let cases: Vec<Case> = vec![
        // 审计
        get("/api/v1/audit", staff(Who::audit_reader)),
        get("/api/v1/audit/checkpoint", public()),
        case(
            M::POST,
            "/api/v1/audit/checkpoint",
            "/api/v1/audit/checkpoint",
            Body::Empty,
            staff(Who::audit_reader),
        ),
        get("/api/v1/audit/checkpoints", public()),
        get("/api/v1/audit/key", public()),
        case(
            M::GET,
            "/api/v1/audit/proof/inclusion",
            "/api/v1/audit/proof/inclusion?index=0&tree_size=2",
            Body::Empty,
            public(),
        ),
        case(
            M::GET,
            "/api/v1/audit/proof/consistency",
            "/api/v1/audit/proof/consistency?first=1&second=2",
            Body::Empty,
            public(),
        ),
        case(
            M::GET,
            "/api/v1/audit/leaves",
            "/api/v1/audit/leaves?start=0&end=2",
            Body::Empty,
            public(),
        ),
        // A cosignature's credential is the witness's key, whoever posts it.
        case(
            M::POST,
            "/api/v1/audit/cosignatures",
            "/api/v1/audit/cosignatures",
            Body::Json(json!({"tree_size": tree_size, "cosignature": "— witness.example AAAA"})),
            Box::new(|_| Want::Exactly(403)),
        ),
        case(
            M::POST,
            "/api/v1/audit/verify",
            "/api/v1/audit/verify",
            Body::Empty,
            staff(Who::audit_reader),
        ),
        get("/audit", staff(Who::audit_reader)),
        case(
            M::POST,
            "/audit/verify",
            "/audit/verify",
            Body::Form(vec![]),
            staff(Who::audit_reader),
        ),
        get("/audit/checkpoints", staff(Who::audit_reader)),
        case(
            M::GET,
            "/audit/export.csv",
            "/audit/export.csv?sensitive=true",
            Body::Empty,
            staff(Who::audit_reader),
        ),
        case(
            M::GET,
            "/audit/entries/{seq}",
            "/audit/entries/1",
            Body::Empty,
            staff(Who::audit_reader),
        ),
        // 账号
        case(
            M::POST,
            "/api/v1/auth/token",
            "/api/v1/auth/token",
            Body::Json(json!({"username": "nobody.matrix", "password": "not-the-password"})),
            // Wrong, then locked after five.
            Box::new(|_| Want::OneOf(&[401, 429])),
        ),
        get("/api/v1/auth/tokens", anyone_signed_in()),
        case(
            M::DELETE,
            "/api/v1/auth/tokens/{id}",
            format!("/api/v1/auth/tokens/{victim_token}"),
            Body::Empty,
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if w.name == "chengguan.handler" || (w.admin() && w.covers(CHENGGUAN)) {
                    Want::Ok
                } else {
                    Want::Hidden
                }
            }),
        ),
        get("/api/v1/me", anyone_signed_in()),
        case(
            M::GET,
            "/api/v1/users",
            "/api/v1/users?per_page=5",
            Body::Empty,
            staff(Who::admin),
        ),
        case(
            M::POST,
            "/api/v1/users",
            "/api/v1/users",
            Body::Json(
                json!({"username": "matrix.user", "display_name": "矩阵", "role": "operator", "org": V_CG, "password": "matrix-password-1"}),
            ),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::GET,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{}", cg_handler.id),
            Body::Empty,
            staff(|w| w.name == "chengguan.handler" || (w.admin() && w.covers(CHENGGUAN))),
        ),
        case(
            M::PUT,
            "/api/v1/users/{id}",
            format!("/api/v1/users/{}", cg_handler.id),
            Body::Json(json!({"display_name": cg_handler.display_name})),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/login", public()),
        case(
            M::POST,
            "/login",
            "/login",
            Body::PublicForm(form(&[
                ("username", "nobody.matrix"),
                ("password", "wrong-password-1"),
            ])),
            Box::new(|_| Want::OneOf(&[401, 429])),
        ),
        get("/admin/users", staff(Who::admin)),
        case(
            M::GET,
            "/admin/users/{id}",
            format!("/admin/users/{}", cg_handler.id),
            Body::Empty,
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::POST,
            "/admin/users/{id}",
            format!("/admin/users/{}", cg_handler.id),
            Body::Form(form(&[
                ("display_name", &cg_handler.display_name),
                ("role", "handler"),
                ("active", "true"),
            ])),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::POST,
            "/admin/users",
            "/admin/users",
            Body::Form(form(&[
                ("username", "matrix.form"),
                ("display_name", "矩阵"),
                ("role", "operator"),
                ("org", V_CG),
                ("password", "matrix-password-1"),
            ])),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        // 一窗受理
        case(
            M::GET,
            "/api/v1/applications",
            "/api/v1/applications?per_page=5",
            Body::Empty,
            staff(|w| w.hall_by_place() || w.dept.is_some()),
        ),
        case(
            M::POST,
            "/api/v1/applications",
            "/api/v1/applications",
            Body::Json(
                json!({"matter": format!("{COUNTY}-mzj-0009"), "applicant": crate::service::applicant(42), "provided": [], "window": "2号窗口"}),
            ),
            // A citizen applies online; of the staff, the window's.
            Box::new(|w: &Who| {
                if w.role.is_none() || (w.is(&[Role::WindowClerk, Role::Admin]) && !w.assigned_only)
                {
                    Want::Ok
                } else {
                    Want::Refused
                }
            }),
        ),
        case(
            M::GET,
            "/api/v1/applications/checklist",
            format!("/api/v1/applications/checklist?matter={COUNTY}-mzj-0009"),
            Body::Empty,
            public(),
        ),
        case(
            M::POST,
            "/api/v1/applications/track",
            "/api/v1/applications/track",
            Body::Json(json!({"code": cg_code, "pin": cg_pin})),
            public(),
        ),
        case(
            M::POST,
            "/api/v1/applications/supplement",
            "/api/v1/applications/supplement",
            Body::Json(json!({"code": cg_code, "pin": cg_pin, "provided": []})),
            public(),
        ),
        case(
            M::GET,
            "/api/v1/applications/{id}",
            format!("/api/v1/applications/{cg_id}"),
            Body::Empty,
            object(sees_app(cg_id), Want::Ok),
        ),
        case(
            M::GET,
            "/api/v1/applications/{id}",
            format!("/api/v1/applications/{county_id}"),
            Body::Empty,
            object(sees_app(county_id), Want::Ok),
        ),
        case(
            M::POST,
            "/api/v1/applications/{id}/actions",
            format!("/api/v1/applications/{cg_id}/actions"),
            Body::Json(json!({"action": "supplement", "provided": []})),
            object(sees_app(cg_id), Want::Seen),
        ),
        case(
            M::POST,
            "/api/v1/applications/{id}/actions",
            format!("/api/v1/applications/{county_id}/actions"),
            Body::Json(json!({"action": "supplement", "provided": []})),
            object(sees_app(county_id), Want::Seen),
        ),
        case(
            M::POST,
            "/api/v1/ratings",
            "/api/v1/ratings",
            Body::Json(json!({"code": county_code, "pin": app_county.2, "level": "satisfied"})),
            public(),
        ),
        case(
            M::GET,
            "/api/v1/ratings/rankings",
            "/api/v1/ratings/rankings?by=window&month=2026-12",
            Body::Empty,
            staff(|w| {
                w.is(&[
                    Role::Admin,
                    Role::Supervisor,
                    Role::Leader,
                    Role::WindowClerk,
                    Role::Auditor,
                ]) && !w.assigned_only
            }),
        ),
        get(
            "/api/v1/rectifications",
            staff(|w| {
                w.dept.is_some()
                    || (w.is(&[
                        Role::Admin,
                        Role::Supervisor,
                        Role::Leader,
                        Role::WindowClerk,
                    ]) && !w.assigned_only)
            }),
        ),
        case(
            M::POST,
            "/api/v1/rectifications/{id}/actions",
            format!("/api/v1/rectifications/{}/actions", rect.id),
            Body::Json(json!({"action": "contact", "note": ""})),
            Box::new(move |w: &Who| {
                let handles = (w.is(&[Role::Admin, Role::Supervisor])
                    && w.scope == COUNTY
                    && !w.assigned_only)
                    || (rect_unit.is_some() && w.dept == rect_unit);
                let sees = w.is(&[
                    Role::Admin,
                    Role::Supervisor,
                    Role::Leader,
                    Role::WindowClerk,
                ]) && !w.assigned_only
                    && w.covers(&rect_region);
                if w.role.is_none() {
                    Want::Login
                } else if handles {
                    Want::Ok
                } else if sees {
                    Want::Exactly(403)
                } else {
                    Want::Hidden
                }
            }),
        ),
        case(
            M::POST,
            "/api/v1/rectifications/{id}/rating",
            format!("/api/v1/rectifications/{}/rating", rect.id),
            Body::Json(
                json!({"code": cg_code, "pin": cg_pin, "level": "satisfied", "comment": ""}),
            ),
            public(),
        ),
        get("/api/v1/queue/groups", public()),
        case(
            M::POST,
            "/api/v1/queue/groups",
            "/api/v1/queue/groups",
            Body::Json(
                json!({"code": group["code"], "name": group["name"], "prefix": group["prefix"], "windows": group["windows"]}),
            ),
            staff(Who::county_admin),
        ),
        case(
            M::POST,
            "/api/v1/queue/tickets",
            "/api/v1/queue/tickets",
            Body::Json(json!({"group": "general"})),
            public(),
        ),
        // A reserved ticket (called first) only from the group's own windows.
        case(
            M::POST,
            "/api/v1/queue/tickets",
            "/api/v1/queue/tickets",
            Body::Json(json!({"group": "general", "reserved": true, "phone_last4": "5678"})),
            Box::new(|w: &Who| {
                if w.is(&[Role::WindowClerk, Role::Admin]) && !w.assigned_only && w.scope == COUNTY
                {
                    Want::Ok
                } else {
                    Want::Exactly(403)
                }
            }),
        ),
        case(
            M::GET,
            "/api/v1/queue/tickets/{id}",
            format!("/api/v1/queue/tickets/{ticket}"),
            Body::Empty,
            public(),
        ),
        case(
            M::POST,
            "/api/v1/queue/tickets/{id}/actions",
            format!("/api/v1/queue/tickets/{ticket}/actions"),
            Body::Json(json!({"action": "finish"})),
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.is(&[Role::WindowClerk, Role::Admin]) {
                    Want::Refused
                } else if w.scope == COUNTY && !w.assigned_only {
                    Want::Ok
                } else {
                    Want::Hidden
                }
            }),
        ),
        // Another hall's window reads as unknown.
        case(
            M::POST,
            "/api/v1/queue/call",
            "/api/v1/queue/call",
            Body::Json(json!({"window": "4号窗口"})),
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.is(&[Role::WindowClerk, Role::Admin]) {
                    Want::Refused
                } else if w.scope == COUNTY && !w.assigned_only {
                    Want::Ok
                } else {
                    Want::Exactly(422)
                }
            }),
        ),
        // 暂停叫号 likewise (and resumed, so later cases still call).
        case(
            M::POST,
            "/api/v1/queue/pause",
            "/api/v1/queue/pause",
            Body::Json(json!({"window": "4号窗口", "paused": false})),
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.is(&[Role::WindowClerk, Role::Admin]) {
                    Want::Refused
                } else if w.scope == COUNTY && !w.assigned_only {
                    Want::Ok
                } else {
                    Want::Exactly(422)
                }
            }),
        ),
        // What a window serves now: its hall's clerks and admins; another hall's window
        // reads as unknown.
        case(
            M::GET,
            "/api/v1/queue/current",
            "/api/v1/queue/current?window=4号窗口",
            Body::Empty,
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.is(&[Role::WindowClerk, Role::Admin]) {
                    Want::Refused
                } else if w.scope == COUNTY && !w.assigned_only {
                    Want::Ok
                } else {
                    Want::Exactly(422)
                }
            }),
        ),
        get("/api/v1/queue/hall", public()),
        case(
            M::GET,
            "/api/v1/queue/stats",
            "/api/v1/queue/stats?from=2026-01-01&to=2026-12-31",
            Body::Empty,
            staff(|w| !w.is(&[Role::GridWorker]) && !w.assigned_only),
        ),
        get("/api/v1/desk", staff(|w| !w.is(&[Role::GridWorker]))),
        case(
            M::POST,
            "/api/v1/desk",
            "/api/v1/desk",
            Body::Json(
                json!({"subject_kind": "other", "subject_code": "", "summary": "矩阵：群众反映的事项无人受理"}),
            ),
            staff(|w| !w.is(&[Role::GridWorker])),
        ),
        case(
            M::POST,
            "/api/v1/desk/{id}/resolve",
            format!("/api/v1/desk/{desk_id}/resolve"),
            Body::Json(json!({"resolution": "已协调办结"})),
            // The county clerk's case: theirs, or the county's admins' and supervisors' to
            // settle; the county's other staff see it and are refused; a township's do not.
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if w.name == "clerk"
                    || (w.is(&[Role::Admin, Role::Supervisor])
                        && w.scope == COUNTY
                        && !w.assigned_only)
                {
                    Want::Ok
                } else if w.covers(COUNTY) && !w.assigned_only && !w.is(&[Role::GridWorker]) {
                    Want::Exactly(403)
                } else {
                    Want::Hidden
                }
            }),
        ),
        get("/api/v1/matters", public()),
        case(
            M::POST,
            "/api/v1/matters",
            "/api/v1/matters",
            Body::Json(crate::catalog::pension()),
            staff(Who::county_admin),
        ),
        get("/api/v1/matters/export.xlsx", public()),
        case(
            M::POST,
            "/api/v1/matters/import",
            "/api/v1/matters/import",
            Body::Raw(b"not a workbook".to_vec()),
            staff(Who::county_admin),
        ),
        case(
            M::GET,
            "/api/v1/matters/{code}",
            format!("/api/v1/matters/{matter}"),
            Body::Empty,
            public(),
        ),
        case(
            M::GET,
            "/api/v1/matters/{code}/versions",
            format!("/api/v1/matters/{matter}/versions"),
            Body::Empty,
            public(),
        ),
        get("/api/v1/bundles", public()),
        case(
            M::GET,
            "/api/v1/bundles/{code}",
            format!("/api/v1/bundles/{bundle}"),
            Body::Empty,
            public(),
        ),
        case(
            M::PUT,
            "/api/v1/bundles/{code}",
            "/api/v1/bundles/matrix",
            Body::Json(
                json!({"code": "matrix", "name": "矩阵一件事", "matters": ["no-such-matter"]}),
            ),
            staff(Who::county_admin),
        ),
        get("/guides", public()),
        case(
            M::GET,
            "/guides/{code}",
            format!("/guides/{matter}"),
            Body::Empty,
            public(),
        ),
        case(
            M::GET,
            "/bundles/{code}",
            format!("/bundles/{bundle}"),
            Body::Empty,
            public(),
        ),
        get("/window", anyone_signed_in()),
        get(
            "/window/applications",
            staff(|w| w.hall_by_place() || w.dept.is_some()),
        ),
        case(
            M::GET,
            "/window/applications/{id}",
            format!("/window/applications/{cg_id}"),
            Body::Empty,
            object(sees_app(cg_id), Want::Ok),
        ),
        case(
            M::GET,
            "/window/applications/{id}",
            format!("/window/applications/{county_id}"),
            Body::Empty,
            object(sees_app(county_id), Want::Ok),
        ),
        case(
            M::GET,
            "/window/applications/{id}/receipt",
            format!("/window/applications/{cg_id}/receipt"),
            Body::Empty,
            object(sees_app(cg_id), Want::Seen),
        ),
        case(
            M::GET,
            "/window/applications/{id}/receipt",
            format!("/window/applications/{county_id}/receipt"),
            Body::Empty,
            object(sees_app(county_id), Want::Seen),
        ),
        case(
            M::GET,
            "/window/applications/{id}/notice",
            format!("/window/applications/{cg_id}/notice"),
            Body::Empty,
            object(sees_app(cg_id), Want::Seen),
        ),
        case(
            M::GET,
            "/window/applications/{id}/notice",
            format!("/window/applications/{county_id}/notice"),
            Body::Empty,
            object(sees_app(county_id), Want::Seen),
        ),
        get(
            "/window/rectifications",
            staff(|w| {
                w.dept.is_some()
                    || (w.is(&[
                        Role::Admin,
                        Role::Supervisor,
                        Role::Leader,
                        Role::WindowClerk,
                    ]) && !w.assigned_only)
            }),
        ),
        get("/window/desk", staff(|w| !w.is(&[Role::GridWorker]))),
        get(
            "/window/stats",
            staff(|w| {
                w.is(&[
                    Role::Admin,
                    Role::Supervisor,
                    Role::Leader,
                    Role::WindowClerk,
                    Role::Auditor,
                ]) && !w.assigned_only
            }),
        ),
        get("/hall", public()),
        get("/ticket", public()),
        get("/service/track", public()),
        case(
            M::POST,
            "/service/track",
            "/service/track",
            Body::PublicForm(form(&[("code", &cg_code), ("pin", &cg_pin)])),
            public(),
        ),
        get("/service/apply", public()),
        get("/static/service.js", public()),
        // 组织
        case(
            M::GET,
            "/api/v1/locate",
            "/api/v1/locate?lat=29.8125&lon=119.915",
            Body::Empty,
            public(),
        ),
        get("/api/v1/regions", anyone_signed_in()),
        case(
            M::POST,
            "/api/v1/regions",
            "/api/v1/regions",
            Body::Json(json!({"code": "339901001097", "name": "矩阵村"})),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::GET,
            "/api/v1/regions/{code}",
            format!("/api/v1/regions/{V_CG}"),
            Body::Empty,
            object(|w| w.covers(V_CG), Want::Ok),
        ),
        case(
            M::GET,
            "/api/v1/regions/{code}",
            format!("/api/v1/regions/{V_OTHER}"),
            Body::Empty,
            object(|w| w.covers(V_OTHER), Want::Ok),
        ),
        case(
            M::PUT,
            "/api/v1/regions/{code}",
            format!("/api/v1/regions/{V_CG}"),
            Body::Json(region_body(&app, V_CG).await),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::PUT,
            "/api/v1/regions/{code}",
            format!("/api/v1/regions/{V_OTHER}"),
            Body::Json(region_body(&app, V_OTHER).await),
            staff(|w| w.admin() && w.covers(V_OTHER)),
        ),
        // A village with grids is in use: an admin over it is told so, nobody deletes it.
        case(
            M::DELETE,
            "/api/v1/regions/{code}",
            format!("/api/v1/regions/{V_CG}"),
            Body::Empty,
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        get("/api/v1/departments", anyone_signed_in()),
        case(
            M::POST,
            "/api/v1/departments",
            "/api/v1/departments",
            Body::Json(
                json!({"code": "matrix-unit", "name": "矩阵协办单位", "kind": "assisting_unit", "region_code": CHENGGUAN}),
            ),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::GET,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{}", vc_cg.id),
            Body::Empty,
            object(
                move |w| w.covers(V_CG) || w.dept == Some(vc_cg.id),
                Want::Ok,
            ),
        ),
        case(
            M::GET,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{}", vc_other.id),
            Body::Empty,
            object(
                move |w| w.covers(V_OTHER) || w.dept == Some(vc_other.id),
                Want::Ok,
            ),
        ),
        case(
            M::PUT,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{}", vc_cg.id),
            Body::Json(dept_body(&vc_cg)),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::PUT,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{}", vc_other.id),
            Body::Json(dept_body(&vc_other)),
            staff(|w| w.admin() && w.covers(V_OTHER)),
        ),
        // A unit with accounts is in use.
        case(
            M::DELETE,
            "/api/v1/departments/{id}",
            format!("/api/v1/departments/{}", office.id),
            Body::Empty,
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/api/v1/grids", anyone_signed_in()),
        // A square far away: past the role and the area, the geometry is refused (422).
        case(
            M::POST,
            "/api/v1/grids",
            "/api/v1/grids",
            Body::Json(
                json!({"code": format!("{V_CG}-99"), "name": "矩阵网格", "village_code": V_CG, "geometry": far_square}),
            ),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::GET,
            "/api/v1/grids/{code}",
            format!("/api/v1/grids/{V_CG}-01"),
            Body::Empty,
            object(|w| w.covers(V_CG), Want::Ok),
        ),
        case(
            M::GET,
            "/api/v1/grids/{code}",
            format!("/api/v1/grids/{V_OTHER}-01"),
            Body::Empty,
            object(|w| w.covers(V_OTHER), Want::Ok),
        ),
        case(
            M::PUT,
            "/api/v1/grids/{code}",
            format!("/api/v1/grids/{V_CG}-01"),
            Body::Json(grid_body(&app, format!("{V_CG}-01")).await),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::PUT,
            "/api/v1/grids/{code}",
            format!("/api/v1/grids/{V_OTHER}-01"),
            Body::Json(grid_body(&app, format!("{V_OTHER}-01")).await),
            staff(|w| w.admin() && w.covers(V_OTHER)),
        ),
        // The first admin over it deletes the village's last grid; later ones find it gone.
        case(
            M::DELETE,
            "/api/v1/grids/{code}",
            "/api/v1/grids/339901001003-01",
            Body::Empty,
            Box::new(|w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if w.admin() && w.covers("339901001003") {
                    Want::Gone
                } else {
                    Want::Refused
                }
            }),
        ),
        case(
            M::POST,
            "/api/v1/admin/import",
            "/api/v1/admin/import?kind=regions",
            Body::Raw("code,name\n339901001098,矩阵导入村\n".as_bytes().to_vec()),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/", anyone_signed_in()),
        get("/map", anyone_signed_in()),
        case(
            M::GET,
            "/grids/{code}",
            format!("/grids/{V_CG}-01"),
            Body::Empty,
            object(|w| w.covers(V_CG), Want::Ok),
        ),
        case(
            M::GET,
            "/grids/{code}",
            format!("/grids/{V_OTHER}-01"),
            Body::Empty,
            object(|w| w.covers(V_OTHER), Want::Ok),
        ),
        // The grid's admin form keeps its worker (the boundary unchanged).
        case(
            M::POST,
            "/grids/{code}",
            format!("/grids/{V_CG}-01"),
            Body::Form(form(&[(
                "worker_user_id",
                &grid_body(&app, format!("{V_CG}-01")).await["worker_user_id"]
                    .as_i64()
                    .map(|w| w.to_string())
                    .unwrap_or_default(),
            )])),
            staff(|w| w.admin() && w.covers(V_CG)),
        ),
        case(
            M::GET,
            "/locate",
            "/locate?lat=29.8125&lon=119.915",
            Body::Empty,
            anyone_signed_in(),
        ),
        get("/admin/regions", anyone_signed_in()),
        case(
            M::POST,
            "/admin/regions",
            "/admin/regions",
            Body::Form(form(&[("code", "339901001096"), ("name", "矩阵表单村")])),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/admin/departments", anyone_signed_in()),
        case(
            M::POST,
            "/admin/departments",
            "/admin/departments",
            Body::Form(form(&[
                ("code", "matrix-form-unit"),
                ("name", "矩阵表单单位"),
                ("kind", "assisting_unit"),
                ("region_code", CHENGGUAN),
                ("phone", ""),
                ("email", ""),
            ])),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/static/app.css", public()),
        get("/static/app.js", public()),
        get("/static/prefs.js", public()),
        get("/static/print.css", public()),
        get("/static/hall.css", public()),
        get("/healthz", public()),
        get("/readyz", public()),
        case(
            M::POST,
            "/api/v1/admin/clock",
            "/api/v1/admin/clock",
            Body::Json(json!({"advance_minutes": 1})),
            staff(Who::county_admin),
        ),
        // 接诉即办
        case(
            M::POST,
            "/api/v1/work-orders",
            "/api/v1/work-orders",
            Body::Json(
                json!({"description": "小区楼道的声控灯坏了，晚上上下楼很不方便", "lat": 29.8125, "lon": 119.915,
                "reporter": {"name": "孙七", "phone": "13700137001"}}),
            ),
            Box::new(|w: &Who| {
                if w.is(&[Role::Leader, Role::Supervisor, Role::Auditor]) {
                    Want::Exactly(403)
                } else {
                    Want::Ok
                }
            }),
        ),
        case(
            M::GET,
            "/api/v1/work-orders",
            "/api/v1/work-orders?per_page=5",
            Body::Empty,
            anyone_signed_in(),
        ),
        case(
            M::POST,
            "/api/v1/work-orders/suggest",
            "/api/v1/work-orders/suggest",
            Body::Json(json!({"text": "路灯不亮"})),
            anyone_signed_in(),
        ),
        case(
            M::POST,
            "/api/v1/work-orders/caller-history",
            "/api/v1/work-orders/caller-history",
            Body::Json(json!({"phone": "13800138000"})),
            staff(|w| w.is(&[Role::Operator, Role::Dispatcher])),
        ),
        case(
            M::GET,
            "/api/v1/work-orders/{id}",
            format!("/api/v1/work-orders/{wo_cg}"),
            Body::Empty,
            object(sees_wo(wo_cg), Want::Ok),
        ),
        case(
            M::GET,
            "/api/v1/work-orders/{id}",
            format!("/api/v1/work-orders/{wo_other}"),
            Body::Empty,
            object(sees_wo(wo_other), Want::Ok),
        ),
        case(
            M::POST,
            "/api/v1/work-orders/{id}/actions",
            format!("/api/v1/work-orders/{wo_cg}/actions"),
            Body::Json(json!({"action": "contact", "note": "已电话联系"})),
            object(sees_wo(wo_cg), Want::Seen),
        ),
        case(
            M::POST,
            "/api/v1/work-orders/{id}/actions",
            format!("/api/v1/work-orders/{wo_other}/actions"),
            Body::Json(json!({"action": "contact", "note": "已电话联系"})),
            object(sees_wo(wo_other), Want::Seen),
        ),
        // Only an assisting unit replies as one; who does not see the order learns nothing.
        case(
            M::POST,
            "/api/v1/work-orders/{id}/assist-reply",
            format!("/api/v1/work-orders/{wo_other}/assist-reply"),
            Body::Json(json!({"note": "已配合处理"})),
            Box::new(move |w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.orders.contains(&wo_other) {
                    Want::Hidden
                } else if w.dept.is_some_and(|d| assisting.contains(&d)) {
                    Want::Ok
                } else {
                    Want::Exactly(403)
                }
            }),
        ),
        case(
            M::GET,
            "/api/v1/work-orders/{id}/photos/{photo}",
            format!("/api/v1/work-orders/{wo_cg}/photos/{photo_id}"),
            Body::Empty,
            object(sees_wo(wo_cg), Want::Ok),
        ),
        case(
            M::GET,
            "/api/v1/work-orders/{id}/reporter-phone",
            format!("/api/v1/work-orders/{wo_cg}/reporter-phone"),
            Body::Empty,
            Box::new(move |w: &Who| {
                if w.role.is_none() {
                    Want::Login
                } else if !w.orders.contains(&wo_cg) {
                    Want::Hidden
                } else if w.is(&[Role::Operator, Role::Dispatcher, Role::Handler, Role::Admin]) {
                    Want::Ok
                } else {
                    Want::Exactly(403)
                }
            }),
        ),
        get("/api/v1/notification-templates", staff(Who::county_admin)),
        case(
            M::PUT,
            "/api/v1/notification-templates/{event}",
            format!("/api/v1/notification-templates/{event}"),
            Body::Json(json!({"subject": template["subject"], "body": template["body"]})),
            staff(Who::county_admin),
        ),
        case(
            M::DELETE,
            "/api/v1/notification-templates/{event}",
            format!("/api/v1/notification-templates/{event}"),
            Body::Empty,
            staff(Who::county_admin),
        ),
        case(
            M::POST,
            "/api/v1/track",
            "/api/v1/track",
            Body::Json(json!({"code": wo_code, "pin": wo_pin})),
            public(),
        ),
        case(
            M::POST,
            "/api/v1/track/rate",
            "/api/v1/track/rate",
            Body::Json(
                json!({"code": wo_code, "pin": wo_pin, "resolution": "resolved", "satisfaction": "satisfied"}),
            ),
            public(),
        ),
        get("/api/v1/categories", public()),
        case(
            M::PUT,
            "/api/v1/categories/{code}",
            format!("/api/v1/categories/{}", category["code"].as_str().unwrap()),
            Body::Json(
                json!({"name": category["name"], "keywords": category["keywords"], "active": true}),
            ),
            staff(Who::county_admin),
        ),
        case(
            M::GET,
            "/api/v1/calendar/{year}",
            "/api/v1/calendar/2026",
            Body::Empty,
            public(),
        ),
        case(
            M::PUT,
            "/api/v1/calendar/{year}",
            "/api/v1/calendar/2026",
            Body::Json(json!({"days": days["days"]})),
            staff(Who::county_admin),
        ),
        get("/api/v1/sla-policies", anyone_signed_in()),
        case(
            M::PUT,
            "/api/v1/sla-policies",
            "/api/v1/sla-policies",
            Body::Json(
                json!({"category_code": policy["category_code"], "priority": policy["priority"], "policy": policy["policy"]}),
            ),
            staff(Who::county_admin),
        ),
        get("/api/v1/responsibility-lists", anyone_signed_in()),
        case(
            M::POST,
            "/api/v1/responsibility-lists",
            "/api/v1/responsibility-lists",
            Body::Json(json!({"region_code": CHENGGUAN, "note": "矩阵", "items": []})),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::GET,
            "/api/v1/responsibility-lists/diff",
            format!("/api/v1/responsibility-lists/diff?a={county_list}&b={county_list}"),
            Body::Empty,
            anyone_signed_in(),
        ),
        case(
            M::GET,
            "/api/v1/responsibility-lists/{id}",
            format!("/api/v1/responsibility-lists/{county_list}"),
            Body::Empty,
            anyone_signed_in(),
        ),
        case(
            M::POST,
            "/api/v1/responsibility-lists/{id}/publish",
            format!("/api/v1/responsibility-lists/{draft}/publish"),
            Body::Json(json!({})),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        case(
            M::GET,
            "/api/v1/responsibility-lists/{id}/xlsx",
            format!("/api/v1/responsibility-lists/{county_list}/xlsx"),
            Body::Empty,
            anyone_signed_in(),
        ),
        case(
            M::POST,
            "/api/v1/responsibility-lists/import",
            format!("/api/v1/responsibility-lists/import?region_code={CHENGGUAN}&note=x"),
            Body::Raw(b"not a workbook".to_vec()),
            staff(|w| w.admin() && w.covers(CHENGGUAN)),
        ),
        get("/api/v1/admin/outbox", staff(Who::county_admin)),
        case(
            M::GET,
            "/api/v1/metrics/work-orders",
            "/api/v1/metrics/work-orders?group_by=unit",
            Body::Empty,
            anyone_signed_in(),
        ),
        get("/api/v1/worklist", anyone_signed_in()),
        get("/worklist", anyone_signed_in()),
        get("/work-orders", anyone_signed_in()),
        get("/work-orders/queue", anyone_signed_in()),
        get(
            "/work-orders/new",
            staff(|w| !w.is(&[Role::Leader, Role::Supervisor, Role::Auditor])),
        ),
        case(
            M::POST,
            "/work-orders/new",
            "/work-orders/new",
            Body::Form(form(&[
                ("description", "菜市场门口的下水道堵塞，污水漫到路面"),
                ("lat", "29.8125"),
                ("lon", "119.915"),
                ("reporter_name", "周八"),
                ("reporter_phone", "13700137002"),
            ])),
            staff(|w| !w.is(&[Role::Leader, Role::Supervisor, Role::Auditor])),
        ),
        case(
            M::GET,
            "/work-orders/{id}",
            format!("/work-orders/{wo_cg}"),
            Body::Empty,
            object(sees_wo(wo_cg), Want::Ok),
        ),
        case(
            M::GET,
            "/work-orders/{id}",
            format!("/work-orders/{wo_other}"),
            Body::Empty,
            object(sees_wo(wo_other), Want::Ok),
        ),
        case(
            M::POST,
            "/work-orders/{id}/act",
            format!("/work-orders/{wo_other}/act"),
            Body::Form(form(&[("action", "contact"), ("note", "已电话联系")])),
            object(sees_wo(wo_other), Want::Seen),
        ),
        // A browser asking for a form's address is sent to the order (whose page then
        // answers as the order does).
        case(
            M::GET,
            "/work-orders/{id}/act",
            format!("/work-orders/{wo_other}/act"),
            Body::Empty,
            public(),
        ),
        get("/report", public()),
        case(
            M::POST,
            "/report",
            "/report",
            Body::PublicForm(form(&[
                ("description", "公园的长椅坏了好几张，老人没地方坐"),
                ("lat", "29.8125"),
                ("lon", "119.915"),
                ("anonymous", "true"),
            ])),
            public(),
        ),
        get("/track", public()),
        case(
            M::POST,
            "/track",
            "/track",
            Body::PublicForm(form(&[("code", &wo_code), ("pin", &wo_pin)])),
            public(),
        ),
        case(
            M::POST,
            "/track/rate",
            "/track/rate",
            Body::PublicForm(form(&[
                ("code", &wo_code),
                ("pin", &wo_pin),
                ("resolution", "resolved"),
                ("satisfaction", "satisfied"),
            ])),
            public(),
        ),
        get("/rankings", anyone_signed_in()),
        get(
            "/api/v1/cockpit/summary",
            staff(|w| {
                w.is(&[
                    Role::Leader,
                    Role::Supervisor,
                    Role::Dispatcher,
                    Role::Admin,
                ])
            }),
        ),
        get(
            "/api/v1/cockpit/breakdown",
            staff(|w| {
                w.is(&[
                    Role::Leader,
                    Role::Supervisor,
                    Role::Dispatcher,
                    Role::Admin,
                ])
            }),
        ),
        get("/supervision", anyone_signed_in()),
        get(
            "/supervision/bulletin",
            staff(|w| w.is(&[Role::Supervisor, Role::Leader])),
        ),
        case(
            M::GET,
            "/supervision-notices/{id}",
            format!("/supervision-notices/{notice_id}"),
            Body::Empty,
            object(sees_wo(wo_other), Want::Ok),
        ),
        get("/admin/outbox", staff(Who::county_admin)),
        get("/admin/templates", staff(Who::county_admin)),
        get("/admin/categories", staff(Who::county_admin)),
        case(
            M::POST,
            "/admin/categories",
            "/admin/categories",
            Body::Form(form(&[
                ("code", category["code"].as_str().unwrap()),
                ("name", category["name"].as_str().unwrap()),
                ("keywords", category["keywords"].as_str().unwrap_or("")),
            ])),
            staff(Who::county_admin),
        ),
        case(
            M::POST,
            "/admin/templates/{event}",
            format!("/admin/templates/{event}"),
            Body::Form(form(&[("op", "reset")])),
            staff(Who::county_admin),
        ),
    ];
    let _ = &county_code;

    // ---- Every declared route has a row (POST /logout ends the caller's session: its own
    // check is below).
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| format!("{} {}", c.method, c.route))
        .chain(["POST /logout".to_string()])
        .collect();
    let declared = declared_routes();
    assert!(
        declared.len() > 140,
        "the route reader found only {}",
        declared.len()
    );
    let missing: Vec<&String> = declared.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix: {missing:?}"
    );
    let stale: Vec<&String> = covered.difference(&declared).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );

    // ---- The walk.
    let mut whos = vec![Who {
        name: "anonymous",
        role: None,
        scope: String::new(),
        dept: None,
        assigned_only: false,
        orders: HashSet::new(),
        applications: HashSet::new(),
    }];
    // An admin account attached to a county department administers nothing.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&root),
            Some(
                json!({"username": "xfjy.admin", "display_name": "消防管理员", "role": "admin",
                "org": "xfjy", "password": PASSWORD}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for name in PRINCIPALS.into_iter().chain(["xfjy.admin"]) {
        let mut w = who(&app, name).await;
        for id in [wo_cg, wo_other] {
            if sees_order(&app, &w, id).await {
                w.orders.insert(id);
            }
        }
        for id in [cg_id, county_id] {
            if sees_application(&app, &w, id).await {
                w.applications.insert(id);
            }
        }
        whos.push(w);
    }
    let mut failures = Vec::new();
    let mut calls = 0;
    for w in &whos {
        let callers = if w.role.is_none() {
            let c = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            vec![Caller::Anonymous(c)]
        } else {
            vec![
                Caller::Token(app.token(w.name).await),
                Caller::Session(app.browser_session(w.name).await),
            ]
        };
        for c in &callers {
            for k in &cases {
                let want = (k.rule)(w);
                let Some((status, location, text)) = c.send(&app, k).await else {
                    continue;
                };
                calls += 1;
                if !judge(want, status, &location) {
                    failures.push(format!(
                        "{} by {}: {} {} — want {want:?}, got {status} {location} {text}",
                        w.name,
                        c.mode(),
                        k.method,
                        k.path
                    ));
                }
            }
        }
    }
    assert!(calls > 4000, "{calls}");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls answered otherwise:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // ---- Lists of the hall's records show nothing outside the caller's area.
    for w in whos.iter().skip(1) {
        let token = app.token(w.name).await;
        let (s, list) = app.get("/api/v1/rectifications?per_page=200", &token).await;
        if s == StatusCode::OK {
            for t in list["items"].as_array().unwrap() {
                let r = rectification::Entity::find_by_id(t["id"].as_i64().unwrap())
                    .one(db)
                    .await
                    .unwrap()
                    .unwrap();
                assert!(
                    (r.unit_id.is_some() && r.unit_id == w.dept)
                        || (w.covers(&r.region_code)
                            && !w.assigned_only
                            && w.is(&[
                                Role::Admin,
                                Role::Supervisor,
                                Role::Leader,
                                Role::WindowClerk
                            ])),
                    "{}: rectification {} of {} leaks",
                    w.name,
                    r.id,
                    r.region_code
                );
            }
        }
        let (s, list) = app.get("/api/v1/desk?per_page=200", &token).await;
        if s == StatusCode::OK {
            for d in list["items"].as_array().unwrap() {
                let m = jiceng::store::entities::desk_case::Entity::find_by_id(
                    d["id"].as_i64().unwrap(),
                )
                .one(db)
                .await
                .unwrap()
                .unwrap();
                assert!(
                    m.owner == w.name
                        || m.raised_by == format!("user:{}", w.name)
                        || (w.covers(&m.region_code) && !w.assigned_only),
                    "{}: desk case {} of {} leaks",
                    w.name,
                    m.id,
                    m.region_code
                );
            }
        }
    }

    // ---- Signing out: a page action of the signed-in; anyone else is sent to sign in.
    let s = app.browser_session("leader").await;
    let (status, _) = s.post_form("/logout", &[("csrf", &s.csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = s.page("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    let r = app.client.post(app.url("/logout")).send().await.unwrap();
    assert!(
        r.status() == StatusCode::SEE_OTHER || r.status().is_client_error(),
        "{}",
        r.status()
    );
}
