//! The notification outbox: messages are enqueued in the transaction of the change that causes
//! them and sent afterwards by a job with retries, backoff and a dead-letter state.

use crate::app::App;
use crate::error::AppResult;
use crate::store::entities::outbox;
use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

pub const MAX_ATTEMPTS: i32 = 8;

/// A notification to send.
pub struct Message {
    pub recipient: String,
    pub event: String,
    pub subject: String,
    pub body: String,
}

impl Message {
    pub fn new(
        recipient: impl Into<String>,
        event: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            recipient: recipient.into(),
            event: event.into(),
            subject: subject.into(),
            body: body.into(),
        }
    }
}

pub async fn enqueue(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    recipient: &str,
    event: &str,
    subject: &str,
    body: &str,
) -> AppResult<()> {
    enqueue_many(
        txn,
        now,
        vec![Message::new(recipient, event, subject, body)],
    )
    .await
}

/// Enqueues messages in the transaction of the change that causes them.
pub async fn enqueue_many(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    messages: Vec<Message>,
) -> AppResult<()> {
    let rows: Vec<outbox::Model> = messages
        .into_iter()
        .map(|m| outbox::Model {
            id: 0,
            channel: "log".into(),
            recipient: m.recipient,
            event: m.event,
            subject: m.subject,
            body: m.body,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: String::new(),
            created_at: now,
            sent_at: None,
            address_enc: String::new(),
        })
        .collect();
    crate::store::bulk::insert_models::<outbox::Entity, _>(txn, &rows, "").await?;
    Ok(())
}

/// Delivers one message on its channel. The `log` channel writes it to the server log, where
/// the demo's admin page reads it back from the outbox.
fn deliver(m: &outbox::Model) -> Result<(), String> {
    match m.channel.as_str() {
        "log" => {
            tracing::info!(to = %m.recipient, event = %m.event, subject = %m.subject, body = %m.body, "notification");
            Ok(())
        }
        other => Err(format!("不支持的通知渠道 {other}")),
    }
}

/// Sends every message due now; returns how many were sent.
pub async fn send_due(app: &App) -> AppResult<usize> {
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let mut q = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(200);
    if app.db.backend == crate::store::Backend::Postgres {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let due = q.all(&txn).await?;
    let mut sent = 0;
    for m in due {
        let result = deliver(&m);
        let attempts = m.attempts + 1;
        let mut am: outbox::ActiveModel = m.into();
        am.attempts = Set(attempts);
        match result {
            Ok(()) => {
                am.status = Set("sent".into());
                am.sent_at = Set(Some(now));
                sent += 1;
            }
            Err(e) => {
                am.last_error = Set(e);
                if attempts >= MAX_ATTEMPTS {
                    am.status = Set("dead".into());
                } else {
                    am.next_attempt_at = Set(now + Duration::seconds(2i64.pow(attempts as u32)));
                }
            }
        }
        am.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(sent)
}

pub async fn run_sender(app: App) {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if let Err(e) = send_due(&app).await {
            tracing::warn!(error = %e, "outbox send failed");
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub event: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// Recent messages, newest first (admins).
pub async fn recent(app: &App, recipient: Option<&str>, limit: u64) -> AppResult<Vec<MessageView>> {
    let mut q = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .limit(limit);
    if let Some(r) = recipient {
        q = q.filter(outbox::Column::Recipient.eq(r));
    }
    Ok(q.all(&app.db.conn)
        .await?
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            event: m.event,
            subject: m.subject,
            body: m.body,
            status: m.status,
            attempts: m.attempts,
            created_at: m.created_at,
        })
        .collect())
}
