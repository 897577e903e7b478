//! 接诉即办 stories on the fake clock: the fire lane, send-backs, an extension across National
//! Day, reopening, merging, two server processes, and bad input.

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use jiceng::work_orders::escalation;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const FIRE_LANE: &str = "小区3号楼下的消防通道被私家车长期占用堵塞，消防车根本进不来，物业不管";

pub(crate) async fn report(
    app: &TestApp,
    token: Option<&str>,
    phone: &str,
    priority: &str,
) -> Value {
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            token,
            Some(json!({"description": FIRE_LANE, "lat": 29.8125, "lon": 119.915, "priority": priority, "reporter": {"name": "王建国", "phone": phone}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o
}

/// The code of the category named `name`.
pub(crate) async fn category_code(app: &TestApp, name: &str) -> String {
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", None, None)
        .await;
    cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no category {name}"))["code"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn act(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/work-orders/{id}/actions"),
        Some(token),
        Some(body),
    )
    .await
}

pub(crate) async fn ok(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let (s, o) = act(app, token, id, body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body} → {o}");
    o
}

/// Escalation steps taken for an order, in order: "sign:yellow", …
async fn steps(app: &TestApp, id: i64) -> Vec<String> {
    app.audit_since(0)
        .await
        .into_iter()
        .filter(|e| e.action == "work_order.escalate" && e.entity_id == id.to_string())
        .map(|e| e.reason)
        .collect()
}

/// Moves the clock to `minutes` after `start` and runs the sweep (twice: a step is taken once).
async fn at_minute(app: &TestApp, start: DateTime<Utc>, minutes: i64) {
    let target = start + Duration::minutes(minutes);
    let now = app.app.now();
    if target > now {
        app.advance_clock(((target - now).num_seconds() + 59) / 60)
            .await;
    }
    escalation::sweep(&app.app).await.unwrap();
    escalation::sweep(&app.app).await.unwrap();
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn fire_lane_nobody_signs_yellow_red_then_supervised() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = report(&app, Some(&gw), "13800138000", "urgent").await;
    assert_eq!(o["status"], "pending_sign");
    assert_eq!(o["channel"], "grid");
    assert!(
        o["category"]["name"]
            .as_str()
            .unwrap()
            .ends_with("占用消防通道"),
        "{o}"
    );
    assert_eq!(o["dispatch"]["lead"]["name"], "示范县消防救援大队");
    let assisting: Vec<&str> = o["dispatch"]["assisting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(
        assisting.iter().any(|n| n.contains("物业"))
            && assisting.iter().any(|n| n.contains("居民委员会")),
        "{assisting:?}"
    );
    assert_eq!(o["dispatch"]["list_item_code"], "XF-01");
    assert!(
        o["dispatch"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("权责清单第XF-01项")
    );
    assert_eq!(o["location"]["township"]["name"], "城关街道");
    let created = time(&o["created_at"]);
    assert_eq!(
        time(&o["deadlines"]["sign_by"]) - created,
        Duration::minutes(30)
    );
    assert_eq!(
        time(&o["deadlines"]["resolve_by"]) - created,
        Duration::hours(2)
    );
    let id = o["id"].as_i64().unwrap();

    at_minute(&app, created, 23).await;
    assert!(steps(&app, id).await.is_empty());
    at_minute(&app, created, 24).await;
    assert_eq!(steps(&app, id).await, vec!["sign:yellow"]);
    at_minute(&app, created, 30).await;
    assert_eq!(steps(&app, id).await, vec!["sign:yellow", "sign:red"]);
    at_minute(&app, created, 45).await;
    assert_eq!(
        steps(&app, id).await,
        vec!["sign:yellow", "sign:red", "sign:supervised"]
    );
    let admin = app.token("admin").await;
    let (_, detail) = app.get(&format!("/api/v1/work-orders/{id}"), &admin).await;
    assert_eq!(detail["escalation"]["level"], "supervised");
    let (_, msgs) = app
        .get("/api/v1/admin/outbox?recipient=office:supervision", &admin)
        .await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), 1, "{msgs}");
    let (_, citizen) = app
        .get("/api/v1/admin/outbox?recipient=phone:138****8000", &admin)
        .await;
    assert!(
        citizen["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains(o["tracking_code"].as_str().unwrap())
    );
}

#[tokio::test]
async fn fire_lane_signed_at_once_but_not_resolved() {
    let app = TestApp::spawn().await;
    let o = report(
        &app,
        Some(&app.token("gw001").await),
        "13800138000",
        "urgent",
    )
    .await;
    let id = o["id"].as_i64().unwrap();
    let created = time(&o["created_at"]);
    let xf = app.token("handler.xfjy").await;
    let o = ok(&app, &xf, id, json!({"action": "sign"})).await;
    assert_eq!(o["status"], "in_progress");
    ok(
        &app,
        &xf,
        id,
        json!({"action": "contact", "note": "已电话联系反映人"}),
    )
    .await;
    at_minute(&app, created, 95).await;
    assert!(steps(&app, id).await.is_empty());
    at_minute(&app, created, 96).await;
    assert_eq!(steps(&app, id).await, vec!["resolve:yellow"]);
    at_minute(&app, created, 120).await;
    at_minute(&app, created, 180).await;
    assert_eq!(
        steps(&app, id).await,
        vec!["resolve:yellow", "resolve:red", "resolve:supervised"]
    );
}

#[tokio::test]
async fn a_send_back_is_accepted_and_redispatched_or_rejected() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let xf = app.token("handler.xfjy").await;
    let dispatcher = app.token("dispatcher").await;
    let id = report(&app, Some(&gw), "13800138000", "normal").await["id"]
        .as_i64()
        .unwrap();
    let (s, b) = act(&app, &xf, id, json!({"action": "send_back"})).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.reason_required"
        )
    );
    let o = ok(
        &app,
        &xf,
        id,
        json!({"action": "send_back", "note": "车辆占道属城管执法范围"}),
    )
    .await;
    assert_eq!(o["send_back_pending"], true);
    let (s, b) = act(&app, &xf, id, json!({"action": "sign"})).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "work_order.illegal_transition")
    );
    let (_, depts) = app.get("/api/v1/departments?q=cgj", &dispatcher).await;
    let cgj = depts["items"][0]["id"].as_i64().unwrap();
    let o = ok(
        &app,
        &dispatcher,
        id,
        json!({"action": "accept_send_back", "unit_id": cgj, "note": "改派城管"}),
    )
    .await;
    assert_eq!(o["status"], "pending_sign");
    assert_eq!(o["dispatch"]["lead"]["name"], "示范县城市管理局");
    let actions: Vec<&str> = o["timeline"]
        .as_array()
        .unwrap()
        .iter()
        // The timeline's Chinese words are its labels; `action` holds the codes.
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert!(
        actions.ends_with(&["退单", "同意退单", "派单"]),
        "{actions:?}"
    );
    // The old unit may no longer act; the new one signs.
    let (s, _) = act(&app, &xf, id, json!({"action": "sign"})).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND);
    ok(
        &app,
        &app.token("handler").await,
        id,
        json!({"action": "sign"}),
    )
    .await;

    // Rejected: the same unit keeps it.
    let id2 = report(&app, Some(&gw), "13800138001", "normal").await["id"]
        .as_i64()
        .unwrap();
    ok(
        &app,
        &xf,
        id2,
        json!({"action": "send_back", "note": "不归我们管"}),
    )
    .await;
    let o = ok(
        &app,
        &dispatcher,
        id2,
        json!({"action": "reject_send_back", "note": "权责清单第XF-01项明确由消防救援主办"}),
    )
    .await;
    assert_eq!(o["send_back_pending"], false);
    assert_eq!(
        ok(&app, &xf, id2, json!({"action": "sign"})).await["status"],
        "in_progress"
    );
}

