//! A day's work for each role, in headless Chromium, on a county with more than 600 open
//! orders: the handler works from its worklist, the dispatcher clears what waits for review,
//! the supervisor presses and prints, the operator places a call by its address, an elderly
//! citizen reports and rates on a phone in large type. CI runs them with `--ignored browser`.

use crate::browser::{browser, fill, sign_in, wait_for_path, wait_text, wait_until_text};
use crate::helpers::*;
use fantoccini::{Client, Locator};
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// More than 600 open orders across the county, none of them the fire brigade's, so that the
/// dispatcher's queue is long and the handler's own work must still be found.
async fn load(app: &TestApp) {
    let operator = app.token("operator").await;
    let texts = [
        "路边的垃圾桶满了好几天没人清运，气味很大",
        "楼下餐馆的油烟直接排到居民楼，窗户都不敢开",
        "人行道上的井盖松动，晚上走路很危险",
        "公园里的路灯坏了一排，晚上黑漆漆的",
        "小区门口的道路坑洼积水，车辆经过溅得满身泥",
        "这个事情我也说不清楚，反正就是很烦",
    ];
    futures_util::stream::iter(0..620)
        .map(|i| {
            let (app, operator) = (app, operator.clone());
            let text = texts[i % texts.len()];
            async move {
                let (s, o) = app
                    .call(
                        Method::POST,
                        "/api/v1/work-orders",
                        Some(&operator),
                        Some(json!({"description": format!("{text}（来电{i}）"),
                            "lat": 29.8125 + (i % 7) as f64 * 0.004, "lon": 119.915 + (i % 5) as f64 * 0.01,
                            "reporter": {"name": "王建国", "phone": "13800138000"}})),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{o}");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

/// An order for the fire brigade (消防通道), by API: its id and tracking code.
async fn fire_order(app: &TestApp, text: &str) -> (i64, String) {
    let (id, code, _) = fire_order_unit(app, text).await;
    (id, code)
}

/// [`fire_order`] with the brigade's unit id.
async fn fire_order_unit(app: &TestApp, text: &str) -> (i64, String, i64) {
    let operator = app.token("operator").await;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(json!({"description": text, "village_code": "339901001001",
                "reporter": {"name": "王建国", "phone": "13800138000"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert!(
        o["dispatch"]["lead"]["name"]
            .as_str()
            .unwrap_or("")
            .contains("消防"),
        "{o}"
    );
    (
        o["id"].as_i64().unwrap(),
        o["tracking_code"].as_str().unwrap().to_string(),
        o["dispatch"]["lead"]["unit_id"].as_i64().unwrap(),
    )
}

async fn act(app: &TestApp, token: &str, id: i64, body: Value) {
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{id}/actions"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Opens a kind of the worklist and the order with `code` in it (following pages), and checks
/// the kind's count says at least one.
async fn open_from_worklist(c: &Client, app: &TestApp, kind: &str, code: &str) {
    c.goto(&app.url("/worklist")).await.unwrap();
    let tab = c
        .find(Locator::Css(&format!(
            "#worklist-tabs a[data-kind='{kind}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("the worklist offers {kind}"));
    let count: u64 = tab
        .find(Locator::Css(".count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(count >= 1, "{kind} counts {count}");
    tab.click().await.unwrap();
    for _ in 0..40 {
        c.wait()
            .for_element(Locator::Id("worklist-heading"))
            .await
            .unwrap();
        if let Ok(link) = c.find(Locator::LinkText(code)).await {
            link.click().await.unwrap();
            c.wait()
                .for_element(Locator::Id("order-facts"))
                .await
                .unwrap();
            return;
        }
        match c.find(Locator::Css("a[rel='next']")).await {
            Ok(next) => next.click().await.unwrap(),
            Err(_) => panic!("{code} is not in the worklist's {kind}"),
        }
    }
    panic!("{code} not found in {kind}");
}

/// Clicks the action's button in its form, after filling the form's fields.
async fn press(c: &Client, action: &str, fields: &[(&str, &str)]) {
    let button = c
        .find(Locator::Id(&format!("act-{action}")))
        .await
        .unwrap_or_else(|_| panic!("the order offers {action}"));
    let form = button.find(Locator::XPath("..")).await.unwrap();
    for (name, value) in fields {
        let e = form
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap();
        if e.tag_name().await.unwrap() == "select" {
            e.select_by_value(value).await.unwrap();
        } else {
            e.send_keys(value).await.unwrap();
        }
    }
    button.click().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_each_role_does_a_days_work_among_600_open_orders() {
    let app = TestApp::spawn().await;
    load(&app).await;
    let xf = app.token("handler.xfjy").await;
    // The handler's new order; and for the dispatcher a send-back, an extension request, a
    // reply to review and a callback, each waiting.
    let (_, to_sign, brigade) =
        fire_order_unit(&app, "小区消防通道被私家车堵塞，消防车进不来").await;
    let (sb, sb_code) = fire_order(&app, "商场安全出口被货物堵死，消防通道不通").await;
    act(&app, &xf, sb, json!({"action": "sign"})).await;
    act(
        &app,
        &xf,
        sb,
        json!({"action": "send_back", "note": "属于市场监管职责，不归消防"}),
    )
    .await;
    let (ext, ext_code) = fire_order(&app, "厂房消防通道长期堆放杂物，消防栓被挡住").await;
    act(&app, &xf, ext, json!({"action": "sign"})).await;
    act(
        &app,
        &xf,
        ext,
        json!({"action": "request_extension", "days": 3, "note": "需联合住建部门现场核查"}),
    )
    .await;
    let (rep, rep_code) = fire_order(&app, "小区消防通道画线被遮挡，需重新施划").await;
    act(&app, &xf, rep, json!({"action": "sign"})).await;
    act(
        &app,
        &xf,
        rep,
        json!({"action": "reply", "note": "已重新施划消防通道标线"}),
    )
    .await;
    let (cb, cb_code) = fire_order(&app, "学校门口消防通道被摊贩占用").await;
    act(&app, &xf, cb, json!({"action": "sign"})).await;
    act(
        &app,
        &xf,
        cb,
        json!({"action": "reply", "note": "已清理摊贩，设置禁停标志"}),
    )
    .await;
    let operator = app.token("operator").await;
    act(&app, &operator, cb, json!({"action": "approve_reply"})).await;

    let out = std::env::var("JICENG_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("jiceng-screenshots"));
    std::fs::create_dir_all(&out).unwrap();
    let (c, _driver) = browser().await;
    c.set_window_size(1280, 900).await.unwrap();

    // 1. The handler finds the new order in its worklist, signs it and replies with a photo.
    sign_in(&c, &app, "handler.xfjy").await;
    open_from_worklist(&c, &app, "pending_sign", &to_sign).await;
    press(&c, "sign", &[]).await;
    wait_text(&c, "order-status", "办理中").await;
    let photo = std::env::temp_dir().join(format!("jiceng-reply-{}.png", std::process::id()));
    {
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8AARFQEDA0MAKd6B/kV0wCTAAAAAElFTkSuQmCC")
            .unwrap();
        std::fs::write(&photo, png).unwrap();
    }
    let reply = c.find(Locator::Id("act-reply")).await.unwrap();
    let form = reply.find(Locator::XPath("..")).await.unwrap();
    form.find(Locator::Css("input.photo-input"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    // The photo is shrunk in the browser into the hidden field before it is sent.
    let mut ready = false;
    for _ in 0..50 {
        let v = c
            .execute(
                "return document.querySelector('#act-reply').form.querySelector('.photos-field').value",
                vec![],
            )
            .await
            .unwrap();
        if v.as_str().is_some_and(|s| s.len() > 10) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the photo was read");
    form.find(Locator::Css("textarea[name='note']"))
        .await
        .unwrap()
        .send_keys("已联系物业挪走车辆，通道口加装隔离桩")
        .await
        .unwrap();
    reply.click().await.unwrap();
    wait_text(&c, "order-status", "已回复").await;
    wait_text(&c, "photos", "办理照片 1").await;

    // 2. The dispatcher clears a send-back, an extension, a reply review and a callback, each
    //    from its place in the worklist among 600 pending orders.
    sign_in(&c, &app, "dispatcher").await;
    c.goto(&app.url("/worklist")).await.unwrap();
    let pending: u64 = c
        .find(Locator::Css(
            "#worklist-tabs a[data-kind='pending_dispatch'] .count",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(pending >= 100, "the unsure ones wait: {pending}");
    let png = c.screenshot().await.unwrap();
    std::fs::write(out.join("dispatcher-worklist-1280.png"), png).unwrap();
    open_from_worklist(&c, &app, "send_back", &sb_code).await;
    press(&c, "accept_send_back", &[]).await;
    wait_text(&c, "order-status", "待派单").await;
    open_from_worklist(&c, &app, "extension", &ext_code).await;
    press(&c, "approve_extension", &[]).await;
    wait_until_text(&c, "order-status", |t| !t.contains("延期待批")).await;
    open_from_worklist(&c, &app, "reply_review", &rep_code).await;
    press(&c, "approve_reply", &[]).await;
    wait_text(&c, "order-status", "待回访").await;
    open_from_worklist(&c, &app, "callback", &cb_code).await;
    press(
        &c,
        "callback_close",
        &[("resolution", "resolved"), ("satisfaction", "satisfied")],
    )
    .await;
    wait_text(&c, "order-status", "已办结").await;

    // 3. Days later the supervisor presses a late unit and prints a 督办单.
    app.advance_clock(8 * 24 * 60).await;
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    sign_in(&c, &app, "supervisor").await;
    c.goto(&app.url("/supervision")).await.unwrap();
    // The first late order whose unit still owes the work.
    let row = c
        .find(Locator::XPath(
            "//table[@id='overdue-orders']//tr[.//button[contains(@class,'urge')]]",
        ))
        .await
        .expect("a late order on the board to press");
    row.find(Locator::Css("input[name='note']"))
        .await
        .unwrap()
        .send_keys("已超期，请今日内答复群众")
        .await
        .unwrap();
    row.find(Locator::Css("button.urge"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "order-facts", "查询码").await;
    c.find(Locator::Css("[role='alert']"))
        .await
        .unwrap()
        .text()
        .await
        .map(|t| assert!(t.contains("已催办"), "{t}"))
        .unwrap();
    press(&c, "supervise", &[("note", "请三日内办结并报送整改材料")]).await;
    wait_for_path(&c, |p| p.starts_with("/supervision-notices/")).await;
    wait_text(&c, "notice-number", "督字〔").await;
    wait_text(&c, "notice-requirement", "请三日内办结并报送整改材料").await;
    assert!(c.find(Locator::Id("print")).await.is_ok());
    let png = c.screenshot().await.unwrap();
    std::fs::write(out.join("supervisor-notice-1280.png"), png).unwrap();

    // 4. The operator registers a call by its address alone and sees where it will go.
    sign_in(&c, &app, "operator").await;
    c.goto(&app.url("/work-orders/new")).await.unwrap();
    let village: String = app.get("/api/v1/regions/339901001002", &operator).await.1["name"]
        .as_str()
        .unwrap()
        .to_string();
    fill(
        &c,
        "description",
        "路灯坏了一排，晚上黑漆漆的，老人出门摔了",
    )
    .await;
    fill(&c, "address", &format!("{village}村委会东侧的小路")).await;
    wait_text(&c, "place-found", &village).await;
    wait_until_text(&c, "plan", |t| t.contains("将派至") || t.contains("转人工")).await;
    fill(&c, "reporter_name", "吴十").await;
    fill(&c, "reporter_phone", "13800138000").await;
    // The caller has called before: the history shows.
    wait_until_text(&c, "caller-history", |t| t.contains("反映过")).await;
    c.find(Locator::Id("submit-order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, |p| {
        p.starts_with("/work-orders/") && p != "/work-orders/new"
    })
    .await;
    wait_text(&c, "order-facts", &village).await;
    // Or by a tap on the map: the grid's village and the point are filled in.
    c.goto(&app.url("/work-orders/new")).await.unwrap();
    c.find(Locator::Css("#map-pick summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#map-pick a.grid-shape"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "map-picked", |t| t.contains("已选")).await;
    let picked = c
        .execute(
            "return [document.getElementById('village_code').value, document.getElementById('lat').value]",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        picked[0].as_str().is_some_and(|v| v.len() == 12)
            && picked[1].as_str().is_some_and(|v| !v.is_empty()),
        "{picked}"
    );
    // The category is chosen by name, narrowed by what is typed.
    c.find(Locator::Css("input[data-narrows='category_code']"))
        .await
        .unwrap()
        .send_keys("噪音")
        .await
        .unwrap();
    let shown = c
        .execute(
            "return Array.from(document.querySelectorAll('#category_code option')).filter(o => o.value && !o.hidden).map(o => o.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let shown = shown.as_array().unwrap();
    assert!(
        !shown.is_empty() && shown.iter().all(|o| o.as_str().unwrap().contains("噪音")),
        "{shown:?}"
    );

    // 5. An elderly citizen on a phone, in large type, reports by choosing the village,
    //    keeps the code and pin, and later rates with nothing chosen for them.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&app.url("/report")).await.unwrap();
    c.execute(
        "localStorage.setItem('jiceng-large', '1'); document.documentElement.classList.add('large');",
        vec![],
    )
    .await
    .unwrap();
    fill(&c, "description", "楼道里的灯坏了，晚上下楼看不见，怕摔跤").await;
    c.find(Locator::Id("village_code"))
        .await
        .unwrap()
        .select_by_value("339901001002")
        .await
        .unwrap();
    fill(&c, "reporter_name", "李奶奶").await;
    fill(&c, "reporter_phone", "13900139000").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(overflow <= 1, "the report form overflows by {overflow} px");
    c.find(Locator::Id("submit-order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "issued-code", |t| t.trim().len() == 8).await;
    let code = c
        .find(Locator::Id("issued-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .trim()
        .to_string();
    let pin = c
        .find(Locator::Id("issued-pin"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .trim()
        .to_string();
    let png = c.screenshot().await.unwrap();
    std::fs::write(out.join("citizen-report-done-390-large.png"), png).unwrap();
    // The unit answers and the hotline approves.
    let id = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        jiceng::store::entities::work_order::Entity::find()
            .filter(jiceng::store::entities::work_order::Column::TrackingCode.eq(code.as_str()))
            .one(&app.app.db.conn)
            .await
            .unwrap()
            .unwrap()
    };
    let lead = app
        .get(&format!("/api/v1/work-orders/{}", id.id), &operator)
        .await
        .1;
    // (Sent to the brigade's test account, whichever unit the classifier chose.)
    let dispatcher = app.token("dispatcher").await;
    if lead["dispatch"]["lead"]["unit_id"].as_i64() != Some(brigade) {
        act(
            &app,
            &dispatcher,
            id.id,
            json!({"action": "dispatch", "unit_id": brigade, "note": "改派测试单位"}),
        )
        .await;
    }
    act(&app, &xf, id.id, json!({"action": "sign"})).await;
    act(
        &app,
        &xf,
        id.id,
        json!({"action": "reply", "note": "已更换楼道灯"}),
    )
    .await;
    act(&app, &operator, id.id, json!({"action": "approve_reply"})).await;
    c.goto(&app.url("/track")).await.unwrap();
    fill(&c, "code", &code).await;
    fill(&c, "pin", &pin).await;
    c.find(Locator::Id("track-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("rate-submit"))
        .await
        .unwrap();
    let chosen = c
        .execute(
            "return document.querySelectorAll('#rate-form input[type=radio]:checked').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chosen, json!(0), "nothing is chosen for the citizen");
    for value in ["resolved", "satisfied"] {
        // The big choice: its label is what a finger taps.
        c.find(Locator::XPath(&format!(
            "//form[@id='rate-form']//input[@value='{value}']/.."
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    }
    let png = c.screenshot().await.unwrap();
    std::fs::write(out.join("citizen-rate-390-large.png"), png).unwrap();
    c.find(Locator::Id("rate-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "track-message", |t| t.contains("感谢")).await;
    let _ = std::fs::remove_file(photo);
}
