//! Failures counted per key — a login name's keyed digest, a tracking code — under the core's
//! lockout rule. The row is locked for the counting transaction so that concurrent failures
//! each count and a lock is never lowered.

use crate::error::{AppError, AppResult};
use jiceng_core::lockout::LockoutState;
use sea_orm::sea_query::OnConflict;
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

/// The key's row, made when missing and locked for this transaction (`SELECT … FOR UPDATE`;
/// SQLite's write transaction holds the whole database). A concurrent success may delete the
/// row between the insert and the lock; the row is then made again, once.
pub async fn lock_row<E, A>(
    txn: &DatabaseTransaction,
    fresh: A,
    key: E::Column,
    find: Select<E>,
) -> AppResult<E::Model>
where
    E: EntityTrait<ActiveModel = A>,
    A: ActiveModelTrait<Entity = E> + Send + Clone,
{
    for _ in 0..2 {
        E::insert(fresh.clone())
            .on_conflict(OnConflict::column(key).do_nothing().to_owned())
            .exec_without_returning(txn)
            .await?;
        if let Some(row) = find.clone().lock_exclusive().one(txn).await? {
            return Ok(row);
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "throttle row vanished twice"
    )))
}
