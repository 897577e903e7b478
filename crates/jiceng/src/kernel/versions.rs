//! Versions of what every node caches (reference data, the locate index). A change bumps
//! its cache's version in the same transaction; every node reads the versions at most once a
//! second and reloads a cache whose version moved, so a change made through one node is seen
//! through every other within seconds. (The dispatch data is versioned by what it is read
//! from — the published lists and the active units — and checked per intake batch.)

use crate::store::Db;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
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
    let table = || Alias::new("cache_versions");
    let q = Query::insert()
        .into_table(table())
        .columns([Alias::new("name"), Alias::new("version")])
        .values_panic([name.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .value(
                    Alias::new("version"),
                    Expr::col((table(), Alias::new("version"))).add(1),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&q).await.map(|_| ())
}

/// A cache's version as stored; 0 before its first change.
pub async fn read(db: &Db, name: &str) -> Result<i64, DbErr> {
    let q = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("cache_versions"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .to_owned();
    Ok(db
        .conn
        .query_one(&q)
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
