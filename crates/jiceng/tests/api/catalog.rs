//! 一窗受理's catalog of matters: declared by administrators with every rule checked at once,
//! versioned, public to read.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub(crate) fn pension() -> Value {
    json!({
        "basic_code": "000123456000",
        "code": "339902-rsj-0001",
        "name": "城乡居民基本养老保险参保登记",
        "matter_type": "public_service",
        "unit_code": "rsj",
        "level": "县级",
        "case_kind": "promised",
        "legal_limit": {"amount": 20, "unit": "working_days"},
        "promised_limit": {"amount": 5, "unit": "working_days"},
        "conditions": "本县户籍、年满16周岁、未参加职工养老保险的城乡居民",
        "steps": ["受理", "审查", "决定", "送达"],
        "visits": 1,
        "place": "县政务服务中心一楼社保窗口",
        "hours": "工作日 9:00-12:00，14:00-17:00",
        "consult_phone": "0571-12333",
        "complaint_phone": "12345",
        "online_depth": 3,
        "summary": "城乡居民参加基本养老保险",
        "materials": [
            {"name": "居民身份证", "necessity": {"kind": "required"}, "form": "either",
             "source": {"kind": "applicant"}, "standard": "原件，在有效期内"},
            {"name": "户口簿", "necessity": {"kind": "required"}, "form": "electronic",
             "source": {"kind": "issued", "by": "示范县公安局户政管理大队"}},
            {"name": "委托书", "necessity": {"kind": "conditional", "condition": "委托他人办理的"},
             "form": "paper", "copies": 1, "source": {"kind": "applicant"}}
        ]
    })
}

