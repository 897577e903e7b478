use jiceng::config::Config;
use jiceng::kernel::app::App;
use jiceng::server::Server;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "demo-password-1";

/// A running server on a fresh database seeded with the demo county.
pub struct TestApp {
    pub base: String,
    pub app: App,
    /// The database URL, for tools run beside the server.
    pub db_url: String,
    /// The server's data directory (audit signing key).
    pub data_dir: std::path::PathBuf,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

fn random_suffix() -> String {
    jiceng::auth::random_token(6)
        .to_lowercase()
        .replace(['-', '_'], "x")
}

pub struct Options {
    pub fake_clock: bool,
    pub seed_demo: bool,
    pub body_limit: Option<usize>,
    /// Witness verifier keys (cosignature/v1).
    pub witnesses: Vec<String>,
    /// Escalation scheduler and notification sender running in the server; off, tests run
    /// the sweep and the sender themselves, step by step.
    pub background_jobs: bool,
    /// Notification webhook (URL, secret).
    pub webhook: Option<(String, String)>,
    /// Notification SMTP server URL.
    pub smtp: Option<String>,
    /// Addresses of the hall's kiosks (not held to the citizens' allowance).
    pub kiosk_addresses: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fake_clock: true,
            seed_demo: true,
            body_limit: None,
            witnesses: Vec::new(),
            background_jobs: false,
            webhook: None,
            smtp: None,
            kiosk_addresses: Vec::new(),
        }
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(opts: Options) -> TestApp {
        // Quiet by default; RUST_LOG=jiceng=debug shows the server's log.
        if let Ok(filter) = std::env::var("RUST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, pg) = match std::env::var("JICENG_TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => {
                let name = format!("jiceng_test_{}", random_suffix());
                let admin = jiceng::store::Db::connect(&base)
                    .await
                    .expect("connect to the PostgreSQL test server");
                use sea_orm::ConnectionTrait;
                admin
                    .conn
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.conn.close_by_ref().await.ok();
                let mut u = url::Url::parse(&base).expect("test database URL");
                u.set_path(&format!("/{name}"));
                (u.to_string(), Some((base, name)))
            }
            _ => (
                format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                None,
            ),
        };
        let data_dir = dir.path().join("data");
        let mut config = Config {
            database_url: url.clone(),
            listen: "127.0.0.1:0".into(),
            fake_clock: opts.fake_clock,
            data_dir: data_dir.clone(),
            witnesses: opts.witnesses,
            background_jobs: opts.background_jobs,
            notify_webhook_url: opts.webhook.as_ref().map(|w| w.0.clone()),
            notify_webhook_secret: opts.webhook.as_ref().map(|w| w.1.clone()),
            smtp_url: opts.smtp.clone(),
            kiosk_addresses: opts.kiosk_addresses.clone(),
            ..Config::default()
        };
        if let Some(l) = opts.body_limit {
            config.body_limit_bytes = l;
        }
        let app = jiceng::server::open(config).await.expect("open app");
        if opts.seed_demo {
            jiceng::demo::seed::seed(&app, PASSWORD, &|_, _, _| {})
                .await
                .expect("seed demo county");
        }
        let server = Server::bind(app.clone(), "127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base,
            app,
            db_url: url,
            data_dir,
            client,
            _dir: dir,
            pg,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A bearer token for a demo account.
    pub async fn token(&self, username: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "token for {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// Signs in through the login form and returns a browser-like session.
    pub async fn browser_session(&self, username: &str) -> Session {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_csrf(&page);
        let resp = client
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "login as {username}");
        let home = client
            .get(self.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_csrf(&home);
        Session {
            client,
            csrf,
            base: self.base.clone(),
        }
    }

    pub async fn advance_clock(&self, minutes: i64) {
        let fake = self.app.fake_clock.as_ref().expect("fake clock");
        fake.advance(chrono::Duration::minutes(minutes));
    }

    /// Highest audit sequence number so far.
    pub async fn audit_head(&self) -> i64 {
        use sea_orm::{EntityTrait, QueryOrder};
        jiceng::store::entities::audit_entry::Entity::find()
            .order_by_desc(jiceng::store::entities::audit_entry::Column::Seq)
            .one(&self.app.db.conn)
            .await
            .unwrap()
            .map(|e| e.seq)
            .unwrap_or(0)
    }

    /// The 查询密码 a case's citizen was sent by SMS: read as the phone gateway would, from
    /// the outbox's sealed text (staff never see it).
    pub async fn pin_of(&self, code: &str) -> String {
        use jiceng::store::entities::outbox::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let code = code.to_uppercase();
        let rows = Entity::find()
            .filter(Column::Event.is_in(["work_order.received", "application.pin"]))
            .filter(Column::BodyEnc.ne(""))
            .all(&self.app.db.conn)
            .await
            .unwrap();
        for r in rows {
            let text = self.app.data_key.open(&r.body_enc).unwrap_or_default();
            if !text.contains(&code) {
                continue;
            }
            let after = text.split("查询密码").nth(1).unwrap_or("");
            let pin: String = after
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit())
                .collect();
            assert!(
                !r.body.contains(&pin),
                "the readable body shows the pin: {}",
                r.body
            );
            return pin;
        }
        panic!("no pin was sent for {code}");
    }

    /// Audit entries after `seq`, oldest first.
    pub async fn audit_since(&self, seq: i64) -> Vec<jiceng::store::entities::audit_entry::Model> {
        use jiceng::store::entities::audit_entry::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        Entity::find()
            .filter(Column::Seq.gt(seq))
            .order_by_asc(Column::Seq)
            .all(&self.app.db.conn)
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((base, name)) = self.pg.take() {
            // Drop the test database from a thread of its own: Drop cannot await.
            let handle = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(db) = jiceng::store::Db::connect(&base).await {
                        use sea_orm::ConnectionTrait;
                        let _ = db
                            .conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

pub fn hidden_csrf(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("page has a CSRF field") + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// A signed-in browser: cookie jar plus the session's CSRF token.
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    base: String,
}

impl Session {
    /// A JSON API call on the session; unsafe methods carry the CSRF header.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let unsafe_method = method != Method::GET;
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if unsafe_method {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let resp = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let resp = self
            .client
            .post(format!("{}{}", self.base, path))
            .form(form)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    }
}
