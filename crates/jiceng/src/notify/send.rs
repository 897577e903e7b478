//! Delivery: the configured channels (log, webhook, SMTP) and the sender job that claims due
//! messages, delivers them outside any transaction and records the outcome.

use crate::error::AppResult;
use crate::kernel::app::App;
use crate::store::entities::outbox;
use chrono::Duration;
use jiceng_core::outbox::OutboxStatus;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::*;

/// Messages delivered at the same time.
const SEND_AT_ONCE: usize = 16;
/// Messages claimed at once. With 16 at a time and a 10 s timeout each, a claim is done within
/// 100 s, before it lapses.
const CLAIM_BATCH: u64 = 160;
/// How long a claimed message is left to its sender before another may try it.
const CLAIM_SECONDS: i64 = 120;

/// The senders of the configured channels.
pub struct Channels {
    http: reqwest::Client,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
}

impl Channels {
    pub fn new(app: &App) -> anyhow::Result<Channels> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        let smtp = match &app.config.smtp_url {
            Some(u) => {
                // Plain SMTP to a relay on the local network (no TLS in this build).
                let url = url::Url::parse(u).map_err(|e| anyhow::anyhow!("smtp_url 无效：{e}"))?;
                let host = url
                    .host_str()
                    .ok_or_else(|| anyhow::anyhow!("smtp_url 缺少主机名"))?;
                let mut b =
                    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(host)
                        .port(url.port().unwrap_or(25))
                        .timeout(Some(std::time::Duration::from_secs(10)));
                if !url.username().is_empty() {
                    let user = url::form_urlencoded::parse(url.username().as_bytes())
                        .map(|(k, _)| k.into_owned())
                        .next()
                        .unwrap_or_default();
                    b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
                        user,
                        url.password().unwrap_or("").to_string(),
                    ));
                }
                Some(b.build())
            }
            None => None,
        };
        Ok(Channels { http, smtp })
    }

    /// Delivers one message on its channel.
    async fn deliver(&self, app: &App, m: &outbox::Model) -> Result<(), String> {
        let address = || {
            app.data_key
                .open(&m.address_enc)
                .ok_or_else(|| "无法解密收件地址（数据密钥不一致）".to_string())
        };
        // What the recipient reads: the sealed full text when the message carries a secret
        // (a 查询密码), the stored body otherwise. The log channel writes the masked body.
        let full_body = || {
            if m.body_enc.is_empty() {
                Ok(m.body.clone())
            } else {
                app.data_key
                    .open(&m.body_enc)
                    .ok_or_else(|| "无法解密通知正文（数据密钥不一致）".to_string())
            }
        };
        match m.channel.as_str() {
            "log" => {
                tracing::info!(to = %m.recipient, event = %m.event, subject = %m.subject, body = %m.body, "notification");
                Ok(())
            }
            "webhook" => {
                let (Some(url), Some(secret)) = (
                    &app.config.notify_webhook_url,
                    &app.config.notify_webhook_secret,
                ) else {
                    return Err("未配置 webhook 地址".into());
                };
                let body = serde_json::to_vec(&serde_json::json!({
                    "id": m.id,
                    "event": m.event,
                    "recipient": m.recipient,
                    "address": Some(address()?).filter(|a| !a.is_empty()),
                    "subject": m.subject,
                    "body": full_body()?,
                    "created_at": m.created_at,
                }))
                .expect("message serialises");
                let ts = app.now().timestamp().to_string();
                let mut signed = ts.clone().into_bytes();
                signed.push(b'.');
                signed.extend_from_slice(&body);
                let signature = crate::kernel::crypto::hmac_sha256_hex(secret.as_bytes(), &signed);
                let r = self
                    .http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-jiceng-event", &m.event)
                    .header("x-jiceng-delivery", m.id.to_string())
                    .header("x-jiceng-timestamp", ts)
                    .header("x-jiceng-signature", format!("sha256={signature}"))
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| format!("webhook 请求失败：{e}"))?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("webhook 返回 HTTP {}", r.status().as_u16()))
                }
            }
            "smtp" => {
                use lettre::AsyncTransport;
                let Some(smtp) = &self.smtp else {
                    return Err("未配置邮件服务器".into());
                };
                let email = lettre::Message::builder()
                    .from(
                        app.config
                            .smtp_from
                            .parse()
                            .map_err(|e| format!("发件地址无效：{e}"))?,
                    )
                    .to(address()?
                        .parse()
                        .map_err(|e| format!("收件地址无效：{e}"))?)
                    .subject(&m.subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(full_body()?)
                    .map_err(|e| format!("邮件无法生成：{e}"))?;
                smtp.send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("邮件发送失败：{e}"))
            }
            other => Err(format!("不支持的通知渠道 {other}")),
        }
    }
}

/// Sends every message due now; returns how many were sent. Claims them in one short
/// transaction, delivers them outside it, and records the outcomes in another.
pub async fn send_due(app: &App, channels: &Channels) -> AppResult<usize> {
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let mut q = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::Id)
        .limit(CLAIM_BATCH);
    if app.db.backend == crate::store::Backend::Postgres {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let due = q.all(&txn).await?;
    if due.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    let ids: Vec<i64> = due.iter().map(|m| m.id).collect();
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(now + Duration::seconds(CLAIM_SECONDS)),
        )
        .filter(outbox::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    // Delivered a few at a time, so that one slow receiver does not hold up the rest.
    let mut results = Vec::with_capacity(due.len());
    let mut pending = due.into_iter();
    loop {
        let wave: Vec<outbox::Model> = pending.by_ref().take(SEND_AT_ONCE).collect();
        if wave.is_empty() {
            break;
        }
        let outcomes = wave.iter().map(|m| channels.deliver(app, m));
        let outcomes = futures_util::future::join_all(outcomes).await;
        results.extend(wave.into_iter().zip(outcomes));
    }
    let txn = app.db.begin_write().await?;
    let mut sent = 0;
    for (m, result) in results {
        let attempts = m.attempts + 1;
        let mut am: outbox::ActiveModel = m.into();
        am.attempts = Set(attempts);
        match result {
            Ok(()) => {
                am.status = Set(OutboxStatus::Sent);
                am.sent_at = Set(Some(now));
                am.last_error = Set(String::new());
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, "notification not delivered");
                am.last_error = Set(e);
                if attempts >= MAX_ATTEMPTS {
                    am.status = Set(OutboxStatus::Dead);
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

pub async fn run_sender(app: App, mut shutdown: crate::kernel::jobs::Shutdown) {
    let channels = match Channels::new(&app) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "notification channels not started");
            return;
        }
    };
    // Not a singleton: nodes claim messages with SKIP LOCKED, so each is sent once.
    while crate::kernel::jobs::wait(&mut shutdown, std::time::Duration::from_millis(500), None)
        .await
    {
        if let Err(e) = send_due(&app, &channels).await {
            tracing::warn!(error = %e, "outbox send failed");
        }
    }
}
