//! Failures counted per key — a login name's keyed digest, a tracking code — under the core's
//! lockout rule. The row is locked for the counting transaction so that concurrent failures
//! each count and a lock is never lowered.

use crate::error::{AppError, AppResult};
use jiceng_core::lockout::LockoutState;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, QuerySelect, Select};

/// The lockout state a throttle row holds.
pub fn state(
    failures: i32,
    window_start: Option<chrono::DateTime<chrono::Utc>>,
    locked_until: Option<chrono::DateTime<chrono::Utc>>,
) -> LockoutState {
    LockoutState {
        failures: failures.max(0) as u32,
        window_start,
        locked_until,
    }
}

/// The key's row, made when missing and locked for this transaction. The insert is an upsert
/// that touches `keep` (setting it to itself), so on PostgreSQL it takes the row's lock even
/// when the row exists, and a concurrent success cannot delete it before the `SELECT … FOR
/// UPDATE` that follows; SQLite's write transaction holds the whole database.
pub async fn lock_row<E, A>(
    txn: &DatabaseTransaction,
    fresh: A,
    key: E::Column,
    keep: E::Column,
    find: Select<E>,
) -> AppResult<E::Model>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E> + Send,
{
    E::insert(fresh)
        .on_conflict(
            OnConflict::column(key)
                .value(keep, Expr::col(keep))
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    find.lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("throttle row vanished")))
}
