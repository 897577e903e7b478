//! The application context every use case receives: database, clock, config, locate index.

use crate::config::Config;
use crate::org::locate::Locator;
use crate::store::Db;
use jiceng_core::{Clock, FakeClock, SystemClock};
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Present only under `--fake-clock`: the same clock as `clock`, advanceable.
    pub fake_clock: Option<Arc<FakeClock>>,
    pub config: Arc<Config>,
    pub locator: Locator,
    /// The audit log's checkpoint signer, loaded or generated on first use.
    pub signer: Arc<tokio::sync::OnceCell<Arc<jiceng_core::note::NoteSigner>>>,
    /// Upper-level Merkle tree nodes, which never change once written.
    pub tree_cache: crate::kernel::tree::NodeCache,
    /// Categories, calendar, SLA policies and the classifier.
    pub reference: crate::reference::Reference,
    /// Woken when the fake clock moves, so that the scheduler runs at once.
    pub clock_moved: Arc<tokio::sync::Notify>,
    /// Seals personal data at rest.
    pub data_key: Arc<crate::kernel::crypto::DataKey>,
    /// In-memory caches of what the hot paths read.
    pub caches: Arc<Caches>,
    /// Work-order intake, written by group commit.
    pub intake: crate::work_orders::intake::IntakeQueue,
    /// Applications at the one window, written by group commit.
    pub applications: crate::hall::applications::intake::IntakeQueue,
}

impl App {
    /// Connects, migrates and loads the locate index.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        crate::kernel::tree::backfill(&db).await?;
        let (clock, fake_clock): (Arc<dyn Clock>, _) = if config.fake_clock {
            let fake = Arc::new(FakeClock::new());
            (fake.clone(), Some(fake))
        } else {
            (Arc::new(SystemClock), None)
        };
        let data_key = Arc::new(crate::kernel::crypto::DataKey::load_or_create(
            &config.data_key_path(),
        )?);
        let app = App {
            data_key,
            db,
            clock,
            fake_clock,
            config: Arc::new(config),
            locator: Locator::default(),
            signer: Default::default(),
            tree_cache: Default::default(),
            reference: Default::default(),
            clock_moved: Default::default(),
            intake: crate::work_orders::intake::intake_queue(),
            applications: crate::hall::applications::intake::intake_queue(),
            caches: Default::default(),
        };
        app.locator.reload(&app.db).await?;
        crate::reference::seed(&app.db, app.now()).await?;
        app.reference.reload(&app.db).await?;
        Ok(app)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// What the hot paths keep in memory.
#[derive(Default)]
pub struct Caches {
    /// The dispatch data (lists in force, active units) and the version it was read at.
    pub dispatch: std::sync::Mutex<
        Option<(
            crate::work_orders::dispatch::DispatchVersion,
            Arc<crate::work_orders::dispatch::DispatchData>,
        )>,
    >,
    /// Recently resolved API tokens (by hash), so that a busy client does not cost two reads
    /// per request. Kept for [`TOKEN_CACHE_SECONDS`]; emptied when this process revokes a
    /// token or changes an account, so other processes see such a change within that time.
    tokens: std::sync::Mutex<std::collections::HashMap<String, CachedToken>>,
    /// Citizens' report allowance per address: (tokens left, when counted).
    citizen_reports:
        std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (f64, std::time::Instant)>>,
    /// Matters and bundles as application intake reads them, by key, with when they were read.
    subjects: std::sync::Mutex<
        std::collections::HashMap<
            String,
            (
                std::time::Instant,
                Arc<crate::hall::applications::subject::Subject>,
            ),
        >,
    >,
    /// When this process last wrote each API token's "last used" time.
    token_touched: std::sync::Mutex<std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>>>,
}

/// A resolved token: its account, when it expires, and when it was read.
type CachedToken = (
    crate::kernel::actor::UserActor,
    chrono::DateTime<chrono::Utc>,
    std::time::Instant,
);

/// How long a resolved API token is trusted without reading it again.
pub const TOKEN_CACHE_SECONDS: u64 = 5;

impl Caches {
    /// The account behind a token hash, if resolved in the last few seconds and not expired.
    pub fn cached_token(
        &self,
        hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<crate::kernel::actor::UserActor> {
        let m = self.tokens.lock().expect("token cache lock");
        let (actor, expires_at, at) = m.get(hash)?;
        (at.elapsed().as_secs() < TOKEN_CACHE_SECONDS && *expires_at > now).then(|| actor.clone())
    }

    pub fn cache_token(
        &self,
        hash: String,
        actor: crate::kernel::actor::UserActor,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) {
        let mut m = self.tokens.lock().expect("token cache lock");
        if m.len() > 10_000 {
            m.retain(|_, (_, _, at)| at.elapsed().as_secs() < TOKEN_CACHE_SECONDS);
        }
        m.insert(hash, (actor, expires_at, std::time::Instant::now()));
    }

    /// Takes one report from an address's allowance (a bucket of `per_hour` filling at
    /// `per_hour` an hour); false when it is empty.
    pub fn take_citizen_report(&self, addr: std::net::IpAddr, per_hour: u32) -> bool {
        if per_hour == 0 {
            return true;
        }
        let cap = per_hour as f64;
        let now = std::time::Instant::now();
        let mut m = self.citizen_reports.lock().expect("report allowance lock");
        if m.len() > 100_000 {
            m.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 3600);
        }
        let (tokens, at) = m.entry(addr).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * cap / 3600.0).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// A subject read less than `fresh` ago.
    pub(crate) fn subject(
        &self,
        key: &str,
        fresh: std::time::Duration,
    ) -> Option<Arc<crate::hall::applications::subject::Subject>> {
        let m = self.subjects.lock().expect("subject cache lock");
        m.get(key)
            .filter(|(at, _)| at.elapsed() < fresh)
            .map(|(_, s)| s.clone())
    }

    pub(crate) fn cache_subject(
        &self,
        key: String,
        s: Arc<crate::hall::applications::subject::Subject>,
    ) {
        let mut m = self.subjects.lock().expect("subject cache lock");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (std::time::Instant::now(), s));
    }

    /// Forgets every subject (after the catalog changed).
    pub fn forget_subjects(&self) {
        self.subjects.lock().expect("subject cache lock").clear();
    }

    /// Forgets every resolved token (after a revocation or an account change).
    pub fn forget_tokens(&self) {
        self.tokens.lock().expect("token cache lock").clear();
    }

    /// Whether this request should write the token's "last used" time: true for the first
    /// request of a token in each minute.
    pub fn claim_token_touch(&self, token_id: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
        let mut m = self.token_touched.lock().expect("token touch lock");
        match m.get(&token_id) {
            Some(t) if now - *t < chrono::Duration::seconds(60) => false,
            _ => {
                m.insert(token_id, now);
                true
            }
        }
    }
}
