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

#[tokio::test]
async fn deployment_wide_settings_and_logs_are_the_county_admins_alone() {
    let app = TestApp::spawn().await;
    let county = app.token("admin").await;
    let township = app.token("chengguan.admin").await;
    let (_, cats) = app.get("/api/v1/categories", &county).await;
    let cat = cats["items"][0]["code"].as_str().unwrap().to_string();
    let (_, policies) = app.get("/api/v1/sla-policies", &county).await;
    let policy = policies["items"][0].clone();
    let (_, days) = app
        .call(Method::GET, "/api/v1/calendar/2026", None, None)
        .await;
    let writes: Vec<(Method, String, serde_json::Value)> = vec![
        (
            Method::PUT,
            "/api/v1/notification-templates/work_order.received".into(),
            json!({"subject": "受理回执", "body": "查询码{查询码}，请访问 http://evil.example"}),
        ),
        (
            Method::PUT,
            "/api/v1/calendar/2026".into(),
            json!({"days": days["days"]}),
        ),
        (
            Method::PUT,
            "/api/v1/sla-policies".into(),
            json!({"category_code": policy["category_code"], "priority": policy["priority"], "policy": policy["policy"]}),
        ),
        (
            Method::PUT,
            format!("/api/v1/categories/{cat}"),
            json!({"name": "乡镇改的分类"}),
        ),
        (
            Method::POST,
            "/api/v1/matters".into(),
            crate::catalog::pension(),
        ),
        (
            Method::POST,
            "/api/v1/queue/groups".into(),
            json!({"code": "zz", "name": "乡镇改的分组", "prefix": "Z", "windows": ["1"]}),
        ),
    ];
    for (m, path, body) in &writes {
        let (s, b) = app
            .call(m.clone(), path, Some(&township), Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{m} {path}: {b}");
    }
    for path in ["/api/v1/admin/outbox", "/api/v1/audit"] {
        let (s, b) = app.get(path, &township).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {b}");
        let (s, b) = app.get(path, &county).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
    }
    // The county's admin still may (the body that changes nothing is accepted).
    let (m, path, body) = &writes[1];
    let (s, b) = app
        .call(m.clone(), path, Some(&county), Some(body.clone()))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn a_client_key_answers_only_its_own_submitter() {
    let app = TestApp::spawn().await;
    let body = |phone: &str| {
        json!({"description": "小区门口的路灯坏了一个星期，晚上一片漆黑",
            "lat": 29.8125, "lon": 119.915, "client_key": "retry-1",
            "reporter": {"name": "李四", "phone": phone}})
    };
    let post = |token: Option<String>, b: serde_json::Value| {
        let app = &app;
        async move {
            let (s, o) = app
                .call(
                    Method::POST,
                    "/api/v1/work-orders",
                    token.as_deref(),
                    Some(b),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            assert!(o["tracking_code"].is_string(), "{o}");
            o
        }
    };
    let op = Some(app.token("operator").await);
    let gw = Some(app.token("gw001").await);
    let first = post(op.clone(), body("13900139000")).await;
    // The same submitter retrying gets the same order.
    assert_eq!(
        post(op, body("13900139000")).await["tracking_code"],
        first["tracking_code"]
    );
    // Someone else sending that key gets their own, and sees nothing of the first.
    let other = post(gw, body("13700137000")).await;
    assert_ne!(other["tracking_code"], first["tracking_code"]);
    // Citizens: the same phone retries, another phone does not reach it.
    let c1 = post(None, body("13600136000")).await;
    assert_eq!(
        post(None, body("13600136000")).await["tracking_code"],
        c1["tracking_code"]
    );
    let c2 = post(None, body("13500135000")).await;
    assert_ne!(c2["tracking_code"], c1["tracking_code"]);
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_template_has_inline_script() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/login",
        "/api/v1/categories",
        "/healthz",
        "/no-such-page",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    // Behind TLS, HSTS too.
    let r = app
        .client
        .get(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("strict-transport-security"));
    // No inline script, event handler or style block left for the policy to break.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let inline = inline_code_in(dir);
    assert!(inline.is_empty(), "inline script or style in: {inline:?}");
}

/// Templates holding `<script>` without `src`, an `on…=` handler attribute, or a `<style>`
/// block.
fn inline_code_in(dir: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let lower = text.to_lowercase();
        let script_inline = lower
            .match_indices("<script")
            .any(|(i, _)| !lower[i..].split('>').next().unwrap_or("").contains("src="));
        let handler = lower.split_whitespace().any(|w| {
            w.starts_with("on")
                && w.contains("=\"")
                && w[2..]
                    .split('=')
                    .next()
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase()))
        });
        if script_inline || handler || lower.contains("<style") || lower.contains(" style=\"") {
            found.push(p.display().to_string());
        }
    }
    found
}

