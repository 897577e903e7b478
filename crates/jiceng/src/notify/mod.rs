//! The notification outbox: messages are enqueued in the transaction of the change that causes
//! them and sent afterwards by a job with retries, backoff and a dead-letter state.
//!
//! Wording comes from templates, one per event, that administrators may edit; placeholders are
//! Chinese words in braces (`{查询码}`). Channels: `log` (the server log, and the admin page),
//! `webhook` (an HTTP POST of JSON signed with HMAC-SHA256, for SMS gateways and other systems)
//! and `smtp` (e-mail to units that have an address). Sending is at least once: a message is
//! claimed for a while, delivered outside any transaction, then marked; a receiver tells
//! repeats apart by the `X-Jiceng-Delivery` id.
//!
//! `mod.rs` holds the enqueueing (the write path's part) and the admins' view of recent
//! messages; `templates.rs` the wording and its edits; `send.rs` the channels and the sender job.

mod send;
mod templates;

pub use send::*;
pub use templates::*;

use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::store::entities::department;
use crate::store::entities::notification_template;
use crate::store::entities::outbox;
use chrono::{DateTime, Utc};
use jiceng_core::outbox::OutboxStatus;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

pub const MAX_ATTEMPTS: i32 = 8;

/// A notification to send: to whom, on which event, with what values for the template.
pub struct Message {
    /// Who, for people: `unit:12`, `unit:12:head`, `phone:138****5678`, `role:leader`.
    pub recipient: String,
    /// Where, sealed with the data key (a phone number); empty when the recipient says it.
    pub address_enc: String,
    pub event: &'static str,
    pub vars: Vec<(&'static str, String)>,
    /// Values only the recipient may read (a 查询密码): in the sent text, `******` in the
    /// stored readable one.
    pub secrets: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(
        recipient: impl Into<String>,
        event: &'static str,
        vars: Vec<(&'static str, String)>,
    ) -> Self {
        debug_assert!(template(event).is_some(), "no template for {event}");
        Self {
            recipient: recipient.into(),
            address_enc: String::new(),
            event,
            vars,
            secrets: Vec::new(),
        }
    }

    pub fn secret(mut self, name: &'static str, value: String) -> Self {
        self.secrets.push((name, value));
        self
    }

    pub fn address(mut self, sealed: &str) -> Self {
        self.address_enc = sealed.to_string();
        self
    }
}

/// The unit a recipient names (`unit:12`, `unit:12:head`).
fn unit_of(recipient: &str) -> Option<i64> {
    recipient
        .strip_prefix("unit:")?
        .split(':')
        .next()?
        .parse()
        .ok()
}

/// Enqueues messages in the transaction of the change that causes them: worded by the
/// templates in force, one row per channel that reaches the recipient (`log` when none does).
pub async fn enqueue_many(
    txn: &DatabaseTransaction,
    app: &App,
    now: DateTime<Utc>,
    messages: Vec<Message>,
) -> AppResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut events: Vec<&str> = messages.iter().map(|m| m.event).collect();
    events.sort_unstable();
    events.dedup();
    let custom: std::collections::HashMap<String, notification_template::Model> =
        notification_template::Entity::find()
            .filter(notification_template::Column::Event.is_in(events))
            .all(txn)
            .await?
            .into_iter()
            .map(|t| (t.event.clone(), t))
            .collect();
    let emails: std::collections::HashMap<i64, String> = if app.config.smtp_url.is_some() {
        let units: Vec<i64> = messages
            .iter()
            .filter_map(|m| unit_of(&m.recipient))
            .collect();
        department::Entity::find()
            .filter(department::Column::Id.is_in(units))
            .filter(department::Column::Email.ne(""))
            .all(txn)
            .await?
            .into_iter()
            .map(|d| (d.id, d.email))
            .collect()
    } else {
        Default::default()
    };
    let mut rows = Vec::with_capacity(messages.len());
    for m in messages {
        let (subject, body) = match (custom.get(m.event), template(m.event)) {
            (Some(c), _) => (c.subject.as_str(), c.body.as_str()),
            (None, Some(t)) => (t.subject, t.body),
            (None, None) => ("通知", ""),
        };
        let shown: Vec<(&str, String)> = m
            .vars
            .iter()
            .cloned()
            .chain(m.secrets.iter().map(|(k, _)| (*k, "******".to_string())))
            .collect();
        let body_enc = if m.secrets.is_empty() {
            String::new()
        } else {
            let full: Vec<(&str, String)> = m.vars.iter().chain(&m.secrets).cloned().collect();
            app.data_key.seal(&render(body, &full))
        };
        let row = |channel: &str, address_enc: String| outbox::Model {
            id: 0,
            channel: channel.into(),
            recipient: m.recipient.clone(),
            event: m.event.to_string(),
            subject: render(subject, &m.vars),
            body: render(body, &shown),
            body_enc: body_enc.clone(),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: String::new(),
            created_at: now,
            sent_at: None,
            address_enc,
        };
        let before = rows.len();
        if app.config.notify_webhook_url.is_some() {
            rows.push(row("webhook", m.address_enc.clone()));
        }
        if let Some(email) = unit_of(&m.recipient).and_then(|u| emails.get(&u)) {
            rows.push(row("smtp", app.data_key.seal(email)));
        }
        if rows.len() == before {
            rows.push(row("log", m.address_enc.clone()));
        }
    }
    crate::store::bulk::insert_models::<outbox::Entity, _>(txn, &rows, "").await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct MessageView {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    /// The recipient as a person reads it.
    pub recipient_name: String,
    pub event: String,
    /// The event as a person reads it.
    pub event_label: &'static str,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// The messages, newest first, a page at a time (administrators of the whole deployment),
/// with the recipient and the event named for a person.
pub async fn page(
    app: &App,
    actor: &Actor,
    recipient: Option<&str>,
    page: crate::kernel::paging::PageParams,
) -> AppResult<crate::kernel::paging::Page<MessageView>> {
    if !actor.is_deployment_admin() {
        return Err(crate::kernel::audit::deny(app, actor, "outbox.read", "outbox", "").await);
    }
    let mut q = outbox::Entity::find().order_by_desc(outbox::Column::Id);
    if let Some(r) = recipient.filter(|r| !r.is_empty()) {
        q = q.filter(outbox::Column::Recipient.eq(r));
    }
    let rows = crate::kernel::paging::paginate(&app.db.conn, q, page, Ok).await?;
    let names = crate::kernel::names::of_actors(
        &app.db.conn,
        rows.items.iter().map(|m| m.recipient.as_str()),
    )
    .await?;
    Ok(crate::kernel::paging::Page {
        items: rows
            .items
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                channel: m.channel,
                // A phone or an address is shown as stored (masked); an account or a unit by name.
                recipient_name: if m.recipient.starts_with("user:")
                    || m.recipient.starts_with("unit:")
                {
                    names.get(&m.recipient).cloned().unwrap_or_default()
                } else {
                    m.recipient.clone()
                },
                recipient: m.recipient,
                event_label: templates::template(&m.event).map_or("通知", |t| t.label),
                event: m.event,
                subject: m.subject,
                body: m.body,
                status: m.status.code().to_string(),
                attempts: m.attempts,
                created_at: m.created_at,
            })
            .collect(),
        total: rows.total,
        page: rows.page,
        per_page: rows.per_page,
    })
}