#[tokio::test]
async fn matters_are_declared_versioned_and_public() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (s, m) = app
        .call(
            Method::POST,
            "/api/v1/matters",
            Some(&admin),
            Some(pension()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["version"], 1);
    assert_eq!(m["unit"]["name"], "示范县人力资源和社会保障局");
    assert_eq!(m["at_most_one_visit"], true);
    // Anyone may read the catalog.
    let r = app
        .client
        .get(app.url("/api/v1/matters?q=339902-rsj"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["promised_limit"], "5个工作日");
    let r = app
        .client
        .get(app.url("/api/v1/matters/339902-rsj-0001"))
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["materials"].as_array().unwrap().len(), 3, "{d}");
    assert_eq!(d["materials"][1]["source"]["kind"], "issued");
    // The same spec again changes nothing; a new limit makes version 2.
    let (s, m) = app
        .call(
            Method::POST,
            "/api/v1/matters",
            Some(&admin),
            Some(pension()),
        )
        .await;
    assert_eq!((s, m["version"].as_i64()), (StatusCode::OK, Some(1)));
    let mut v2 = pension();
    v2["promised_limit"]["amount"] = json!(3);
    let (s, m) = app
        .call(Method::POST, "/api/v1/matters", Some(&admin), Some(v2))
        .await;
    assert_eq!((s, m["version"].as_i64()), (StatusCode::OK, Some(2)), "{m}");
    let (_, v) = app
        .get("/api/v1/matters/339902-rsj-0001/versions", &admin)
        .await;
    let versions: Vec<(i64, bool)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["version"].as_i64().unwrap(),
                x["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, vec![(2, true), (1, false)]);
}

#[tokio::test]
async fn a_bad_matter_names_every_problem_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let before = app.audit_head().await;
    let mut bad = pension();
    bad["promised_limit"] = json!({"amount": 30, "unit": "working_days"});
    bad["basic_code"] = json!("12345");
    bad["visits"] = json!(3);
    let (s, e) = app
        .call(Method::POST, "/api/v1/matters", Some(&admin), Some(bad))
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("matter.invalid"))
    );
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["basic_code", "promised_limit", "visits"],
        "{e}"
    );
    assert!(
        e["fields"][1]["message"]
            .as_str()
            .unwrap()
            .contains("承诺时限（30个工作日）不能超过法定时限（20个工作日）")
    );
    let mut unknown = pension();
    unknown["unit_code"] = json!("no-such-unit");
    let (s, e) = app
        .call(Method::POST, "/api/v1/matters", Some(&admin), Some(unknown))
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("matter.unknown_unit")
        )
    );
    let mut typo = pension();
    typo["matter_type"] = json!("permit");
    let (s, _) = app
        .call(Method::POST, "/api/v1/matters", Some(&admin), Some(typo))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let clerk = app.token("clerk").await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/matters",
            Some(&clerk),
            Some(pension()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get("/api/v1/matters/339902-rsj-0001", &admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing written");
    assert!(
        app.audit_since(before)
            .await
            .iter()
            .all(|e| !e.action.starts_with("matter.")),
        "nothing audited but the refusal"
    );
}

#[tokio::test]
async fn the_demo_county_has_a_catalog() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/api/v1/matters?per_page=100"))
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert!(list["total"].as_u64().unwrap() >= 8, "{list}");
    let birth = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "出生登记")
        .expect("出生登记 in the catalog");
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/matters/{}",
            birth["code"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();
    // The birth certificate is fetched by sharing, never asked of the parents.
    let cert = d["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "出生医学证明")
        .unwrap();
    assert_eq!(cert["source"]["kind"], "issued", "{d}");
}

#[tokio::test]
async fn the_birth_bundle_asks_each_material_once_and_cycles_are_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/api/v1/bundles"))
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let birth = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "出生一件事")
        .expect("出生一件事")
        .clone();
    let stages = birth["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3, "{birth}");
    assert!(stages[0][0].as_str().unwrap().ends_with("wjj-0001"));
    assert_eq!(
        stages[2].as_array().unwrap().len(),
        2,
        "insurance and card together"
    );
    let names: Vec<&str> = birth["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"出生医学证明"),
        "produced inside: {names:?}"
    );
    let unique: std::collections::BTreeSet<&&str> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "each material once");
    assert_eq!(birth["before"]["submissions"], 7);
    assert_eq!(birth["after"]["submissions"], 1);
    assert_eq!(birth["reduction"]["submissions"], 86);
    assert!(birth["after"]["materials"].as_u64() < birth["before"]["materials"].as_u64());

    // A cycle is refused and nothing changes.
    let admin = app.token("admin").await;
    let mut cyclic = json!({
        "code": "birth", "name": "出生一件事",
        "matters": birth["matters"].as_array().unwrap().iter().map(|m| m["code"].clone()).collect::<Vec<_>>(),
        "edges": birth["edges"].clone(),
    });
    let first = cyclic["matters"][0].clone();
    let last = cyclic["matters"][3].clone();
    cyclic["edges"]
        .as_array_mut()
        .unwrap()
        .push(json!([last, first]));
    let (s, e) = app
        .call(
            Method::PUT,
            "/api/v1/bundles/birth",
            Some(&admin),
            Some(cyclic),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bundle.cycle")),
        "{e}"
    );
    let (s, e) = app
        .call(
            Method::PUT,
            "/api/v1/bundles/x",
            Some(&admin),
            Some(json!({"code": "x", "name": "无", "matters": ["no-such-matter", first]})),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bundle.invalid"))
    );
    let clerk = app.token("clerk").await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/bundles/birth",
            Some(&clerk),
            Some(json!({"code": "birth", "name": "x", "matters": []})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, again) = app.get("/api/v1/bundles/birth", &admin).await;
    assert_eq!(again["edges"], birth["edges"], "unchanged");
}

#[tokio::test]
async fn guides_and_the_bundle_page_are_public() {
    let app = TestApp::spawn().await;
    let page = |path: &str| {
        let url = app.url(path);
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = page("/guides").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("出生一件事") && html.contains("出生登记"),
        "{html}"
    );
    let (_, html) = page("/guides?q=养老").await;
    assert!(html.contains("城乡居民基本养老保险参保登记") && !html.contains("出生登记"));
    let (_, html) = page("/guides?q=没有这种事项").await;
    assert!(html.contains("没有找到相关事项"));
    let (s, html) = page("/guides/339901000000-gahz-0001").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("申请材料（一次性告知）"));
    assert!(
        html.contains("部门间共享获取，无需提交"),
        "issued materials are not asked"
    );
    assert!(html.contains("<svg class=\"flow\""), "the flow drawn");
    assert!(html.contains("父母已婚的需提供"));
    let (s, html) = page("/bundles/birth").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("提交申请</td><td>7次</td><td>1次</td><td>86%"),
        "{html}"
    );
    assert!(html.contains("同时办理"));
    let (s, _) = page("/guides/no-such-matter").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A workbook in the catalog's import form.