#[tokio::test]
async fn a_merge_target_outside_the_jurisdiction_reads_as_missing() {
    use crate::work_orders::report;
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let a = report(&app, Some(&gw), "13800138000", "normal").await;
    let a_id = a["id"].as_i64().unwrap();
    let a_row = jiceng::store::entities::work_order::Entity::find_by_id(a_id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    // A township dispatcher of another township, and an order of theirs.
    let users = jiceng::store::entities::user::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap();
    let d = users
        .iter()
        .find(|u| {
            u.username.ends_with(".dispatcher")
                && Some(u.region_code.as_str()) != a_row.township_code.as_deref()
        })
        .expect("another township's dispatcher");
    let prefix = &d.region_code[..9];
    let grid = jiceng::store::entities::grid::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.village_code.starts_with(prefix))
        .expect("a grid of that township");
    let geo: serde_json::Value = serde_json::from_str(&grid.geometry).unwrap();
    let ring = geo["coordinates"][0].as_array().unwrap();
    let n = (ring.len() - 1) as f64;
    let (lon, lat) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), p| {
        (
            x + p[0].as_f64().unwrap() / n,
            y + p[1].as_f64().unwrap() / n,
        )
    });
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&app.token("operator").await),
            Some(json!({"description": "路口的井盖松动，车辆经过时响声很大",
                "lat": lat, "lon": lon,
                "reporter": {"name": "赵六", "phone": "13600136001"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b_id = b["id"].as_i64().unwrap();
    let token = app.token(&d.username).await;
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{b_id}"), &token)
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the dispatcher sees their own township's order"
    );
    let merge = |master: i64| json!({"action": "merge", "master_id": master});
    let (s, outside) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{b_id}/actions"),
            Some(&token),
            Some(merge(a_id)),
        )
        .await;
    let (s2, missing) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{b_id}/actions"),
            Some(&token),
            Some(merge(999_999_999)),
        )
        .await;
    // The same answer as for an id that does not exist: nothing to probe.
    assert_eq!(
        (s, &outside["code"]),
        (s2, &missing["code"]),
        "{outside} {missing}"
    );
    assert_eq!(outside["code"], "work_order.master_not_found", "{outside}");
}

