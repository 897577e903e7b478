//! A browser walks the main pages in headless Chromium. Needs Debian's `chromium` and
//! `chromium-driver`; CI runs it with `cargo test -- --ignored browser`.

use crate::helpers::*;
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_path(c: &fantoccini::Client, want: impl Fn(&str) -> bool) {
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

#[tokio::test]
#[ignore = "needs chromium and chromium-driver; run with --ignored"]
async fn browser_admin_logs_in_opens_the_map_turns_on_large_font_checks_a_proof_and_logs_out() {
    let app = TestApp::spawn().await;
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
    c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert!(c.source().await.unwrap().contains("您好"));

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
    jiceng::service::transparency::checkpoint_now(&app.app)
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
