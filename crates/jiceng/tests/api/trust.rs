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
