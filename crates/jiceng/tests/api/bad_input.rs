//! Bad input gets a 4xx with a stable code and a Chinese message, and writes nothing.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn is_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn counts(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/regions?per_page=1",
        "/api/v1/departments?per_page=1",
        "/api/v1/grids?per_page=1",
        "/api/v1/users?per_page=1",
    ] {
        out.push(app.get(path, token).await.1["total"].clone());
    }
    out
}

#[tokio::test]
async fn malformed_wrong_oversized_invalid_and_duplicate_input_is_refused() {
    let app = TestApp::spawn_with(Options {
        body_limit: Some(64 * 1024),
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let before = counts(&app, &admin).await;
    let head = app.audit_head().await;
    let raw = |path: &str, body: String, ctype: &'static str| {
        let client = reqwest::Client::new();
        let req = client
            .post(app.url(path))
            .bearer_auth(&admin)
            .header("content-type", ctype)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let square = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01], [121.0, 31.0]]]});
    let unclosed = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.0], [121.01, 31.01], [121.0, 31.01]]]});
    let bowtie = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.01], [121.01, 31.0], [121.0, 31.01], [121.0, 31.0]]]});
    let cases: Vec<(StatusCode, &str, (StatusCode, Value))> = vec![
        (StatusCode::BAD_REQUEST, "request.malformed_json", raw("/api/v1/regions", "{\"code\": ".into(), "application/json").await),
        (StatusCode::UNPROCESSABLE_ENTITY, "request.invalid_body", raw("/api/v1/regions", "{\"code\": 12, \"name\": []}".into(), "application/json").await),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "request.unsupported_media_type", raw("/api/v1/regions", "code=1".into(), "text/plain").await),
        (StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", raw("/api/v1/regions", format!("{{\"code\":\"339901001090\",\"name\":\"{}\"}}", "长".repeat(40_000)), "application/json").await),
        (StatusCode::UNPROCESSABLE_ENTITY, "region.invalid_code", app.call(Method::POST, "/api/v1/regions", Some(&admin), Some(json!({"code": "3399010010", "name": "短码"}))).await),
        (StatusCode::CONFLICT, "region.duplicate_code", app.call(Method::POST, "/api/v1/regions", Some(&admin), Some(json!({"code": "339901001001", "name": "重复"}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "region.unknown_parent", app.call(Method::POST, "/api/v1/regions", Some(&admin), Some(json!({"code": "339901077001", "name": "孤儿"}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation.required", app.call(Method::POST, "/api/v1/regions", Some(&admin), Some(json!({"code": "339901001091", "name": "  "}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "geometry.invalid_geojson", app.call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "B-1", "name": "坏", "village_code": "339901001001", "geometry": {"type": "Blob"}}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "geometry.unclosed_ring", app.call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "B-2", "name": "坏", "village_code": "339901001001", "geometry": unclosed}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "geometry.self_intersecting", app.call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "B-3", "name": "坏", "village_code": "339901001001", "geometry": bowtie}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "grid.not_in_village", app.call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "B-4", "name": "坏", "village_code": "339901001000", "geometry": square}))).await),
        (StatusCode::CONFLICT, "grid.duplicate_code", app.call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "339901001001-01", "name": "坏", "village_code": "339901001001", "geometry": square}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "department.bad_kind", app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"code": "d1", "name": "坏", "kind": "ministry", "region_code": "339901000000"}))).await),
        (StatusCode::CONFLICT, "department.duplicate_code", app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"code": "cgj", "name": "重复", "kind": "county_department", "region_code": "339901000000"}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "user.weak_password", app.call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "new.user", "display_name": "新人", "role": "operator", "org": "339901000000", "password": "1234567890"}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "user.bad_role", app.call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "new.user", "display_name": "新人", "role": "citizen", "org": "339901000000", "password": "long-enough-pw"}))).await),
        (StatusCode::UNPROCESSABLE_ENTITY, "user.unknown_org", app.call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "new.user", "display_name": "新人", "role": "operator", "org": "no-such-unit", "password": "long-enough-pw"}))).await),
        (StatusCode::CONFLICT, "user.duplicate_username", app.call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "Admin", "display_name": "重名", "role": "operator", "org": "339901000000", "password": "long-enough-pw"}))).await),
        (StatusCode::BAD_REQUEST, "import.unknown_kind", raw("/api/v1/admin/import", "hello".into(), "text/plain").await),
        (StatusCode::BAD_REQUEST, "import.bad_file", raw("/api/v1/admin/import?kind=grids", "{not json".into(), "application/geo+json").await),
        (StatusCode::UNAUTHORIZED, "auth.required", app.call(Method::POST, "/api/v1/regions", None, Some(json!({"code": "339901001092", "name": "无证"}))).await),
        (StatusCode::UNAUTHORIZED, "auth.token_invalid", app.call(Method::POST, "/api/v1/regions", Some("jc_forged"), Some(json!({"code": "339901001092", "name": "伪造"}))).await),
        (StatusCode::NOT_FOUND, "not_found", app.call(Method::GET, "/api/v1/nothing-here", Some(&admin), None).await),
    ];
    for (status, code, (got_status, body)) in &cases {
        assert_eq!(
            (got_status, body["code"].as_str().unwrap_or("")),
            (status, *code),
            "{body}"
        );
        assert!(is_chinese(body["message"].as_str().unwrap()), "{body}");
    }
    // Field errors say which field.
    let (_, b) = &cases[4].2;
    assert_eq!(b["fields"][0]["field"], "code");

    // An expired token.
    app.advance_clock(60 * 24 * 31).await;
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/regions",
            Some(&admin),
            Some(json!({"code": "339901001093", "name": "过期"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str().unwrap()),
        (StatusCode::UNAUTHORIZED, "auth.token_expired")
    );

    // Nothing was written: no new rows, and the audit log holds only sign-in events.
    let admin = app.token("admin").await;
    assert_eq!(counts(&app, &admin).await, before);
    let data_events: Vec<_> = app
        .audit_since(head)
        .await
        .into_iter()
        .filter(|e| !e.action.starts_with("auth."))
        .collect();
    assert!(data_events.is_empty(), "{data_events:?}");
}
