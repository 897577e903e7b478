//! 待办: each account's worklist, by kind, with counts and no cap — a send-back and an
//! extension request among hundreds of pending orders are not lost.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn count(w: &Value, kind: &str) -> u64 {
    w["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no kind {kind} in {w}"))["count"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_send_back_and_an_extension_among_600_pending_orders_reach_the_dispatcher() {
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    // 600 calls about a blocked fire lane: each goes to the fire brigade, waiting to be signed.
    let ids: Vec<i64> = futures_util::stream::iter(0..600)
        .map(|i| {
            let app = &app;
            let operator = operator.clone();
            async move {
                let (s, o) = app
                    .call(
                        Method::POST,
                        "/api/v1/work-orders",
                        Some(&operator),
                        Some(json!({"description": format!("小区消防通道被车辆堵塞，消防车无法通行（来电{i}）"),
                            "lat": 29.8125, "lon": 119.915, "channel": "hotline",
                            "reporter": {"name": "王建国", "phone": "13800138000"}})),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{o}");
                o["id"].as_i64().unwrap()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let xf = app.token("handler.xfjy").await;
    let act = |id: i64, body: Value| {
        let app = &app;
        let xf = xf.clone();
        async move {
            let (s, b) = app
                .call(
                    Method::POST,
                    &format!("/api/v1/work-orders/{id}/actions"),
                    Some(&xf),
                    Some(body),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    };
    // The brigade's worklist: 600 to sign, paged without a cap.
    let (s, w) = app.get("/api/v1/worklist?per_page=500", &xf).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["kind"], "pending_sign");
    assert_eq!(count(&w, "pending_sign"), 600);
    assert_eq!(w["total"], 600);
    assert_eq!(w["items"].as_array().unwrap().len(), 500);
    let (_, w2) = app
        .get(
            "/api/v1/worklist?kind=pending_sign&per_page=500&page=2",
            &xf,
        )
        .await;
    assert_eq!(w2["items"].as_array().unwrap().len(), 100);
    // One is sent back; another signed and given more time.
    let (back, ext) = (ids[17], ids[311]);
    act(
        back,
        json!({"action": "send_back", "note": "车辆占道属城管执法范围"}),
    )
    .await;
    act(ext, json!({"action": "sign"})).await;
    act(
        ext,
        json!({"action": "request_extension", "days": 5, "note": "需协调车主，节后处理"}),
    )
    .await;
    let dispatcher = app.token("dispatcher").await;
    let (s, w) = app.get("/api/v1/worklist", &dispatcher).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(count(&w, "send_back"), 1, "{w}");
    assert_eq!(count(&w, "extension"), 1, "{w}");
    for (kind, id) in [("send_back", back), ("extension", ext)] {
        let (_, page) = app
            .get(&format!("/api/v1/worklist?kind={kind}"), &dispatcher)
            .await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{page}");
        assert_eq!(items[0]["id"], id);
    }
    // The brigade: 598 still to sign, one being handled (not yet contacted).
    let (_, w) = app.get("/api/v1/worklist", &xf).await;
    assert_eq!(count(&w, "pending_sign"), 598);
    assert_eq!(count(&w, "to_contact"), 1);
    assert_eq!(count(&w, "in_progress"), 1);
    // A kind the account does not work is a clear error.
    let (s, b) = app.get("/api/v1/worklist?kind=send_back", &xf).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["code"], "worklist.bad_kind");
    // The dispatcher's page shows the counts and the send-back.
    let session = app.browser_session("dispatcher").await;
    let (s, html) = session.page("/worklist?kind=send_back").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("退单待审"), "{html}");
    let (_, order) = app
        .get(&format!("/api/v1/work-orders/{back}"), &dispatcher)
        .await;
    assert!(html.contains(order["tracking_code"].as_str().unwrap()));
    // And it is the dispatcher's home page.
    let (s, home) = session.page("/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains("worklist-tabs"));
}

#[tokio::test]
async fn a_replied_order_waits_in_the_hotlines_review_and_then_its_callback() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    let xf = app.token("handler.xfjy").await;
    for body in [
        json!({"action": "sign"}),
        json!({"action": "contact", "note": "已电话联系报告人"}),
        json!({"action": "reply", "note": "已清理通道，车辆已移走"}),
    ] {
        crate::work_orders::ok(&app, &xf, id, body).await;
    }
    let operator = app.token("operator").await;
    let (_, w) = app.get("/api/v1/worklist", &operator).await;
    assert_eq!(w["kind"], "reply_review");
    assert_eq!(count(&w, "reply_review"), 1);
    assert_eq!(w["items"][0]["id"], id);
    crate::work_orders::ok(&app, &operator, id, json!({"action": "approve_reply"})).await;
    let (_, w) = app.get("/api/v1/worklist", &operator).await;
    assert_eq!(count(&w, "reply_review"), 0);
    assert_eq!(count(&w, "callback"), 1);
    assert_eq!(w["kind"], "callback");
    // The handler's own list no longer holds it.
    let (_, w) = app.get("/api/v1/worklist?kind=in_progress", &xf).await;
    assert_eq!(w["total"], 0);
    // Answered, the citizen may rate it through the 好差评 door too.
    let code = o["tracking_code"].as_str().unwrap();
    let (s, r) = app
        .call(
            Method::POST,
            "/api/v1/ratings",
            None,
            Some(
                json!({"code": code, "pin": app.pin_of(code).await, "channel": "online",
                "level": "satisfied", "dimensions": {"办事效率": 4}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["subject_kind"], "work_order");
}

#[tokio::test]
async fn a_form_redirects_to_a_page_and_no_address_answers_a_browser_in_english() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    let s = app.browser_session("handler.xfjy").await;
    // Post, redirect, get: the order page says what was done; a refresh does not act again.
    let (status, _) = s
        .post_form(
            &format!("/work-orders/{id}/act"),
            &[("csrf", &s.csrf), ("action", "sign")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = s
        .client
        .post(app.url(&format!("/work-orders/{id}/act")))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("action", "contact"),
            ("note", "已电话联系"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/work-orders/{id}?done=contact"));
    let (status, html) = s.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("已首次联系") || html.contains("已联系"),
        "{html}"
    );
    // A made-up `done` shows nothing taken from the address.
    let (_, html) = s
        .page(&format!("/work-orders/{id}?done=%3Cscript%3E"))
        .await;
    assert!(!html.contains("<script>"));
    // The form's address asked for by a browser: the order, not "HTTP ERROR 405".
    let (status, _) = s.page(&format!("/work-orders/{id}/act")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // No page: a page in Chinese for a browser, JSON for the interface.
    let (status, html) = s.page("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("找不到页面") && html.contains("<html"),
        "{html}"
    );
    let (status, body) = app.get("/api/v1/no-such-thing", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    // A method the address does not take: 405, in Chinese.
    let r = s.client.delete(app.url("/report")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.text().await.unwrap().contains("不支持"));
    // A 403 page says what is missing and how to get it.
    let (status, html) = s.page("/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("系统管理员开通"), "{html}");
}

#[tokio::test]
async fn signing_in_returns_to_the_page_first_asked_for_and_only_to_this_site() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(app.url("/worklist?kind=callback"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(login, "/login?next=%2Fworklist%3Fkind%3Dcallback");
    let page = client
        .get(app.url(&login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page);
    assert!(page.contains("value=\"/worklist?kind=callback\""), "{page}");
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "operator"),
            ("password", PASSWORD),
            ("next", "/worklist?kind=callback"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/worklist?kind=callback");
    // Another site is never where signing in leads.
    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = c
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_csrf(&page);
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "operator"),
                ("password", PASSWORD),
                ("next", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/", "{evil}");
    }
}

#[tokio::test]
async fn each_roles_menu_offers_only_what_it_may_open() {
    let app = TestApp::spawn().await;
    for user in [
        "admin",
        "chengguan.admin",
        "auditor",
        "leader",
        "supervisor",
        "dispatcher",
        "operator",
        "clerk",
        "chengguan.clerk",
        "handler",
        "handler.xfjy",
        "gw001",
    ] {
        let s = app.browser_session(user).await;
        let (status, home) = s.page("/").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        let nav = &home[home.find("<nav").expect("a menu")..];
        let nav = &nav[..nav.find("</nav>").unwrap()];
        let links: Vec<&str> = nav
            .split("href=\"")
            .skip(1)
            .map(|l| &l[..l.find('"').unwrap()])
            .collect();
        assert!(links.len() >= 2, "{user}: {links:?}");
        for link in &links {
            let (status, _) = s.page(link).await;
            assert_eq!(status, StatusCode::OK, "{user} is offered {link}");
        }
        // What the role does not do is not offered.
        let offered = |l: &str| links.contains(&l);
        assert_eq!(
            offered("/window"),
            matches!(
                user,
                "admin" | "chengguan.admin" | "clerk" | "chengguan.clerk"
            ),
            "{user}"
        );
        assert_eq!(
            offered("/audit"),
            matches!(user, "admin" | "auditor"),
            "{user}"
        );
        assert_eq!(
            offered("/admin/users"),
            matches!(user, "admin" | "chengguan.admin"),
            "{user}"
        );
        assert!(
            !offered("/work-orders") || !user.ends_with("clerk"),
            "{user}"
        );
    }
}

#[tokio::test]
async fn an_unsure_classification_waits_for_the_dispatcher_instead_of_going_out() {
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let vague = "打电话反映一个情况，希望有关部门尽快过来看一下，谢谢";
    let (_, s) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&operator),
            Some(json!({"text": vague})),
        )
        .await;
    let guess = s["suggestions"][0]["confidence"]
        .as_f64()
        .or_else(|| s["items"][0]["confidence"].as_f64())
        .unwrap_or(0.0);
    assert!(guess < 0.5, "the text is vague enough: {s}");
    let (st, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(
                json!({"description": vague, "lat": 29.8125, "lon": 119.915, "channel": "hotline",
                "reporter": {"name": "钱九", "phone": "13500135000"}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["status"], "pending_dispatch", "{o}");
    assert!(o["dispatch"].to_string().contains("把握不足"), "{o}");
    let (_, w) = app
        .get(
            "/api/v1/worklist?kind=pending_dispatch&per_page=500",
            &app.token("dispatcher").await,
        )
        .await;
    assert!(
        w["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == o["id"]),
        "{w}"
    );
    // The same words with the category chosen by the operator go out at once.
    let lamp = crate::work_orders::category_code(&app, "乱停乱放").await;
    let (st, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(
                json!({"description": vague, "lat": 29.8125, "lon": 119.915, "channel": "hotline",
                "category_code": lamp, "reporter": {"name": "钱九", "phone": "13500135000"}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_ne!(o["status"], "pending_dispatch", "{o}");
}

/// What a person reads: the text of a page without its markup, scripts and attributes.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut skip = false;
    let lower = html.to_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if !in_tag && lower[i..].starts_with("<script") {
            skip = true;
        }
        if skip && lower[i..].starts_with("</script>") {
            skip = false;
        }
        let c = html[i..].chars().next().unwrap();
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag && !skip => out.push(c),
            _ => {}
        }
        i += c.len_utf8();
    }
    out
}

/// Internal codes a person should never have to read.
fn codes_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for w in text.split(|c: char| c.is_whitespace() || "，。、；：（）()「」\"'".contains(c))
    {
        let w = w
            .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != ':' && c != '_' && c != '.');
        if ["user:", "unit:", "system:", "citizen:", "role:"]
            .iter()
            .any(|p| w.starts_with(p))
            || (w.len() == 12 && w.bytes().all(|b| b.is_ascii_digit()))
            || (w.contains('.')
                && w.contains('_')
                && w.is_ascii()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'))
            || ["Invalid", "Cannot parse", "HTTP ERROR"]
                .iter()
                .any(|e| w.contains(e))
        {
            found.push(w.to_string());
        }
    }
    found
}

#[tokio::test]
async fn the_pages_people_read_show_names_not_codes() {
    let app = TestApp::spawn().await;
    // An order that has been through a few hands, and an application.
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    let xf = app.token("handler.xfjy").await;
    for body in [
        json!({"action": "sign"}),
        json!({"action": "contact", "note": "已电话联系报告人"}),
        json!({"action": "reply", "note": "已清理通道"}),
    ] {
        crate::work_orders::ok(&app, &xf, id, body).await;
    }
    let (_, a) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            Some(&app.token("clerk").await),
            Some(json!({"matter": "339901000000-mzj-0009",
                "applicant": crate::service::applicant(41), "provided": [], "window": "1号窗口"})),
        )
        .await;
    let app_id = a["id"].as_i64().unwrap();
    let mut failures = Vec::new();
    for (user, pages) in [
        (
            "handler.xfjy",
            vec![
                "/".to_string(),
                format!("/work-orders/{id}"),
                "/work-orders".into(),
            ],
        ),
        (
            "dispatcher",
            vec![
                "/".into(),
                "/worklist?kind=pending_dispatch".into(),
                format!("/work-orders/{id}"),
                "/supervision".into(),
                "/rankings".into(),
            ],
        ),
        ("operator", vec!["/".into(), format!("/work-orders/{id}")]),
        ("supervisor", vec!["/".into(), "/supervision".into()]),
        (
            "clerk",
            vec![
                "/".into(),
                "/window".into(),
                "/window/applications".into(),
                format!("/window/applications/{app_id}"),
            ],
        ),
        (
            "admin",
            vec!["/".into(), "/admin/users".into(), "/admin/outbox".into()],
        ),
        ("gw001", vec!["/".into(), "/map".into()]),
    ] {
        let s = app.browser_session(user).await;
        for page in pages {
            let (status, html) = s.page(&page).await;
            assert_eq!(status, StatusCode::OK, "{user} {page}");
            let text = visible_text(&html);
            let mut codes = codes_in(&text);
            // A unit by its code ("部门 gdgs") rather than its name.
            codes.extend(
                text.match_indices("部门 ")
                    .filter(|(i, _)| {
                        text[i + "部门 ".len()..].starts_with(|c: char| c.is_ascii_alphabetic())
                    })
                    .map(|(i, _)| text[i..].chars().take(12).collect::<String>()),
            );
            if !codes.is_empty() {
                failures.push(format!("{user} {page}: {codes:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn an_application_is_rated_once_accepted_not_while_materials_are_owed() {
    let app = TestApp::spawn().await;
    let (s, a) = app
        .call(
            Method::POST,
            "/api/v1/applications",
            None,
            Some(json!({"matter": "339901000000-mzj-0009",
                "applicant": crate::service::applicant(43), "provided": []})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["status"], "needs_correction");
    let (code, pin) = (a["code"].clone(), a["tracking_pin"].clone());
    let rate = || {
        let app = &app;
        let (code, pin) = (code.clone(), pin.clone());
        async move {
            app.call(
                Method::POST,
                "/api/v1/ratings",
                None,
                Some(json!({"code": code, "pin": pin, "channel": "online", "level": "satisfied"})),
            )
            .await
        }
    };
    let (s, b) = rate().await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["code"], "rating.not_ready");
    // The tracking page says when it can be rated, and offers no form yet.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = client
        .get(app.url("/service/track"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page);
    let html = client
        .post(app.url("/service/track"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code.as_str().unwrap()),
            ("pin", pin.as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("rate-later") && !html.contains("rate-app-form"),
        "{html}"
    );
    // Supplied, accepted: now it can, with nothing chosen in advance.
    let (_, checklist) = app
        .call(
            Method::GET,
            "/api/v1/applications/checklist?matter=339901000000-mzj-0009",
            None,
            None,
        )
        .await;
    let all: Vec<Value> = checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/applications/supplement",
            None,
            Some(json!({"code": code, "pin": pin, "provided": all})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let html = client
        .post(app.url("/service/track"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code.as_str().unwrap()),
            ("pin", pin.as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("rate-app-form"), "{html}");
    assert!(!html.contains("<option value=\"very_satisfied\" selected"));
    let (s, b) = rate().await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn the_supervisor_presses_a_late_unit_from_the_board() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    let code = o["tracking_code"].as_str().unwrap().to_string();
    let xf = app.token("handler.xfjy").await;
    crate::work_orders::ok(&app, &xf, id, json!({"action": "sign"})).await;
    // Twenty days on, the order is past its deadline.
    app.advance_clock(20 * 24 * 60).await;
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    let supervisor = app.token("supervisor").await;
    let (_, w) = app.get("/api/v1/worklist", &supervisor).await;
    let late = count(&w, "overdue") + count(&w, "supervised");
    assert!(late >= 1, "{w}");
    // The board lists it with a 催办 button; pressing it tells the unit and keeps the order.
    let s = app.browser_session("supervisor").await;
    let (status, board) = s.page("/supervision").await;
    assert_eq!(status, StatusCode::OK);
    assert!(board.contains(&code) && board.contains("催办"), "{board}");
    let r = s
        .client
        .post(app.url(&format!("/work-orders/{id}/act")))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("action", "urge"),
            ("note", "已超期多日，请今日内答复群众"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, after) = app
        .get(&format!("/api/v1/work-orders/{id}"), &supervisor)
        .await;
    assert_eq!(after["status"], "in_progress");
    let urged: Vec<&Value> = after["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "urge")
        .collect();
    assert_eq!(urged.len(), 1, "{after}");
    assert_eq!(urged[0]["note"], "已超期多日，请今日内答复群众");
    let lead = after["dispatch"]["lead"]["unit_id"].as_i64().unwrap();
    let sent = jiceng::store::entities::outbox::Entity::find()
        .filter(jiceng::store::entities::outbox::Column::Event.eq("work_order.urged"))
        .all(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, format!("unit:{lead}"));
    // The board narrows to one unit from its row in the summary.
    assert!(
        board.contains(&format!("/supervision?unit={lead}")),
        "{board}"
    );
    let (_, one) = s.page(&format!("/supervision?unit={lead}")).await;
    assert!(one.contains(&code), "{one}");
    let (_, other) = s
        .page(&format!("/supervision?unit={}", lead + 100_000))
        .await;
    assert!(!other.contains(&code));
    // Only the supervision office and leaders press units; a handler may not.
    let (s2, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{id}/actions"),
            Some(&xf),
            Some(json!({"action": "urge"})),
        )
        .await;
    assert_eq!(s2, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_action_panel_puts_the_main_step_first_and_turning_back_behind_a_confirmation() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let a = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let b = crate::work_orders::report(&app, Some(&gw), "13800138001", "normal").await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let s = app.browser_session("handler.xfjy").await;
    let (_, html) = s.page(&format!("/work-orders/{a_id}")).await;
    // The panel comes before the facts (first on a phone); 签收 is its first button.
    let panel = html.find("id=\"actions\"").expect("an action panel");
    assert!(panel < html.find("id=\"order-facts\"").unwrap());
    let first_button = &html[panel..][html[panel..].find("<button").unwrap()..];
    assert!(first_button.contains("act-sign"), "{first_button}");
    // 退单 is behind a confirmation: a closed <details>, a required reason and a tick.
    let back = html
        .find("id=\"more-send_back\"")
        .expect("send-back behind details");
    let back_html = &html[back..back + html[back..].find("</details>").unwrap()];
    assert!(back_html.contains("required></textarea>"), "{back_html}");
    assert!(
        back_html.contains("type=\"checkbox\" required"),
        "{back_html}"
    );
    // A dispatcher merges by tracking code, as people know orders.
    let d = app.browser_session("dispatcher").await;
    let r = d
        .client
        .post(app.url(&format!("/work-orders/{b_id}/act")))
        .form(&[
            ("csrf", d.csrf.as_str()),
            ("action", "merge"),
            ("master_code", a["tracking_code"].as_str().unwrap()),
            ("note", "同一处消防通道"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, merged) = app
        .get(
            &format!("/api/v1/work-orders/{b_id}"),
            &app.token("dispatcher").await,
        )
        .await;
    assert_eq!(merged["status"], "merged");
    // An unknown code is said so, in Chinese, on the order's page.
    let c = crate::work_orders::report(&app, Some(&gw), "13800138002", "normal").await;
    let r = d
        .client
        .post(app.url(&format!("/work-orders/{}/act", c["id"])))
        .form(&[
            ("csrf", d.csrf.as_str()),
            ("action", "merge"),
            ("master_code", "NOSUCH01"),
            ("note", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("没有查询码为 NOSUCH01 的工单")
    );
}

#[tokio::test]
async fn an_elderly_citizen_reports_by_choosing_the_village_and_keeps_the_code_and_pin() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page);
    // The place is a choice among the villages and communities, by township; no coordinates.
    assert!(
        page.contains("name=\"village_code\"") && page.contains("<optgroup label=\"城关街道\">")
    );
    assert!(page.contains("（必填"), "required fields are marked");
    // A refused submit keeps the photos attached.
    let photos = json!([PNG_1X1]).to_string();
    let html = client
        .post(app.url("/report"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("description", "楼道里的灯坏了，老人晚上下楼看不见"),
            ("village_code", "339901001002"),
            ("photos", photos.as_str()),
            ("reporter_name", "李奶奶"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("photos-kept") && html.contains("已附 1 张照片"),
        "{html}"
    );
    let r = client
        .post(app.url("/report"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("description", "楼道里的灯坏了，老人晚上下楼看不见"),
            ("village_code", "339901001002"),
            ("address", "文昌社区幸福小区3号楼"),
            ("photos", photos.as_str()),
            ("reporter_name", "李奶奶"),
            ("reporter_phone", "13905710001"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    // The success page: the code and pin large, said to be sent by SMS too; no red error.
    assert!(
        html.contains("id=\"issued-code\"") && html.contains("id=\"issued-pin\""),
        "{html}"
    );
    assert!(html.contains("短信"));
    assert!(!html.contains("class=\"error\""), "{html}");
    let code = html
        .split("id=\"issued-code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    // The order lies in the chosen village, with its township, and its photo kept.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let o = jiceng::store::entities::work_order::Entity::find()
        .filter(jiceng::store::entities::work_order::Column::TrackingCode.eq(code))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.village_code.as_deref(), Some("339901001002"));
    assert_eq!(o.township_code.as_deref(), Some("339901001000"));
    assert_eq!(o.lat, None);
    let photos = jiceng::store::entities::photo::Entity::find()
        .filter(jiceng::store::entities::photo::Column::OrderId.eq(o.id))
        .all(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(photos.len(), 1);
    // A made-up village is a clear field error.
    let (s, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "路灯不亮", "village_code": "339901001999", "anonymous": true})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["fields"][0]["field"], "village_code");
}

#[tokio::test]
async fn a_report_from_just_outside_the_county_is_taken_for_the_dispatcher_to_place() {
    let app = TestApp::spawn().await;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(
                json!({"description": "县界路口的路灯坏了", "lat": 29.6, "lon": 119.5,
                "reporter": {"name": "赵六", "phone": "13600136001"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["status"], "pending_dispatch");
    assert!(o["dispatch"].to_string().contains("不在本县范围内"), "{o}");
    let (_, w) = app
        .get(
            "/api/v1/worklist?kind=pending_dispatch&per_page=500",
            &app.token("dispatcher").await,
        )
        .await;
    assert!(
        w["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == o["id"])
    );
}

const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[tokio::test]
async fn an_admin_edits_disables_unlocks_and_resets_an_account_from_its_page() {
    let app = TestApp::spawn().await;
    // Five wrong passwords lock the handler's name.
    for _ in 0..6 {
        app.call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "chengguan.handler", "password": "wrong-password-1"})),
        )
        .await;
    }
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "chengguan.handler", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let admin = app.browser_session("chengguan.admin").await;
    let (_, list) = admin.page("/admin/users?q=chengguan.handler").await;
    let link = list
        .split("href=\"/admin/users/")
        .nth(1)
        .expect("a link to the account")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (s, page) = admin.page(&format!("/admin/users/{link}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("锁定至") && page.contains("id=\"unlock\""),
        "{page}"
    );
    // Unlock and reset the password: a redirect, then the page says so.
    let r = admin
        .client
        .post(app.url(&format!("/admin/users/{link}")))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("display_name", "城关承办人"),
            ("role", "handler"),
            ("active", "true"),
            ("password", "new-password-2026"),
            ("unlock", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.page(&format!("/admin/users/{link}?saved=1")).await;
    assert!(
        page.contains("已保存") && !page.contains("锁定至"),
        "{page}"
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "chengguan.handler", "password": "new-password-2026"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Disabled, the account can no longer sign in.
    let r = admin
        .client
        .post(app.url(&format!("/admin/users/{link}")))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("display_name", "城关承办人"),
            ("role", "handler"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "chengguan.handler", "password": "new-password-2026"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // An admin does not disable or demote their own account.
    let (_, me) = app
        .get("/api/v1/me", &app.token("chengguan.admin").await)
        .await;
    let (s, b) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}", me["id"]),
            Some(&app.token("chengguan.admin").await),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "user.self_lockout");
    // A bad password is said on the page, which keeps the rest.
    let r = admin
        .client
        .post(app.url(&format!("/admin/users/{link}")))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("display_name", "城关承办人"),
            ("role", "handler"),
            ("active", "true"),
            ("password", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("field-error"));
}

#[tokio::test]
async fn the_auditor_finds_sensitive_access_by_person_and_day_and_exports_it() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let xf = app.token("handler.xfjy").await;
    let (s, _) = app
        .get(
            &format!("/api/v1/work-orders/{}/reporter-phone", o["id"]),
            &xf,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A leader's refused look at the audit log is sensitive too.
    let (s, _) = app.get("/api/v1/audit", &app.token("leader").await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let auditor = app.browser_session("auditor").await;
    let today = app
        .app
        .now()
        .with_timezone(&jiceng_core::clock::china_offset())
        .format("%Y-%m-%d")
        .to_string();
    let (s, html) = auditor
        .page(&format!(
            "/audit?sensitive=true&from_day={today}&to_day={today}"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("查看反映人完整电话") && html.contains("越权访问被拒绝"),
        "{html}"
    );
    assert!(!html.contains("登录</td>"), "only sensitive access: {html}");
    // By person: the fire brigade's handler, by user name.
    let (_, html) = auditor
        .page("/audit?person=handler.xfjy&sensitive=true")
        .await;
    assert!(
        html.contains("查看反映人完整电话") && !html.contains("越权访问被拒绝"),
        "{html}"
    );
    // A bad day is a clear refusal.
    let (s, _) = auditor.page("/audit?from_day=yesterday").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The export holds what the filter shows, is readable as a spreadsheet, and is audited.
    let r = auditor
        .client
        .get(app.url("/audit/export.csv?sensitive=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("work_order.reveal_phone") && csv.contains("查看反映人完整电话"));
    let (_, exports) = app
        .get(
            "/api/v1/audit?action=audit.export",
            &app.token("auditor").await,
        )
        .await;
    assert_eq!(exports["total"], 1, "{exports}");
}

#[tokio::test]
async fn the_operator_notes_the_kind_of_call_and_goes_on_to_the_next() {
    let app = TestApp::spawn().await;
    let s = app.browser_session("operator").await;
    let r = s
        .client
        .post(app.url("/work-orders/new"))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("description", "咨询：办理居住证需要带哪些材料"),
            ("kind", "consult"),
            ("village_code", "339901001002"),
            ("reporter_name", "吴十"),
            ("reporter_phone", "13500135001"),
            ("next", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/work-orders/new?registered="), "{to}");
    let (status, html) = s.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    let code = to.rsplit('=').next().unwrap();
    assert!(html.contains(&format!("已登记，查询码 {code}")), "{html}");
    // The form is fresh for the next call.
    assert!(html.contains("id=\"description\" rows=\"5\" required maxlength=\"4000\"></textarea>"));
    let operator = app.token("operator").await;
    let id = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        jiceng::store::entities::work_order::Entity::find()
            .filter(jiceng::store::entities::work_order::Column::TrackingCode.eq(code))
            .one(&app.app.db.conn)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let (_, o) = app
        .get(&format!("/api/v1/work-orders/{id}"), &operator)
        .await;
    assert_eq!(o["kind"], "consult");
    assert_eq!(o["kind_label"], "咨询");
    // An unknown kind is a field error.
    let (st, b) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(
                json!({"description": "路灯不亮", "kind": "rant", "village_code": "339901001002",
                "reporter": {"name": "吴十", "phone": "13500135001"}}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["fields"].to_string().contains("\"kind\""), "{b}");
    // A code in the address that is not an order shows nothing.
    let (_, html) = s.page("/work-orders/new?registered=%3Cb%3Ex").await;
    assert!(!html.contains("已登记"));
}

#[tokio::test]
async fn the_citizen_sees_the_units_photo_of_what_it_did() {
    let app = TestApp::spawn().await;
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "小区消防通道被私家车堵塞，消防车进不来",
                "lat": 29.8125, "lon": 119.915, "reporter": {"name": "王建国", "phone": "13800138000"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (id, code, pin) = (
        o["id"].as_i64().unwrap(),
        o["tracking_code"].as_str().unwrap().to_string(),
        o["tracking_pin"].as_str().unwrap().to_string(),
    );
    let xf = app.token("handler.xfjy").await;
    for body in [
        json!({"action": "sign"}),
        json!({"action": "contact", "note": "已电话联系"}),
        json!({"action": "reply", "note": "车辆已挪走，通道已畅通", "photos": [PNG_1X1]}),
    ] {
        crate::work_orders::ok(&app, &xf, id, body).await;
    }
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = client
        .get(app.url("/track"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page);
    let html = client
        .post(app.url("/track"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code.as_str()),
            ("pin", pin.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"reply-photos\""), "{html}");
    assert!(html.contains("data:image/png;base64,"), "{html}");
}

#[tokio::test]
async fn a_reply_sent_back_shows_as_returned_until_the_unit_replies_again() {
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let o = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let id = o["id"].as_i64().unwrap();
    let xf = app.token("handler.xfjy").await;
    for body in [
        json!({"action": "sign"}),
        json!({"action": "contact", "note": "已电话联系"}),
        json!({"action": "reply", "note": "已处理"}),
    ] {
        crate::work_orders::ok(&app, &xf, id, body).await;
    }
    let operator = app.token("operator").await;
    crate::work_orders::ok(
        &app,
        &operator,
        id,
        json!({"action": "return_reply", "note": "未写明处理结果"}),
    )
    .await;
    let (_, w) = app.get("/api/v1/worklist", &xf).await;
    assert_eq!(count(&w, "returned"), 1, "{w}");
    assert_eq!(count(&w, "to_contact"), 0, "contacted already: {w}");
    crate::work_orders::ok(
        &app,
        &xf,
        id,
        json!({"action": "reply", "note": "车辆已挪走，通道畅通，已回访群众"}),
    )
    .await;
    let (_, w) = app.get("/api/v1/worklist", &xf).await;
    assert_eq!(count(&w, "returned"), 0, "{w}");
}

#[tokio::test]
async fn a_supervision_notice_is_printed_and_goes_up_to_the_leaders_when_missed() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let gw = app.token("gw001").await;
    let late = crate::work_orders::report(&app, Some(&gw), "13800138000", "normal").await;
    let kept = crate::work_orders::report(&app, Some(&gw), "13800138001", "normal").await;
    let (late_id, kept_id) = (late["id"].as_i64().unwrap(), kept["id"].as_i64().unwrap());
    let code = late["tracking_code"].as_str().unwrap().to_string();
    let xf = app.token("handler.xfjy").await;
    for id in [late_id, kept_id] {
        crate::work_orders::ok(&app, &xf, id, json!({"action": "sign"})).await;
    }
    app.advance_clock(20 * 24 * 60).await;
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    let supervisor = app.token("supervisor").await;
    // Bad days and the wrong role are refused, and nothing is written.
    for days in [json!(0), json!(16), json!(null)] {
        let (s, e) = app
            .call(
                Method::POST,
                &format!("/api/v1/work-orders/{late_id}/actions"),
                Some(&supervisor),
                Some(json!({"action": "supervise", "days": days})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["code"], "supervision.bad_days");
    }
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{late_id}/actions"),
            Some(&xf),
            Some(json!({"action": "supervise", "days": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // From the board: the form posts, and the browser lands on the printable notice.
    let web = app.browser_session("supervisor").await;
    let (_, board) = web.page("/supervision?days=7").await;
    assert!(board.contains(&code) && board.contains("督办单"), "{board}");
    let r = web
        .client
        .post(app.url(&format!("/work-orders/{late_id}/act")))
        .form(&[
            ("csrf", web.csrf.as_str()),
            ("action", "supervise"),
            ("days", "3"),
            ("note", "请于期限内办结并报送整改材料"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/supervision-notices/"), "{to}");
    let (status, printed) = web.page(&to).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "督办单",
        "督字〔",
        &code,
        "请于期限内办结并报送整改材料",
        "督办中",
        "打印",
    ] {
        assert!(printed.contains(want), "{want}: {printed}");
    }
    // The unit that receives it reads the same notice; a unit that does not, cannot.
    let unit = app.browser_session("handler.xfjy").await;
    assert_eq!(unit.page(&to).await.0, StatusCode::OK);
    let other = app.browser_session("handler.zjj").await;
    assert_eq!(other.page(&to).await.0, StatusCode::NOT_FOUND);
    // A second notice on the other order, answered in time.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/api/v1/work-orders/{kept_id}/actions"),
            Some(&supervisor),
            Some(json!({"action": "supervise", "days": 3})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["supervision_notices"][0]["status"], "open");
    crate::work_orders::ok(
        &app,
        &xf,
        kept_id,
        json!({"action": "reply", "note": "已清理完毕"}),
    )
    .await;
    let sent = |event: &'static str| {
        let app = &app;
        async move {
            jiceng::store::entities::outbox::Entity::find()
                .filter(jiceng::store::entities::outbox::Column::Event.eq(event))
                .all(&app.app.db.conn)
                .await
                .unwrap()
        }
    };
    // The unit and its head were told of each notice.
    assert_eq!(sent("work_order.supervision_notice").await.len(), 4);
    // Before the deadline nothing is missed; after it, once only.
    assert_eq!(
        jiceng::work_orders::supervision::sweep(&app.app)
            .await
            .unwrap(),
        0
    );
    app.advance_clock(7 * 24 * 60).await;
    assert_eq!(
        jiceng::work_orders::supervision::sweep(&app.app)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        jiceng::work_orders::supervision::sweep(&app.app)
            .await
            .unwrap(),
        0
    );
    let (_, missed) = app
        .get(&format!("/api/v1/work-orders/{late_id}"), &supervisor)
        .await;
    assert_eq!(missed["supervision_notices"][0]["status"], "missed");
    assert_eq!(missed["escalation"]["level"], "supervised");
    assert!(
        missed["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "supervision_missed" && e["label"] == "督办单逾期"),
        "{missed}"
    );
    let (_, met) = app
        .get(&format!("/api/v1/work-orders/{kept_id}"), &supervisor)
        .await;
    assert_eq!(met["supervision_notices"][0]["status"], "met");
    let up: Vec<String> = sent("work_order.supervision_missed")
        .await
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    assert!(up.contains(&"role:leader".to_string()), "{up:?}");
    assert_eq!(up.len(), 2, "{up:?}");
    // The week's bulletin names the unit; a handler has no bulletin. (The sessions of a
    // week ago have timed out: sign in again.)
    let web = app.browser_session("supervisor").await;
    let unit = app.browser_session("handler.xfjy").await;
    let (status, b) = web.page("/supervision/bulletin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        b.contains("办理情况通报") && b.contains("逾期未办1件"),
        "{b}"
    );
    assert_eq!(
        unit.page("/supervision/bulletin").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_operator_places_a_call_by_the_village_named_in_the_address() {
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let (_, v) = app.get("/api/v1/regions/339901001002", &operator).await;
    let village = v["name"].as_str().unwrap().to_string();
    let (_, t) = app.get("/api/v1/regions/339901001000", &operator).await;
    let township = t["name"].as_str().unwrap().to_string();
    // The preview: the place found in the address, and the dispatch there, with no
    // coordinates and no choice.
    let address = format!("{village}村委会东侧50米");
    let (s, p) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&operator),
            Some(json!({"text": "路灯不亮，晚上一片漆黑", "address": address})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["place"]["village"]["code"], "339901001002", "{p}");
    assert_eq!(p["place"]["township"]["name"], township.as_str());
    assert_eq!(p["place"]["by_text"], village.as_str());
    assert!(
        p["dispatch"]["Dispatch"]["lead"]["name"].is_string() || p["dispatch"]["Manual"].is_array(),
        "{p}"
    );
    // Nothing named: no place, no guess.
    let (_, none) = app
        .call(
            Method::POST,
            "/api/v1/work-orders/suggest",
            Some(&operator),
            Some(json!({"text": "路灯不亮，晚上一片漆黑", "address": "大桥下面"})),
        )
        .await;
    assert!(none["place"]["village"].is_null(), "{none}");
    // Registered so, the order is in that village.
    let (s, o) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&operator),
            Some(
                json!({"description": "路灯不亮，晚上一片漆黑", "address": address,
                "reporter": {"name": "吴十", "phone": "13500135001"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["location"]["village"]["code"], "339901001002", "{o}");
    assert_eq!(o["location"]["township"]["code"], "339901001000");
    // The form says what it found as the address is typed.
    let web = app.browser_session("operator").await;
    let (_, form) = web.page("/work-orders/new").await;
    assert!(form.contains("id=\"place-found\""), "{form}");
}

#[tokio::test]
async fn the_operator_answers_a_consultation_on_the_call_and_closes_it() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let web = app.browser_session("operator").await;
    let (_, form) = web.page("/work-orders/new").await;
    assert!(form.contains("直接答复办结"), "{form}");
    // Ticked with no answer: a field error, nothing registered.
    let before = jiceng::store::entities::work_order::Entity::find()
        .all(&app.app.db.conn)
        .await
        .unwrap()
        .len();
    let (status, html) = web
        .post_form(
            "/work-orders/new",
            &[
                ("csrf", web.csrf.as_str()),
                ("description", "咨询：社保卡丢了去哪里补办"),
                ("kind", "consult"),
                ("reporter_name", "吴十"),
                ("reporter_phone", "13500135001"),
                ("answer_directly", "1"),
                ("answer", "  "),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("直接答复办结须填写答复内容"), "{html}");
    assert_eq!(
        jiceng::store::entities::work_order::Entity::find()
            .all(&app.app.db.conn)
            .await
            .unwrap()
            .len(),
        before
    );
    let (status, _) = web
        .post_form(
            "/work-orders/new",
            &[
                ("csrf", web.csrf.as_str()),
                ("description", "咨询：社保卡丢了去哪里补办"),
                ("kind", "consult"),
                ("reporter_name", "吴十"),
                ("reporter_phone", "13500135001"),
                ("answer_directly", "1"),
                (
                    "answer",
                    "请携带身份证到县政务服务中心社保窗口补办，当场可取。",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let o = jiceng::store::entities::work_order::Entity::find()
        .filter(
            jiceng::store::entities::work_order::Column::Description
                .eq("咨询：社保卡丢了去哪里补办"),
        )
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let operator = app.token("operator").await;
    let (_, v) = app
        .get(&format!("/api/v1/work-orders/{}", o.id), &operator)
        .await;
    assert_eq!(v["status"], "closed", "{v}");
    assert!(v["dispatch"]["lead"].is_null(), "never dispatched: {v}");
    let answered = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "answer_directly")
        .cloned()
        .unwrap();
    assert_eq!(answered["label"], "直接答复办结");
    assert!(answered["note"].as_str().unwrap().contains("社保窗口补办"));
    let told = jiceng::store::entities::outbox::Entity::find()
        .filter(jiceng::store::entities::outbox::Column::Event.eq("work_order.answered"))
        .all(&app.app.db.conn)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert!(told[0].body.contains("社保窗口补办"), "{}", told[0].body);
    // A citizen, a handler or a window clerk cannot close a case on registering it.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            None,
            Some(json!({"description": "路灯不亮", "anonymous": true, "answer": "已修好"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let handler = app.token("handler.xfjy").await;
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/work-orders",
            Some(&handler),
            Some(json!({"description": "路灯不亮", "answer": "已修好",
                "reporter": {"name": "吴十", "phone": "13500135001"}})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_hotline_sees_a_callers_earlier_orders_by_the_number() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn().await;
    let operator = app.token("operator").await;
    let mut ids = Vec::new();
    for (phone, text) in [
        ("13900139000", "路灯不亮，晚上一片漆黑"),
        ("139-0013-9000", "小区门口垃圾没人清运"),
        ("13900139001", "噪音扰民，半夜还在施工"),
    ] {
        let (s, o) = app
            .call(
                Method::POST,
                "/api/v1/work-orders",
                Some(&operator),
                Some(json!({"description": text, "village_code": "339901001002",
                    "reporter": {"name": "钱七", "phone": phone}})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        ids.push(o["id"].as_i64().unwrap());
    }
    let history = |token: String, phone: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/work-orders/caller-history",
                Some(&token),
                Some(json!({"phone": phone})),
            )
            .await
        }
    };
    let (s, h) = history(operator.clone(), "13900139000").await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["total"], 2, "{h}");
    let found: Vec<i64> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(found, vec![ids[1], ids[0]], "the latest first");
    // The number is never written down in the clear: not in the order, not in the audit log.
    let audit = app.audit_since(0).await;
    let entry = audit
        .iter()
        .rev()
        .find(|e| e.action == "work_order.caller_history")
        .expect("audited");
    assert!(!entry.reason.contains("13900139000") && entry.reason.contains("139****9000"));
    // Bad numbers and the wrong roles are refused.
    let (s, _) = history(operator.clone(), "12ab").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = history(app.token("handler.xfjy").await, "13900139000").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, h) = history(app.token("dispatcher").await, "13900139000").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["total"], 2);
    // Orders from before the digest existed get theirs when the server starts.
    jiceng::store::entities::work_order::Entity::update_many()
        .col_expr(
            jiceng::store::entities::work_order::Column::ReporterPhoneDigest,
            sea_orm::sea_query::Expr::value(""),
        )
        .filter(jiceng::store::entities::work_order::Column::Id.is_in(ids.clone()))
        .exec(&app.app.db.conn)
        .await
        .unwrap();
    let (_, none) = history(operator.clone(), "13900139000").await;
    assert_eq!(none["total"], 0);
    assert_eq!(
        jiceng::work_orders::read::backfill_caller_digests(&app.app)
            .await
            .unwrap(),
        3
    );
    let (_, again) = history(operator.clone(), "13900139000").await;
    assert_eq!(again["total"], 2);
    // The operator's form has the place for it.
    let web = app.browser_session("operator").await;
    assert!(
        web.page("/work-orders/new")
            .await
            .1
            .contains("id=\"caller-history\"")
    );
}

#[tokio::test]
async fn a_bundle_asks_for_the_id_card_once() {
    let app = TestApp::spawn().await;
    let clerk = app.token("clerk").await;
    for bundle in ["birth", "death", "business"] {
        let (s, c) = app
            .get(
                &format!("/api/v1/applications/checklist?bundle={bundle}"),
                &clerk,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let items = c["items"].as_array().unwrap();
        let cards: Vec<&Value> = items
            .iter()
            .filter(|i| i["name"].as_str().unwrap().ends_with("居民身份证"))
            .collect();
        assert_eq!(cards.len(), 1, "{bundle}: {c}");
        assert_eq!(cards[0]["name"], "居民身份证");
        assert!(
            cards[0]["needed_by"].as_array().unwrap().len() > 1,
            "{bundle}: {c}"
        );
        let label = cards[0]["label"].as_str().unwrap();
        assert!(label.starts_with("居民身份证"), "{label}");
    }
}

#[tokio::test]
async fn an_admin_assigns_a_grids_worker_and_imports_its_boundary() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let worker = jiceng::store::entities::user::Entity::find()
        .filter(jiceng::store::entities::user::Column::Username.eq("gw001"))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    // A grid of the worker's own village.
    let grid = jiceng::store::entities::grid::Entity::find()
        .filter(jiceng::store::entities::grid::Column::WorkerUserId.eq(worker.id))
        .one(&app.app.db.conn)
        .await
        .unwrap()
        .unwrap();
    let code = grid.code.as_str();
    let (_, g) = app.get(&format!("/api/v1/grids/{code}"), &admin).await;
    let ring: Vec<(f64, f64)> = g["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    let n = (ring.len() - 1) as f64;
    let (cx, cy) = ring[..ring.len() - 1]
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    // The same grid drawn a little smaller, as a GIS tool exports one feature.
    let smaller: Vec<Value> = ring
        .iter()
        .map(|(x, y)| json!([cx + (x - cx) * 0.9, cy + (y - cy) * 0.9]))
        .collect();
    let feature = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"},
         "geometry": {"type": "Polygon", "coordinates": [smaller]}}]})
    .to_string();
    let web = app.browser_session("admin").await;
    let (s, page) = web.page(&format!("/grids/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("id=\"grid-form\"") && page.contains("grid-outline"),
        "{page}"
    );
    assert!(
        page.contains(&format!("value=\"{}\"", worker.id)),
        "gw001 offered"
    );
    // Bad files are refused with a reason and change nothing.
    for (bad, why) in [
        ("{not json", "JSON 格式错误"),
        (
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null},{"type":"Feature","geometry":null}]}"#,
            "2个要素",
        ),
        (
            r#"{"type":"Polygon","coordinates":[[[120.5,30.5],[120.6,30.5],[120.6,30.6],[120.5,30.5]]]}"#,
            "超出",
        ),
    ] {
        let (s, html) = web
            .post_form(
                &format!("/grids/{code}"),
                &[
                    ("csrf", web.csrf.as_str()),
                    ("worker_user_id", ""),
                    ("geojson", bad),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {html}");
        assert!(html.contains(why), "{why}: {html}");
    }
    let (s, _) = web
        .post_form(
            &format!("/grids/{code}"),
            &[
                ("csrf", web.csrf.as_str()),
                ("worker_user_id", &worker.id.to_string()),
                ("geojson", &feature),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, after) = app.get(&format!("/api/v1/grids/{code}"), &admin).await;
    assert_eq!(after["properties"]["worker_user_id"], worker.id);
    let x0 = after["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
    assert!(
        (x0 - smaller[0][0].as_f64().unwrap()).abs() < 1e-9,
        "{after}"
    );
    let (_, saved) = web.page(&format!("/grids/{code}")).await;
    assert!(saved.contains("已保存网格"), "{saved}");
    // Others read the grid without the form, and may not post it.
    let handler = app.browser_session("handler.xfjy").await;
    let (_, page) = handler.page(&format!("/grids/{code}")).await;
    assert!(!page.contains("id=\"grid-form\""));
}