fn workbook(matters: &[Vec<&str>], materials: &[Vec<&str>]) -> Vec<u8> {
    use jiceng::hall::catalog_xlsx::{
        MATERIAL_HEADERS, MATERIAL_SHEET, MATTER_HEADERS, MATTER_SHEET,
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, headers, rows) in [
        (MATTER_SHEET, &MATTER_HEADERS[..], matters),
        (MATERIAL_SHEET, &MATERIAL_HEADERS[..], materials),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn matter_row<'a>(code: &'a str, unit: &'a str, legal: &'a str, promised: &'a str) -> Vec<&'a str> {
    vec![
        code,
        "000123499001",
        "独生子女父母光荣证补办",
        "行政确认",
        unit,
        "县级",
        "承诺件",
        legal,
        "工作日",
        promised,
        "工作日",
        "本县户籍的独生子女父母",
        "受理、审查、决定、送达",
        "1",
        "",
        "县政务服务中心二楼卫健窗口",
        "工作日 9:00-17:00",
        "0571-86001234",
        "12345",
        "3",
        "光荣证遗失的补办",
    ]
}

#[tokio::test]
async fn the_catalog_round_trips_through_xlsx_and_a_bad_file_imports_nothing() {
    use reqwest::header::CONTENT_TYPE;
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let post = |bytes: Vec<u8>, token: String| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/matters/import"))
                .bearer_auth(token)
                .header(
                    CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                .body(bytes)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    // Export is the template: importing it back changes nothing.
    let r = app
        .client
        .get(app.url("/api/v1/matters/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let exported = r.bytes().await.unwrap().to_vec();
    let (_, before) = app
        .call(Method::GET, "/api/v1/matters?per_page=500", None, None)
        .await;
    let n = before["total"].as_u64().unwrap() as usize;
    let (s, report) = post(exported, admin.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["unchanged"], n, "{report}");
    assert_eq!(report["created"], 0);

    // Every bad row is reported, and the good one is not written either.
    let head = app.audit_head().await;
    let bad = workbook(
        &[
            matter_row("339901000000-wjj-0101", "wjj", "20", "5"),
            matter_row("339901000000-wjj-0102", "wjj", "5", "20"),
            matter_row("339901000000-wjj-0103", "nope", "20", "5"),
        ],
        &[
            vec![
                "339901000000-wjj-0101",
                "居民身份证",
                "必要",
                "",
                "纸质",
                "1",
                "申请人",
            ],
            vec!["339901000000-wjj-0199", "结婚证", "必要"],
            vec!["339901000000-wjj-0101", "户口簿", "也许"],
        ],
    );
    let (s, e) = post(bad, admin.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["code"], "matter.import_invalid");
    let places: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for p in ["事项!第3行", "事项!第4行", "材料!第3行", "材料!第4行"] {
        assert!(places.contains(&p), "{p} in {e}");
    }
    assert!(!places.contains(&"事项!第2行"), "{e}");
    let (_, after) = app
        .call(Method::GET, "/api/v1/matters?per_page=500", None, None)
        .await;
    assert_eq!(after["total"], before["total"], "nothing imported");
    assert_eq!(app.audit_head().await, head, "nothing audited");

    // The good row alone imports; not for handlers.
    let good = workbook(
        &[matter_row("339901000000-wjj-0101", "wjj", "20", "5")],
        &[vec![
            "339901000000-wjj-0101",
            "居民身份证",
            "必要",
            "",
            "纸质",
            "1",
            "申请人",
        ]],
    );
    let handler = app.token("handler.wjj").await;
    let (s, _) = post(good.clone(), handler).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, report) = post(good, admin.clone()).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1);
    let (s, m) = app
        .call(
            Method::GET,
            "/api/v1/matters/339901000000-wjj-0101",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["materials"][0]["name"], "居民身份证");
    let (s, e) = post(b"not a workbook".to_vec(), admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}
