//! The application context every use case receives: the database, the clock, the
//! configuration and the keys. A wing's own state (its intake queue, its caches) is not here:
//! the composition root (`server::open`) builds each wing's runtime and registers it in
//! [`Wings`], where the wing finds it again by type.

use crate::config::Config;
use crate::store::Db;
use jiceng_core::{Clock, FakeClock, SystemClock};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Present only under `--fake-clock`: the same clock as `clock`, advanceable.
    pub fake_clock: Option<Arc<FakeClock>>,
    pub config: Arc<Config>,
    /// The audit log's checkpoint signer, loaded or generated on first use.
    pub signer: Arc<tokio::sync::OnceCell<Arc<jiceng_core::note::NoteSigner>>>,
    /// Upper-level Merkle tree nodes, which never change once written.
    pub tree_cache: crate::kernel::tree::NodeCache,
    /// Woken when the fake clock moves, so that the scheduler runs at once.
    pub clock_moved: Arc<tokio::sync::Notify>,
    /// Seals personal data at rest.
    pub data_key: Arc<crate::kernel::crypto::DataKey>,
    /// Each wing's runtime, by type.
    wings: Arc<Wings>,
}

/// The wings' runtimes (queues, caches), one value per type, registered by the composition
/// root before the app is shared.
#[derive(Default, Clone)]
pub struct Wings(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Wings {
    pub fn insert<T: Any + Send + Sync>(&mut self, runtime: T) -> &mut Self {
        self.0.insert(TypeId::of::<T>(), Arc::new(runtime));
        self
    }
}

impl App {
    /// Connects, migrates, checks the data key and builds the infrastructure; the wings'
    /// runtimes come from the composition root.
    pub async fn open(config: Config, wings: Wings) -> anyhow::Result<App> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        crate::kernel::tree::backfill(&db).await?;
        let (clock, fake_clock): (Arc<dyn Clock>, _) = if config.fake_clock {
            let fake = Arc::new(FakeClock::new());
            (fake.clone(), Some(fake))
        } else {
            (Arc::new(SystemClock), None)
        };
        let data_key =
            Arc::new(crate::kernel::crypto::open_data_key(&db, &config.data_key_path()).await?);
        Ok(App {
            data_key,
            db,
            clock,
            fake_clock,
            config: Arc::new(config),
            signer: Default::default(),
            tree_cache: Default::default(),
            clock_moved: Default::default(),
            wings: Arc::new(wings),
        })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The same app reading another clock (the demo replays history on its own clock).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        App {
            clock,
            fake_clock: None,
            ..self.clone()
        }
    }

    /// The same app with one wing runtime replaced (the demo's replay uses its own queues).
    pub fn with_wing<T: Any + Send + Sync>(&self, runtime: T) -> App {
        let mut wings = (*self.wings).clone();
        wings.insert(runtime);
        App {
            wings: Arc::new(wings),
            ..self.clone()
        }
    }

    /// A wing's runtime. Every runtime is registered by `server::open`; a missing one is a
    /// wiring mistake, found by the first test that touches the wing.
    pub fn wing<T: Any + Send + Sync>(&self) -> &T {
        self.wings
            .0
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref::<T>())
            .unwrap_or_else(|| panic!("wing runtime {} not registered", std::any::type_name::<T>()))
    }
}
