//! 数据驾驶舱: the rollups always equal a recomputation from the orders; the cockpit's
//! figures, breakdowns and rankings come from them.

use crate::helpers::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TEXTS: [&str; 6] = [
    "小区消防通道被私家车堵塞，消防车进不来",
    "商场安全出口被货物堵死，消防通道不通",
    "路边的垃圾桶满了好几天没人清运，气味很大",
    "晚上广场舞噪音扰民，音响开得太大",
    "人行道上的井盖松动，晚上走路很危险",
    "这个事情我也说不清楚，反正就是很烦",
];

async fn assert_rollups_match(app: &TestApp, when: &str) {
    let stored = jiceng::work_orders::rollups::stored(&app.app.db.conn)
        .await
        .unwrap();
    let want = jiceng::work_orders::rollups::recompute(&app.app.db.conn, |_| {})
        .await
        .unwrap();
    if stored != want {
        for (k, c) in &want {
            if stored.get(k) != Some(c) {
                panic!(
                    "{when}: row {k:?} is {:?}, the orders say {c:?}",
                    stored.get(k)
                );
            }
        }
        for (k, c) in &stored {
            if !want.contains_key(k) {
                panic!("{when}: row {k:?} holds {c:?}, the orders say nothing");
            }
        }
    }
}

/// A random day of intake and actions, on every path that changes an order: the rollups
/// equal a recomputation from the orders after each step of the way.
#[tokio::test]
async fn the_rollups_equal_a_recomputation_after_any_sequence_of_changes() {
    for seed in [7u64, 2026] {
        let app = TestApp::spawn().await;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut operator = app.token("operator").await;
        let mut dispatcher = app.token("dispatcher").await;
        let mut handler = app.token("handler.xfjy").await;
        let mut supervisor = app.token("supervisor").await;
        let (_, units) = app
            .get("/api/v1/departments?per_page=200", &dispatcher)
            .await;
        let unit_ids: Vec<i64> = units["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["active"] == true)
            .map(|u| u["id"].as_i64().unwrap())
            .collect();
        let brigade = units["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"].as_str().unwrap_or("").contains("消防"))
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let mut ids: Vec<i64> = Vec::new();
        for step in 0..160 {
            let roll = rng.random_range(0..100);
            if ids.is_empty() || roll < 30 {
                let text = TEXTS[rng.random_range(0..TEXTS.len())];
                let place = match rng.random_range(0..3) {
                    0 => json!({"village_code": "339901001002"}),
                    1 => {
                        json!({"lat": 29.8125 + rng.random_range(0..5) as f64 * 0.01, "lon": 119.915})
                    }
                    _ => json!({}),
                };
                let kind = ["", "complaint", "help", "consult"][rng.random_range(0..4)];
                let mut body = json!({"description": format!("{text}（{step}）"),
                    "kind": kind,
                    "reporter": {"name": "王建国", "phone": "13800138000"}});
                for (k, v) in place.as_object().unwrap() {
                    body[k] = v.clone();
                }
                let (s, o) = app
                    .call(
                        Method::POST,
                        "/api/v1/work-orders",
                        Some(&operator),
                        Some(body),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{o}");
                ids.push(o["id"].as_i64().unwrap());
                continue;
            }
            let id = ids[rng.random_range(0..ids.len())];
            let (token, body): (&str, Value) = match roll {
                30..=37 => (&handler, json!({"action": "sign"})),
                38..=42 => (&handler, json!({"action": "contact", "note": "已电话联系"})),
                43..=50 => (&handler, json!({"action": "reply", "note": "已处理完毕"})),
                51..=56 => (&operator, json!({"action": "approve_reply"})),
                57..=62 => {
                    let resolution = ["resolved", "partly_resolved"][rng.random_range(0..2)];
                    let satisfaction = ["satisfied", "basically_satisfied", "dissatisfied"]
                        [rng.random_range(0..3)];
                    (
                        &operator,
                        json!({"action": "callback_close", "resolution": resolution,
                            "satisfaction": satisfaction}),
                    )
                }
                63..=65 => (
                    &operator,
                    json!({"action": "reopen", "resolution": "unresolved", "satisfaction": "dissatisfied"}),
                ),
                66..=69 => (
                    &handler,
                    json!({"action": "send_back", "note": "不属于本单位"}),
                ),
                70..=72 => (
                    &dispatcher,
                    json!({"action": "accept_send_back", "note": "同意"}),
                ),
                73..=76 => (
                    &dispatcher,
                    json!({"action": "dispatch", "note": "改派",
                        "unit_id": if rng.random_bool(0.6) { brigade } else { unit_ids[rng.random_range(0..unit_ids.len())] }}),
                ),
                77..=79 => (
                    &dispatcher,
                    json!({"action": "dispatch", "note": "更正分类", "unit_id": brigade, "category_code": "160103"}),
                ),
                80..=82 => (
                    &handler,
                    json!({"action": "request_extension", "days": 2, "note": "需协调"}),
                ),
                83..=85 => (&dispatcher, json!({"action": "approve_extension"})),
                86..=87 => (&operator, json!({"action": "withdraw", "note": "群众撤回"})),
                88..=89 => (&supervisor, json!({"action": "supervise", "days": 1})),
                _ => {
                    // Time passes: deadlines slip, escalation and 督办单 sweeps move figures.
                    app.advance_clock(rng.random_range(60..4 * 24 * 60)).await;
                    // (Tokens expire: sign in again.)
                    operator = app.token("operator").await;
                    dispatcher = app.token("dispatcher").await;
                    handler = app.token("handler.xfjy").await;
                    supervisor = app.token("supervisor").await;
                    while jiceng::work_orders::escalation::sweep(&app.app)
                        .await
                        .unwrap()
                        > 0
                    {}
                    jiceng::work_orders::supervision::sweep(&app.app)
                        .await
                        .unwrap();
                    assert_rollups_match(&app, &format!("seed {seed} step {step} (sweep)")).await;
                    continue;
                }
            };
            let (s, _) = app
                .call(
                    Method::POST,
                    &format!("/api/v1/work-orders/{id}/actions"),
                    Some(token),
                    Some(body.clone()),
                )
                .await;
            assert!(
                s.is_success() || s.is_client_error(),
                "seed {seed} step {step}: {body} → {s}"
            );
            if step % 10 == 0 {
                assert_rollups_match(&app, &format!("seed {seed} step {step}")).await;
            }
        }
        assert_rollups_match(&app, &format!("seed {seed} at the end")).await;
        // A rebuild writes the same table.
        jiceng::work_orders::rollups::rebuild(&app.app, |_| {})
            .await
            .unwrap();
        assert_rollups_match(&app, &format!("seed {seed} after a rebuild")).await;
    }
}

/// Six months of orders with explicit categories and uneven monthly totals: the cockpit's
/// breakdowns by month and by category equal counts made directly from the orders.
#[tokio::test]
async fn six_months_of_orders_break_down_by_month_and_category_as_the_orders_say() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let (_, cats) = app.get("/api/v1/categories", &operator).await;
    let leaves: Vec<String> = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] == 3 && c["active"] == true)
        .map(|c| c["code"].as_str().unwrap().to_string())
        .take(3)
        .collect();
    assert_eq!(leaves.len(), 3);
    let monthly = [3usize, 7, 2, 5, 9, 4];
    let mut first = None;
    for (m, n) in monthly.iter().enumerate() {
        let operator = app.token("operator").await;
        for i in 0..*n {
            let (s, o) = app
                .call(
                    Method::POST,
                    "/api/v1/work-orders",
                    Some(&operator),
                    Some(json!({"description": format!("第{m}月第{i}件：路灯不亮"),
                        "category_code": leaves[(m + i) % 3], "village_code": "339901001002",
                        "reporter": {"name": "王建国", "phone": "13800138000"}})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            first.get_or_insert(o["created_at"].as_str().unwrap().to_string());
        }
        app.advance_clock(31 * 24 * 60).await;
    }
    // Counted directly from the orders, by Beijing month and by category.
    let orders = jiceng::store::entities::work_order::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap();
    let bj = jiceng_core::clock::china_offset();
    let mut by_month: std::collections::BTreeMap<String, i64> = Default::default();
    let mut by_cat: std::collections::BTreeMap<String, i64> = Default::default();
    for o in &orders {
        *by_month
            .entry(o.created_at.with_timezone(&bj).format("%Y-%m").to_string())
            .or_default() += 1;
        *by_cat.entry(o.category_code.clone()).or_default() += 1;
    }
    let days: Vec<String> = orders
        .iter()
        .map(|o| {
            o.created_at
                .with_timezone(&bj)
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let (from, to) = (days.iter().min().unwrap(), days.iter().max().unwrap());
    let leader = app.token("leader").await;
    let (s, b) = app
        .get(
            &format!("/api/v1/cockpit/breakdown?by=month&from={from}&to={to}"),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let total = orders.len() as i64;
    assert_eq!(b["total"], total);
    let got: std::collections::BTreeMap<String, i64> = b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, by_month, "{b}");
    // Uneven months, in time order, with shares of the total.
    for r in b["rows"].as_array().unwrap() {
        let want = (r["count"].as_i64().unwrap() as f64 * 10_000.0 / total as f64).round() / 100.0;
        assert_eq!(r["share"].as_f64().unwrap(), want, "{r}");
    }
    let (_, c) = app
        .get(
            &format!("/api/v1/cockpit/breakdown?by=category&level=3&from={from}&to={to}"),
            &leader,
        )
        .await;
    let got: std::collections::BTreeMap<String, i64> = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, by_cat, "{c}");
    assert!(
        c["rows"][0]["name"].as_str().unwrap().contains(" / "),
        "{c}"
    );
    // The summary of the last month against the month before.
    let (s, sum) = app
        .get("/api/v1/cockpit/summary?range=last_30_days", &leader)
        .await;
    assert_eq!(s, StatusCode::OK, "{sum}");
    assert!(sum["received"]["value"].is_i64() && sum["received"]["previous"].is_i64());
    // Bad parameters and the wrong roles are refused.
    for bad in [
        "/api/v1/cockpit/breakdown?by=nope",
        "/api/v1/cockpit/breakdown?by=category&level=9",
        "/api/v1/cockpit/summary?range=forever",
        "/api/v1/cockpit/summary?from=2026-13-01&to=2026-12-01",
        "/api/v1/cockpit/summary?from=2026-12-01",
        "/api/v1/cockpit/summary?region=339901999000",
    ] {
        let (s, e) = app.get(bad, &leader).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {s} {e}"
        );
        assert!(e["message"].as_str().is_some_and(|m| !m.is_ascii()), "{e}");
    }
    let (s, _) = app
        .get("/api/v1/cockpit/summary", &app.token("handler.xfjy").await)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
