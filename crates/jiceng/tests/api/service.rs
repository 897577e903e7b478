//! 一窗受理 stories: a bundle from one submission to every result in DAG order, the one-time
//! correction notice, not accepted, an agent, 差评 → rectification → rated again, rankings,
//! the queue and the 办不成事 desk.

use crate::helpers::*;
use jiceng_core::application::{deadline, due_day};
use jiceng_core::calendar::Limit;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const COUNTY: &str = "339901000000";

fn m(code: &str) -> String {
    format!("{COUNTY}-{code}")
}

/// A valid ID number (GB 11643) for a birth date and a sequence.
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("330105{birth}{seq:03}");
    let c = jiceng_core::id_card::check_char(first17.as_bytes());
    format!("{first17}{c}")
}

pub(crate) fn applicant(seq: u32) -> Value {
    json!({"name": "陈静", "id_number": id_number("19900512", seq), "phone": "13905710042"})
}

async fn outbox_events(app: &TestApp) -> Vec<(String, String)> {
    use jiceng::store::entities::outbox::{Column, Entity};
    use sea_orm::{EntityTrait, QueryOrder};
    Entity::find()
        .order_by_asc(Column::Id)
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.event, o.body))
        .collect()
}

async fn count<E: sea_orm::EntityTrait>(app: &TestApp) -> u64
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(&app.app.db.conn).await.unwrap()
}

pub(crate) fn part<'a>(v: &'a Value, matter: &str) -> &'a Value {
    v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["matter_code"] == m(matter))
        .unwrap_or_else(|| panic!("no part {matter} in {v}"))
}

