//! Organisation: regions, departments, grids, import, locate, and the audit trail they leave.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn square(x: f64, y: f64, size: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]})
}

#[tokio::test]
async fn locate_walks_grid_village_township_county_or_says_outside() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (s, r) = app
        .call(
            Method::GET,
            "/api/v1/locate?lat=29.8125&lon=119.915",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["match"], "grid");
    assert_eq!(r["county"]["name"], "示范县");
    assert_eq!(r["township"]["code"], "339901001000");
    assert!(
        r["grid"]["code"]
            .as_str()
            .unwrap()
            .starts_with(r["village"]["code"].as_str().unwrap())
    );

    // A village whose boundary lies outside every grid: the smallest region answers.
    let (s, b) = app
        .call(Method::POST, "/api/v1/regions", Some(&admin), Some(json!({"code": "339901001050", "name": "飞地社区", "boundary": square(121.0, 31.0, 0.01)})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, r) = app
        .call(
            Method::GET,
            "/api/v1/locate?lat=31.005&lon=121.005",
            None,
            None,
        )
        .await;
    assert_eq!(r["match"], "region");
    assert_eq!(r["village"]["name"], "飞地社区");
    assert_eq!(r["township"]["name"], "城关街道");
    assert!(r["grid"].is_null());

    let (_, r) = app
        .call(Method::GET, "/api/v1/locate?lat=10&lon=10", None, None)
        .await;
    assert_eq!(r["match"], "outside_jurisdiction");
    let (s, r) = app
        .call(Method::GET, "/api/v1/locate?lat=100&lon=10", None, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["code"], "locate.bad_coordinate");
    let (s, r) = app
        .call(Method::GET, "/api/v1/locate?lat=abc&lon=10", None, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(r["code"], "request.bad_query");

    // A new grid is found at once.
    let (s, b) = app
        .call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "FD-01", "name": "飞地网格", "village_code": "339901001050", "geometry": square(121.001, 31.001, 0.004)})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, r) = app
        .call(
            Method::GET,
            "/api/v1/locate?lat=31.003&lon=121.003",
            None,
            None,
        )
        .await;
    assert_eq!(r["match"], "grid");
    assert_eq!(r["grid"]["code"], "FD-01");
    // A grid must stay inside its village.
    let (s, b) = app
        .call(Method::POST, "/api/v1/grids", Some(&admin), Some(json!({"code": "FD-02", "name": "越界网格", "village_code": "339901001050", "geometry": square(121.008, 31.008, 0.004)})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "grid.outside_village");
}

