//! Trust: the holes a review found, each shown closed (issue 11).

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn throttle_rows(app: &TestApp) -> Vec<jiceng::store::entities::login_throttle::Model> {
    use sea_orm::EntityTrait;
    jiceng::store::entities::login_throttle::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_wrong_passwords_lock_the_name_and_a_right_one_is_refused_then() {
    let app = TestApp::spawn().await;
    let before = app.audit_head().await;
    let bad = json!({"username": "operator", "password": "wrong-password-x"});
    let calls =
        (0..20).map(|_| app.call(Method::POST, "/api/v1/auth/token", None, Some(bad.clone())));
    let answers = futures_util::future::join_all(calls).await;
    let locked = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let failed = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(locked + failed, 20, "{answers:?}");
    // Every failure before the lock counted: exactly five got through to a verdict.
    assert_eq!(failed, 5, "{answers:?}");
    let good = json!({"username": "operator", "password": PASSWORD});
    let (s, b) = app
        .call(Method::POST, "/api/v1/auth/token", None, Some(good))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["code"], "auth.locked");
    let actions: Vec<String> = app
        .audit_since(before)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "auth.lockout").count(), 1);
    // Refusals during the lock are audited once, not once each.
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "auth.login_refused")
            .count(),
        1,
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_huge_user_name_is_refused_before_anything_is_written_and_names_are_not_kept() {
    let app = TestApp::spawn().await;
    let before = app.audit_head().await;
    let name = "x".repeat(10_000);
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": name, "password": "whatever-123"})),
        )
        .await;
    assert!(s.is_client_error(), "{s} {b}");
    assert_eq!(b["code"], "auth.bad_username");
    assert_eq!(app.audit_head().await, before);
    assert!(throttle_rows(&app).await.is_empty());
    // A password typed into the name field is not stored, and the log names it by a digest.
    let typed = "MySecret-Passw0rd";
    app.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": typed, "password": "x"})),
    )
    .await;
    let rows = throttle_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].username.to_lowercase().contains("secret"));
    for e in app.audit_since(before).await {
        let text = format!("{} {}", e.entity_id, e.reason);
        assert!(!text.to_lowercase().contains("secret"), "{text}");
    }
}

/// Two cells at opposite corners: 1 KB on disk, 1.7·10¹⁰ cells as a range.
fn corner_bomb(sheets: &[&str]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for name in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        ws.write_string(0, 0, "x").unwrap();
        ws.write_string(1_048_575, 16_383, "y").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_two_cell_spreadsheet_is_refused_by_role_first_then_by_size_and_the_server_lives() {
    let app = TestApp::spawn().await;
    let post = |path: &'static str, token: String, body: Vec<u8>| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url(path))
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            (status, body)
        }
    };
    let list = "/api/v1/responsibility-lists/import?region_code=339901000000&note=x";
    let bomb = corner_bomb(&["Sheet1"]);
    assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
    let (s, b) = post(list, app.token("gw001").await, bomb.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = post(list, app.token("admin").await, bomb).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["code"], "upload.too_large");
    let catalog = corner_bomb(&["事项", "材料"]);
    let (s, b) = post(
        "/api/v1/matters/import",
        app.token("gw001").await,
        catalog.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = post("/api/v1/matters/import", app.token("admin").await, catalog).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    // Not a workbook at all: a clear 4xx, not a crash.
    let (s, _) = post(list, app.token("admin").await, b"not a zip".to_vec()).await;
    assert!(s.is_client_error(), "{s}");
    let (s, _) = app.get("/healthz", "").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_control_character_in_any_text_is_a_field_error_and_writes_nothing() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let orders = || async {
        jiceng::store::entities::work_order::Entity::find()
            .count(&app.app.db.conn)
            .await
            .unwrap()
    };
    let before = orders().await;
    let body = json!({
        "description": "消防通道被占用\u{0}请处理",
        "lat": 29.8125, "lon": 119.915,
        "reporter": {"name": "王建国", "phone": "13800138000"}
    });
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["code"], "request.control_character");
    assert_eq!(b["fields"][0]["field"], "description", "{b}");
    // Nested too, and in a name.
    let body = json!({
        "description": "消防通道被占用，请处理",
        "lat": 29.8125, "lon": 119.915,
        "reporter": {"name": "王\u{1b}建国", "phone": "13800138000"}
    });
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["fields"][0]["field"], "reporter.name", "{b}");
    assert_eq!(orders().await, before);
    // Tabs and line breaks are text.
    let body = json!({
        "description": "消防通道被占用\r\n\t请处理",
        "lat": 29.8125, "lon": 119.915,
        "reporter": {"name": "王建国", "phone": "13800138000"}
    });
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // A form with %00 gets a page saying which field, before any handler.
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin\u{0}"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("控制字符"), "{page}");
}

#[tokio::test]
async fn a_county_department_sees_only_what_is_assigned_to_it_and_only_callers_reveal_phones() {
    use crate::work_orders::report;
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let xf = app.token("handler.xfjy").await;
    // The fire lane goes to the fire brigade; a broken street lamp does not.
    let fire = report(&app, Some(&gw), "13800138000", "normal").await;
    let fire_id = fire["id"].as_i64().unwrap();
    let (s, lamp) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&gw),
            Some(
                json!({"description": "小区门口的路灯坏了一个星期，晚上一片漆黑",
                "lat": 29.8125, "lon": 119.915,
                "reporter": {"name": "李四", "phone": "13900139000"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{lamp}");
    let lamp_id = lamp["id"].as_i64().unwrap();
    let lead = |o: &serde_json::Value| o["dispatch"]["lead"]["name"].as_str().map(String::from);
    assert!(lead(&fire).is_some_and(|n| n.contains("消防")), "{fire}");
    assert!(!lead(&lamp).is_some_and(|n| n.contains("消防")), "{lamp}");
    let (s, list) = app.get("/api/v1/work-orders?per_page=100", &xf).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&fire_id), "{ids:?}");
    assert!(!ids.contains(&lamp_id), "{ids:?}");
    for o in list["items"].as_array().unwrap() {
        let units: Vec<&str> = std::iter::once(&o["dispatch"]["lead"])
            .chain(o["dispatch"]["assisting"].as_array().into_iter().flatten())
            .filter_map(|u| u["name"].as_str())
            .collect();
        assert!(units.iter().any(|n| n.contains("消防")), "{o}");
    }
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{lamp_id}"), &xf)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The reporter's number: the callers may, the leader and the auditor may not.
    let phone = |id: i64| format!("/api/v1/work-orders/{id}/reporter-phone");
    for who in ["leader", "auditor", "supervisor"] {
        let (s, b) = app.get(&phone(fire_id), &app.token(who).await).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {b}");
    }
    let (s, b) = app.get(&phone(fire_id), &xf).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = app.get(&phone(lamp_id), &xf).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
