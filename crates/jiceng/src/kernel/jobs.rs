//! Background jobs. The composition root starts each job with a shutdown signal; a job runs
//! ticks until the signal comes. A singleton job (one that must not run on two nodes at once)
//! takes a lease for each tick: on PostgreSQL a transaction-scoped advisory lock keyed by the
//! job's name, released when the tick ends or its node dies; on SQLite, where one node owns the
//! database file, the lease is always granted (run background jobs in one process only on
//! SQLite). The lease's transaction stays open, idle, for the tick: a PostgreSQL server with
//! `idle_in_transaction_session_timeout` shorter than a tick would end it early.

use crate::kernel::app::App;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// True once the server is shutting down.
pub type Shutdown = watch::Receiver<bool>;

/// Waits `every`, or until `wake` fires; false when shutdown was signalled instead.
pub async fn wait(shutdown: &mut Shutdown, every: Duration, wake: Option<&Notify>) -> bool {
    if *shutdown.borrow() {
        return false;
    }
    let woken = async {
        match wake {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(every) => true,
        _ = woken => true,
        // A dropped sender is a shutdown too: never a loop without waiting.
        r = shutdown.changed() => r.is_ok() && !*shutdown.borrow(),
    }
}

/// The advisory-lock key of a job's name.
fn lease_key(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("eight bytes"))
}

/// Runs one tick of the singleton job `name` if this node holds its lease; `None` when
/// another node holds it now.
pub async fn with_lease<T, Fut>(
    app: &App,
    name: &str,
    tick: impl FnOnce() -> Fut,
) -> anyhow::Result<Option<T>>
where
    Fut: Future<Output = T>,
{
    if app.db.conn.get_database_backend() != DbBackend::Postgres {
        return Ok(Some(tick().await));
    }
    let txn = app.db.conn.begin().await?;
    let got: bool = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS got",
            [lease_key(name).into()],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "got"))
        .transpose()?
        .unwrap_or(false);
    if !got {
        txn.rollback().await?;
        tracing::debug!(job = name, "lease held by another node");
        return Ok(None);
    }
    let out = tick().await;
    txn.commit().await?;
    Ok(Some(out))
}