/// Walks a part through its remaining steps as its unit's handler.
async fn finish_part(app: &TestApp, token: &str, v: &Value, matter: &str, result: &str) -> Value {
    let id = v["id"].as_i64().unwrap();
    let mut cur = v.clone();
    loop {
        let p = part(&cur, matter);
        let steps = p["steps"].as_array().unwrap().len();
        let step = p["step"].as_u64().unwrap() as usize;
        let last = step + 1 >= steps;
        let body = if last {
            json!({"action": "advance", "part": p["id"], "result_no": result, "delivery": "electronic"})
        } else {
            json!({"action": "advance", "part": p["id"], "note": "材料审核通过"})
        };
        let (s, next) = app
            .call(
                Method::POST,
                &format!("/api/v1/applications/{id}/actions"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{next}");
        cur = next;
        if last {
            return cur;
        }
    }
}

#[tokio::test]
async fn the_birth_bundle_runs_from_one_submission_to_every_result_in_dag_order() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    // The window asks for each material once.
    let (s, list) = app
        .call(
            Method::GET,
            "/api/v1/applications/checklist?bundle=birth",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(
        !names.contains(&"出生医学证明"),
        "produced inside the bundle: {names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "居民身份证").count(),
        1,
        "asked once: {names:?}"
    );
    let required: Vec<&str> = items
        .iter()
        .filter(|i| i["required"] == true)
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"bundle": "birth", "applicant": applicant(21), "provided": required,
                        "window": "4号窗口", "delivery": "electronic"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "in_progress", "{v}");
    assert!(v["code"].as_str().unwrap().starts_with('S'));
    let id21 = id_number("19900512", 21);
    assert_eq!(
        v["applicant"]["id_masked"],
        format!("330105********{}", &id21[14..])
    );
    assert!(!v["promised_day"].as_str().unwrap().is_empty());
    assert_eq!(part(&v, "wjj-0001")["status"], "active");
    for waiting in ["gahz-0001", "ybj-0001", "rsj-0002"] {
        assert_eq!(part(&v, waiting)["status"], "waiting", "{waiting}");
    }
    let id = v["id"].as_i64().unwrap();
    // The household registration cannot start before the birth certificate.
    let gahz = app.token("handler.gahz").await;
    let (s, e) = app
        .call(
            Method::POST,
            &format!("/api/v1/applications/{id}/actions"),
            Some(&gahz),
            Some(json!({"action": "advance", "part": part(&v, "gahz-0001")["id"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // Another unit's handler may not touch the certificate.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/applications/{id}/actions"),
            Some(&gahz),
            Some(json!({"action": "advance", "part": part(&v, "wjj-0001")["id"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Each unit's handler finishes what is active; the DAG decides what becomes active.
    let (_, bundle) = app
        .call(Method::GET, "/api/v1/bundles/birth", None, None)
        .await;
    let mut v = v;
    let mut rounds = 0;
    loop {
        let active: Vec<String> = v["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "active")
            .map(|p| p["matter_code"].as_str().unwrap().to_string())
            .collect();
        if active.is_empty() {
            break;
        }
        rounds += 1;
        for code in active {
            let short = code.trim_start_matches(&format!("{COUNTY}-"));
            let unit = short.split('-').next().unwrap();
            let token = app.token(&format!("handler.{unit}")).await;
            v = finish_part(&app, &token, &v, short, &format!("结果-{short}")).await;
        }
    }
    assert_eq!(rounds, 3, "three stages: {v}");
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["progress"]["percent"], 100);
    // Every result came after the results it depends on.
    let names: std::collections::HashMap<String, String> = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["matter_name"].as_str().unwrap().to_string(),
                p["matter_code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let done: Vec<String> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "part_done")
        .map(|e| names[e["matter"].as_str().unwrap()].clone())
        .collect();
    assert_eq!(done.len(), 7, "{done:?}");
    for edge in bundle["edges"].as_array().unwrap() {
        let at = |c: &Value| done.iter().position(|d| d == c.as_str().unwrap()).unwrap();
        assert!(at(&edge[0]) < at(&edge[1]), "{edge} in {done:?}");
    }
    // The citizen was told at each milestone, and sees one application.
    let sent = outbox_events(&app).await;
    let kinds: Vec<&str> = sent.iter().map(|(e, _)| e.as_str()).collect();
    let n = |k: &str| kinds.iter().filter(|x| **x == k).count();
    assert_eq!(n("application.accepted"), 1);
    assert_eq!(n("application.result"), 7);
    assert_eq!(n("application.completed"), 1);
    assert_eq!(n("application.assigned"), 7);
    let code = v["code"].as_str().unwrap();
    let (s, t) = app
        .call(
            Method::POST,
            "/api/v1/applications/track",
            None,
            Some(
                json!({"code": code.to_lowercase(), "pin": app.pin_of(&code.to_lowercase()).await}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status_label"], "已办结");
    assert!(
        t["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "")
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/applications/track",
            None,
            Some(json!({"code": code, "pin": wrong_pin(&app.pin_of(code).await)})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_notice_lists_every_missing_item_and_the_clock_starts_at_acceptance() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"matter": m("mzj-0001"), "applicant": applicant(33), "provided": [],
                        "window": "4号窗口"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "needs_correction");
    let missing: Vec<&str> = v["defects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec!["居民身份证", "家庭经济状况核对授权书"]);
    assert!(v["promised_at"].is_null(), "the clock has not started");
    assert!(v["parts"].as_array().unwrap().is_empty());
    let notice = outbox_events(&app)
        .await
        .into_iter()
        .find(|(e, _)| e == "application.correction")
        .expect("the applicant is told");
    assert!(
        notice.1.contains("居民身份证") && notice.1.contains("家庭经济状况核对授权书"),
        "one notice with both: {}",
        notice.1
    );
    // The printable notice lists both.
    let session = app.browser_session("clerk").await;
    let id = v["id"].as_i64().unwrap();
    let (s, page) = session
        .page(&format!("/window/applications/{id}/notice"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("一次性告知书") && page.contains("家庭经济状况核对授权书"));

    // Three days later one comes; still one missing.
    app.advance_clock(3 * 24 * 60).await;
    let act = |body: Value| {
        let app = &app;
        let clerk = clerk.clone();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/applications/{id}/actions"),
                Some(&clerk),
                Some(body),
            )
            .await
        }
    };
    let (s, v) = act(json!({"action": "supplement", "provided": ["居民身份证"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "needs_correction");
    assert_eq!(v["defects"].as_array().unwrap().len(), 1);
    app.advance_clock(24 * 60).await;
    let (s, v) = act(json!({"action": "supplement", "provided": ["家庭经济状况核对授权书"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "in_progress");
    // The promised date counts from acceptance, on the working-day calendar.
    let accepted: chrono::DateTime<chrono::Utc> =
        v["accepted_at"].as_str().unwrap().parse().unwrap();
    assert!(
        (app.app.now() - accepted).num_seconds().abs() < 5,
        "accepted now"
    );
    let cal = jiceng::reference::of(&app.app).get().calendar.clone();
    let expected = due_day(deadline(&cal, Limit::working_days(20), accepted, 0));
    assert_eq!(v["promised_day"], expected.as_str());

    // A hearing stops the clock; the promised date moves by the working days it took.
    let mzj = app.token("handler.mzj").await;
    let pid = v["parts"][0]["id"].clone();
    let call = |token: &str, body: Value| {
        let app = &app;
        let token = token.to_string();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/applications/{id}/actions"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (s, e) = call(
        &mzj,
        json!({"action": "suspend", "part": pid, "kind": "hearing"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a note is needed: {e}");
    let (s, v) = call(
        &mzj,
        json!({"action": "suspend", "part": pid, "kind": "hearing", "note": "申请人对核对结果有异议"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let from = app.app.now();
    app.advance_clock(7 * 24 * 60).await;
    let (s, v) = call(
        &mzj,
        json!({"action": "resume", "part": pid, "note": "听证结束"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let stopped = jiceng_core::application::paused_days(
        &cal,
        jiceng_core::calendar::LimitUnit::WorkingDays,
        from,
        app.app.now(),
    );
    assert!(stopped >= 4, "a week holds working days: {stopped}");
    assert_eq!(v["parts"][0]["paused_days"], stopped);
    let moved = due_day(deadline(&cal, Limit::working_days(20), accepted, stopped));
    assert_eq!(v["promised_day"], moved.as_str());
    assert!(
        outbox_events(&app)
            .await
            .iter()
            .any(|(e, b)| e == "application.rescheduled" && b.contains(&moved))
    );
}

#[tokio::test]
async fn not_accepted_with_a_reason_and_an_agent_acts_for_the_applicant() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(json!({"matter": m("rsj-0001"), "applicant": applicant(45),
                        "provided": ["居民身份证"], "not_accepted": "申请人已参加职工基本养老保险，不属于受理范围"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "not_accepted");
    assert!(v["reason"].as_str().unwrap().contains("职工基本养老保险"));
    assert!(
        outbox_events(&app)
            .await
            .iter()
            .any(|(e, b)| e == "application.not_accepted" && b.contains("不属于受理范围"))
    );
    // Only staff decide not to accept.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(json!({"matter": m("rsj-0001"), "applicant": applicant(46), "not_accepted": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // A daughter applies for her mother: the power of attorney becomes required.
    let agent = json!({"kind": "relative", "name": "陈晓", "id_number": id_number("19650301", 52),
                       "relationship": "子女", "authorization": "委托书 2026-118"});
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"matter": m("rsj-0001"), "channel": "assisted", "applicant": applicant(47),
                        "agent": agent, "provided": ["居民身份证"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "needs_correction");
    assert_eq!(v["defects"][0]["name"], "授权委托书及代理人身份证");
    assert_eq!(v["agent"]["relationship"], "子女");
    let id52 = id_number("19650301", 52);
    assert_eq!(
        v["agent"]["id_masked"],
        format!("330105********{}", &id52[14..])
    );
    assert!(
        v["agent"].get("id_enc").is_none(),
        "the sealed number stays inside"
    );
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"matter": m("rsj-0001"), "channel": "assisted", "applicant": applicant(48),
                        "agent": {"kind": "staff"},
                        "provided": ["居民身份证", "授权委托书及代理人身份证"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "in_progress");
    assert_eq!(v["channel_label"], "帮办代办");
    assert_eq!(v["agent"]["kind_label"], "帮办员");
    assert!(
        !v["agent"]["name"].as_str().unwrap().is_empty(),
        "the clerk's name"
    );
    // Assisted without an agent is refused.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"matter": m("rsj-0001"), "channel": "assisted", "applicant": applicant(49),
                        "provided": ["居民身份证"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_writes_nothing() {
    use jiceng::store::entities::{application, rating};
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let head = app.audit_head().await;
    let mut wrong = id_number("19900512", 61);
    let last = wrong.pop().unwrap();
    wrong.push(if last == '1' { '2' } else { '1' });
    for (body, field) in [
        (
            json!({"matter": m("rsj-0001"), "applicant": {"name": "陈静", "id_number": wrong, "phone": "13905710042"}}),
            "applicant.id_number",
        ),
        (
            json!({"matter": m("rsj-0001"), "applicant": {"name": "陈静", "id_number": id_number("20990101", 1), "phone": "13905710042"}}),
            "applicant.id_number",
        ),
        (
            json!({"matter": m("rsj-0001"), "applicant": applicant(62), "provided": ["结婚证"]}),
            "provided",
        ),
        (
            json!({"matter": "nope", "applicant": applicant(63)}),
            "matter",
        ),
        (json!({"applicant": applicant(64)}), "matter"),
        (
            json!({"matter": m("rsj-0001"), "applicant": {"name": "陈静", "id_number": id_number("19900512", 65), "phone": "123"}}),
            "applicant.phone",
        ),
    ] {
        let (s, e) = app
            .call(
                Method::POST,
                "/api/v1/applications",
                Some(&clerk),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["code"], "application.invalid", "{e}");
        assert!(
            e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{field}: {e}"
        );
    }
    let (_, e) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(json!({"matter": m("rsj-0001"), "applicant": {"name": "陈静", "id_number": wrong, "phone": "13905710042"}})),
        )
        .await;
    assert!(e["message"].as_str().unwrap().contains("校验位"), "{e}");
    assert_eq!(count::<application::Entity>(&app).await, 0);
    assert_eq!(app.audit_head().await, head, "nothing audited");
    // Grid workers do not receive applications at the window.
    let gw = app.token("gw001").await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&gw),
            Some(json!({"matter": m("rsj-0001"), "applicant": applicant(66)})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(count::<rating::Entity>(&app).await, 0);
}

async fn accepted(app: &TestApp, token: &str, seq: u32, window: &str) -> Value {
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(token),
            Some(json!({"matter": m("rsj-0002"), "applicant": applicant(seq),
                        "provided": ["居民身份证"], "window": window})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

#[tokio::test]
async fn a_bad_rating_opens_a_rectification_and_the_citizen_rates_again() {
    use jiceng::store::entities::rating;
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let v = accepted(&app, &clerk, 71, "1号窗口").await;
    let code = v["code"].as_str().unwrap();
    // A 差评 needs its reason.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(
                json!({"code": code, "pin": app.pin_of(code).await, "level": "very_dissatisfied"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(json!({"code": code, "pin": app.pin_of(code).await, "level": "satisfied", "dimensions": {"平台操作性": 5}})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an online dimension offline: {e}"
    );
    let (s, r) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(
                json!({"code": code, "pin": app.pin_of(code).await, "level": "dissatisfied",
                        "dimensions": {"整体满意度": 2, "服务态度": 1},
                        "comment": "窗口人员态度生硬，让我回去再复印一遍"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let rect = &r["rectification"];
    assert_eq!(rect["status"], "open");
    assert_eq!(rect["unit_name"], "示范县人力资源和社会保障局");
    // Rating twice on the same channel is refused and writes nothing.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(json!({"code": code, "pin": app.pin_of(code).await, "level": "very_satisfied"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "rating.duplicate");
    assert_eq!(count::<rating::Entity>(&app).await, 1);
    // The unit sees its task, contacts the citizen and answers.
    let rsj = app.token("handler.rsj").await;
    let (s, list) = app.get("/api/v1/rectifications", &rsj).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    let rid = list["items"][0]["id"].as_i64().unwrap();
    let other = app.token("handler.ybj").await;
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/actions"),
            Some(&other),
            Some(json!({"action": "contact"})),
        )
        .await;
    // Another unit's task reads as missing.
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Rating the rectification before the answer is refused.
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/rating"),
            None,
            Some(json!({"code": code, "pin": app.pin_of(code).await, "level": "satisfied"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, t) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/actions"),
            Some(&rsj),
            Some(json!({"action": "contact", "note": "已电话联系群众致歉"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "contacted");
    let (s, t) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/actions"),
            Some(&rsj),
            Some(json!({"action": "answer", "outcome": "rectified",
                        "answer": "已对窗口人员批评教育，复印改由窗口免费代办"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["outcome_label"], "整改");
    assert!(
        outbox_events(&app)
            .await
            .iter()
            .any(|(e, b)| e == "rating.answered" && b.contains("免费代办"))
    );
    let (s, again) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/rating"),
            None,
            Some(
                json!({"code": code, "pin": app.pin_of(code).await, "level": "satisfied", "comment": "整改及时"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    let (_, list) = app.get("/api/v1/rectifications", &rsj).await;
    assert_eq!(list["items"][0]["status"], "closed");
    assert_eq!(list["items"][0]["re_rating"], "满意");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/rectifications/{rid}/rating"),
            None,
            Some(json!({"code": code, "pin": app.pin_of(code).await, "level": "satisfied"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

/// Eleven windows, two applications each: ten rated well, 7号窗口 badly.
async fn rate_month(app: &TestApp, clerk: &str, seq: &mut u32) {
    for w in 1..=11 {
        for _ in 0..2 {
            *seq += 1;
            let v = accepted(app, clerk, *seq, &format!("{w}号窗口")).await;
            let (level, comment) = if w == 7 {
                ("very_dissatisfied", "等了很久")
            } else {
                ("very_satisfied", "")
            };
            let (s, r) = app
                .call(
                    Method::POST,
                    "/api/v1/ratings",
                    None,
                    Some(json!({"code": v["code"], "pin": app.pin_of(v["code"].as_str().unwrap()).await, "level": level, "comment": comment})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
        }
    }
}

#[tokio::test]
async fn monthly_rankings_flag_the_bottom_tenth_and_two_months_mean_review() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let leader = app.token("leader").await;
    let mut seq = 100;
    rate_month(&app, &clerk, &mut seq).await;
    let month = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&jiceng_core::clock::china_offset())
            .format("%Y-%m")
            .to_string()
    };
    let first = month(app.app.now());
    let (s, r) = app
        .get(
            &format!("/api/v1/ratings/rankings?by=window&month={first}"),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 11);
    // 11 windows: the bottom two (⌈1.1⌉) are flagged; the worst is 7号窗口.
    let flagged: Vec<&str> = items
        .iter()
        .filter(|i| i["flagged"] == true)
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(flagged.len(), 2, "{r}");
    assert_eq!(items[10]["key"], "7号窗口");
    assert_eq!(items[10]["review"], false);
    // The next month the same window is flagged again: marked for review.
    app.advance_clock(32 * 24 * 60).await;
    let (clerk, leader) = (app.token("clerk").await, app.token("leader").await);
    rate_month(&app, &clerk, &mut seq).await;
    let second = month(app.app.now());
    assert_ne!(first, second);
    let (_, r) = app
        .get(
            &format!("/api/v1/ratings/rankings?by=window&month={second}"),
            &leader,
        )
        .await;
    let worst = r["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(worst["key"], "7号窗口");
    assert_eq!(worst["review"], true, "{r}");
    let (s, u) = app
        .get(
            &format!("/api/v1/ratings/rankings?by=unit&month={second}"),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["items"][0]["name"], "示范县人力资源和社会保障局");
    let (s, e) = app
        .get("/api/v1/ratings/rankings?by=window&month=2026-13", &leader)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let gw = app.token("gw001").await;
    let (s, _) = app
        .get(
            &format!("/api/v1/ratings/rankings?by=window&month={second}"),
            &gw,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tickets_are_called_transferred_and_measured() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let take = |group: &str| {
        let app = &app;
        let group = group.to_string();
        async move {
            app.call(
                Method::POST,
                "/api/v1/queue/tickets",
                None,
                Some(json!({"group": group})),
            )
            .await
        }
    };
    let (s, a1) = take("social").await;
    assert_eq!(s, StatusCode::CREATED, "{a1}");
    assert_eq!(a1["label"], "A001");
    let (_, a2) = take("social").await;
    assert_eq!(a2["label"], "A002");
    assert_eq!(a2["ahead"], 1);
    let (s, e) = take("nope").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    app.advance_clock(12).await;
    let call = |window: &str| {
        let app = &app;
        let clerk = clerk.clone();
        let window = window.to_string();
        async move {
            app.call(
                Method::POST,
                "/api/v1/queue/call",
                Some(&clerk),
                Some(json!({"window": window})),
            )
            .await
        }
    };
    let (s, c) = call("1号窗口").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["ticket"]["label"], "A001");
    // Nobody answers: no-show; the next is called.
    let (s, n) = app
        .call(
            Method::POST,
            &format!("/api/v1/queue/tickets/{}/actions", c["ticket"]["id"]),
            Some(&clerk),
            Some(json!({"action": "no_show"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{n}");
    assert_eq!(n["status"], "no_show");
    app.advance_clock(6).await;
    let (_, c) = call("2号窗口").await;
    assert_eq!(c["ticket"]["label"], "A002");
    // A002 came for the wrong group: transferred, keeping its place.
    let (s, t) = app
        .call(
            Method::POST,
            &format!("/api/v1/queue/tickets/{}/actions", c["ticket"]["id"]),
            Some(&clerk),
            Some(json!({"action": "transfer", "group": "hukou"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["label"], "B001");
    assert_eq!(t["transferred_from"], "A002");
    let (_, c) = call("1号窗口").await;
    assert!(c["ticket"].is_null(), "nobody waits for social: {c}");
    let (_, c) = call("3号窗口").await;
    assert_eq!(c["ticket"]["label"], "B001");
    let (s, e) = call("99号窗口").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // The hall display and the statistics.
    let (s, hall) = app
        .call(Method::GET, "/api/v1/queue/hall", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hall["called"][0]["label"], "B001");
    let (s, page) = (
        StatusCode::OK,
        app.client
            .get(app.url("/hall"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("B001") && page.contains("3号窗口"), "{page}");
    let today = app
        .app
        .now()
        .with_timezone(&jiceng_core::clock::china_offset())
        .format("%Y-%m-%d")
        .to_string();
    let leader = app.token("leader").await;
    let (s, st) = app
        .get(
            &format!("/api/v1/queue/stats?from={today}&to={today}"),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let social = st["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group"] == "social" && x["hour"].is_null())
        .unwrap();
    assert_eq!(
        social["count"], 1,
        "the transferred ticket counts in its new group: {st}"
    );
    assert_eq!(social["mean_minutes"], 12.0);
    let hukou = st["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group"] == "hukou" && x["hour"].is_null())
        .unwrap();
    assert_eq!(
        hukou["mean_minutes"], 18.0,
        "waited since it was first taken"
    );
}

#[tokio::test]
async fn the_desk_takes_what_could_not_be_done() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let v = accepted(&app, &clerk, 90, "1号窗口").await;
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/desk",
            Some(&clerk),
            Some(
                json!({"subject_kind": "application", "subject_code": "SXXXXXXXX", "summary": "x"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, d) = app
        .call(
            Method::POST,
            "/api/v1/desk",
            Some(&clerk),
            Some(json!({"subject_kind": "application", "subject_code": v["code"],
                        "summary": "申请人异地参保记录无法转入，两个部门互相推诿", "owner": "supervisor"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["owner"], "supervisor");
    let id = d["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/desk/{id}/resolve"),
            Some(&clerk),
            Some(json!({"resolution": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the owner");
    let sup = app.token("supervisor").await;
    let (s, d) = app
        .call(
            Method::POST,
            &format!("/api/v1/desk/{id}/resolve"),
            Some(&sup),
            Some(json!({"resolution": "协调社保中心与医保局，当日完成转入"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["status_label"], "已办结");
    let (_, list) = app.get("/api/v1/desk", &sup).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn citizens_apply_online_and_at_the_kiosk_and_rate_work_orders_too() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/service/apply?bundle=birth"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("在线申请") && page.contains("value=\"bundle:birth\" selected"));
    let guide = app
        .client
        .get(app.url("/bundles/death"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        guide.contains("id=\"bundle-flow\"") && guide.contains("户口注销"),
        "{guide}"
    );
    // Online: anonymous; what is missing is said at once, and supplied online.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(json!({"matter": m("rsj-0001"), "applicant": applicant(81), "provided": []})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "online");
    assert_eq!(v["status"], "needs_correction");
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications/supplement",
            None,
            Some(json!({"code": v["code"], "pin": app.pin_of(v["code"].as_str().unwrap()).await, "provided": ["居民身份证"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "in_progress");
    // A kiosk needs no account; a window does.
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(
                json!({"matter": m("ybj-0003"), "channel": "kiosk", "applicant": applicant(82),
                        "provided": ["居民身份证", "异地居住承诺书"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel_label"], "自助终端");
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(json!({"matter": m("ybj-0003"), "channel": "window", "applicant": applicant(83)})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The window links the application to the ticket it called.
    let clerk = app.token("clerk").await;
    let (_, t) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "social"})),
        )
        .await;
    let (s, v) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(
                json!({"matter": m("ybj-0003"), "applicant": applicant(84), "ticket_id": t["id"],
                        "provided": ["居民身份证", "异地居住承诺书"]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&clerk),
            Some(json!({"matter": m("ybj-0003"), "applicant": applicant(85), "ticket_id": 999999})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Work orders are rated through the same door, once answered: not before.
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "小区门口路灯不亮已经一周了", "reporter": {"name": "王强", "phone": "13600001111"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (s, r) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(json!({"code": o["tracking_code"], "pin": app.pin_of(o["tracking_code"].as_str().unwrap()).await, "channel": "online", "level": "satisfied",
                        "dimensions": {"办事效率": 4}})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["code"], "rating.not_ready");
}

#[tokio::test]
async fn the_demo_hall_history_makes_the_wait_figures_checkable() {
    let app = TestApp::spawn().await;
    let n = jiceng::demo::hall::seed_service_history(&app.app, 10)
        .await
        .unwrap();
    assert!(n > 100, "{n} operations");
    let leader = app.token("leader").await;
    let day = |back: i64| {
        (app.app.now() - chrono::Duration::days(back))
            .with_timezone(&jiceng_core::clock::china_offset())
            .format("%Y-%m-%d")
            .to_string()
    };
    let mean = |st: &Value| {
        let all: Vec<&Value> = st["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["hour"].is_null())
            .collect();
        let count: f64 = all.iter().map(|x| x["count"].as_f64().unwrap()).sum();
        all.iter()
            .map(|x| x["mean_minutes"].as_f64().unwrap() * x["count"].as_f64().unwrap())
            .sum::<f64>()
            / count
    };
    let (s, early) = app
        .get(
            &format!("/api/v1/queue/stats?from={}&to={}", day(30), day(8)),
            &leader,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{early}");
    let (_, late) = app
        .get(
            &format!("/api/v1/queue/stats?from={}&to={}", day(7), day(0)),
            &leader,
        )
        .await;
    assert!(
        mean(&early) > mean(&late) + 5.0,
        "the wait fell: {} → {}",
        mean(&early),
        mean(&late)
    );
    let (_, list) = app
        .get("/api/v1/applications?status=completed", &leader)
        .await;
    assert!(list["total"].as_u64().unwrap() > 20, "{list}");
}

#[tokio::test]
async fn the_window_pages_render_for_the_clerk() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let v = accepted(&app, &clerk, 95, "1号窗口").await;
    let (s, r) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(json!({"code": v["code"], "pin": app.pin_of(v["code"].as_str().unwrap()).await, "level": "dissatisfied", "comment": "态度不好"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let session = app.browser_session("clerk").await;
    let id = v["id"].as_i64().unwrap();
    for (path, want) in [
        ("/window".to_string(), "收件并判定"),
        (
            "/window/applications".to_string(),
            v["code"].as_str().unwrap(),
        ),
        (format!("/window/applications/{id}"), "办理事项"),
        (format!("/window/applications/{id}/receipt"), "受理回执"),
        ("/window/stats".to_string(), "1号窗口"),
        ("/window/rectifications".to_string(), "态度不好"),
        ("/window/desk".to_string(), "办不成事"),
        ("/ticket".to_string(), "自助取号"),
        ("/hall".to_string(), "请听叫号"),
    ] {
        let (s, page) = session.page(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(page.contains(want), "{path} shows {want}");
    }
    // The receipt names who decides, where, the phones to ask and to complain, and how to
    // follow it: the full address with the code, and its QR code.
    let (_, receipt) = session
        .page(&format!("/window/applications/{id}/receipt"))
        .await;
    let code = v["code"].as_str().unwrap();
    for want in [
        "受理机关",
        "政务服务中心",
        "咨询电话",
        "监督投诉电话",
        "12345",
        "id=\"receipt-qr\"",
        "<svg",
        &format!("/service/track?code={code}"),
    ] {
        assert!(receipt.contains(want), "{want}: {receipt}");
    }
    assert!(
        receipt.contains("http://127.0.0.1:"),
        "the site's own address"
    );
    // Deadlines read as days ("2026-03-06 当日"), never as midnight of the day after.
    let (_, detail) = session.page(&format!("/window/applications/{id}")).await;
    assert!(!detail.contains(" 00:00<"), "{detail}");
    assert!(detail.contains(" 当日"), "{detail}");
    // The notice is for applications that need one.
    let (s, _) = session
        .page(&format!("/window/applications/{id}/notice"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A grid worker sees no application.
    let gw = app.browser_session("gw001").await;
    let (s, _) = gw.page(&format!("/window/applications/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_hall_kiosk_is_not_held_to_the_citizens_allowance() {
    let take = |app: &TestApp| {
        let url = app.url("/api/v1/queue/tickets");
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .json(&json!({"group": "social"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // An ordinary address: a burst of 20, then 429.
    let app = TestApp::spawn().await;
    for _ in 0..20 {
        assert_eq!(take(&app).await, StatusCode::CREATED);
    }
    assert_eq!(take(&app).await, StatusCode::TOO_MANY_REQUESTS);
    // The hall's kiosk serves everyone.
    let kiosk = TestApp::spawn_with(Options {
        kiosk_addresses: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
    for _ in 0..25 {
        assert_eq!(take(&kiosk).await, StatusCode::CREATED);
    }
}

#[tokio::test]
async fn tickets_taken_and_called_at_once_stay_distinct() {
    let app = TestApp::spawn_with(Options {
        kiosk_addresses: vec!["127.0.0.1".into()],
        ..Options::default()
    })
    .await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/queue/tickets"));
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"group": "social"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["label"]
                .as_str()
                .unwrap()
                .to_string()
        }));
    }
    let mut labels = Vec::new();
    for t in tasks {
        labels.push(t.await.unwrap());
    }
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), 12, "{labels:?}");
    let clerk = app.token("clerk").await;
    let call = |window: &'static str| {
        let (client, url, clerk) = (
            app.client.clone(),
            app.url("/api/v1/queue/call"),
            clerk.clone(),
        );
        async move {
            client
                .post(url)
                .bearer_auth(clerk)
                .json(&json!({"window": window}))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(call("1号窗口"), call("2号窗口"));
    assert!(
        a["ticket"]["id"].is_number() && b["ticket"]["id"].is_number(),
        "{a} {b}"
    );
    assert_ne!(a["ticket"]["id"], b["ticket"]["id"]);
}

#[tokio::test]
async fn an_application_sent_twice_with_its_key_is_received_once() {
    use jiceng::store::entities::application;
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let body = json!({"matter": m("rsj-0002"), "applicant": applicant(97),
                      "provided": ["居民身份证"], "client_key": "w-retry-97"});
    let send = || {
        let (client, url, clerk, body) = (
            app.client.clone(),
            app.url("/api/v1/applications"),
            clerk.clone(),
            body.clone(),
        );
        async move {
            let r = client
                .post(url)
                .bearer_auth(clerk)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let ((s1, a), (s2, b)) = tokio::join!(send(), send());
    assert!(s1.is_success() && s2.is_success(), "{a} {b}");
    let (_, c) = send().await;
    assert_eq!(a["code"], b["code"]);
    assert_eq!(a["code"], c["code"]);
    assert_eq!(count::<application::Entity>(&app).await, 1);
}

/// A pin that is not `pin`.
pub(crate) fn wrong_pin(pin: &str) -> String {
    format!("{:06}", (pin.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_paused_window_calls_nobody_and_the_hall_says_so() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    let (s, t) = app
        .call(
            Method::POST,
            "/api/v1/queue/tickets",
            None,
            Some(json!({"group": "social"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let post = |path: &'static str, body: Value| {
        let app = &app;
        let clerk = clerk.clone();
        async move { app.call(Method::POST, path, Some(&clerk), Some(body)).await }
    };
    let (s, p) = post(
        "/api/v1/queue/pause",
        json!({"window": "1号窗口", "paused": true}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["paused"], true);
    let (s, e) = post("/api/v1/queue/call", json!({"window": "1号窗口"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["code"], "queue.window_paused");
    let (_, cur) = app
        .get("/api/v1/queue/current?window=1号窗口", &clerk)
        .await;
    assert_eq!(cur["paused"], true, "{cur}");
    let hall = app
        .client
        .get(app.url("/hall"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        hall.contains("1号窗口") && hall.contains("暂停服务"),
        "{hall}"
    );
    // Unknown windows and other roles are refused; the ticket still waits.
    let (s, _) = post(
        "/api/v1/queue/pause",
        json!({"window": "99号窗口", "paused": true}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let operator = app.token("operator").await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/queue/pause",
            Some(&operator),
            Some(json!({"window": "1号窗口", "paused": false})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Resumed, the window calls again.
    let (_, p) = post(
        "/api/v1/queue/pause",
        json!({"window": "1号窗口", "paused": false}),
    )
    .await;
    assert_eq!(p["paused"], false);
    let (s, c) = post("/api/v1/queue/call", json!({"window": "1号窗口"})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["ticket"]["label"], t["label"]);
    // A pause lasts the day: the next morning the window calls without anyone lifting it.
    post(
        "/api/v1/queue/pause",
        json!({"window": "1号窗口", "paused": true}),
    )
    .await;
    app.advance_clock(24 * 60).await;
    let clerk2 = app.token("clerk").await;
    let (_, cur) = app
        .get("/api/v1/queue/current?window=1号窗口", &clerk2)
        .await;
    assert_eq!(cur["paused"], false, "{cur}");
}

#[tokio::test]
async fn a_groups_units_narrow_the_windows_matters() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (_, g) = app.get("/api/v1/queue/groups", &admin).await;
    let social = g["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "social")
        .cloned()
        .unwrap();
    assert_eq!(social["units"], json!(["rsj", "ybj", "gjj"]));
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/queue/groups",
            Some(&admin),
            Some(json!({"code": "social", "name": "社保医保", "prefix": "A",
                "windows": ["1号窗口"], "units": ["nope"]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("nope"));
    let clerk = app.browser_session("clerk").await;
    let (_, page) = clerk.page("/window").await;
    assert!(page.contains("data-units=\"rsj,ybj,gjj\""), "{page}");
    assert!(page.contains("data-unit=\"rsj\""));
    assert!(page.contains("id=\"a-find\"") && page.contains("id=\"q-pause\""));
}
