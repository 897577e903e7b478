//! Schema-free fuzzing of the public bodies: random JSON (and random form fields) sent to the
//! endpoints anyone may call never gets a 5xx and never leaves a partial write behind.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A seeded runner: the same inputs on every run, so that CI is repeatable (change the seed to
/// explore further).
fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}
use reqwest::Method;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep, with strings that include control characters, CJK,
/// very long runs and numbers at the edges.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        "[\\x00-\\x1f]{1,4}".prop_map(Value::String),
        Just(Value::String("消".repeat(5000))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("description".to_string()),
                    Just("code".to_string()),
                    Just("pin".to_string()),
                    Just("lat".to_string()),
                    Just("lon".to_string()),
                    Just("reporter".to_string()),
                    Just("name".to_string()),
                    Just("phone".to_string()),
                    Just("level".to_string()),
                    Just("matter".to_string()),
                    Just("applicant".to_string()),
                    Just("provided".to_string()),
                    Just("client_key".to_string()),
                    Just("username".to_string()),
                    Just("password".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[tokio::test]
async fn public_json_bodies_never_get_a_5xx() {
    let app = TestApp::spawn().await;
    let paths = [
        "/api/v1/work-orders",
        "/api/v1/track",
        "/api/v1/track/rate",
        "/api/v1/applications",
        "/api/v1/applications/track",
        "/api/v1/applications/supplement",
        "/api/v1/ratings",
        "/api/v1/auth/token",
        "/api/v1/queue/tickets",
    ];
    let mut runner = runner(48);
    let mut bodies = Vec::new();
    for _ in 0..48 {
        bodies.push(any_json().new_tree(&mut runner).unwrap().current());
    }
    let audit_before = app.audit_head().await;
    let mut failures = Vec::new();
    for body in &bodies {
        for path in paths {
            let (s, b) = app.call(Method::POST, path, None, Some(body.clone())).await;
            if s.is_server_error() {
                failures.push(format!("{path} {body} → {s} {b}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Whatever was refused wrote nothing but audit entries of refusals and failed logins.
    for e in app.audit_since(audit_before).await {
        assert!(
            e.action.starts_with("auth.")
                || e.action.starts_with("work_order.")
                || e.action.starts_with("application.")
                || e.action.starts_with("queue.")
                || e.action.starts_with("rating."),
            "{}",
            e.action
        );
    }
}

#[tokio::test]
async fn random_form_fields_never_get_a_5xx() {
    let app = TestApp::spawn().await;
    let mut runner = runner(32);
    let field = "\\PC{0,60}";
    // A browser's public-form token, so that the forms reach their handlers rather than stop
    // at the CSRF check.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&login);
    let mut reached = 0;
    let mut failures = Vec::new();
    for _ in 0..32 {
        let v: Vec<String> = (0..4)
            .map(|_| field.new_tree(&mut runner).unwrap().current())
            .collect();
        for path in [
            "/login",
            "/report",
            "/track",
            "/service/track",
            "/track/rate",
        ] {
            let form = [
                ("csrf", csrf.as_str()),
                ("username", v[0].as_str()),
                ("password", v[1].as_str()),
                ("description", v[2].as_str()),
                ("code", v[3].as_str()),
                ("pin", v[1].as_str()),
                ("lat", v[0].as_str()),
            ];
            let r = client.post(app.url(path)).form(&form).send().await.unwrap();
            if r.status().is_server_error() {
                failures.push(format!("{path} {form:?} → {}", r.status()));
            }
            if r.status() != reqwest::StatusCode::FORBIDDEN {
                reached += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Most forms got past the CSRF check to their handlers.
    assert!(
        reached >= 32 * 5 / 2,
        "only {reached} forms reached a handler"
    );
}
