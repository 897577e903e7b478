//! `jiceng bench …`: throughput figures for the issues' targets. They report numbers; they
//! are not tests.

use crate::org::locate::GridShape;
use crate::org::locate::Snapshot;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

pub struct LocateFigures {
    pub grids: usize,
    pub lookups: u64,
    pub hits: u64,
    pub seconds: f64,
}

impl LocateFigures {
    pub fn per_second(&self) -> f64 {
        self.lookups as f64 / self.seconds
    }
}

/// `count` generated grids: a jittered lattice of about √count × √count cells.
pub fn generated_grids(count: usize) -> Vec<GridShape> {
    let side = (count as f64).sqrt().ceil() as usize;
    let cells = crate::demo::org::lattice(side, side, (110.0, 25.0), (0.002, 0.002), 7);
    cells
        .into_iter()
        .flatten()
        .take(count)
        .enumerate()
        .map(|(i, polygon)| GridShape {
            code: format!("G{i:06}"),
            name: format!("网格{i}"),
            village_code: "339901001001".into(),
            polygon,
        })
        .collect()
}

/// Looks up random points inside the grids' bounding box on one thread for `seconds`.
pub fn locate(grids: Vec<GridShape>, seconds: f64) -> LocateFigures {
    use geo::BoundingRect;
    let n = grids.len();
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for g in &grids {
        if let Some(r) = g.polygon.bounding_rect() {
            min_x = min_x.min(r.min().x);
            min_y = min_y.min(r.min().y);
            max_x = max_x.max(r.max().x);
            max_y = max_y.max(r.max().y);
        }
    }
    let snap = Snapshot::build(Vec::new(), grids);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let points: Vec<(f64, f64)> = (0..1 << 16)
        .map(|_| {
            (
                rng.random_range(min_x..max_x),
                rng.random_range(min_y..max_y),
            )
        })
        .collect();
    let start = Instant::now();
    let (mut lookups, mut hits) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < seconds {
        for &(x, y) in &points {
            hits += u64::from(std::hint::black_box(snap.grid_at(x, y)).is_some());
        }
        lookups += points.len() as u64;
    }
    LocateFigures {
        grids: n,
        lookups,
        hits,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Appends `entries` audit entries in transactions of `batch`, then measures proofs and,
/// when asked, the full verification.
pub async fn audit(
    config: crate::config::Config,
    entries: u64,
    batch: u64,
    verify: bool,
) -> anyhow::Result<Vec<String>> {
    use crate::audit::transparency;
    use crate::kernel::audit::{Event, record_many};
    let app = crate::server::open(config).await?;
    let mut out = Vec::new();
    let already = transparency::log_size(&app.db.conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let start = Instant::now();
    let mut done = 0u64;
    while done < entries {
        let n = batch.min(entries - done);
        let txn = app.db.begin_write().await?;
        let events: Vec<Event> = (0..n)
            .map(|i| {
                Event::new("bench.append", "bench", (already + done + i).to_string())
                    .reason("基准测试")
            })
            .collect();
        record_many(&txn, app.now(), "system:bench", events).await?;
        txn.commit().await?;
        done += n;
    }
    let secs = start.elapsed().as_secs_f64();
    if entries > 0 {
        out.push(format!(
            "append: {entries} entries in batches of {batch} in {secs:.2} s = {:.0} entries/s ({} backend)",
            entries as f64 / secs,
            app.db.backend.name()
        ));
    }
    let size = already + entries;
    if size == 0 {
        return Ok(out);
    }
    transparency::checkpoint_now(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut incl = Vec::new();
    let mut cons = Vec::new();
    // 2000 proofs: the first 1000 warm the caches (a running server is warm).
    for _ in 0..2000 {
        let i = rng.random_range(0..size);
        let t = Instant::now();
        transparency::inclusion(&app, i, Some(size))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        incl.push(t.elapsed().as_secs_f64() * 1000.0);
        let first = rng.random_range(1..=size);
        let t = Instant::now();
        transparency::consistency(&app, first, size)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        cons.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p) as usize]
    };
    for (name, v) in [("inclusion", &mut incl), ("consistency", &mut cons)] {
        let mut cold = v[..1000].to_vec();
        let mut warm = v[1000..].to_vec();
        out.push(format!(
            "{name} proof at {size} entries: first 1000 (cold) p50 {:.3} ms p99 {:.3} ms; next 1000 (warm) p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            pct(&mut cold, 0.5),
            pct(&mut cold, 0.99),
            pct(&mut warm, 0.5),
            pct(&mut warm, 0.99),
            pct(&mut warm, 1.0)
        ));
    }
    // The leaf-hash index follows the log in the background; measure how fast it catches up.
    let t = Instant::now();
    let mut indexed = 0u64;
    loop {
        let n = crate::kernel::tree::index_leaf_hashes(&app.db, 50_000).await?;
        if n == 0 {
            break;
        }
        indexed += n;
    }
    let secs = t.elapsed().as_secs_f64();
    out.push(format!("leaf-hash index: {indexed} leaves caught up in {secs:.2} s = {:.0} leaves/s (background, behind the log)", indexed as f64 / secs));
    let mut by_hash = Vec::new();
    for _ in 0..200 {
        let i = rng.random_range(0..size);
        let leaf = crate::kernel::tree::leaves(&app.db.conn, i, i + 1).await?[0].1;
        let h = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, leaf);
        let t = Instant::now();
        transparency::inclusion_by_hash(&app, &h, Some(size))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        by_hash.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    out.push(format!(
        "inclusion proof by leaf hash: p50 {:.3} ms, p99 {:.3} ms (200 random leaves)",
        pct(&mut by_hash, 0.5),
        pct(&mut by_hash, 0.99)
    ));
    if verify {
        let key = transparency::signer(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .verifier();
        let t = Instant::now();
        let report = transparency::verify(&app.db, &key, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push(format!(
            "verify: {} in {:.2} s",
            report.summary(),
            t.elapsed().as_secs_f64()
        ));
    }
    Ok(out)
}

/// The demo accounts' password in benchmark databases.
const BENCH_PASSWORD: &str = "bench-password-1";

/// The app on the benchmark's database, with the demo county seeded when it is empty.
async fn demo_app(config: crate::config::Config) -> anyhow::Result<crate::kernel::app::App> {
    let app = crate::server::open(config).await?;
    if !crate::demo::seed::is_seeded(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        crate::demo::seed::seed(&app, BENCH_PASSWORD, &|_, _, _| {})
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(app)
}

/// Work-order intake end to end (validate, classify, locate, dispatch, store, audit, outbox),
/// durable, with `concurrency` requests in flight: in-process through the use case, or with
/// `http` through the JSON API of a server on a loopback port with a bearer token.
pub async fn ingest(
    config: crate::config::Config,
    orders: u64,
    concurrency: usize,
    http: bool,
) -> anyhow::Result<Vec<String>> {
    use crate::work_orders::{NewOrder, Reporter, create};
    let app = demo_app(config).await?;
    const TEXTS: [&str; 6] = [
        "小区消防通道被车辆堵塞",
        "路灯不亮已经一周了",
        "工地夜间施工噪音扰民",
        "单位拖欠工资三个月",
        "垃圾堆积无人清运",
        "学校周边道路破损",
    ];
    let points: std::sync::Arc<Vec<(f64, f64)>> = std::sync::Arc::new(
        crate::demo::seed::grid_shapes()
            .iter()
            .filter_map(|g| geo::Centroid::centroid(&g.polygon).map(|p| (p.y(), p.x())))
            .collect(),
    );
    let order = move |i: u64| {
        let (lat, lon) = points[i as usize % points.len()];
        NewOrder {
            description: TEXTS[i as usize % TEXTS.len()].to_string(),
            lat: Some(lat),
            lon: Some(lon),
            reporter: Some(Reporter {
                name: "测试".into(),
                phone: format!("139{:08}", i % 100_000_000),
            }),
            ..Default::default()
        }
    };
    let (label, figures) = if http {
        let token = crate::auth::issue_token(&app, "operator", BENCH_PASSWORD)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .token;
        let server = crate::server::Server::bind(app.clone(), "127.0.0.1:0").await?;
        let url = format!("http://{}/api/v1/work-orders", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()?;
        let figures = load(orders, concurrency, move |i| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            let body = order(i);
            async move {
                let body = serde_json::json!({
                    "description": body.description,
                    "lat": body.lat,
                    "lon": body.lon,
                    "reporter": {"name": "测试", "phone": body.reporter.map(|r| r.phone)},
                });
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await?;
                let status = r.status();
                // Read to the end, so that the connection goes back to the pool.
                let body = r.bytes().await?;
                anyhow::ensure!(
                    status == 201,
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                );
                Ok(())
            }
        })
        .await?;
        let _ = stop.send(());
        serving.await??;
        ("over HTTP (JSON API, bearer token, loopback)", figures)
    } else {
        let app2 = app.clone();
        let figures = load(orders, concurrency, move |i| {
            let app = app2.clone();
            let input = order(i);
            async move {
                create(&app, None, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?;
        ("in-process", figures)
    };
    Ok(vec![format!(
        "ingest: {orders} orders in {:.2} s with {concurrency} in flight = {:.0} orders/s {label} ({} backend, durable commits); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        figures.seconds,
        orders as f64 / figures.seconds,
        app.db.backend.name(),
        figures.quantile(0.5),
        figures.quantile(0.99),
        figures.quantile(1.0),
    )])
}

/// Window intake end to end (validate the applicant and the ID number, check the materials,
/// seal personal data, store, route the parts to their units, audit, notify), durable, with
/// `concurrency` clerks' requests in flight. Half the applications are for the 出生一件事
/// bundle (four parts), half for one matter; one in five lacks a material and gets a notice.
pub async fn window(
    config: crate::config::Config,
    applications: u64,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    use crate::hall::applications::{ApplicantInput, NewApplication, checklist_for, submit};
    let app = demo_app(config).await?;
    let clerk = crate::kernel::actor::Actor::System("bench");
    let county = crate::demo::org::COUNTY_CODE;
    let pension = format!("{county}-rsj-0002");
    let required = |items: Vec<jiceng_core::application::ChecklistItem>| -> Vec<String> {
        items
            .into_iter()
            .filter(|i| i.required)
            .map(|i| i.name)
            .collect()
    };
    let birth_docs = required(
        checklist_for(&app, None, Some("birth"))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .1,
    );
    let card_docs = required(
        checklist_for(&app, Some(&pension), None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .1,
    );
    let app2 = app.clone();
    let figures = load(applications, concurrency, move |i| {
        let app = app2.clone();
        let clerk = clerk.clone();
        let first17 = format!("330105{}{:03}", 19_500_101 + (i % 28) as u32, i % 1000);
        let id = format!(
            "{first17}{}",
            jiceng_core::id_card::check_char(first17.as_bytes())
        );
        let bundle = i % 2 == 0;
        let mut provided = if bundle {
            birth_docs.clone()
        } else {
            card_docs.clone()
        };
        if i % 5 == 0 {
            provided.pop();
        }
        let input = NewApplication {
            matter: (!bundle).then(|| pension.clone()),
            bundle: bundle.then(|| "birth".to_string()),
            applicant: ApplicantInput {
                name: "测试".into(),
                id_number: id,
                phone: format!("139{:08}", i % 100_000_000),
            },
            provided,
            window: format!("{}号窗口", i % 6 + 1),
            ..Default::default()
        };
        async move {
            submit(&app, Some(&clerk), input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(())
        }
    })
    .await?;
    Ok(vec![format!(
        "window: {applications} applications in {:.2} s with {concurrency} in flight = {:.0} applications/s in-process ({} backend, durable commits); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        figures.seconds,
        applications as f64 / figures.seconds,
        app.db.backend.name(),
        figures.quantile(0.5),
        figures.quantile(0.99),
        figures.quantile(1.0),
    )])
}

/// Logins end to end (throttle check, bounded argon2 verification, session row, audit entry),
/// `concurrency` at a time, spread over the demo's accounts.
pub async fn login(
    config: crate::config::Config,
    logins: u64,
    concurrency: usize,
) -> anyhow::Result<Vec<String>> {
    use sea_orm::EntityTrait;
    let app = demo_app(config).await?;
    let names: std::sync::Arc<Vec<String>> = std::sync::Arc::new(
        crate::store::entities::user::Entity::find()
            .all(&app.db.conn)
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect(),
    );
    let app2 = app.clone();
    let figures = load(logins, concurrency, move |i| {
        let app = app2.clone();
        let name = names[i as usize % names.len()].clone();
        async move {
            crate::auth::login_web(&app, &name, BENCH_PASSWORD)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            Ok(())
        }
    })
    .await?;
    Ok(vec![format!(
        "login: {logins} logins in {:.2} s with {concurrency} in flight = {:.0} logins/s in-process ({} backend, argon2 default, at most {} verifications at once); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        figures.seconds,
        logins as f64 / figures.seconds,
        app.db.backend.name(),
        crate::auth::PasswordGate::default().permits(),
        figures.quantile(0.5),
        figures.quantile(0.99),
        figures.quantile(1.0),
    )])
}

/// Latencies of a load run.
struct LoadFigures {
    seconds: f64,
    latencies_ms: Vec<f64>,
}

impl LoadFigures {
    fn quantile(&self, q: f64) -> f64 {
        let all = &self.latencies_ms;
        all.get(((all.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

/// Runs `total` requests, `concurrency` at a time, and times each.
async fn load<F, Fut>(total: u64, concurrency: usize, one: F) -> anyhow::Result<LoadFigures>
where
    F: Fn(u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let next = next.clone();
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                one(i).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Ok(LoadFigures {
        seconds,
        latencies_ms: all,
    })
}

/// The escalation sweep over `open` open orders of which `due` are due now: the time of one
/// tick. Orders are written straight to the table (this measures the sweep, not intake).
pub async fn sweep(
    config: crate::config::Config,
    open: u64,
    due: u64,
) -> anyhow::Result<Vec<String>> {
    use crate::store::entities::{department, work_order};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = demo_app(config).await?;
    let unit = department::Entity::find()
        .one(&app.db.conn)
        .await?
        .map(|d| d.id);
    let category = crate::reference::of(&app)
        .get()
        .categories
        .all()
        .first()
        .map(|c| c.code.clone())
        .unwrap_or_default();
    let now = app.now();
    let t = Instant::now();
    let mut written = 0u64;
    while written < open {
        let n = 400.min(open - written);
        let txn = app.db.begin_write().await?;
        work_order::Entity::insert_many((0..n).map(|k| {
            let i = written + k;
            // The last `due` orders fell due a minute ago; the rest are hours away.
            let next = if i >= open - due {
                now - chrono::Duration::minutes(1)
            } else {
                now + chrono::Duration::hours(1 + (i % 48) as i64)
            };
            work_order::ActiveModel {
                tracking_code: Set(format!("B{i:09}")),
                title: Set("基准测试工单".into()),
                description: Set("基准测试".into()),
                channel: Set(jiceng_core::work_order::Channel::System),
                priority: Set(jiceng_core::sla::Priority::Urgent),
                category_code: Set(category.clone()),
                category_confidence: Set(1.0),
                address: Set(String::new()),
                reporter_name: Set(String::new()),
                reporter_phone: Set(String::new()),
                reporter_phone_last4: Set(String::new()),
                anonymous: Set(true),
                status: Set(jiceng_core::work_order::State::PendingSign),
                flags: Set(
                    serde_json::to_string(&jiceng_core::work_order::Flags::default())
                        .expect("flags"),
                ),
                send_back_pending: Set(false),
                extension_pending: Set(false),
                returned: Set(false),
                kind: Set(String::new()),
                lead_unit_id: Set(unit),
                list_item_code: Set(String::new()),
                dispatch_reasons: Set("[]".into()),
                dispatched_at: Set(Some(now - chrono::Duration::minutes(25))),
                resolve_started_at: Set(Some(now - chrono::Duration::minutes(25))),
                sign_by: Set(Some(now + chrono::Duration::minutes(5))),
                contact_by: Set(Some(now + chrono::Duration::minutes(35))),
                resolve_by: Set(Some(now + chrono::Duration::minutes(95))),
                escalation: Set(jiceng_core::sla::Level::None),
                next_escalation_at: Set(Some(next)),
                resolution: Set(String::new()),
                satisfaction: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        written += n;
    }
    let mut out = vec![format!(
        "setup: {open} open orders written in {:.1} s",
        t.elapsed().as_secs_f64()
    )];
    let t = Instant::now();
    let mut steps = 0;
    let mut ticks = 0;
    let mut slowest: f64 = 0.0;
    loop {
        let tick = Instant::now();
        let n = crate::work_orders::escalation::sweep(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        slowest = slowest.max(tick.elapsed().as_secs_f64() * 1000.0);
        ticks += 1;
        steps += n;
        if n == 0 {
            break;
        }
    }
    let busy = t.elapsed().as_secs_f64() * 1000.0;
    let mut idle = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        crate::work_orders::escalation::sweep(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        idle.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    idle.sort_by(|a, b| a.total_cmp(b));
    out.push(format!(
        "sweep over {open} open orders: {due} due → {steps} steps in {ticks} ticks, {busy:.0} ms (slowest tick {slowest:.1} ms); an idle tick p50 {:.3} ms, max {:.3} ms",
        idle[idle.len() / 2],
        idle[idle.len() - 1]
    ));
    Ok(out)
}

/// A service guide page (办事指南) rendered `n` times in-process: read from the database and
/// rendered to HTML, as the server does for each request.
pub async fn guide(config: crate::config::Config, n: u32) -> anyhow::Result<Vec<String>> {
    let app = demo_app(config).await?;
    let code = format!("{}-gahz-0001", crate::demo::org::COUNTY_CODE);
    let mut times = Vec::with_capacity(n as usize);
    let mut bytes = 0;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let html = crate::hall::catalog_pages::render_guide(&app, &code)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        bytes = html.len();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    Ok(vec![format!(
        "guide: 出生登记 page ({bytes} bytes) rendered {} times from the database: median {:.3} ms, p99 {:.3} ms ({} backend)",
        times.len(),
        q(0.5),
        q(0.99),
        app.db.backend.name()
    )])
}
