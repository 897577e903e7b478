//! The `jiceng` command line.

use crate::auth;
use crate::auth::users::NewUser;
use crate::config::Config;
use crate::config::Overrides;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::org::import::ImportFile;
use crate::org::import::ImportKind;
use crate::server::Server;
use crate::store::Backend;
use crate::store::Db;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;

pub const DEMO_DATABASE: &str = "sqlite://jiceng-demo.db?mode=rwc";

#[derive(Parser, Debug)]
#[command(
    name = "jiceng",
    version,
    about = "jiceng (基层): work orders, one-window service and a tamper-evident audit log for county and township governments"
)]
pub struct Cli {
    /// TOML configuration file (defaults < file < environment < flags)
    #[arg(long, global = true, env = "JICENG_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server
    Serve(ServeArgs),
    /// Seed the demo county (示范县) into an empty database and serve it
    Demo(DemoArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Import data
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print the effective configuration (secrets redacted)
    PrintConfig,
    /// Check that a running server answers /healthz
    Healthcheck {
        /// Base URL of the server (default: http://LISTEN from the configuration)
        #[arg(long)]
        url: Option<String>,
    },
    /// The tamper-evident audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure throughput
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The cockpit's rollups
    #[command(subcommand)]
    Rollups(RollupsCommand),
}

#[derive(Subcommand, Debug)]
enum RollupsCommand {
    /// Recompute every rollup from the orders (in one transaction; the cockpit reads the old
    /// figures until it commits)
    Rebuild,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute every leaf and the root from the stored entries and check them against the
    /// signed checkpoints; exits non-zero naming the first bad entry
    Verify {
        /// An older checkpoint saved by a witness, to prove the log is consistent with it
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Verifier key (vkey) of the log; default: derived from the signing key file
        #[arg(long)]
        key: Option<String>,
    },
    /// Write the latest signed checkpoint (with cosignatures) for a witness
    ExportCheckpoint {
        /// File to write (default: standard output)
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080
    #[arg(long)]
    listen: Option<String>,
    /// Simulated clock that admins can move forward (POST /api/v1/admin/clock)
    #[arg(long)]
    fake_clock: bool,
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[arg(long)]
    listen: Option<String>,
    /// Password for every demo account (default: one random password, printed once)
    #[arg(long, env = "JICENG_DEMO_PASSWORD")]
    password: Option<String>,
    #[arg(long)]
    fake_clock: bool,
    /// Delete the demo database first and seed it anew
    #[arg(long)]
    reset: bool,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a staff account
    Add {
        #[arg(long)]
        username: String,
        /// operator, dispatcher, handler, grid_worker, window_clerk, supervisor, leader, admin, auditor
        #[arg(long)]
        role: String,
        /// Org unit: a 12-digit region code or a department code
        #[arg(long)]
        org: String,
        /// Display name (default: the user name)
        #[arg(long)]
        name: Option<String>,
        /// Initial password (default: JICENG_USER_PASSWORD, else a random one printed once)
        #[arg(long, env = "JICENG_USER_PASSWORD")]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Regions (CSV: code,name[,parent_code][,boundary]), departments (CSV:
    /// code,name,kind,region_code[,phone]) and grids (GeoJSON FeatureCollection with
    /// properties code, name, village_code[, worker]) — all files in one transaction
    Org {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// One escalation tick over many open orders
    Sweep {
        #[arg(long, default_value_t = 1_000_000)]
        orders: u64,
        /// Of which this many are due now
        #[arg(long, default_value_t = 1_000)]
        due: u64,
    },
    /// Work-order intake end to end, in-process, on the demo county
    Ingest {
        #[arg(long, default_value_t = 5_000)]
        orders: u64,
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        /// Through the JSON API of a server on a loopback port instead of in-process
        #[arg(long)]
        http: bool,
    },
    /// 一窗受理 intake end to end, in-process, on the demo county
    Window {
        #[arg(long, default_value_t = 10_000)]
        applications: u64,
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
    },
    /// Logins (password check, session, audit), in-process, on the demo county
    Login {
        #[arg(long, default_value_t = 2_000)]
        logins: u64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// A service guide page rendered from the database, in-process
    Guide {
        #[arg(long, default_value_t = 2_000)]
        renders: u32,
    },
    /// Audit log: appends per second in batches, proof latency, and verification time
    Audit {
        /// Entries to append
        #[arg(long, default_value_t = 200_000)]
        entries: u64,
        /// Entries per transaction
        #[arg(long, default_value_t = 5_000)]
        batch: u64,
        /// Also time `audit verify` over the whole log
        #[arg(long)]
        verify: bool,
    },
    /// Point-to-grid lookups per second on one core
    Locate {
        /// Generated grids instead of the demo county's 120
        #[arg(long)]
        grids: Option<usize>,
        /// Seconds per measurement
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn load_config(cli: &Cli, listen: Option<String>, fake_clock: bool) -> anyhow::Result<Config> {
    let flags = Overrides {
        database_url: cli.database.clone(),
        listen,
        fake_clock: Some(fake_clock),
    };
    Config::load(cli.config.as_deref(), |k| std::env::var(k).ok(), &flags)
}

/// A progress bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(len: u64) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(len);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").expect("valid template"),
            );
            Progress { bar: Some(bar) }
        } else {
            Progress { bar: None }
        }
    }

    fn step(&self, pos: u64, len: u64, what: &str) {
        match &self.bar {
            Some(b) => {
                b.set_length(len);
                b.set_position(pos);
                b.set_message(what.to_string());
            }
            None if pos.is_multiple_of(50) || pos == len => eprintln!("  进度 {pos}/{len}：{what}"),
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("正在停止……");
}

async fn serve(app: App) -> anyhow::Result<()> {
    let listen = app.config.listen.clone();
    let server = Server::bind(app, &listen).await?;
    println!("jiceng 已启动：http://{}", server.local_addr());
    server.run(shutdown_signal()).await
}

/// Deletes the demo database: the SQLite file with its WAL, or every table on PostgreSQL.
/// Only a database the demo made (the default demo file, or one carrying the demo's mark) is
/// deleted; any other — a county's own, named by the environment — is refused.
async fn reset_database(url: &str) -> anyhow::Result<()> {
    if url != DEMO_DATABASE {
        // A SQLite file that does not exist yet has nothing to lose (checked before connecting,
        // which may create it).
        let no_file = matches!(Backend::from_url(url)?, Backend::Sqlite) && {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            !std::path::Path::new(path).exists()
        };
        let marked = !no_file
            && match Db::connect(url).await {
                Ok(db) => db
                    .setting(crate::demo::seed::DEMO_MARK)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|v| v == "true"),
                Err(_) => false,
            };
        if !marked && !no_file {
            anyhow::bail!(
                "拒绝重置：{} 不是演示数据库（没有演示标记），--reset 只删除 jiceng demo 建立的数据库。\nRefusing to reset a database the demo did not create.",
                crate::store::redact_url(url)
            );
        }
    }
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{path}{suffix}");
                if std::path::Path::new(&p).exists() {
                    std::fs::remove_file(&p).with_context(|| format!("无法删除 {p}"))?;
                }
            }
        }
        Backend::Postgres => {
            let db = Db::connect(url).await?;
            use sea_orm::ConnectionTrait;
            db.conn
                .execute_unprepared("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                .await?;
        }
    }
    Ok(())
}

async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let mut config = load_config(cli, args.listen.clone(), args.fake_clock)?;
    if cli.database.is_none() && std::env::var("JICENG_DATABASE_URL").is_err() {
        config.database_url = DEMO_DATABASE.into();
    }
    if args.reset {
        reset_database(&config.database_url).await?;
    }
    let app = crate::server::open(config).await?;
    let url = format!("http://{}", app.config.listen);
    if crate::demo::seed::is_seeded(&app).await? {
        println!(
            "演示数据已存在（{}），直接启动。",
            crate::store::redact_url(&app.config.database_url)
        );
        if let Some(pw) = &args.password {
            let n = crate::demo::seed::set_passwords(&app, pw)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!("已将{n}个演示账号的密码设为 --password 指定的值。");
        } else {
            println!(
                "沿用原有密码；用 --password 可以重设全部演示账号的密码，用 --reset 可以重建演示数据。"
            );
        }
    } else {
        let password = args
            .password
            .clone()
            .unwrap_or_else(|| auth::random_token(12));
        eprintln!("正在生成示范县演示数据……");
        let progress = Progress::new(1);
        let accounts = crate::demo::seed::seed(&app, &password, &|p, l, w| progress.step(p, l, w))
            .await
            .map_err(|e| anyhow::anyhow!("{}（{}）", e.message, e.code))?;
        progress.finish();
        eprintln!("正在回放近六个月的群众诉求（真实留言文本）……");
        let progress = Progress::new(1);
        let n = crate::demo::work_orders::seed_history(&app, &|p, l, w| progress.step(p, l, w))
            .await
            .map_err(|e| anyhow::anyhow!("{}（{}）", e.message, e.code))?;
        progress.finish();
        eprintln!("正在回放近两个月的政务大厅（排队、收件、办结、评价）……");
        let m = crate::demo::hall::seed_service_history(&app, 40)
            .await
            .map_err(|e| anyhow::anyhow!("{}（{}）", e.message, e.code))?;
        eprintln!("已回放{m}次大厅办件操作。");
        let code = crate::demo::work_orders::live_fire_lane(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{}（{}）", e.message, e.code))?;
        crate::work_orders::escalation::sweep(&app)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "已回放{n}件历史诉求；现场演示工单：网格员上报消防通道被占（查询码 {code}，2小时内办结）。"
        );
        println!("示范县演示数据已生成。演示账号（密码均为：{password}）：");
        for line in crate::demo::seed::summarise(&accounts) {
            println!("{line}");
        }
    }
    println!("请在浏览器打开 {url}");
    serve(app).await
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve(a) => {
            let config = load_config(&cli, a.listen.clone(), a.fake_clock)?;
            init_tracing(&config.log);
            serve(crate::server::open(config).await?).await
        }
        Command::Demo(a) => {
            init_tracing("warn,jiceng=info");
            demo(&cli, a).await
        }
        Command::Migrate => {
            init_tracing("warn");
            let config = load_config(&cli, None, false)?;
            let db = Db::connect(&config.database_url).await?;
            let applied = db.migrate().await?;
            if applied.is_empty() {
                println!("数据库已是最新，无需迁移。");
            } else {
                println!("已应用迁移：{}", applied.join("、"));
            }
            Ok(())
        }
        Command::User(UserCommand::Add {
            username,
            role,
            org,
            name,
            password,
        }) => {
            init_tracing("warn");
            let app = crate::server::open(load_config(&cli, None, false)?).await?;
            let (password, generated) = match password {
                Some(p) => (p.clone(), false),
                None => (auth::random_token(12), true),
            };
            let input = NewUser {
                username: username.clone(),
                display_name: name.clone().unwrap_or_else(|| username.clone()),
                role: role.clone(),
                org: org.clone(),
                password: password.clone(),
            };
            let u = crate::auth::users::create_user(&app, &Actor::System("cli"), input)
                .await
                .map_err(describe)?;
            println!("已创建账号 {}（{}）。", u.username, u.role_label);
            if generated {
                println!("初始密码（只显示这一次）：{password}");
            }
            Ok(())
        }
        Command::Import(ImportCommand::Org { files }) => {
            init_tracing("warn");
            let app = crate::server::open(load_config(&cli, None, false)?).await?;
            let mut list = Vec::new();
            for path in files {
                let bytes =
                    std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))?;
                let name = path.display().to_string();
                let kind = if name.ends_with(".geojson") || name.ends_with(".json") {
                    ImportKind::Grids
                } else {
                    ImportKind::detect(&bytes).with_context(|| format!("{name}：无法识别文件类型（区划CSV需有 code 列，部门CSV需有 kind 列，网格为 GeoJSON）"))?
                };
                list.push(ImportFile { name, kind, bytes });
            }
            let progress = Progress::new(list.len() as u64);
            let done = std::sync::atomic::AtomicU64::new(0);
            let total = list.len() as u64;
            let report =
                crate::org::import::import(&app, &Actor::System("cli"), list, &|name, n| {
                    let pos = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    progress.step(pos, total, &format!("{name}：{n}条"));
                })
                .await
                .map_err(describe)?;
            progress.finish();
            println!(
                "导入完成：区划{}个，部门{}个，网格{}个。",
                report.regions, report.departments, report.grids
            );
            Ok(())
        }
        Command::Rollups(RollupsCommand::Rebuild) => {
            init_tracing("warn");
            let app = crate::server::open(load_config(&cli, None, false)?).await?;
            let total: u64 = {
                use sea_orm::{EntityTrait, PaginatorTrait};
                crate::store::entities::work_order::Entity::find()
                    .count(&app.db.conn)
                    .await?
            };
            let progress = Progress::new(total);
            let mut read = 0u64;
            let rows = crate::work_orders::rollups::rebuild(&app, |n| {
                read += n;
                progress.step(read, total, "张工单");
            })
            .await
            .map_err(describe)?;
            progress.finish();
            println!("已从{total}张工单重算汇总，共{rows}行。");
            Ok(())
        }
        Command::PrintConfig => {
            let config = load_config(&cli, None, false)?;
            print!("{}", config.redacted_toml());
            Ok(())
        }
        Command::Healthcheck { url } => {
            let config = load_config(&cli, None, false)?;
            let base = url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.listen));
            let resp = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()?
                .get(format!("{}/healthz", base.trim_end_matches('/')))
                .send()
                .await
                .with_context(|| format!("无法连接 {base}"))?;
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            if status.is_success() && body["status"] == "ok" {
                println!("正常：{body}");
                Ok(())
            } else {
                bail!("不正常：HTTP {status}，{body}")
            }
        }
        Command::Audit(AuditCommand::Verify { checkpoint, key }) => {
            init_tracing("warn");
            let config = load_config(&cli, None, false)?;
            let key = match key {
                Some(k) => jiceng_core::note::NoteVerifier::parse(k)
                    .map_err(|e| anyhow::anyhow!("公钥无效：{e}"))?,
                None => {
                    let path = config.audit_key_path();
                    let text = std::fs::read_to_string(&path).with_context(|| {
                        format!("无法读取签名密钥 {}（可用 --key 给出公钥）", path.display())
                    })?;
                    jiceng_core::note::NoteSigner::parse(&text)
                        .map_err(|e| anyhow::anyhow!("签名密钥无效：{e}"))?
                        .verifier()
                }
            };
            let saved = match checkpoint {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .with_context(|| format!("无法读取 {}", p.display()))?,
                ),
                None => None,
            };
            let db = Db::connect(&config.database_url).await?;
            let started = std::time::Instant::now();
            let report = crate::audit::transparency::verify(&db, &key, saved.as_deref())
                .await
                .map_err(describe)?;
            println!(
                "{}（用时 {:.1} 秒）",
                report.summary(),
                started.elapsed().as_secs_f64()
            );
            if report.ok {
                Ok(())
            } else {
                bail!("审计日志未通过验证")
            }
        }
        Command::Audit(AuditCommand::ExportCheckpoint { output }) => {
            init_tracing("warn");
            let app = crate::server::open(load_config(&cli, None, false)?).await?;
            let cp = crate::audit::transparency::checkpoint_now(&app)
                .await
                .map_err(describe)?;
            match output {
                Some(p) => {
                    std::fs::write(p, cp.cosigned_note())?;
                    eprintln!("已写出检查点（大小{}）到 {}", cp.tree_size, p.display());
                }
                None => print!("{}", cp.cosigned_note()),
            }
            Ok(())
        }
        Command::Bench(BenchCommand::Audit {
            entries,
            batch,
            verify,
        }) => {
            let (config, dir) = scratch_config(&cli, "bench-audit.db")?;
            let result = crate::bench::audit(config, *entries, *batch, *verify).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Sweep { orders, due }) => {
            let (config, dir) = scratch_config(&cli, "bench-sweep.db")?;
            let result = crate::bench::sweep(config, *orders, (*due).min(*orders)).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Ingest {
            orders,
            concurrency,
            http,
        }) => {
            init_tracing("warn");
            let (config, dir) = scratch_config(&cli, "bench-ingest.db")?;
            let result = crate::bench::ingest(config, *orders, *concurrency, *http).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Window {
            applications,
            concurrency,
        }) => {
            let (config, dir) = scratch_config(&cli, "bench-window.db")?;
            let result = crate::bench::window(config, *applications, *concurrency).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Login {
            logins,
            concurrency,
        }) => {
            let (config, dir) = scratch_config(&cli, "bench-login.db")?;
            let result = crate::bench::login(config, *logins, *concurrency).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Guide { renders }) => {
            let (config, dir) = scratch_config(&cli, "bench-guide.db")?;
            let result = crate::bench::guide(config, *renders).await;
            print_bench(result, &dir)
        }
        Command::Bench(BenchCommand::Locate { grids, seconds }) => {
            let shapes = match grids {
                Some(n) => crate::bench::generated_grids(*n),
                None => crate::demo::seed::grid_shapes(),
            };
            let f = crate::bench::locate(shapes, *seconds);
            println!(
                "locate: {} grids, {} lookups in {:.2} s on one thread = {:.0} lookups/s ({:.1}% of points inside a grid)",
                f.grids,
                f.lookups,
                f.seconds,
                f.per_second(),
                100.0 * f.hits as f64 / f.lookups as f64
            );
            Ok(())
        }
    }
}

fn describe(e: crate::error::AppError) -> anyhow::Error {
    let mut s = format!("{}（{}）", e.message, e.code);
    for f in &e.fields {
        s.push_str(&format!("\n  {}：{}", f.field, f.message));
    }
    anyhow::anyhow!(s)
}

/// The configuration of a benchmark: a scratch SQLite file (unless a database is given) and a
/// scratch data directory, removed afterwards by [`print_bench`].
fn scratch_config(cli: &Cli, file: &str) -> anyhow::Result<(Config, PathBuf)> {
    let config = load_config(cli, None, false)?;
    let dir = tempfile_dir()?;
    let url = if cli.database.is_some() || std::env::var("JICENG_DATABASE_URL").is_ok() {
        config.database_url.clone()
    } else {
        format!("sqlite://{}?mode=rwc", dir.join(file).display())
    };
    Ok((
        Config {
            database_url: url,
            data_dir: dir.clone(),
            ..config
        },
        dir,
    ))
}

fn print_bench(result: anyhow::Result<Vec<String>>, dir: &std::path::Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    for line in result? {
        println!("{line}");
    }
    Ok(())
}

/// A scratch directory for benchmarks, under the system temp dir.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("jiceng-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
