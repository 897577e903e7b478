//! The one audit write path. [`record`] appends an entry inside the transaction of the change
//! it describes; nothing else writes `audit_log`. Refusals and failed logins are recorded too.

use crate::error::AppError;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::tree;
use chrono::{DateTime, Utc};
use jiceng_core::audit::{AuditEntry, state_digest};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use serde::Serialize;

/// What happened, to what, and why.
pub struct Event<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    /// The entity's new state; only its digest enters the log.
    pub state: Option<serde_json::Value>,
    pub reason: String,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: impl Into<String>) -> Self {
        Self {
            action,
            entity_type,
            entity_id: entity_id.into(),
            state: None,
            reason: String::new(),
        }
    }

    pub fn state<T: Serialize>(mut self, state: &T) -> Self {
        self.state = Some(serde_json::to_value(state).expect("state serialises"));
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }
}

/// Takes the next `count` sequence numbers in `txn` and returns the first. The row lock on
/// `audit_head` orders concurrent writers, so numbers are gapless and follow commit order.
pub(crate) async fn take_seqs(
    txn: &DatabaseTransaction,
    count: i64,
) -> Result<i64, sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    let bump = Query::update()
        .table(Alias::new("audit_head"))
        .value(
            Alias::new("last_seq"),
            Expr::col(Alias::new("last_seq")).add(count),
        )
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .returning_col(Alias::new("last_seq"))
        .to_owned();
    let row = txn
        .query_one_raw(backend.build(&bump))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("audit_head row missing".into()))?;
    let last: i64 = row.try_get("", "last_seq")?;
    Ok(last - count + 1)
}

pub(crate) fn make_entry(
    seq: i64,
    now: DateTime<Utc>,
    actor: &str,
    event: Event<'_>,
) -> AuditEntry {
    AuditEntry {
        seq: seq as u64,
        // Stored with microsecond precision; the encoded time must match what is stored.
        time: DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now),
        actor: actor.to_string(),
        action: event.action.to_string(),
        entity_type: event.entity_type.to_string(),
        entity_id: event.entity_id,
        state_digest: event.state.as_ref().map(state_digest),
        reason: event.reason,
    }
}

/// Appends an audit entry in `txn`: the row and its leaf in the Merkle tree, together.
pub async fn record(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &str,
    event: Event<'_>,
) -> Result<AuditEntry, sea_orm::DbErr> {
    let seq = take_seqs(txn, 1).await?;
    let entry = make_entry(seq, now, actor, event);
    append(txn, std::slice::from_ref(&entry)).await?;
    Ok(entry)
}

/// Appends many entries of one actor in `txn` at once (imports, benchmarks).
pub async fn record_many(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    actor: &str,
    events: Vec<Event<'_>>,
) -> Result<Vec<AuditEntry>, sea_orm::DbErr> {
    let events = events.into_iter().map(|e| (actor.to_string(), e)).collect();
    record_batch(txn, now, events).await
}

/// Appends many entries, each with its actor, in `txn` at once (group commit): one frontier
/// read, batched inserts.
pub async fn record_batch(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    events: Vec<(String, Event<'_>)>,
) -> Result<Vec<AuditEntry>, sea_orm::DbErr> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let first = take_seqs(txn, events.len() as i64).await?;
    let entries: Vec<AuditEntry> = events
        .into_iter()
        .enumerate()
        .map(|(i, (actor, e))| make_entry(first + i as i64, now, &actor, e))
        .collect();
    append(txn, &entries).await?;
    Ok(entries)
}

/// Writes entries (consecutive sequence numbers) and the tree nodes their leaves complete.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    entries: &[AuditEntry],
) -> Result<(), sea_orm::DbErr> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let mut frontier = tree::frontier(txn, first.seq - 1).await?;
    let mut nodes = Vec::with_capacity(entries.len() * 2);
    for e in entries {
        nodes.extend(frontier.push(e.leaf_hash()));
    }
    // The hot path of every write: all rows travel as one JSON document per statement and
    // the database unpacks them, instead of thousands of bound parameters.
    let rows: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "seq": e.seq,
                // The text form sqlx gives a DateTime<Utc> on SQLite, so reads parse it back.
                "time": e.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
                "actor": e.actor,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "state_digest": e.state_digest.map(hex::encode),
                "reason": e.reason,
            })
        })
        .collect();
    let sql = match txn.get_database_backend() {
        DbBackend::Postgres => {
            "INSERT INTO audit_log (seq, time, actor, action, entity_type, entity_id, state_digest, reason) \
             SELECT seq, time, actor, action, entity_type, entity_id, state_digest, reason \
             FROM jsonb_to_recordset($1::jsonb) AS x(seq bigint, time timestamptz, actor text, action text, \
             entity_type text, entity_id text, state_digest text, reason text)"
        }
        _ => {
            "INSERT INTO audit_log (seq, time, actor, action, entity_type, entity_id, state_digest, reason) \
             SELECT value->>'seq', value->>'time', value->>'actor', value->>'action', value->>'entity_type', \
             value->>'entity_id', value->>'state_digest', value->>'reason' FROM json_each(?)"
        }
    };
    for chunk in rows.chunks(5000) {
        let doc = serde_json::to_string(chunk).expect("rows serialise");
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            [doc.into()],
        ))
        .await?;
    }
    tree::insert_nodes(txn, &nodes).await
}

/// Records an event that changes nothing else (a failed login, a refused request) in a
/// transaction of its own.
pub async fn record_alone(app: &App, actor: &str, event: Event<'_>) -> AppResult<()> {
    let txn = app.db.begin_write().await?;
    record(&txn, app.now(), actor, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Records a permission denial and returns the error to give the caller.
pub async fn deny(
    app: &App,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
) -> AppError {
    let event = Event::new("auth.denied", entity_type, entity_id).reason(action.to_string());
    if let Err(e) = record_alone(app, &actor.audit_name(), event).await {
        return e;
    }
    AppError::forbidden()
}

/// Refuses a change by a non-admin (403) or outside the admin's jurisdiction (`outside`,
/// usually a 404 so that existence does not leak); both are audited.
pub(crate) async fn require_admin_over(
    app: &crate::kernel::app::App,
    actor: &Actor,
    region: &jiceng_core::RegionCode,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    outside: crate::error::AppError,
) -> crate::error::AppResult<()> {
    if !actor.is_admin() {
        return Err(deny(app, actor, action, entity_type, entity_id).await);
    }
    if !actor.covers_region(region) {
        deny(app, actor, action, entity_type, entity_id).await;
        return Err(outside);
    }
    Ok(())
}
