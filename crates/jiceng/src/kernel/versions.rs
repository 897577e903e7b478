//! Versions of what every node caches (reference data, the locate index). A change bumps
//! its cache's version in the same transaction; every node reads the versions at most once a
//! second and reloads a cache whose version moved, so a change made through one node is seen
//! through every other within seconds. (The dispatch data is versioned by what it is read
//! from — the published lists and the active units — and checked per intake batch.)

use crate::store::Db;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// The cache of categories, the calendar, SLA policies and the classifier.
pub const REFERENCE: &str = "reference";
/// The locate index over regions and grids.
pub const LOCATE: &str = "locate";

/// How often a node looks at the versions.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Bumps a cache's version inside the transaction of the change that moved it.
pub async fn bump<C: ConnectionTrait>(db: &C, name: &str) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO cache_versions (name, version) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1"
        }
        _ => {
            "INSERT INTO cache_versions (name, version) VALUES (?, 1) \
             ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1"
        }
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await
        .map(|_| ())
}

/// A cache's version as stored; 0 before its first change.
pub async fn read(db: &Db, name: &str) -> Result<i64, DbErr> {
    let backend = db.conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT version FROM cache_versions WHERE name = $1",
        _ => "SELECT version FROM cache_versions WHERE name = ?",
    };
    Ok(db
        .conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await?
        .map(|r| r.try_get::<i64>("", "version"))
        .transpose()?
        .unwrap_or(0))
}

/// The version a cache was loaded at, and when this node last compared it with the database.
#[derive(Debug)]
pub struct Seen {
    version: AtomicI64,
    checked: Mutex<Option<Instant>>,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            version: AtomicI64::new(-1),
            checked: Mutex::new(None),
        }
    }
}

impl Seen {
    /// Records the version a reload read (before it read the data).
    pub fn loaded(&self, version: i64) {
        self.version.store(version, Ordering::Release);
    }

    /// Whether the database's version differs from the loaded one, asked at most once per
    /// [`CHECK_EVERY`]; false between checks.
    pub async fn stale(&self, db: &Db, name: &str) -> Result<bool, DbErr> {
        {
            let mut at = self.checked.lock().expect("version check lock");
            if at.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
                return Ok(false);
            }
            *at = Some(Instant::now());
        }
        Ok(read(db, name).await? != self.version.load(Ordering::Acquire))
    }
}
