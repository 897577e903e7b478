//! Storage of the audit log's Merkle tree: perfect-subtree nodes in `audit_tree`.

use crate::store::entities::audit_entry;
use crate::store::entities::audit_node;
use jiceng_core::audit::AuditEntry;
use jiceng_core::merkle::{Frontier, Hash, MapSource, NodeSource, Recorder};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
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

/// Perfect-subtree hashes of the upper levels, kept in memory. A stored node never changes,
/// so the cache needs no invalidation and is safe with several server processes.
#[derive(Clone, Default)]
pub struct NodeCache(std::sync::Arc<std::sync::Mutex<HashMap<(u32, u64), Hash>>>);

impl NodeCache {
    /// Levels below this are many and rarely shared between proofs; they stay in the database.
    const MIN_LEVEL: u32 = 6;
    /// About 10 MB at most.
    const MAX_NODES: usize = 200_000;
}

/// Runs `f` over the stored tree: once to learn which nodes it needs, then over those nodes,
/// taken from `cache` or fetched in one go. `f` must ask for the same nodes both times (proofs
/// and roots do).
pub async fn with_nodes<C: ConnectionTrait, T>(
    db: &C,
    cache: &NodeCache,
    f: impl Fn(&mut dyn NodeSource) -> T,
) -> Result<T, DbErr> {
    let mut rec = Recorder::default();
    f(&mut rec);
    rec.0.sort_unstable();
    rec.0.dedup();
    let mut known = HashMap::new();
    let mut missing = Vec::new();
    {
        let c = cache.0.lock().expect("node cache lock");
        for id in rec.0 {
            match c.get(&id) {
                Some(h) => {
                    known.insert(id, *h);
                }
                None => missing.push(id),
            }
        }
    }
    let fetched = load(db, &missing).await?;
    {
        let mut c = cache.0.lock().expect("node cache lock");
        for (id, h) in &fetched.0 {
            if id.0 >= NodeCache::MIN_LEVEL && c.len() < NodeCache::MAX_NODES {
                c.insert(*id, *h);
            }
        }
    }
    known.extend(fetched.0);
    Ok(f(&mut MapSource(known)))
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
    // As for entries: one JSON document per statement, unpacked by the database.
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "INSERT INTO audit_tree (level, idx, hash) SELECT level, idx, decode(hash, 'hex') \
             FROM jsonb_to_recordset($1::jsonb) AS x(level int, idx bigint, hash text)"
        }
        _ => {
            "INSERT INTO audit_tree (level, idx, hash) SELECT value->>0, value->>1, unhex(value->>2) FROM json_each(?)"
        }
    };
    for chunk in nodes.chunks(10_000) {
        let doc = match db.get_database_backend() {
            DbBackend::Postgres => serde_json::to_string(
                &chunk.iter().map(|(l, i, h)| serde_json::json!({"level": l, "idx": i, "hash": hex::encode(h)})).collect::<Vec<_>>(),
            ),
            _ => serde_json::to_string(&chunk.iter().map(|(l, i, h)| (l, i, hex::encode(h))).collect::<Vec<_>>()),
        }
        .expect("nodes serialise");
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [doc.into()],
        ))
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
            nodes.extend(f.push(crate::kernel::tree::entry_of(m).leaf_hash()));
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

async fn indexed_upto<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let stmt = Statement::from_string(
        db.get_database_backend(),
        "SELECT upto FROM audit_leaf_index_state WHERE id = 1",
    );
    let row = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("audit_leaf_index_state row missing".into()))?;
    Ok(row.try_get::<i64>("", "upto")? as u64)
}

/// Adds up to `batch` leaves after the indexed prefix to the leaf-hash index; returns how many.
pub async fn index_leaf_hashes(db: &crate::store::Db, batch: u64) -> Result<u64, DbErr> {
    let txn = db.begin_write().await?;
    let upto = indexed_upto(&txn).await?;
    let mut rows = leaves(&txn, upto, upto + batch).await?;
    if rows.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let n = rows.len() as u64;
    // Sorted by hash, the inserts walk the index once from left to right.
    rows.sort_unstable_by_key(|r| r.1);
    let backend = txn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO audit_leaf_index (hash, idx) SELECT decode(hash, 'hex'), idx \
             FROM jsonb_to_recordset($1::jsonb) AS x(hash text, idx bigint)"
        }
        _ => {
            "INSERT INTO audit_leaf_index (hash, idx) SELECT unhex(value->>0), value->>1 FROM json_each(?)"
        }
    };
    for chunk in rows.chunks(20_000) {
        let doc = match backend {
            DbBackend::Postgres => serde_json::to_string(
                &chunk
                    .iter()
                    .map(|(i, h)| serde_json::json!({"hash": hex::encode(h), "idx": i}))
                    .collect::<Vec<_>>(),
            ),
            _ => serde_json::to_string(
                &chunk
                    .iter()
                    .map(|(i, h)| (hex::encode(h), i))
                    .collect::<Vec<_>>(),
            ),
        }
        .expect("leaves serialise");
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, [doc.into()]))
            .await?;
    }
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE audit_leaf_index_state SET upto = $1 WHERE id = 1",
            _ => "UPDATE audit_leaf_index_state SET upto = ? WHERE id = 1",
        },
        [((upto + n) as i64).into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Index of the leaf with this hash, if any: from the leaf-hash index, else from the leaves
/// not indexed yet.
pub async fn find_leaf<C: ConnectionTrait>(db: &C, hash: &Hash) -> Result<Option<u64>, DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| {
        if backend == DbBackend::Postgres {
            format!("${n}")
        } else {
            "?".into()
        }
    };
    let indexed = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT idx FROM audit_leaf_index WHERE hash = {}", p(1)),
            [hash.to_vec().into()],
        ))
        .await?;
    if let Some(row) = indexed {
        return Ok(Some(row.try_get::<i64>("", "idx")? as u64));
    }
    let upto = indexed_upto(db).await?;
    let tail = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT idx FROM audit_tree WHERE level = 0 AND idx >= {} AND hash = {} ORDER BY idx LIMIT 1", p(1), p(2)),
            [(upto as i64).into(), hash.to_vec().into()],
        ))
        .await?;
    Ok(match tail {
        Some(row) => Some(row.try_get::<i64>("", "idx")? as u64),
        None => None,
    })
}

/// Rebuilds the audit row as the entry whose bytes are its leaf.
pub fn entry_of(m: &audit_entry::Model) -> AuditEntry {
    AuditEntry {
        seq: m.seq as u64,
        time: m.time,
        actor: m.actor.clone(),
        action: m.action.clone(),
        entity_type: m.entity_type.clone(),
        entity_id: m.entity_id.clone(),
        // A digest that does not decode cannot match its leaf, which is what verification wants.
        state_digest: m.state_digest.as_deref().map(|d| {
            hex::decode(d)
                .ok()
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0xff; 32])
        }),
        reason: m.reason.clone(),
    }
}
