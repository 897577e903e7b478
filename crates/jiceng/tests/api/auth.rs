//! Signing in: lockout, tokens, sessions, CSRF, idle timeout.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn five_failures_lock_a_name_for_fifteen_minutes_whether_or_not_it_exists() {
    let app = TestApp::spawn().await;
    let before = app.audit_head().await;
    let bad = |u: &str| json!({"username": u, "password": "wrong-password-x"});
    // An unknown user and a wrong password get the same answer.
    let (s1, b1) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad("nobody")),
        )
        .await;
    let (s2, b2) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad("operator")),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2);
    assert_eq!(b1["code"], "auth.invalid_credentials");
    for _ in 0..4 {
        app.call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad("operator")),
        )
        .await;
    }
    // Locked now, even with the right password.
    let good = json!({"username": "operator", "password": PASSWORD});
    let (s, b) = app
        .call(Method::POST, "/api/v1/auth/token", None, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(b["code"], "auth.locked");
    // An unknown name locks the same way, so a lockout reveals nothing.
    for _ in 0..5 {
        app.call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad("nobody")),
        )
        .await;
    }
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad("nobody")),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    app.advance_clock(16).await;
    let (s, b) = app
        .call(Method::POST, "/api/v1/auth/token", None, Some(good))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let actions: Vec<String> = app
        .audit_since(before)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().filter(|a| *a == "auth.login_failed").count() >= 10);
    assert_eq!(actions.iter().filter(|a| *a == "auth.lockout").count(), 2);
    assert!(actions.contains(&"auth.login_refused".to_string()));
    assert!(actions.contains(&"auth.token_issued".to_string()));
}

#[tokio::test]
async fn bearer_tokens_are_listed_revoked_and_expire() {
    let app = TestApp::spawn().await;
    let t1 = app.token("leader").await;
    let t2 = app.token("leader").await;
    let (s, me) = app.get("/api/v1/me", &t1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "leader");
    assert_eq!(me["role"], "leader");

    let (_, list) = app.get("/api/v1/auth/tokens", &t1).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|t| t["username"] == "leader"));
    let other = items.iter().find(|t| t["current"] == false).unwrap()["id"]
        .as_i64()
        .unwrap();

    // Someone else's token cannot be revoked by a non-admin, nor even seen.
    let op = app.token("operator").await;
    let (s, b) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{other}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{other}"),
            Some(&t1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.get("/api/v1/me", &t2).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["code"], "auth.token_invalid");

    // An admin sees and may revoke tokens of users in the jurisdiction.
    let admin = app.token("admin").await;
    let (_, list) = app.get("/api/v1/auth/tokens", &admin).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["username"] == "operator")
    );

    app.advance_clock(60 * 24 * 31).await;
    let (s, b) = app.get("/api/v1/me", &t1).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["code"], "auth.token_expired");

    let (s, b) = app.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(b["code"], "auth.required");
    assert!(b["message"].as_str().unwrap().contains("登录"));
}

#[tokio::test]
async fn a_web_session_needs_csrf_on_every_form_and_ends_when_idle() {
    let app = TestApp::spawn().await;
    // A login form posted without the token from the page is refused.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", "forged"),
            ("username", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A wrong password shows the form again with the name kept.
    let resp = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", hidden_csrf(&page).as_str()),
            ("username", "admin"),
            ("password", "not-the-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.unwrap();
    assert!(html.contains("用户名或密码错误") && html.contains("value=\"admin\""));

    let s = app.browser_session("admin").await;
    let cookie_ok = {
        let resp = reqwest::Client::new()
            .get(app.url("/login"))
            .send()
            .await
            .unwrap();
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| v.to_str().unwrap().contains("HttpOnly"))
    };
    assert!(cookie_ok);
    let (status, home) = s.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("系统管理员") && home.contains("模拟时间"));

    // A form without the session's CSRF token is refused and writes nothing.
    let head = app.audit_head().await;
    let (status, _) = s
        .post_form(
            "/admin/regions",
            &[
                ("csrf", "nope"),
                ("code", "339901001099"),
                ("name", "试验社区"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_head().await, head);
    // The API on a session also wants the token, in a header.
    let (status, b) = s
        .client
        .post(app.url("/api/v1/regions"))
        .json(&json!({"code": "339901001099", "name": "试验社区"}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        b.json::<serde_json::Value>().await.unwrap()["code"],
        "auth.csrf_invalid"
    );

    // A bad form comes back with per-field errors and the input kept.
    let (status, html) = s
        .post_form(
            "/admin/regions",
            &[("csrf", &s.csrf), ("code", "12345"), ("name", "试验社区")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("区划代码必须是12位数字") && html.contains("value=\"试验社区\""));
    let (status, html) = s
        .post_form(
            "/admin/regions",
            &[
                ("csrf", &s.csrf),
                ("code", "339901001099"),
                ("name", "试验社区"),
            ],
        )
        .await;
    // Saved: post, redirect, get — the list page says so once.
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (status, html) = s.page("/admin/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已新增区划"), "{html}");
    let (_, again) = s.page("/admin/regions").await;
    assert!(!again.contains("已新增区划"), "the message is shown once");

    app.advance_clock(31).await;
    let (status, _) = s.page("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "idle session must end");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let s = app.browser_session("auditor").await;
    let (status, html) = s.page("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("auth.login"));
    let (status, _) = s.post_form("/logout", &[("csrf", &s.csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = s.page("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn clock_endpoint_exists_only_under_fake_clock() {
    let app = TestApp::spawn_with(Options {
        fake_clock: false,
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/admin/clock",
            Some(&admin),
            Some(json!({"advance_minutes": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(b["code"], "not_found");
    let (s, h) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["status"], "ok");
    assert!(h["database"] == "sqlite" || h["database"] == "postgres");
    let (s, _) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);

    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/admin/clock",
            Some(&admin),
            Some(json!({"advance_minutes": 90})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["offset_minutes"], 90);
    let op = app.token("operator").await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/clock",
            Some(&op),
            Some(json!({"advance_minutes": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