#[tokio::test]
async fn an_extension_across_national_day_lands_on_the_right_day() {
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let id = report(
        &app,
        Some(&app.token("gw001").await),
        "13800138000",
        "normal",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(&app, &xf, id, json!({"action": "sign"})).await;
    let (s, b) = act(
        &app,
        &xf,
        id,
        json!({"action": "request_extension", "note": "需协调车主"}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "work_order.bad_days")
    );
    ok(
        &app,
        &xf,
        id,
        json!({"action": "request_extension", "days": 5, "note": "需协调车主，节后处理"}),
    )
    .await;
    // The order was due on Friday 26 September 2025 at 16:00.
    use jiceng::store::entities::work_order;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let m = work_order::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let mut am: work_order::ActiveModel = m.into();
    am.resolve_by = Set(Some(
        DateTime::parse_from_rfc3339("2025-09-26T16:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc),
    ));
    am.update(&app.app.db.conn).await.unwrap();
    let o = ok(
        &app,
        &app.token("dispatcher").await,
        id,
        json!({"action": "approve_extension"}),
    )
    .await;
    // Sun 28 Sep (adjusted workday), Mon 29, Tue 30, then the holiday to 8 Oct, Thu 9, Fri 10.
    assert_eq!(
        time(&o["deadlines"]["resolve_by"]),
        DateTime::parse_from_rfc3339("2025-10-11T00:00:00+08:00").unwrap()
    );
    assert_eq!(o["extensions"], 1);
    let (_, cal) = app
        .call(Method::GET, "/api/v1/calendar/2025", None, None)
        .await;
    assert!(
        cal["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2025-10-11" && d["off"] == false)
    );
}

#[tokio::test]
async fn an_unresolved_callback_reopens_then_closes() {
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let op = app.token("operator").await;
    let id = report(&app, None, "13900139000", "normal").await["id"]
        .as_i64()
        .unwrap();
    ok(&app, &xf, id, json!({"action": "sign"})).await;
    ok(
        &app,
        &xf,
        id,
        json!({"action": "reply", "note": "已联系车主挪车"}),
    )
    .await;
    ok(&app, &op, id, json!({"action": "approve_reply"})).await;
    let (s, b) = act(&app, &op, id, json!({"action": "callback_close", "resolution": "unresolved", "satisfaction": "dissatisfied"})).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "work_order.unresolved")
    );
    let o = ok(
        &app,
        &op,
        id,
        json!({"action": "reopen", "satisfaction": "dissatisfied", "note": "车又停回来了"}),
    )
    .await;
    assert_eq!(o["status"], "in_progress");
    ok(
        &app,
        &xf,
        id,
        json!({"action": "reply", "note": "已加装隔离桩"}),
    )
    .await;
    ok(&app, &op, id, json!({"action": "approve_reply"})).await;
    let o = ok(
        &app,
        &op,
        id,
        json!({"action": "callback_close", "resolution": "resolved", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(o["status"], "closed");
    assert_eq!(o["satisfaction"], "satisfied");
    // Nothing more can be done.
    let (s, b) = act(&app, &op, id, json!({"action": "withdraw"})).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "work_order.illegal_transition")
    );
    // The citizen tracks it with the code and the 查询密码 sent to them.
    let code = o["tracking_code"].as_str().unwrap();
    let pin = app.pin_of(code).await;
    let (s, t) = app
        .call(
            Method::POST,
            "/api/v1/track",
            None,
            Some(json!({"code": code, "pin": pin})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["status"], "closed");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/track",
            None,
            Some(json!({"code": code, "pin": crate::service::wrong_pin(&pin)})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_merged_duplicate_is_called_back_with_its_master() {
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let op = app.token("operator").await;
    let dispatcher = app.token("dispatcher").await;
    let a = report(&app, None, "13800000001", "normal").await["id"]
        .as_i64()
        .unwrap();
    let b = report(&app, None, "13900000002", "normal").await["id"]
        .as_i64()
        .unwrap();
    let o = ok(
        &app,
        &dispatcher,
        b,
        json!({"action": "merge", "master_id": a, "note": "同一地点同一问题"}),
    )
    .await;
    assert_eq!(o["status"], "merged");
    assert_eq!(o["master_id"], a);
    ok(&app, &xf, a, json!({"action": "sign"})).await;
    ok(&app, &xf, a, json!({"action": "reply", "note": "已清理"})).await;
    ok(&app, &op, a, json!({"action": "approve_reply"})).await;
    ok(&app, &op, a, json!({"action": "callback_close", "resolution": "resolved", "satisfaction": "basically_satisfied"})).await;
    let admin = app.token("admin").await;
    for phone in ["phone:138****0001", "phone:139****0002"] {
        let (_, m) = app
            .get(&format!("/api/v1/admin/outbox?recipient={phone}"), &admin)
            .await;
        assert!(
            m["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["body"].as_str().unwrap().contains("办结")),
            "{phone}: {m}"
        );
    }
}

#[tokio::test]
async fn two_server_processes_take_every_escalation_step_once() {
    let app = TestApp::spawn().await;
    let second = jiceng::server::open(jiceng::config::Config {
        database_url: app.db_url.clone(),
        fake_clock: true,
        data_dir: app.data_dir.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let gw = app.token("gw001").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            report(&app, Some(&gw), &format!("1380013800{i}"), "urgent").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.advance_clock(200).await;
    second
        .fake_clock
        .as_ref()
        .unwrap()
        .advance(Duration::minutes(200));
    let (x, y) = tokio::join!(escalation::sweep(&app.app), escalation::sweep(&second));
    x.unwrap();
    y.unwrap();
    escalation::sweep(&second).await.unwrap();
    for id in ids {
        let s = steps(&app, id).await;
        // sign, contact and resolve deadlines, three steps each, each exactly once.
        assert_eq!(s.len(), 9, "{id}: {s:?}");
        let unique: std::collections::HashSet<_> = s.iter().collect();
        assert_eq!(unique.len(), 9);
    }
}

#[tokio::test]
async fn bad_work_order_input_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let admin = app.token("admin").await;
    let id = report(&app, Some(&gw), "13800138000", "normal").await["id"]
        .as_i64()
        .unwrap();
    let (_, before) = app.get("/api/v1/work-orders?per_page=1", &admin).await;
    let head = app.audit_head().await;
    let base = json!({"description": "路灯不亮", "lat": 29.8125, "lon": 119.915, "reporter": {"name": "李", "phone": "13800138000"}});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, status, code) in [
        (
            with("category_code", json!("9999")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.unknown_category",
        ),
        (
            with("lat", json!(95.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            with("description", json!("很".repeat(4001))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            with("priority", json!("asap")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            with("photos", json!(["x.jpg"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            // A GIF is not among the accepted formats.
            with("photos", json!(["R0lGODlhAQABAAAAACw="])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            with("photos", json!(vec![TINY_PNG; 10])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            with("client_key", json!("有空格 的键")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
        (
            json!({"description": "路灯不亮"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.invalid",
        ),
    ] {
        let (s, b) = app
            .call(
                Method::POST,
                "/api/v1/work-orders",
                Some(&gw),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str().unwrap_or("")),
            (status, code),
            "{body} → {b}"
        );
        assert!(
            b["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        );
    }
    // An illegal transition, and another unit acting on the order.
    let xf = app.token("handler.xfjy").await;
    let (s, b) = act(&app, &xf, id, json!({"action": "reply", "note": "x"})).await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "work_order.illegal_transition")
    );
    let (s, b) = act(
        &app,
        &app.token("handler").await,
        id,
        json!({"action": "sign"}),
    )
    .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{b}"
    );
    let (s, b) = act(
        &app,
        &app.token("leader").await,
        id,
        json!({"action": "dispatch"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // A list over the village-assist cap is not published.
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", None, None)
        .await;
    let cat = cats["items"][0]["code"].as_str().unwrap().to_string();
    let items: Vec<Value> = (0..31)
        .map(|i| json!({"code": format!("V{i}"), "name": "协助事项", "item_type": "village_assist", "legal_basis": "", "categories": [cat], "lead": {"by": "village_committee"}, "assisting": []}))
        .collect();
    let (s, l) = app
        .call(
            Method::POST,
            "/api/v1/responsibility-lists",
            Some(&admin),
            Some(json!({"region_code": "339901000000", "items": items})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let (s, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/responsibility-lists/{}/publish", l["id"]),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::UNPROCESSABLE_ENTITY, "resp_list.over_cap")
    );
    assert!(b["message"].as_str().unwrap().contains("上限30项"));
    let (_, after) = app.get("/api/v1/work-orders?per_page=1", &admin).await;
    assert_eq!(before["total"], after["total"]);
    let writes: Vec<_> = app
        .audit_since(head)
        .await
        .into_iter()
        .filter(|e| e.action.starts_with("work_order.") && e.action != "work_order.escalate")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn citizens_report_without_an_account_and_staff_see_only_their_own() {
    let app = TestApp::spawn().await;
    let (s, o) = app
        .call(Method::POST, "/api/v1/work-orders", None, Some(json!({"description": "晚上广场舞噪音扰民，音响开得太大", "anonymous": true, "address": "某广场"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["channel"], "web");
    // No location (and no place named): the township office cannot be found, so a dispatcher
    // decides.
    assert_eq!(o["status"], "pending_dispatch", "{o}");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "x", "anonymous": true, "channel": "hotline"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let gw = app.token("gw001").await;
    let fire = report(&app, Some(&gw), "13800138000", "normal").await;
    // A township account elsewhere does not see the order, the lead unit does.
    let other = app.token("nanshan.dispatcher").await;
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{}", fire["id"]), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, l) = app.get("/api/v1/work-orders", &other).await;
    assert!(
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != fire["id"])
    );
    let (_, l) = app
        .get("/api/v1/work-orders", &app.token("handler.xfjy").await)
        .await;
    assert!(
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == fire["id"])
    );
    let (s, sug) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&gw),
            Some(json!({"text": "公司拖欠工资三个月"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(sug["suggestions"].as_array().unwrap().len(), 3);
    assert!(
        !sug["suggestions"][0]["words"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn rankings_follow_the_callbacks() {
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let op = app.token("operator").await;
    for (phone, resolution, satisfaction) in [
        ("13800000011", "resolved", "satisfied"),
        ("13800000012", "partly_resolved", "basically_satisfied"),
    ] {
        let id = report(&app, None, phone, "normal").await["id"]
            .as_i64()
            .unwrap();
        ok(&app, &xf, id, json!({"action": "sign"})).await;
        ok(&app, &xf, id, json!({"action": "contact"})).await;
        ok(&app, &xf, id, json!({"action": "reply", "note": "已处理"})).await;
        ok(&app, &op, id, json!({"action": "approve_reply"})).await;
        ok(&app, &op, id, json!({"action": "callback_close", "resolution": resolution, "satisfaction": satisfaction})).await;
    }
    let (s, m) = app
        .get(
            "/api/v1/metrics/work-orders?group_by=unit",
            &app.token("leader").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let xfjy = m["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "示范县消防救援大队")
        .unwrap();
    assert_eq!(xfjy["orders"], 2);
    assert_eq!(xfjy["response_rate"], 1.0);
    assert_eq!(xfjy["resolution_rate"], 0.5);
    assert!((xfjy["satisfaction_rate"].as_f64().unwrap() - 0.9).abs() < 1e-9);
    assert!((xfjy["composite"].as_f64().unwrap() - (0.1 + 0.45 * 0.5 + 0.45 * 0.9)).abs() < 1e-9);
    let (s, b) = app
        .get(
            "/api/v1/metrics/work-orders?group_by=nonsense",
            &app.token("leader").await,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::BAD_REQUEST, "request.bad_query")
    );
    let session = app.browser_session("leader").await;
    let (s, html) = session.page("/rankings?group_by=township").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("城关街道"));
}

/// Random actions by every role on one order: whatever is accepted is audited and moves the
/// order only along the state machine; whatever is refused changes nothing.
#[tokio::test]
async fn random_actions_are_audited_or_change_nothing() {
    use rand::{Rng, SeedableRng};
    let app = TestApp::spawn().await;
    let id = report(
        &app,
        Some(&app.token("gw001").await),
        "13800138000",
        "normal",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (_, depts) = app
        .get("/api/v1/departments?q=cgj", &app.token("admin").await)
        .await;
    let cgj = depts["items"][0]["id"].as_i64().unwrap();
    let tokens = [
        app.token("handler.xfjy").await,
        app.token("handler").await,
        app.token("dispatcher").await,
        app.token("operator").await,
    ];
    let actions = [
        json!({"action": "sign"}),
        json!({"action": "contact"}),
        json!({"action": "send_back", "note": "不属本单位"}),
        json!({"action": "accept_send_back", "unit_id": cgj}),
        json!({"action": "reject_send_back", "note": "属于贵单位"}),
        json!({"action": "request_extension", "days": 2, "note": "需要时间"}),
        json!({"action": "approve_extension"}),
        json!({"action": "reject_extension", "note": "不予延期"}),
        json!({"action": "reply", "note": "已处理"}),
        json!({"action": "approve_reply"}),
        json!({"action": "return_reply", "note": "回复不完整"}),
        json!({"action": "reopen", "satisfaction": "dissatisfied"}),
        json!({"action": "callback_close", "resolution": "resolved", "satisfaction": "satisfied"}),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let admin = app.token("admin").await;
    for _ in 0..60 {
        let t = &tokens[rng.random_range(0..tokens.len())];
        let a = &actions[rng.random_range(0..actions.len())];
        let (_, before) = app.get(&format!("/api/v1/work-orders/{id}"), &admin).await;
        let head = app.audit_head().await;
        let (s, after) = act(&app, t, id, a.clone()).await;
        let audited = app
            .audit_since(head)
            .await
            .into_iter()
            .filter(|e| e.action == "work_order.action" && e.entity_id == id.to_string())
            .count();
        if s == StatusCode::OK {
            assert_eq!(audited, 1, "{a} accepted but not audited");
            assert!(
                jiceng_core::work_order::State::parse(after["status"].as_str().unwrap()).is_some()
            );
        } else {
            assert!(s.is_client_error(), "{a}: {s} {after}");
            assert_eq!(audited, 0, "{a} refused but audited");
            let (_, now) = app.get(&format!("/api/v1/work-orders/{id}"), &admin).await;
            assert_eq!(before["status"], now["status"]);
            assert_eq!(
                before["timeline"].as_array().unwrap().len(),
                now["timeline"].as_array().unwrap().len()
            );
        }
    }
}

#[tokio::test]
async fn a_dispatcher_overrides_the_automatic_dispatch_and_the_correction_is_kept() {
    let app = TestApp::spawn().await;
    let dispatcher = app.token("dispatcher").await;
    let id = report(
        &app,
        Some(&app.token("gw001").await),
        "13800138000",
        "normal",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (_, depts) = app.get("/api/v1/departments?q=cgj", &dispatcher).await;
    let cgj = depts["items"][0]["id"].as_i64().unwrap();
    let (s, b) = act(
        &app,
        &dispatcher,
        id,
        json!({"action": "dispatch", "unit_id": cgj}),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "work_order.reason_required"
        )
    );
    let parking = category_code(&app, "乱停乱放").await;
    let o = ok(&app, &dispatcher, id, json!({"action": "dispatch", "unit_id": cgj, "category_code": parking, "note": "车辆乱停属城管"})).await;
    assert_eq!(o["dispatch"]["lead"]["name"], "示范县城市管理局");
    assert!(
        o["category"]["name"]
            .as_str()
            .unwrap()
            .ends_with("乱停乱放")
    );
    use jiceng::store::entities::correction;
    use sea_orm::EntityTrait;
    let kept: Vec<String> = correction::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(kept, vec!["category", "dispatch"]);
}

#[tokio::test]
async fn the_supervision_board_and_the_daily_overdue_list() {
    let app = TestApp::spawn().await;
    let o = report(
        &app,
        Some(&app.token("gw001").await),
        "13800138000",
        "urgent",
    )
    .await;
    let created = time(&o["created_at"]);
    at_minute(&app, created, 46).await;
    let s = app.browser_session("supervisor").await;
    let (status, html) = s.page("/supervision").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("示范县消防救援大队") && html.contains(o["tracking_code"].as_str().unwrap()),
        "board lists it"
    );
    // Once a day, whatever the number of runs (the server's own scheduler runs it too).
    app.advance_clock(24 * 60).await;
    escalation::daily_report(&app.app).await.unwrap();
    escalation::daily_report(&app.app).await.unwrap();
    let (second, _) = tokio::join!(
        escalation::daily_report(&app.app),
        escalation::daily_report(&app.app)
    );
    second.unwrap();
    use jiceng::store::entities::daily_report;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let days = daily_report::Entity::find()
        .count(&app.app.db.conn)
        .await
        .unwrap();
    let (_, m) = app
        .get(
            "/api/v1/admin/outbox?recipient=role:leader",
            &app.token("admin").await,
        )
        .await;
    let sent = m["items"].as_array().unwrap();
    assert_eq!(sent.len() as u64, days, "one report per day: {m}");
    let local_hour = chrono::Timelike::hour(
        &app.app
            .now()
            .with_timezone(&jiceng_core::clock::china_offset()),
    );
    if local_hour >= 8 {
        assert!(days >= 1);
        assert!(
            sent[0]["body"]
                .as_str()
                .unwrap()
                .contains("示范县消防救援大队"),
            "{m}"
        );
    }
}

#[tokio::test]
async fn responsibility_lists_round_trip_through_xlsx() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (_, lists) = app.get("/api/v1/responsibility-lists", &admin).await;
    let published = lists["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["status"] == "published")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let resp = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/responsibility-lists/{published}/xlsx")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let xlsx = resp.bytes().await.unwrap();
    let import = |body: Vec<u8>| {
        reqwest::Client::new()
            .post(app.url(
                "/api/v1/responsibility-lists/import?region_code=339901000000&note=round-trip",
            ))
            .bearer_auth(&admin)
            .body(body)
            .send()
    };
    let r = import(xlsx.to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 2);
    let (_, diff) = app
        .get(
            &format!(
                "/api/v1/responsibility-lists/diff?a={published}&b={}",
                draft["id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(diff, json!({"added": [], "removed": [], "changed": []}));

    // Garbage, and a sheet with a bad row, write nothing.
    let r = import(b"not a spreadsheet".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in [
        "事项编码",
        "事项名称",
        "事项类型",
        "法律依据",
        "覆盖分类编码",
        "主办单位",
        "协办单位",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["X-1", "某事项", "不存在的类型", "", "16", "属地乡镇", ""]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let r = import(wb.save_to_buffer().unwrap()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["fields"][0]["field"], "第2行", "{b}");
    let (_, lists) = app.get("/api/v1/responsibility-lists", &admin).await;
    assert_eq!(lists["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn intake_suggestions_show_the_place_and_nearby_duplicates() {
    let app = TestApp::spawn().await;
    let op = app.token("operator").await;
    let first = report(&app, Some(&op), "13800138000", "normal").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&op),
            Some(json!({"text": FIRE_LANE, "lat": 29.8126, "lon": 119.9151})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["location"]["township"]["name"], "城关街道");
    let dups = b["duplicates"].as_array().unwrap();
    assert_eq!(dups[0]["id"], first["id"]);
    assert_eq!(dups[0]["same_category"], true);
    assert!(dups[0]["distance_m"].as_f64().unwrap() < 30.0);
    // Far away: none.
    let (_, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&op),
            Some(json!({"text": FIRE_LANE, "lat": 30.0, "lon": 120.2})),
        )
        .await;
    assert!(b["duplicates"].as_array().unwrap().is_empty());
}

/// A 1×1 PNG.
pub const TINY_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