#[tokio::test]
async fn regions_departments_grids_have_full_crud_with_audit() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let head = app.audit_head().await;

    let (s, r) = app
        .call(
            Method::POST,
            "/api/v1/regions",
            Some(&admin),
            Some(json!({"code": "339901001060", "name": "新建社区"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["level"], "village");
    assert_eq!(r["parent_code"], "339901001000");
    let (s, r) = app
        .call(
            Method::PUT,
            "/api/v1/regions/339901001060",
            Some(&admin),
            Some(json!({"name": "新建社区（改）"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["name"], "新建社区（改）");

    let (s, d) = app
        .call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"code": "vc-new", "name": "新建社区居委会", "kind": "village_committee", "region_code": "339901001060", "phone": "0571-1234567"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["id"].as_i64().unwrap();
    // A village committee must sit in a village.
    let (s, b) = app
        .call(Method::PUT, &format!("/api/v1/departments/{id}"), Some(&admin), Some(json!({"code": "vc-new", "name": "x", "kind": "village_committee", "region_code": "339901001000"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "department.level_mismatch");

    // A region in use cannot be deleted; once emptied it can.
    let (s, b) = app
        .call(
            Method::DELETE,
            "/api/v1/regions/339901001060",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(b["code"], "region.in_use");
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/departments/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .call(
            Method::DELETE,
            "/api/v1/regions/339901001060",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/regions/339901001060", &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Grids: GeoJSON out, updates checked like inserts.
    let (s, fc) = app.get("/api/v1/grids?village=339901001001", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    let g = &features[0];
    let code = g["properties"]["code"].as_str().unwrap();
    let (s, b) = app
        .call(Method::PUT, &format!("/api/v1/grids/{code}"), Some(&admin), Some(json!({"code": code, "name": "改名网格", "village_code": "339901001001", "geometry": g["geometry"]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["properties"]["name"], "改名网格");
    // Moving it onto its neighbour is an overlap.
    let other = &features[1]["geometry"];
    let (s, b) = app
        .call(Method::PUT, &format!("/api/v1/grids/{code}"), Some(&admin), Some(json!({"code": code, "name": "改名网格", "village_code": "339901001001", "geometry": other})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "grid.overlap");
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/grids/{code}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let actions: Vec<String> = app
        .audit_since(head)
        .await
        .into_iter()
        .filter(|e| e.actor == "user:admin")
        .map(|e| e.action)
        .collect();
    for a in [
        "region.create",
        "region.update",
        "department.create",
        "department.delete",
        "region.delete",
        "grid.update",
        "grid.delete",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} audited: {actions:?}");
    }
    // Every change carries the digest of its new state.
    let entries = app.audit_since(head).await;
    assert!(
        entries
            .iter()
            .filter(|e| e.action.ends_with(".create") || e.action.ends_with(".update"))
            .all(|e| e.state_digest.as_ref().is_some_and(|d| d.len() == 64))
    );
}

#[tokio::test]
async fn a_bad_import_writes_nothing_and_names_every_bad_row() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (_, before) = app.get("/api/v1/regions?per_page=1", &admin).await;
    let head = app.audit_head().await;
    let csv = "code,name,parent_code\n339901009000,第九镇,339901000000\n339901009001,,339901009000\n339901008001,孤村,\n339901001001,重复社区,339901001000\n339903000000,邻县,\n339901009002,错父村,339901001000\n";
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/admin/import?kind=regions"))
        .bearer_auth(&admin)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["code"], "import.invalid");
    let problems: Vec<(String, String)> = b["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let at = |line: &str| {
        problems
            .iter()
            .find(|(p, _)| p.contains(line))
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    };
    assert!(at("第3行").contains("名称不能为空"), "{problems:?}");
    assert!(
        at("第4行").contains("上级区划 339901008000 不存在"),
        "{problems:?}"
    );
    assert!(at("第5行").contains("已存在"), "{problems:?}");
    assert!(at("第6行").contains("没有权限"), "{problems:?}");
    assert!(
        at("第7行").contains("上级代码应为 339901009000"),
        "{problems:?}"
    );
    assert!(
        at("第2行").is_empty(),
        "the good row is not a problem: {problems:?}"
    );
    let (_, after) = app.get("/api/v1/regions?per_page=1", &admin).await;
    assert_eq!(before["total"], after["total"]);
    assert!(
        app.audit_since(head)
            .await
            .iter()
            .all(|e| e.action.starts_with("auth."))
    );

    // Grids: a self-intersecting polygon and an overlap are both named.
    let bowtie = json!({"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.01, 31.01], [121.01, 31.0], [121.0, 31.01], [121.0, 31.0]]]});
    let (_, fc) = app.get("/api/v1/grids?village=339901001001", &admin).await;
    let existing = fc["features"][0]["geometry"].clone();
    let geo = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": bowtie, "properties": {"code": "X-1", "name": "蝴蝶", "village_code": "339901001001"}},
        {"type": "Feature", "geometry": existing, "properties": {"code": "X-2", "name": "重叠", "village_code": "339901001001"}},
    ]});
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&admin)
        .body(geo.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = resp.json().await.unwrap();
    let text = b.to_string();
    assert!(text.contains("X-1") && text.contains("自相交"), "{text}");
    assert!(text.contains("X-2") && text.contains("重叠"), "{text}");

    // A good file goes in whole, parents first whatever the order.
    let csv = "code,name\n339901001071,南苑社区\n339901001070,北苑社区\n";
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&admin)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["regions"], 2);
}

#[tokio::test]
async fn concurrent_changes_get_gapless_audit_numbers() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let head = app.audit_head().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let url = app.url("/api/v1/regions");
        let admin = admin.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(admin)
                .json(&json!({"code": format!("3399010011{i:02}"), "name": format!("并发社区{i}")}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let entries = app.audit_since(head).await;
    assert_eq!(entries.len(), 16);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, head + 1 + i as i64);
    }
    // Every stored row re-encodes to the leaf the tree holds for it, whatever the interleaving.
    let leaves = jiceng::kernel::tree::leaves(&app.app.db.conn, head as u64, head as u64 + 16)
        .await
        .unwrap();
    assert_eq!(leaves.len(), 16);
    for (e, (index, leaf)) in entries.iter().zip(leaves) {
        assert_eq!(index + 1, e.seq as u64);
        assert_eq!(
            jiceng::kernel::tree::entry_of(e).leaf_hash(),
            leaf,
            "entry {}",
            e.seq
        );
    }
}

#[tokio::test]
async fn audit_log_is_filtered_and_paged_for_auditors() {
    let app = TestApp::spawn().await;
    let auditor = app.token("auditor").await;
    app.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": "leader", "password": "bad-password-x"})),
    )
    .await;
    let (s, p) = app
        .get(
            "/api/v1/audit?action=auth.login_failed&per_page=10",
            &auditor,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["total"], 1);
    // The account is named by its id; a name that is no account only by a digest.
    let (_, me) = app.get("/api/v1/me", &app.token("leader").await).await;
    assert_eq!(p["items"][0]["entity_id"], me["id"].to_string());
    app.call(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": "my-secret-password", "password": "x-password-x"})),
    )
    .await;
    let (_, p) = app
        .get("/api/v1/audit?action=auth.login_failed", &auditor)
        .await;
    let logged = p.to_string();
    assert!(!logged.contains("my-secret-password"), "{logged}");
    assert!(
        p["items"][0]["entity_id"]
            .as_str()
            .unwrap()
            .starts_with("name:")
    );
    let (_, p) = app.get("/api/v1/audit?per_page=5&page=2", &auditor).await;
    assert_eq!(p["items"].as_array().unwrap().len(), 5);
    assert_eq!(p["page"], 2);
    let (s, b) = app.get("/api/v1/audit?from=notatime", &auditor).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["code"], "request.bad_query");
}
