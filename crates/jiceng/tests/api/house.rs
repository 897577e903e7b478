//! The house: a node must hold the deployment's data key, and an applied migration must not
//! have changed since it ran.

use crate::helpers::TestApp;
use sea_orm::ConnectionTrait;

/// Runs `jiceng serve` on the test database with the given environment; it must refuse to
/// start, so it exits at once.
fn serve_refuses(app: &TestApp, env: &[(&str, &std::path::Path)]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jiceng"));
    cmd.args([
        "serve",
        "--database",
        &app.db_url,
        "--listen",
        "127.0.0.1:0",
    ])
    .env("JICENG_DATA_DIR", &app.data_dir)
    .env_remove("JICENG_DATABASE_URL")
    .env_remove("JICENG_DATA_KEY_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "serve started with a bad setup");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_node_with_another_data_key_or_none_refuses_to_start() {
    let app = TestApp::spawn().await;
    let other = tempfile::tempdir().unwrap();
    // Another key: a fresh file in another folder.
    let key = other.path().join("other.key");
    let err = serve_refuses(&app, &[("JICENG_DATA_KEY_FILE", &key)]);
    assert!(err.contains("other.key"), "{err}");
    assert!(
        err.contains("数据密钥") && err.contains("data key"),
        "{err}"
    );
    // No key at all where the configuration points: no new key is made.
    let missing = other.path().join("missing").join("data.key");
    let err = serve_refuses(&app, &[("JICENG_DATA_KEY_FILE", &missing)]);
    assert!(err.contains("missing"), "{err}");
    assert!(!missing.exists(), "a new key was generated");
    // The deployment's own key still opens it.
    jiceng::server::open(jiceng::config::Config {
        database_url: app.db_url.clone(),
        data_dir: app.data_dir.clone(),
        ..Default::default()
    })
    .await
    .expect("the same key opens the database");
}

#[tokio::test]
async fn a_migration_changed_after_it_ran_refuses_to_start() {
    let app = TestApp::spawn().await;
    app.app
        .db
        .conn
        .execute_unprepared("UPDATE schema_checksums SET checksum = 'changed' WHERE version = 3")
        .await
        .unwrap();
    let err = serve_refuses(&app, &[]);
    assert!(err.contains("0003_work_orders"), "{err}");
    let open = jiceng::server::open(jiceng::config::Config {
        database_url: app.db_url.clone(),
        data_dir: app.data_dir.clone(),
        ..Default::default()
    })
    .await;
    assert!(open.is_err());
}

#[tokio::test]
async fn the_timeline_keeps_codes_and_an_extension_needs_no_note() {
    use crate::work_orders::{ok, report};
    use serde_json::json;
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let gw = app.token("gw001").await;
    let id = report(&app, Some(&gw), "13800138000", "normal").await["id"]
        .as_i64()
        .unwrap();
    ok(&app, &xf, id, json!({"action": "sign"})).await;
    ok(
        &app,
        &xf,
        id,
        json!({"action": "request_extension", "days": 3, "note": "需协调车主"}),
    )
    .await;
    // The note's text is no longer where the days are read from.
    app.app
        .db
        .conn
        .execute_unprepared(
            "UPDATE work_order_events SET note = '说明已改' WHERE action = 'request_extension'",
        )
        .await
        .unwrap();
    let o = ok(
        &app,
        &app.token("dispatcher").await,
        id,
        json!({"action": "approve_extension"}),
    )
    .await;
    assert_eq!(o["extensions"], 1);
    let (_, o) = app.get(&format!("/api/v1/work-orders/{id}"), &xf).await;
    let timeline = o["timeline"].as_array().expect("timeline");
    assert!(timeline.len() >= 4, "{timeline:?}");
    for e in timeline {
        let code = e["action"].as_str().unwrap();
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{code}"
        );
        assert!(!e["label"].as_str().unwrap().is_ascii(), "{e}");
    }
    let codes: Vec<&str> = timeline
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for c in ["accept", "sign", "request_extension", "approve_extension"] {
        assert!(codes.contains(&c), "{codes:?}");
    }
}

#[tokio::test]
async fn an_unknown_stored_code_or_bad_json_is_an_internal_error_not_a_state() {
    use crate::work_orders::report;
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let gw = app.token("gw001").await;
    let id = report(&app, Some(&gw), "13800138000", "normal").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/work-orders/{id}");
    let (status, _) = app.get(&path, &xf).await;
    assert_eq!(status, 200);
    for (set, restore) in [
        ("status = 'bogus'", None),
        ("priority = 'whenever'", Some("priority = 'normal'")),
        ("flags = 'not json'", Some("flags = '{}'")),
    ] {
        let before: String = match restore {
            Some(r) => r.to_string(),
            None => {
                // Remember the real status to put it back.
                let (_, o) = app.get(&path, &xf).await;
                format!("status = '{}'", o["status"].as_str().unwrap())
            }
        };
        app.app
            .db
            .conn
            .execute_unprepared(&format!("UPDATE work_orders SET {set} WHERE id = {id}"))
            .await
            .unwrap();
        let (status, body) = app.get(&path, &xf).await;
        assert_eq!(status, 500, "{set}: {body}");
        assert_eq!(body["code"], "internal", "{set}: {body}");
        app.app
            .db
            .conn
            .execute_unprepared(&format!("UPDATE work_orders SET {before} WHERE id = {id}"))
            .await
            .unwrap();
        let (status, _) = app.get(&path, &xf).await;
        assert_eq!(status, 200, "after restoring {set}");
    }
}

