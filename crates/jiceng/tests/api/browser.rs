//! A browser walks the main pages in headless Chromium. Needs Debian's `chromium` and
//! `chromium-driver`; CI runs it with `cargo test -- --ignored browser`.

use crate::helpers::*;
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) async fn wait_for_path(c: &fantoccini::Client, want: impl Fn(&str) -> bool) {
    for _ in 0..100 {
        if want(c.current_url().await.unwrap().path()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page did not change: {}", c.current_url().await.unwrap());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A headless Chromium driven through chromedriver on a free port.
pub(crate) async fn browser() -> (fantoccini::Client, Driver) {
    let port = free_port();
    let driver = Driver(
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver on PATH (apt-get install chromium-driver)"),
    );
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=390,844"]
        }
    }))
    .unwrap();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("connect to chromedriver");
    (c, driver)
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_admin_logs_in_opens_the_map_turns_on_large_font_checks_a_proof_and_logs_out() {
    let app = TestApp::spawn().await;
    let (c, driver) = browser().await;

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The home page, once the sign-in's redirect has landed (not the login page's own h1).
    let mut greeted = false;
    for _ in 0..50 {
        if c.source().await.unwrap().contains("您好") {
            greeted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(greeted, "the home page greets the admin");

    c.goto(&app.url("/map")).await.unwrap();
    let map = c.wait().for_element(Locator::Id("grid-map")).await.unwrap();
    assert_eq!(
        map.find_all(Locator::Css("polygon")).await.unwrap().len(),
        120
    );

    c.find(Locator::Id("large-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let large = c
        .execute(
            "return document.documentElement.classList.contains('large')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(large, serde_json::Value::Bool(true));
    // Remembered across pages.
    c.goto(&app.url("/")).await.unwrap();
    let large = c
        .execute(
            "return document.documentElement.classList.contains('large')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(large, serde_json::Value::Bool(true));

    // Clicking a grid opens its page.
    c.goto(&app.url("/map")).await.unwrap();
    c.find(Locator::Css("a.grid-shape"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, |p| p.starts_with("/grids/")).await;

    // The browser checks an audit entry's inclusion proof itself.
    jiceng::audit::transparency::checkpoint_now(&app.app)
        .await
        .unwrap();
    c.goto(&app.url("/audit/entries/3")).await.unwrap();
    let mut verdict = String::new();
    for _ in 0..50 {
        verdict = c
            .find(Locator::Id("proof-check"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if verdict.starts_with("通过") || verdict.starts_with("失败") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(verdict.starts_with("通过"), "{verdict}");

    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, |p| p == "/login").await;
    c.close().await.unwrap();
    drop(driver);
}

async fn login(c: &fantoccini::Client, app: &TestApp, user: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, |p| p == "/").await;
}

async fn logout(c: &fantoccini::Client) {
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, |p| p == "/login").await;
}

/// Waits until the element's text contains `want` (the page may still be reloading).
pub(crate) async fn wait_text(c: &fantoccini::Client, id: &str, want: &str) {
    let mut last = String::new();
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Id(id)).await
            && let Ok(t) = e.text().await
        {
            if t.contains(want) {
                return;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never showed “{want}”: {last}");
}

pub(crate) async fn fill(c: &fantoccini::Client, name: &str, value: &str) {
    c.find(Locator::Css(&format!("[name='{name}']")))
        .await
        .unwrap()
        .send_keys(value)
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_operator_registers_handler_replies_citizen_tracks_and_rates() {
    let app = TestApp::spawn().await;
    let (c, driver) = browser().await;

    // The 12345 operator registers a call.
    login(&c, &app, "operator").await;
    c.goto(&app.url("/work-orders/new")).await.unwrap();
    fill(&c, "description", "小区消防通道被私家车堵塞，消防车进不来").await;
    // Live suggestions appear while typing.
    let mut suggested = false;
    for _ in 0..30 {
        if !c
            .find_all(Locator::Css("#suggestions button"))
            .await
            .unwrap()
            .is_empty()
        {
            suggested = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(suggested, "suggestions shown");
    // The caller names the community and the address; no coordinates.
    c.find(Locator::Id("village_code"))
        .await
        .unwrap()
        .select_by_value("339901001001")
        .await
        .unwrap();
    fill(&c, "address", "文昌社区幸福小区3号楼东侧").await;
    // The dispatch preview shows as soon as the place is known.
    wait_text(&c, "plan", "将派至").await;
    fill(&c, "reporter_name", "王建国").await;
    fill(&c, "reporter_phone", "13800138000").await;
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
    let code = c
        .find(Locator::Css("#order-facts dd.mono"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = c.current_url().await.unwrap().path().to_string();
    logout(&c).await;

    // The lead unit signs and replies.
    login(&c, &app, "handler.xfjy").await;
    c.goto(&app.url(&path)).await.unwrap();
    c.find(Locator::Id("act-sign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "order-status", "办理中").await;
    let reply_form = c.find(Locator::Id("act-reply")).await.unwrap();
    let form = reply_form.find(Locator::XPath("..")).await.unwrap();
    form.find(Locator::Css("textarea[name='note']"))
        .await
        .unwrap()
        .send_keys("已联系车主挪车，并在通道口加装隔离桩")
        .await
        .unwrap();
    reply_form.click().await.unwrap();
    wait_text(&c, "order-status", "已回复").await;
    logout(&c).await;

    // The operator checks the reply.
    login(&c, &app, "operator").await;
    c.goto(&app.url(&path)).await.unwrap();
    c.find(Locator::Id("act-approve_reply"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&c, "order-status", "待回访").await;
    logout(&c).await;

    // The citizen tracks it and rates it.
    c.goto(&app.url("/track")).await.unwrap();
    c.find(Locator::Id("track-code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    let pin = app.pin_of(&code).await;
    c.find(Locator::Id("track-pin"))
        .await
        .unwrap()
        .send_keys(&pin)
        .await
        .unwrap();
    c.find(Locator::Id("track-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let submit = c
        .wait()
        .for_element(Locator::Id("rate-submit"))
        .await
        .unwrap();
    // Nothing is answered for the citizen.
    let chosen = c
        .execute(
            "return document.querySelectorAll('#rate-form input:checked').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chosen, serde_json::json!(0));
    for choice in [
        "input[name=resolution][value=resolved]",
        "input[name=satisfaction][value=satisfied]",
    ] {
        c.find(Locator::Css(choice))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    submit.click().await.unwrap();
    c.wait()
        .for_element(Locator::Id("track-message"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Id("track-message"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("感谢")
    );
    assert_eq!(
        c.find(Locator::Id("track-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "已办结"
    );
    c.close().await.unwrap();
    drop(driver);
}

/// Waits until an element's text satisfies `want`.
pub(crate) async fn wait_until_text(
    c: &fantoccini::Client,
    id: &str,
    want: impl Fn(&str) -> bool,
) -> String {
    let mut text = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Id(id)).await {
            text = e.text().await.unwrap_or_default();
            if want(&text) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never matched: {text:?}");
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_clerk_calls_a_ticket_receives_a_bundle_prints_the_receipt_and_the_citizen_tracks_and_rates()
 {
    let app = TestApp::spawn().await;
    let (c, driver) = browser().await;

    // The citizen takes a ticket at the kiosk with one tap.
    c.goto(&app.url("/ticket")).await.unwrap();
    c.find(Locator::Css("button[data-group=general]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "ticket-slip", |t| t.contains("C001")).await;

    // The clerk calls it at window 4.
    login(&c, &app, "clerk").await;
    c.goto(&app.url("/window")).await.unwrap();
    c.find(Locator::Id("q-window"))
        .await
        .unwrap()
        .select_by_value("4号窗口")
        .await
        .unwrap();
    c.find(Locator::Id("q-call"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "q-current", |t| {
        t.contains("C001") && t.contains("4号窗口")
    })
    .await;

    // The 出生一件事: the checklist loads; the clerk ticks the required materials.
    c.find(Locator::Id("a-subject"))
        .await
        .unwrap()
        .select_by_value("bundle:birth")
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#a-materials input.material"))
        .await
        .unwrap();
    let ticked = c
        .execute(
            "var n = 0; document.querySelectorAll('#a-materials label').forEach(function (l) { \
               if (l.textContent.indexOf('必交') >= 0) { l.querySelector('input').checked = true; n++; } }); return n;",
            vec![],
        )
        .await
        .unwrap();
    assert!(ticked.as_u64().unwrap() >= 1, "{ticked}");
    let id = crate::service::id_number("19920304", 17);
    for (field, value) in [
        ("a-name", "林小红"),
        ("a-id", id.as_str()),
        ("a-phone", "13705716688"),
    ] {
        c.find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Id("a-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, |p| p.starts_with("/window/applications/")).await;
    let status = wait_until_text(&c, "app-status", |t| !t.is_empty()).await;
    assert!(status.contains("办理中"), "{status}");
    let title = c.title().await.unwrap();
    let code = title
        .split_whitespace()
        .find(|w| w.starts_with('S'))
        .expect("code in the title")
        .to_string();

    // The receipt prints with the promised date.
    c.find(Locator::Id("print-receipt"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&c, |p| p.ends_with("/receipt")).await;
    assert_eq!(
        c.find(Locator::Id("print-heading"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "受理回执"
    );
    let promised = wait_until_text(&c, "receipt-promised", |t| !t.is_empty()).await;
    assert!(promised.contains("工作日"), "{promised}");
    // Back at the window, the seat and the ticket it serves are still there; the clerk
    // finishes the same ticket.
    c.goto(&app.url("/window")).await.unwrap();
    wait_until_text(&c, "q-current", |t| {
        t.contains("C001") && t.contains("4号窗口")
    })
    .await;
    c.find(Locator::Id("q-done"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "q-current", |t| {
        t.contains("C001") && t.contains("已办结")
    })
    .await;
    logout(&c).await;

    // The citizen tracks it and rates the service.
    c.goto(&app.url(&format!("/service/track?code={code}")))
        .await
        .unwrap();
    let pin = app.pin_of(&code).await;
    c.find(Locator::Id("st-pin"))
        .await
        .unwrap()
        .send_keys(&pin)
        .await
        .unwrap();
    c.find(Locator::Id("st-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = wait_until_text(&c, "st-status", |t| !t.is_empty()).await;
    assert!(status.contains("办理中"), "{status}");
    c.find(Locator::Id("r-level"))
        .await
        .unwrap()
        .select_by_value("satisfied")
        .await
        .unwrap();
    c.find(Locator::Id("r-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until_text(&c, "r-message", |t| t.contains("感谢")).await;
    c.close().await.unwrap();
    drop(driver);
}

/// Signs in through the login form of a fresh browser state.
pub(crate) async fn sign_in(c: &fantoccini::Client, app: &TestApp, user: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, |p| p != "/login").await;
}

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_each_roles_home_fits_a_desk_and_a_phone_with_hundreds_of_open_orders() {
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    // A realistic load: hundreds of open calls on top of the demo's own.
    let operator = app.token("operator").await;
    let texts = [
        "小区消防通道被车辆堵塞，消防车无法通行",
        "路边的垃圾桶满了好几天没人清运，气味很大",
        "楼下餐馆的油烟直接排到居民楼，窗户都不敢开",
        "人行道上的井盖松动，晚上走路很危险",
        "公园里的路灯坏了一排，晚上黑漆漆的",
    ];
    futures_util::stream::iter(0..400)
        .map(|i| {
            let (app, operator) = (&app, operator.clone());
            let text = texts[i % texts.len()];
            async move {
                let (s, o) = app
                    .call(
                        reqwest::Method::POST,
                        "/api/v1/work-orders",
                        Some(&operator),
                        Some(serde_json::json!({"description": format!("{text}（来电{i}）"),
                            "lat": 29.8125 + (i % 7) as f64 * 0.004, "lon": 119.915,
                            "channel": "hotline", "reporter": {"name": "王建国", "phone": "13800138000"}})),
                    )
                    .await;
                assert_eq!(s, reqwest::StatusCode::CREATED, "{o}");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    // Some days on, part of them is late: the lights and the supervision office have work.
    app.advance_clock(6 * 24 * 60).await;
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    jiceng::work_orders::escalation::sweep(&app.app)
        .await
        .unwrap();
    let out = std::env::var("JICENG_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("jiceng-screenshots"));
    std::fs::create_dir_all(&out).unwrap();
    let (c, _driver) = browser().await;
    for user in [
        "handler.xfjy",
        "dispatcher",
        "operator",
        "supervisor",
        "leader",
        "clerk",
        "admin",
        "gw001",
    ] {
        sign_in(&c, &app, user).await;
        for (width, large) in [(1280u32, false), (390, false), (390, true)] {
            c.set_window_size(width, 900).await.unwrap();
            c.goto(&app.url("/")).await.unwrap();
            c.execute(
                "localStorage.setItem('jiceng-large', arguments[0] ? '1' : '0'); \
                 document.documentElement.classList.toggle('large', arguments[0]);",
                vec![serde_json::json!(large)],
            )
            .await
            .unwrap();
            c.wait().for_element(Locator::Css("h1")).await.unwrap();
            // Nothing wider than the screen: tables turn into cards on a phone.
            let overflow = c
                .execute(
                    "return document.documentElement.scrollWidth - window.innerWidth",
                    vec![],
                )
                .await
                .unwrap()
                .as_i64()
                .unwrap();
            assert!(
                overflow <= 1,
                "{user} at {width} px overflows by {overflow} px"
            );
            let png = c.screenshot().await.unwrap();
            assert!(png.len() > 1000);
            let name = format!(
                "{}-home-{width}{}.png",
                user.replace('.', "-"),
                if large { "-large" } else { "" }
            );
            std::fs::write(out.join(name), png).unwrap();
            // The first order of the worklist, where the day's work is done.
            if let Ok(link) = c.find(Locator::Css("#worklist a")).await {
                link.click().await.unwrap();
                c.wait()
                    .for_element(Locator::Id("order-facts"))
                    .await
                    .unwrap();
                let overflow = c
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_i64()
                    .unwrap();
                assert!(
                    overflow <= 1,
                    "{user}'s order at {width} px overflows by {overflow} px"
                );
                let png = c.screenshot().await.unwrap();
                let name = format!(
                    "{}-order-{width}{}.png",
                    user.replace('.', "-"),
                    if large { "-large" } else { "" }
                );
                std::fs::write(out.join(name), png).unwrap();
            }
        }
    }
}