#[tokio::test]
async fn a_citizen_tracks_with_a_pin_only_they_hold_and_the_sixth_wrong_pin_is_refused() {
    let app = TestApp::spawn().await;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(
                json!({"description": "小区门口的路灯坏了一个星期，晚上一片漆黑",
                "lat": 29.8125, "lon": 119.915,
                "reporter": {"name": "李四", "phone": "13900139000"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let code = o["tracking_code"].as_str().unwrap().to_string();
    let pin = o["tracking_pin"].as_str().unwrap().to_string();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );
    // The SMS carries the same pin; staff see neither it nor anything derived from it.
    assert_eq!(app.pin_of(&code).await, pin);
    let id = o["id"].as_i64().unwrap();
    let admin = app.token("admin").await;
    for path in [
        format!("/api/v1/work-orders/{id}"),
        "/api/v1/admin/outbox".to_string(),
        "/api/v1/work-orders?per_page=100".to_string(),
    ] {
        let (s, body) = app.get(&path, &admin).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let text = body.to_string();
        assert!(!text.contains("tracking_pin"), "{path}");
        assert!(!text.contains(&format!("查询密码{pin}")), "{path}");
        assert!(!text.contains(&format!("\"{pin}\"")), "{path}");
    }
    let track = |pin: String| {
        let app = &app;
        let code = code.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/track",
                None,
                Some(json!({"code": code, "pin": pin})),
            )
            .await
        }
    };
    let (s, t) = track(pin.clone()).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    // The last four digits of the phone, which every masked number shows, open nothing now;
    // neither does the old way of asking, with the secret in the address.
    let (s, _) = track("139000".into()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/track?code={code}&phone4=9000"),
            None,
            None,
        )
        .await;
    assert!(s.is_client_error(), "{s}");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/track",
            None,
            Some(json!({"code": code, "phone4": "9000"})),
        )
        .await;
    assert!(s.is_client_error(), "{s}");
    // Four more wrong pins (five in all) answer "not found"; the sixth attempt, even with the
    // right pin, is refused for an hour.
    let wrong = crate::service::wrong_pin(&pin);
    for _ in 0..4 {
        let (s, _) = track(wrong.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (s, b) = track(wrong.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["code"], "citizen.pin_locked");
    let (s, _) = track(pin.clone()).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    app.advance_clock(61).await;
    let (s, _) = track(pin.clone()).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_case_staff_register_without_a_phone_gets_no_pin_that_no_one_could_receive() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let orders = [
        json!({"description": "来电人不愿留姓名：广场的健身器材断裂，有安全隐患",
            "anonymous": true, "channel": "hotline", "lat": 29.8125, "lon": 119.915}),
        json!({"description": "来电反映：广场的健身器材断裂，有安全隐患",
            "channel": "hotline", "lat": 29.8125, "lon": 119.915,
            "reporter": {"name": "王五", "phone": "13700137000"}}),
    ];
    let mut digests = Vec::new();
    for body in orders {
        let (s, o) = app
            .call(
                Method::POST,
                "/api/v1/work-orders",
                Some(&operator),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        assert!(o.get("tracking_pin").is_none_or(|p| p.is_null()), "{o}");
        let m = jiceng::store::entities::work_order::Entity::find_by_id(o["id"].as_i64().unwrap())
            .one(&app.app.db.conn)
            .await
            .unwrap()
            .unwrap();
        digests.push(m.pin_digest);
    }
    // The anonymous call has no pin at all; the caller with a phone gets one by SMS.
    assert_eq!(digests[0], None);
    assert!(digests[1].is_some());
}

#[tokio::test]
async fn a_township_hall_sees_its_own_applications_and_only_a_unit_works_its_part() {
    use crate::service::{applicant, part};
    let app = TestApp::spawn().await;
    let county_clerk = app.token("clerk").await;
    let town_clerk = app.token("chengguan.clerk").await;
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/applications/checklist?bundle=birth",
            None,
            None,
        )
        .await;
    let required: Vec<serde_json::Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["required"] == true)
        .map(|i| i["name"].clone())
        .collect();
    let submit =
        |token: String, n: u32| {
            let app = &app;
            let required = required.clone();
            async move {
                let (s, v) = app
                .call(
                    Method::POST,
                    "/api/v1/applications",
                    Some(&token),
                    Some(json!({"bundle": "birth", "applicant": applicant(n), "provided": required,
                        "window": "1号窗口", "delivery": "electronic"})),
                )
                .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                v
            }
        };
    let county = submit(county_clerk.clone(), 31).await;
    let town = submit(town_clerk.clone(), 32).await;
    let ids = |list: &serde_json::Value| -> Vec<i64> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let (s, mine) = app
        .get("/api/v1/applications?per_page=100", &town_clerk)
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert!(ids(&mine).contains(&town["id"].as_i64().unwrap()));
    assert!(!ids(&mine).contains(&county["id"].as_i64().unwrap()));
    let (s, _) = app
        .get(
            &format!("/api/v1/applications/{}", county["id"]),
            &town_clerk,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The county's hall sees the townships' too; so does the unit doing a part.
    let (_, all) = app
        .get("/api/v1/applications?per_page=100", &county_clerk)
        .await;
    assert!(ids(&all).contains(&town["id"].as_i64().unwrap()));
    let wjj = app.token("handler.wjj").await;
    let (s, _) = app
        .get(&format!("/api/v1/applications/{}", town["id"]), &wjj)
        .await;
    assert_eq!(s, StatusCode::OK);
    // An administrator is not the unit: no result number set in its name, even on an
    // application the administrator sees.
    for (who, a) in [("admin", &county), ("chengguan.admin", &town)] {
        let pid = part(a, "wjj-0001")["id"].clone();
        let act = json!({"action": "advance", "part": pid, "result_no": "伪造001", "delivery": "electronic"});
        let (s, b) = app
            .call(
                Method::POST,
                &format!("/api/v1/applications/{}/actions", a["id"]),
                Some(&app.token(who).await),
                Some(act),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {b}");
    }
    let pid = part(&county, "wjj-0001")["id"].clone();
    let (s, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/applications/{}/actions", county["id"]),
            Some(&wjj),
            Some(json!({"action": "advance", "part": pid, "note": "材料审核通过"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn demo_reset_refuses_a_database_the_demo_did_not_make() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    // A county's own database: migrated, with accounts, but never seeded by the demo.
    let app = TestApp::spawn_with(Options {
        seed_demo: false,
        ..Default::default()
    })
    .await;
    let before = jiceng::store::entities::user::Entity::find()
        .count(&app.app.db.conn)
        .await
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jiceng"))
        .args([
            "demo",
            "--reset",
            "--database",
            &app.db_url,
            "--listen",
            "127.0.0.1:0",
        ])
        .env("JICENG_DATA_DIR", &app.data_dir)
        .env_remove("JICENG_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success(), "reset went ahead");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("不是演示数据库"), "{err}");
    let after = jiceng::store::entities::user::Entity::find()
        .count(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(before, after, "the database was touched");
}

#[tokio::test]
async fn a_unit_no_longer_assigned_no_longer_sees_the_order_or_its_reporter() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["dispatch"]["lead"]["name"], "示范县消防救援大队");
    let fire = app.token("handler.xfjy").await;
    let (s, _) = app.get(&format!("/api/v1/work-orders/{id}"), &fire).await;
    assert_eq!(s, StatusCode::OK);
    // The dispatcher sends it to 城管 instead.
    let dispatcher = app.token("dispatcher").await;
    let (_, depts) = app.get("/api/v1/departments?q=cgj", &dispatcher).await;
    let cgj = depts["items"][0]["id"].as_i64().unwrap();
    let parking = crate::work_orders::category_code(&app, "乱停乱放").await;
    let (s, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{id}/actions"),
            Some(&dispatcher),
            Some(
                json!({"action": "dispatch", "unit_id": cgj, "category_code": parking,
                "note": "车辆乱停属城管"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The fire brigade no longer sees it, in the list or by id, nor its reporter's number.
    for path in [
        format!("/api/v1/work-orders/{id}"),
        format!("/api/v1/work-orders/{id}/reporter-phone"),
    ] {
        let (s, _) = app.get(&path, &fire).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = app.get("/api/v1/work-orders?per_page=200", &fire).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["id"] != id),
        "{list}"
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/work-orders/{id}"),
            &app.token("handler").await,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn citizens_look_ups_share_one_allowance_per_address_and_kiosks_are_exempt() {
    for kiosk in [false, true] {
        let app = TestApp::spawn_with(Options {
            kiosk_addresses: if kiosk {
                vec!["127.0.0.1".into()]
            } else {
                Vec::new()
            },
            ..Options::default()
        })
        .await;
        // Sixty look-ups spread over the tracking, application and rating endpoints (wrong
        // codes: each one a guess), then the sixty-first.
        let paths = [
            "/api/v1/track",
            "/api/v1/applications/track",
            "/api/v1/applications/supplement",
            "/api/v1/ratings",
            "/api/v1/track/rate",
            "/api/v1/rectifications/1/rating",
        ];
        let mut refused = 0;
        for i in 0..61 {
            let body = json!({"code": format!("ZZ{i:06}"), "pin": "123456", "level": "satisfied",
                "resolution": "resolved", "satisfaction": "satisfied"});
            let (s, b) = app
                .call(Method::POST, paths[i % paths.len()], None, Some(body))
                .await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(b["code"], "citizen.rate_limited", "{b}");
                refused += 1;
            }
        }
        if kiosk {
            assert_eq!(refused, 0, "the hall's kiosk is not held to it");
        } else {
            assert_eq!(refused, 1, "the sixty-first look-up is refused");
            // The tracking page says so too, as a page.
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            let page = client
                .get(app.url("/service/track"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden_csrf(&page);
            let r = client
                .post(app.url("/service/track"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("code", "S0000000"),
                    ("pin", "123456"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(r.text().await.unwrap().contains("查询过于频繁"));
            // A post from another site (no token) is refused before it spends anything.
            let r = client
                .post(app.url("/service/track"))
                .form(&[("code", "S0000000"), ("pin", "123456")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
        }
    }
}

#[tokio::test]
async fn a_township_admin_neither_moves_its_border_nor_draws_over_a_neighbour() {
    let app = TestApp::spawn().await;
    let cg = app.token("chengguan.admin").await;
    let root = app.token("admin").await;
    let (_, township) = app.get("/api/v1/regions/339901001000", &root).await;
    let far = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01], [121.0, 31.0]]]});
    // Renaming is the township's own business; its border is the county's.
    let (s, b) = app
        .call(
            Method::PUT,
            "/api/v1/regions/339901001000",
            Some(&cg),
            Some(json!({"name": township["name"], "boundary": township["boundary"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/regions/339901001000",
            Some(&cg),
            Some(json!({"name": township["name"], "boundary": far})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A village of its own drawn over land outside the township is refused…
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/regions",
            Some(&cg),
            Some(json!({"code": "339901001060", "name": "越界村", "boundary": far})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "region.outside_area");
    // …and so is redrawing one of its villages there.
    let (_, village) = app.get("/api/v1/regions/339901001002", &root).await;
    let (s, b) = app
        .call(
            Method::PUT,
            "/api/v1/regions/339901001002",
            Some(&cg),
            Some(json!({"name": village["name"], "boundary": far})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // The county's admin may draw an exclave (飞地).
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/regions",
            Some(&root),
            Some(json!({"code": "339901001060", "name": "飞地村", "boundary": far})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn a_hall_works_its_own_windows_and_only_its_staff_give_reserved_tickets() {
    let app = TestApp::spawn().await;
    // Nobody gives themselves a ticket that is called first.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "general", "reserved": true, "phone_last4": "5678"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["code"], "queue.reserved_by_staff");
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            Some(&app.token("chengguan.clerk").await),
            Some(json!({"group": "general", "reserved": true, "phone_last4": "5678"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // The county hall's clerk checks the appointment and gives one.
    let clerk = app.token("clerk").await;
    let (s, walk_in) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "general"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{walk_in}");
    let (s, reserved) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            Some(&clerk),
            Some(json!({"group": "general", "reserved": true, "phone_last4": "5678"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{reserved}");
    assert_eq!(reserved["reserved"], true);
    // 城关's clerk does not call the county hall's windows, nor finish its tickets.
    let cg = app.token("chengguan.clerk").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/call",
            Some(&cg),
            Some(json!({"window": "4号窗口"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/queue/tickets/{}/actions", walk_in["id"]),
            Some(&cg),
            Some(json!({"action": "no_show"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The county's clerk calls the reservation first.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/call",
            Some(&clerk),
            Some(json!({"window": "4号窗口"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["ticket"]["id"], reserved["id"]);
    // A window belongs to one hall: 城关's centre cannot have another "4号窗口".
    let admin = app.token("admin").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/groups",
            Some(&admin),
            Some(
                json!({"code": "cg-general", "name": "城关综合窗口", "prefix": "G",
                "windows": ["4号窗口"], "region_code": "339901001000"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // 重呼: the reservation is announced again at the top of the hall display, still called,
    // and its wait still counts to the first call.
    let (_, walk) = app
        .call(
            Method::POST,
            "/api/v1/queue/call",
            Some(&clerk),
            Some(json!({"window": "5号窗口"})),
        )
        .await;
    assert_eq!(walk["ticket"]["id"], walk_in["id"], "{walk}");
    let (s, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/queue/tickets/{}/actions", reserved["id"]),
            Some(&clerk),
            Some(json!({"action": "recall"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "called");
    let (_, hall) = app
        .call(Method::GET, "/api/v1/queue/hall", None, None)
        .await;
    assert_eq!(hall["called"][0]["id"], reserved["id"], "{hall}");
    // 城关's 便民服务中心 gets a group of its own, which its clerk works.
    let (s, g) = app
        .call(
            Method::POST,
            "/api/v1/queue/groups",
            Some(&app.token("admin").await),
            Some(
                json!({"code": "cg-general", "name": "城关综合窗口", "prefix": "G",
                "windows": ["城关1号窗口"], "region_code": "339901001000"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["region_code"], "339901001000");
    let (s, t) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "cg-general"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/queue/call",
            Some(&cg),
            Some(json!({"window": "城关1号窗口"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["ticket"]["id"], t["id"]);
    // The county hall's clerk does not call 城关's window either.
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/queue/call",
            Some(&clerk),
            Some(json!({"window": "城关1号窗口"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Declared again without its region, the group stays 城关's.
    let (s, g) = app
        .call(
            Method::POST,
            "/api/v1/queue/groups",
            Some(&admin),
            Some(
                json!({"code": "cg-general", "name": "城关综合窗口", "prefix": "G",
                "windows": ["城关1号窗口", "城关2号窗口"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["region_code"], "339901001000");
    // Its statistics are its own; the county's include it.
    let (_, mine) = app
        .get("/api/v1/queue/stats?from=2026-01-01&to=2026-12-31", &cg)
        .await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["group"] == "cg-general"),
        "{mine}"
    );
}

#[tokio::test]
async fn throttle_rows_that_no_longer_count_are_pruned() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::spawn().await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "no.such.user", "password": "wrong-password-1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let o = crate::work_orders::report(&app, None, "13800138000", "normal").await;
    let code = o["tracking_code"].as_str().unwrap();
    let wrong = crate::service::wrong_pin(o["tracking_pin"].as_str().unwrap());
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/track",
            None,
            Some(json!({"code": code, "pin": wrong})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let pins = || async {
        jiceng::store::entities::pin_throttle::Entity::find()
            .count(&app.app.db.conn)
            .await
            .unwrap()
    };
    assert_eq!(throttle_rows(&app).await.len(), 1);
    assert_eq!(pins().await, 1);
    // Fresh failures still count: nothing goes.
    assert_eq!(jiceng::kernel::throttle::prune(&app.app).await.unwrap(), 0);
    // Two days on, both are long over and go.
    app.advance_clock(2 * 24 * 60).await;
    assert_eq!(jiceng::kernel::throttle::prune(&app.app).await.unwrap(), 2);
    assert!(throttle_rows(&app).await.is_empty());
    assert_eq!(pins().await, 0);
}