/// A second server process on the same database, killed when dropped.
struct SecondNode {
    child: std::process::Child,
    base: String,
}

impl Drop for SecondNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SecondNode {
    async fn start(app: &TestApp) -> SecondNode {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_jiceng"))
            .args(["serve", "--database", &app.db_url, "--listen", &listen])
            .env("JICENG_DATA_DIR", &app.data_dir)
            .env("JICENG_LOG", "warn")
            .env_remove("JICENG_DATABASE_URL")
            .env_remove("JICENG_DATA_KEY_FILE")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let node = SecondNode {
            child,
            base: format!("http://{listen}"),
        };
        // Ready when it answers; bounded.
        for _ in 0..300 {
            if let Ok(r) = reqwest::get(format!("{}/healthz", node.base)).await
                && r.status().is_success()
            {
                return node;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the second node did not start");
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls until `ok` holds, for at most 5 seconds; how long it took.
    async fn sees(
        &self,
        path: &str,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> Option<std::time::Duration> {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(5) {
            if ok(&self.get(path).await) {
                return Some(start.elapsed());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        None
    }
}

#[tokio::test]
async fn a_change_through_one_server_process_is_seen_through_another() {
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let other = SecondNode::start(&app).await;
    // Both nodes have loaded everything before the changes.
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", None, None)
        .await;
    let cat = cats["items"][0]["code"].as_str().unwrap().to_string();
    assert!(other.get("/api/v1/categories").await["items"][0]["code"] == cat.as_str());
    let square = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01], [121.0, 31.0]]]});
    let (_, r) = app
        .call(
            Method::GET,
            "/api/v1/locate?lat=31.005&lon=121.005",
            None,
            None,
        )
        .await;
    assert_eq!(r["match"], "outside_jurisdiction");

    // A category renamed through the first.
    let (s, b) = app
        .call(
            Method::PUT,
            &format!("/api/v1/categories/{cat}"),
            Some(&admin),
            Some(json!({"name": "改名后的分类"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let renamed = other
        .sees("/api/v1/categories", |v| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["code"] == cat.as_str() && c["name"] == "改名后的分类")
        })
        .await;
    assert!(renamed.is_some(), "the rename was not seen within 5 s");

    // A calendar day changed: Saturday 19 December 2026 made a working day.
    let (_, days) = app
        .call(Method::GET, "/api/v1/calendar/2026", None, None)
        .await;
    let mut days: Vec<serde_json::Value> = days["days"].as_array().unwrap().clone();
    days.retain(|d| d["date"] != "2026-12-19");
    days.push(json!({"date": "2026-12-19", "off": false, "name": "测试调休"}));
    let (s, b) = app
        .call(
            Method::PUT,
            "/api/v1/calendar/2026",
            Some(&admin),
            Some(json!({"days": days})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let changed = other
        .sees("/api/v1/calendar/2026", |v| {
            v["days"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["date"] == "2026-12-19" && d["name"] == "测试调休")
        })
        .await;
    assert!(
        changed.is_some(),
        "the calendar change was not seen within 5 s"
    );

    // A village and its grid added.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/regions",
            Some(&admin),
            Some(json!({"code": "339901001050", "name": "飞地社区", "boundary": square})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "FD-01", "name": "飞地网格", "village_code": "339901001050", "geometry": square})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let located = other
        .sees("/api/v1/locate?lat=31.005&lon=121.005", |v| {
            v["grid"]["code"] == "FD-01"
        })
        .await;
    assert!(located.is_some(), "the new grid was not seen within 5 s");
}

#[tokio::test]
async fn a_send_back_counts_in_the_metrics() {
    use crate::work_orders::{ok, report};
    use serde_json::json;
    let app = TestApp::spawn().await;
    let xf = app.token("handler.xfjy").await;
    let gw = app.token("gw001").await;
    let id = report(&app, Some(&gw), "13800138000", "normal").await["id"]
        .as_i64()
        .unwrap();
    ok(
        &app,
        &xf,
        id,
        json!({"action": "send_back", "note": "不属本单位职责"}),
    )
    .await;
    let (_, m) = app
        .get(
            "/api/v1/metrics/work-orders?group_by=unit",
            &app.token("supervisor").await,
        )
        .await;
    let rates: Vec<f64> = m["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["send_back_rate"].as_f64())
        .collect();
    assert!(rates.iter().any(|r| *r > 0.0), "{m}");
}
