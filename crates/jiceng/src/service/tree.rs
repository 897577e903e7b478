//! Storage of the audit log's Merkle tree: perfect-subtree nodes in `audit_tree`.

use crate::store::entities::{audit_entry, audit_node};
use jiceng_core::merkle::{Frontier, Hash, MapSource, NodeSource, Recorder};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;

/// Loads the given nodes, a few queries at most.
pub async fn load<C: ConnectionTrait>(db: &C, ids: &[(u32, u64)]) -> Result<MapSource, DbErr> {
    let mut map = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let mut any = Condition::any();
        for &(level, idx) in chunk {
            any = any.add(
                audit_node::Column::Level
                    .eq(level as i32)
                    .and(audit_node::Column::Idx.eq(idx as i64)),
            );
        }
        for n in audit_node::Entity::find().filter(any).all(db).await? {
            if let Ok(h) = <Hash>::try_from(n.hash.as_slice()) {
                map.insert((n.level as u32, n.idx as u64), h);
            }
        }
    }
    Ok(MapSource(map))
}

/// Runs `f` over the stored tree: once to learn which nodes it needs, then over those nodes
/// fetched in one go. `f` must ask for the same nodes both times (proofs and roots do).
pub async fn with_nodes<C: ConnectionTrait, T>(
    db: &C,
    f: impl Fn(&mut dyn NodeSource) -> T,
) -> Result<T, DbErr> {
    let mut rec = Recorder::default();
    f(&mut rec);
    rec.0.sort_unstable();
    rec.0.dedup();
    let mut src = load(db, &rec.0).await?;
    Ok(f(&mut src))
}

/// The right edge of the tree of `size` leaves.
pub async fn frontier<C: ConnectionTrait>(db: &C, size: u64) -> Result<Frontier, DbErr> {
    let mut src = load(db, &Frontier::node_ids(size)).await?;
    Ok(Frontier::load(&mut src, size))
}

pub async fn insert_nodes<C: ConnectionTrait>(
    db: &C,
    nodes: &[(u32, u64, Hash)],
) -> Result<(), DbErr> {
    for chunk in nodes.chunks(2000) {
        audit_node::Entity::insert_many(chunk.iter().map(|(level, idx, hash)| {
            audit_node::ActiveModel {
                level: Set(*level as i32),
                idx: Set(*idx as i64),
                hash: Set(hash.to_vec()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Number of leaves in the stored tree.
pub async fn size<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let last = audit_node::Entity::find()
        .filter(audit_node::Column::Level.eq(0))
        .order_by_desc(audit_node::Column::Idx)
        .limit(1)
        .one(db)
        .await?;
    Ok(last.map(|n| n.idx as u64 + 1).unwrap_or(0))
}

/// Gives every audit entry written before the tree existed its leaf (entries of databases
/// created before migration 0002). Idempotent; does nothing on an up-to-date database.
pub async fn backfill(db: &crate::store::Db) -> Result<u64, DbErr> {
    let mut added = 0;
    loop {
        let txn = db.begin_write().await?;
        let have = size(&txn).await?;
        let batch = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(have as i64))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(10_000)
            .all(&txn)
            .await?;
        if batch.is_empty() {
            txn.rollback().await?;
            return Ok(added);
        }
        let mut f = frontier(&txn, have).await?;
        let mut nodes = Vec::new();
        for m in &batch {
            if m.seq as u64 != f.size() + 1 {
                // A gap in the log: leave it for `jiceng audit verify` to report.
                txn.rollback().await?;
                tracing::error!(seq = m.seq, "audit log has a gap; tree not extended");
                return Ok(added);
            }
            nodes.extend(f.push(super::audit::entry_of(m).leaf_hash()));
        }
        insert_nodes(&txn, &nodes).await?;
        txn.commit().await?;
        added += batch.len() as u64;
    }
}

/// Leaf hashes `[start, end)`.
pub async fn leaves<C: ConnectionTrait>(
    db: &C,
    start: u64,
    end: u64,
) -> Result<Vec<(u64, Hash)>, DbErr> {
    let rows = audit_node::Entity::find()
        .filter(audit_node::Column::Level.eq(0))
        .filter(audit_node::Column::Idx.gte(start as i64))
        .filter(audit_node::Column::Idx.lt(end as i64))
        .order_by_asc(audit_node::Column::Idx)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|n| Some((n.idx as u64, Hash::try_from(n.hash.as_slice()).ok()?)))
        .collect())
}

/// Index of the leaf with this hash, if any.
pub async fn find_leaf<C: ConnectionTrait>(db: &C, hash: &Hash) -> Result<Option<u64>, DbErr> {
    let n = audit_node::Entity::find()
        .filter(audit_node::Column::Level.eq(0))
        .filter(Expr::col(audit_node::Column::Hash).eq(hash.to_vec()))
        .order_by_asc(audit_node::Column::Idx)
        .one(db)
        .await?;
    Ok(n.map(|n| n.idx as u64))
}
