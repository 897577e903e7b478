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
    // As the hall's kiosk, so that the bodies reach their handlers rather than stop at the
    // citizens' allowances.
    let app = TestApp::spawn_with(Options {
        kiosk_addresses: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
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
    let app = TestApp::spawn_with(Options {
        kiosk_addresses: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
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
            if !matches!(
                r.status(),
                reqwest::StatusCode::FORBIDDEN | reqwest::StatusCode::TOO_MANY_REQUESTS
            ) {
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

/// A workbook as a spreadsheet program writes one: `rows` rows of text and numbers.
fn workbook(rows: u32, text: &str) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for r in 0..rows {
        ws.write_string(r, 0, format!("{text}{r}")).unwrap();
        ws.write_number(r, 1, f64::from(r)).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// What a refusal of a spreadsheet may be: the importer's own "not a readable workbook" or
/// the size caps; a panic in the reader would come back as `internal`.
fn refused_clearly(result: &jiceng::error::AppResult<Vec<jiceng::kernel::sheet::Sheet>>) -> bool {
    use jiceng::error::Code;
    match result {
        Ok(_) => true,
        Err(e) => matches!(e.code, Code::ImportBadFile | Code::UploadTooLarge),
    }
}

#[tokio::test]
async fn mangled_spreadsheets_are_read_or_refused_clearly_never_a_panic() {
    use jiceng::error::Code;
    use jiceng::kernel::sheet::{self, LIMITS, Pick};
    let good = workbook(40, "城关街道");
    let read = |bytes: Vec<u8>| sheet::read(bytes, Pick::First, Code::ImportBadFile, LIMITS);
    let first = read(good.clone()).await.unwrap();
    assert_eq!(first[0].rows.len(), 40);
    assert_eq!(first[0].rows[39][0], "城关街道39");

    // Bytes flipped anywhere (the archive's directory, headers, deflate streams, XML), and
    // files cut short.
    let mut runner = runner(256);
    let flips = (
        proptest::collection::vec((0..good.len(), any::<u8>()), 1..12),
        proptest::option::of(0..good.len()),
    );
    let mut failures = Vec::new();
    for _ in 0..256 {
        let (flips, cut) = flips.new_tree(&mut runner).unwrap().current();
        let mut bytes = good.clone();
        for (i, b) in &flips {
            bytes[*i] = *b;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut);
        }
        let result = read(bytes).await;
        if !refused_clearly(&result) {
            failures.push(format!("{flips:?} cut {cut:?}: {:?}", result.err()));
        }
    }
    // Random bytes, some dressed as a zip archive.
    let noise = proptest::collection::vec(any::<u8>(), 0..4096);
    for i in 0..64 {
        let mut bytes = noise.new_tree(&mut runner).unwrap().current();
        if i % 2 == 0 {
            bytes.splice(0..0, *b"PK\x03\x04");
        }
        let result = read(bytes).await;
        if !refused_clearly(&result) {
            failures.push(format!("noise {i}: {:?}", result.err()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // A deflate bomb whose directory understates what it unpacks to: 4 MB of text declared
    // as a few bytes per entry, read with a 1 MB cap — refused, never inflated.
    let mut bomb = workbook(2000, &"满".repeat(700));
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    understate_sizes(&mut bomb);
    let small = sheet::Limits {
        unpacked_bytes: 1 << 20,
        ..LIMITS
    };
    let result = sheet::read(bomb, Pick::First, Code::ImportBadFile, small).await;
    assert!(
        matches!(&result, Err(e) if matches!(e.code, Code::ImportBadFile | Code::UploadTooLarge)),
        "{:?}",
        result.map(|s| s[0].rows.len())
    );
}

/// Sets every entry's uncompressed size to 16 bytes, in the local headers and the central
/// directory alike, so that the archive looks consistent.
fn understate_sizes(zip: &mut [u8]) {
    let mut i = 0;
    while i + 30 <= zip.len() {
        match zip[i..i + 4] {
            [b'P', b'K', 3, 4] => zip[i + 22..i + 26].copy_from_slice(&16u32.to_le_bytes()),
            [b'P', b'K', 1, 2] => zip[i + 24..i + 28].copy_from_slice(&16u32.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

#[tokio::test]
async fn mangled_spreadsheets_uploaded_to_both_importers_never_get_a_5xx() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let good = workbook(12, "事项");
    let mut runner = runner(24);
    let flips = proptest::collection::vec((0..good.len(), any::<u8>()), 1..6);
    let before = app.audit_head().await;
    let mut failures = Vec::new();
    for _ in 0..24 {
        let mut bytes = good.clone();
        for (i, b) in flips.new_tree(&mut runner).unwrap().current() {
            bytes[i] = b;
        }
        for path in [
            "/api/v1/responsibility-lists/import?region_code=339901000000&note=fuzz",
            "/api/v1/matters/import",
        ] {
            let r = app
                .client
                .post(app.url(path))
                .bearer_auth(&admin)
                .body(bytes.clone())
                .send()
                .await
                .unwrap();
            if !r.status().is_client_error() {
                failures.push(format!("{path}: {}", r.status()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing was imported: the workbooks do not have the importers' columns, mangled or not.
    assert!(app.audit_since(before).await.is_empty());
}
