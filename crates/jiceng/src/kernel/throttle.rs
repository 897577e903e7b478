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

/// How long a throttle row is kept after its counting window and any lock are over: longer
/// than every lockout window, so that pruning never forgets a failure that still counts.
const KEEP: chrono::Duration = chrono::Duration::days(1);

/// Deletes the throttle rows that no longer count (names and codes whose failures and lock are
/// long over): wrong guesses at unknown names and codes would otherwise pile up for ever.
/// Idempotent, so every node may run it. Returns how many rows went.
pub async fn prune(app: &crate::kernel::app::App) -> AppResult<u64> {
    use crate::store::entities::{login_throttle, pin_throttle};
    use sea_orm::QueryFilter;
    let before = app.now() - KEEP;
    let login = login_throttle::Entity::delete_many()
        .filter(stale(
            login_throttle::Column::WindowStart,
            login_throttle::Column::LockedUntil,
            before,
        ))
        .exec(&app.db.conn)
        .await?;
    let pin = pin_throttle::Entity::delete_many()
        .filter(stale(
            pin_throttle::Column::WindowStart,
            pin_throttle::Column::LockedUntil,
            before,
        ))
        .exec(&app.db.conn)
        .await?;
    Ok(login.rows_affected + pin.rows_affected)
}

/// A row whose counting window began, and whose lock ended, before `before` (or never).
fn stale<C: sea_orm::ColumnTrait>(
    window_start: C,
    locked_until: C,
    before: chrono::DateTime<chrono::Utc>,
) -> sea_orm::Condition {
    use sea_orm::Condition;
    Condition::all()
        .add(
            Condition::any()
                .add(window_start.is_null())
                .add(window_start.lt(before)),
        )
        .add(
            Condition::any()
                .add(locked_until.is_null())
                .add(locked_until.lt(before)),
        )
}

/// Prunes the throttle rows every ten minutes until shutdown.
pub async fn run_pruner(app: crate::kernel::app::App, mut shutdown: crate::kernel::jobs::Shutdown) {
    let every = std::time::Duration::from_secs(600);
    while crate::kernel::jobs::wait(&mut shutdown, every, None).await {
        match prune(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "throttle rows pruned"),
            Err(e) => tracing::warn!(error = %e, "throttle pruning failed"),
        }
    }
}
