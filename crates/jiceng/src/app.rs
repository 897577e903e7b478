//! The application context every use case receives: database, clock, config, locate index.

use crate::config::Config;
use crate::service::locate::Locator;
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
    pub tree_cache: crate::service::tree::NodeCache,
    /// Categories, calendar, SLA policies and the classifier.
    pub reference: crate::service::reference::Reference,
    /// Woken when the fake clock moves, so that the scheduler runs at once.
    pub clock_moved: Arc<tokio::sync::Notify>,
    /// Work-order intake, written by group commit.
    pub intake: crate::service::work_orders::IntakeQueue,
}

impl App {
    /// Connects, migrates and loads the locate index.
    pub async fn open(config: Config) -> anyhow::Result<App> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        crate::service::tree::backfill(&db).await?;
        let (clock, fake_clock): (Arc<dyn Clock>, _) = if config.fake_clock {
            let fake = Arc::new(FakeClock::new());
            (fake.clone(), Some(fake))
        } else {
            (Arc::new(SystemClock), None)
        };
        let app = App {
            db,
            clock,
            fake_clock,
            config: Arc::new(config),
            locator: Locator::default(),
            signer: Default::default(),
            tree_cache: Default::default(),
            reference: Default::default(),
            clock_moved: Default::default(),
            intake: crate::service::work_orders::intake_queue(),
        };
        app.locator.reload(&app.db).await?;
        crate::service::reference::seed(&app.db, app.now()).await?;
        app.reference.reload(&app.db).await?;
        Ok(app)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
