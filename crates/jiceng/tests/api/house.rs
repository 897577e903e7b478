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
