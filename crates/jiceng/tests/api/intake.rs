//! Intake by group commit, idempotent retries, photos, the reporter's phone, and the
//! notification channels (templates, webhook, SMTP).

use crate::helpers::*;
use crate::work_orders::TINY_PNG;
use jiceng::notify as outbox;
use jiceng::store::entities::{outbox as outbox_row, work_order};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const LAMP: &str = "小区门口路灯不亮已经一周了，晚上出行很不方便";

fn order(phone: &str) -> Value {
    json!({"description": LAMP, "lat": 29.8125, "lon": 119.915, "reporter": {"name": "李明", "phone": phone}})
}

async fn post(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/work-orders", Some(token), Some(body))
        .await
}

#[tokio::test]
async fn concurrent_intake_shares_commits_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let op = app.token("operator").await;
    let before = app.audit_head().await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (client, url, op) = (
            app.client.clone(),
            app.url("/api/v1/work-orders"),
            op.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(op)
                .json(&order(&format!("139{i:08}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let o = t.await.unwrap();
        assert_eq!(o["status"], "pending_sign", "{o}");
        assert!(o["dispatch"]["lead"]["unit_id"].is_i64(), "{o}");
        ids.push(o["id"].as_i64().unwrap());
    }
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 60, "every request got its own order");
    // Each order: one audit entry, a timeline, a receipt to the reporter.
    let created: Vec<String> = app
        .audit_since(before)
        .await
        .into_iter()
        .filter(|e| e.action == "work_order.create")
        .map(|e| e.entity_id)
        .collect();
    for id in &ids {
        assert_eq!(
            created.iter().filter(|e| **e == id.to_string()).count(),
            1,
            "order {id} audited once"
        );
        let (s, o) = app.get(&format!("/api/v1/work-orders/{id}"), &op).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(o["timeline"].as_array().unwrap().len(), 2, "{o}");
    }
    let receipts = outbox_row::Entity::find()
        .filter(outbox_row::Column::Event.eq("work_order.received"))
        .count(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(receipts, 60);
}

#[tokio::test]
async fn a_report_sent_again_with_its_key_is_registered_once() {
    let app = TestApp::spawn().await;
    let op = app.token("operator").await;
    let mut body = order("13900001111");
    body["client_key"] = json!("phone-7f3a-0001");
    let (s, first) = post(&app, &op, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    // Sent again later, and twice at the same moment.
    let (s, again) = post(&app, &op, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    body["client_key"] = json!("phone-7f3a-0002");
    let (a, b) = tokio::join!(post(&app, &op, body.clone()), post(&app, &op, body.clone()));
    assert_eq!(a.1["id"], b.1["id"], "{} {}", a.1, b.1);
    let n = work_order::Entity::find()
        .count(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(n, 2, "two keys, two orders");
}

#[tokio::test]
async fn photos_are_kept_with_the_report_and_the_reply() {
    let app = TestApp::spawn().await;
    let op = app.token("operator").await;
    let mut body = order("13900002222");
    body["description"] = json!("小区消防通道被私家车长期占用堵塞，消防车进不来");
    body["photos"] = json!([TINY_PNG, format!("data:image/png;base64,{TINY_PNG}")]);
    let (s, o) = post(&app, &op, body).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let xf = app.token("handler.xfjy").await;
    let (_, d) = app.get(&format!("/api/v1/work-orders/{id}"), &xf).await;
    let photos = d["photos"].as_array().unwrap().clone();
    assert_eq!(photos.len(), 2, "{d}");
    let r = app
        .client
        .get(app.url(photos[0]["url"].as_str().unwrap()))
        .bearer_auth(&xf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    // Someone who may not see the order may not see its photos either.
    let other = app.token("nanshan.dispatcher").await;
    let (s, _) = app.get(photos[0]["url"].as_str().unwrap(), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The handler replies with a photo of the result.
    for action in ["sign", "contact"] {
        let (s, b) = app
            .call(
                Method::POST,
                &format!("/api/v1/work-orders/{id}/actions"),
                Some(&xf),
                Some(json!({"action": action, "note": "已联系"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, b) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{id}/actions"),
            Some(&xf),
            Some(json!({"action": "reply", "note": "车辆已挪走，通道畅通", "photos": [TINY_PNG]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, d) = app.get(&format!("/api/v1/work-orders/{id}"), &xf).await;
    let photos = d["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 3);
    assert!(photos[2]["event_id"].is_i64(), "the reply's photo: {d}");
}

#[tokio::test]
async fn the_reporters_number_is_sealed_and_shown_only_on_request() {
    let app = TestApp::spawn().await;
    let op = app.token("operator").await;
    let (_, o) = post(&app, &op, order("13912345678")).await;
    let id = o["id"].as_i64().unwrap();
    assert_eq!(o["reporter"]["code"], "139****5678");
    let m = work_order::Entity::find_by_id(id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !m.reporter_phone_enc.contains("13912345678") && m.reporter_phone_enc.starts_with("v1."),
        "stored sealed"
    );
    let before = app.audit_head().await;
    let (s, p) = app
        .get(&format!("/api/v1/work-orders/{id}/reporter-phone"), &op)
        .await;
    assert_eq!(
        (s, p["phone"].as_str()),
        (StatusCode::OK, Some("13912345678"))
    );
    assert!(
        app.audit_since(before)
            .await
            .iter()
            .any(|e| e.action == "work_order.reveal_phone" && e.entity_id == id.to_string())
    );
    let other = app.token("nanshan.dispatcher").await;
    let (s, _) = app
        .get(&format!("/api/v1/work-orders/{id}/reporter-phone"), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The receipt to the reporter carries the sealed number for the gateway.
    let receipt = outbox_row::Entity::find()
        .filter(outbox_row::Column::Event.eq("work_order.received"))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.app.data_key.open(&receipt.address_enc).as_deref(),
        Some("13912345678")
    );
}

#[tokio::test]
async fn admins_edit_templates_and_bad_placeholders_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (s, t) = app.get("/api/v1/notification-templates", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(t["items"].as_array().unwrap().len() >= 10);
    let path = "/api/v1/notification-templates/work_order.received";
    let (s, e) = app
        .call(
            Method::PUT,
            path,
            Some(&admin),
            Some(json!({"subject": "受理回执", "body": "查询码{查询码}，{姓名}"})),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("notification_template.invalid")
        )
    );
    assert!(e["message"].as_str().unwrap().contains("姓名"), "{e}");
    let op = app.token("operator").await;
    let (s, _) = app
        .call(
            Method::PUT,
            path,
            Some(&op),
            Some(json!({"subject": "x", "body": "y"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, t) = app
        .call(
            Method::PUT,
            path,
            Some(&admin),
            Some(json!({"subject": "【示范县12345】受理回执", "body": "您的诉求已登记，查询码{查询码}。"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["customised"], true);
    let (_, o) = post(&app, &op, order("13900003333")).await;
    let receipt = outbox_row::Entity::find()
        .filter(outbox_row::Column::Event.eq("work_order.received"))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipt.subject, "【示范县12345】受理回执");
    assert_eq!(
        receipt.body,
        format!(
            "您的诉求已登记，查询码{}。",
            o["tracking_code"].as_str().unwrap()
        )
    );
    let (s, t) = app.call(Method::DELETE, path, Some(&admin), None).await;
    assert_eq!(
        (s, t["customised"].as_bool()),
        (StatusCode::OK, Some(false))
    );
}

/// What a receiver was sent: headers and body of each request.
type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

/// A receiver that records what it is sent and answers with `status`.
async fn webhook_receiver(status: u16) -> (String, Received) {
    let seen: Received = Default::default();
    let s2 = seen.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let s2 = s2.clone();
                async move {
                    s2.lock().unwrap().push((headers, body.to_vec()));
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

const SECRET: &str = "a-shared-secret-of-32-characters";

#[tokio::test]
async fn the_webhook_gets_signed_json_and_failures_are_retried() {
    let (url, seen) = webhook_receiver(200).await;
    let app = TestApp::spawn_with(Options {
        webhook: Some((url, SECRET.into())),
        ..Options::default()
    })
    .await;
    let op = app.token("operator").await;
    let (_, o) = post(&app, &op, order("13955556666")).await;
    let channels = outbox::Channels::new(&app.app).unwrap();
    let sent = outbox::send_due(&app.app, &channels).await.unwrap();
    assert_eq!(sent, 2, "the receipt and the lead unit's notice");
    let seen = seen.lock().unwrap().clone();
    let receipt = seen
        .iter()
        .find(|(h, _)| h["x-jiceng-event"] == "work_order.received")
        .expect("receipt delivered");
    let (h, body) = receipt;
    let signed = format!(
        "{}.{}",
        h["x-jiceng-timestamp"].to_str().unwrap(),
        String::from_utf8_lossy(body)
    );
    assert_eq!(
        h["x-jiceng-signature"].to_str().unwrap(),
        format!(
            "sha256={}",
            jiceng::kernel::crypto::hmac_sha256_hex(SECRET.as_bytes(), signed.as_bytes())
        )
    );
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        v["address"], "13955556666",
        "the gateway gets the real number"
    );
    assert!(
        v["body"]
            .as_str()
            .unwrap()
            .contains(o["tracking_code"].as_str().unwrap())
    );
    // The gateway gets the pin itself (the outbox keeps it sealed, its readable body masked).
    let pin = app.pin_of(o["tracking_code"].as_str().unwrap()).await;
    let text = v["body"].as_str().unwrap();
    assert!(text.contains(&format!("查询密码{pin}")), "{text}");
    assert!(!text.contains("******"), "{text}");
    assert_eq!(
        v["id"].to_string(),
        h["x-jiceng-delivery"].to_str().unwrap()
    );

    // A receiver that fails: the message waits and is tried again with backoff.
    let (bad, _) = webhook_receiver(503).await;
    let app = TestApp::spawn_with(Options {
        webhook: Some((bad, SECRET.into())),
        ..Options::default()
    })
    .await;
    let op = app.token("operator").await;
    post(&app, &op, order("13955557777")).await;
    let channels = outbox::Channels::new(&app.app).unwrap();
    assert_eq!(outbox::send_due(&app.app, &channels).await.unwrap(), 0);
    let rows = outbox_row::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap();
    assert!(rows.iter().all(|m| m.status.code() == "pending"
        && m.attempts == 1
        && m.last_error.contains("503")
        && m.next_attempt_at > app.app.now()));
}

/// A minimal SMTP server: accepts one session and returns what it was told.
async fn smtp_server() -> (String, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, mut w) = sock.into_split();
        let mut lines = BufReader::new(r).lines();
        let mut log = String::new();
        w.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            log.push_str(&line);
            log.push('\n');
            let reply: &[u8] = if in_data {
                if line == "." {
                    in_data = false;
                    b"250 queued\r\n"
                } else {
                    continue;
                }
            } else if line.starts_with("EHLO") || line.starts_with("HELO") {
                b"250 test\r\n"
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if line.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 ok\r\n"
            };
            w.write_all(reply).await.unwrap();
        }
        let _ = tx.send(log);
    });
    (url, rx)
}

#[tokio::test]
async fn units_with_an_email_address_are_mailed() {
    let (url, told) = smtp_server().await;
    let app = TestApp::spawn_with(Options {
        smtp: Some(url),
        ..Options::default()
    })
    .await;
    // The fire brigade gives an address for its notices.
    let unit = jiceng::store::entities::department::Entity::find()
        .filter(jiceng::store::entities::department::Column::Name.eq("示范县消防救援大队"))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let admin = app.token("admin").await;
    let (s, d) = app
        .call(
            Method::PUT,
            &format!("/api/v1/departments/{}", unit.id),
            Some(&admin),
            Some(json!({"code": unit.code, "name": unit.name, "kind": unit.kind, "region_code": unit.region_code, "phone": unit.phone, "email": "duty@xfjy.example.cn"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (s, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/departments/{}", unit.id),
            Some(&admin),
            Some(json!({"code": unit.code, "name": unit.name, "kind": unit.kind, "region_code": unit.region_code, "email": "不是邮箱"})),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("validation.bad_email")
        )
    );
    let op = app.token("operator").await;
    let mut body = order("13966667777");
    body["description"] = json!("小区消防通道被私家车长期占用堵塞，消防车进不来");
    post(&app, &op, body).await;
    let mailed = outbox_row::Entity::find()
        .filter(outbox_row::Column::Channel.eq("smtp"))
        .all(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(mailed.len(), 1, "only the unit with an address is mailed");
    let channels = outbox::Channels::new(&app.app).unwrap();
    outbox::send_due(&app.app, &channels).await.unwrap();
    let log = tokio::time::timeout(std::time::Duration::from_secs(10), told)
        .await
        .unwrap()
        .unwrap();
    assert!(log.contains("RCPT TO:<duty@xfjy.example.cn>"), "{log}");
    let row = outbox_row::Entity::find_by_id(mailed[0].id)
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status.code(), "sent", "{}", row.last_error);
}

#[tokio::test]
async fn admins_extend_the_taxonomy_and_retire_categories() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (_, all) = app.get("/api/v1/categories", &admin).await;
    let parent = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["level"] == 2)
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let code = format!("{parent}Z1");
    let put = |code: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/categories/{code}"),
                Some(&admin),
                Some(body),
            )
            .await
        }
    };
    let (s, c) = put(
        code.clone(),
        json!({"name": "共享单车乱停放", "keywords": "共享单车、乱停"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["level"], 3);
    assert!(c["path"].as_str().unwrap().ends_with("共享单车乱停放"));
    for (bad, body, code_expected) in [
        ("1", json!({"name": "x"}), "category.bad_code"),
        ("ZZZZ", json!({"name": "无上级"}), "category.no_parent"),
        (code.as_str(), json!({"name": ""}), "category.bad_name"),
    ] {
        let (s, e) = put(bad.to_string(), body).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code_expected)),
            "{bad}: {e}"
        );
    }
    let (s, e) = put(parent.clone(), json!({"name": "上级", "active": false})).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("category.has_children"))
    );
    let op = app.token("operator").await;
    let (s, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/categories/{code}"),
            Some(&op),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // The new category is used for orders, until it is retired.
    let mut body = order("13900004444");
    body["category_code"] = json!(code);
    let (s, o) = post(&app, &op, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["category"]["code"], code.as_str());
    let (s, _) = put(
        code.clone(),
        json!({"name": "共享单车乱停放", "active": false}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = post(&app, &op, body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("已停用"), "{e}");
}

#[tokio::test]
async fn admin_pages_for_templates_and_categories_and_the_order_page_shows_photos_and_map() {
    let app = TestApp::spawn().await;
    let admin = app.browser_session("admin").await;
    let (s, page) = admin.page("/admin/templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("诉求已受理（告知群众）") && page.contains("{查询码}"));
    let csrf = admin.csrf.clone();
    let (s, page) = admin
        .post_form(
            "/admin/templates/work_order.received",
            &[
                ("csrf", &csrf),
                ("op", "save"),
                ("subject", "回执"),
                ("body", "{不存在}"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不认识的占位符：不存在"), "{page}");
    let (s, page) = admin.page("/admin/categories").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("城市管理 / 街面秩序"),
        "the taxonomy is listed"
    );
    let (s, page) = admin
        .post_form(
            "/admin/categories",
            &[("csrf", &csrf), ("code", "9"), ("name", "错误编码")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("分类编码每级两位"), "{page}");

    let op = app.token("operator").await;
    let mut body = order("13900005555");
    body["photos"] = json!([TINY_PNG]);
    let (_, o) = post(&app, &op, body).await;
    let (s, page) = admin.page(&format!("/work-orders/{}", o["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("反映照片 1") && page.contains("<img"),
        "photos shown"
    );
    assert!(
        page.contains("class=\"map-marker\""),
        "the place is marked on a map"
    );
    assert!(page.contains("id=\"reveal-phone\""));
    // An operator is not an administrator: no template page.
    let (s, _) = app
        .browser_session("operator")
        .await
        .page("/admin/templates")
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn citizens_without_an_account_are_held_to_an_allowance() {
    let app = TestApp::spawn().await;
    let body = order("13900006666");
    let mut statuses = Vec::new();
    for _ in 0..21 {
        let (s, b) = app
            .call(
                Method::POST,
                "/api/v1/work-orders",
                None,
                Some(body.clone()),
            )
            .await;
        statuses.push((s, b["code"].as_str().unwrap_or("").to_string()));
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|(s, _)| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(
        statuses[20],
        (
            StatusCode::TOO_MANY_REQUESTS,
            "work_order.rate_limited".to_string()
        )
    );
    // Staff are not limited.
    let op = app.token("operator").await;
    let (s, _) = post(&app, &op, body).await;
    assert_eq!(s, StatusCode::CREATED);
}
