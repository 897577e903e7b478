//! The notification outbox: messages are enqueued in the transaction of the change that causes
//! them and sent afterwards by a job with retries, backoff and a dead-letter state.
//!
//! Wording comes from templates, one per event, that administrators may edit; placeholders are
//! Chinese words in braces (`{查询码}`). Channels: `log` (the server log, and the admin page),
//! `webhook` (an HTTP POST of JSON signed with HMAC-SHA256, for SMS gateways and other systems)
//! and `smtp` (e-mail to units that have an address). Sending is at least once: a message is
//! claimed for a while, delivered outside any transaction, then marked; a receiver tells
//! repeats apart by the `X-Jiceng-Delivery` id.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::department;
use crate::store::entities::notification_template;
use crate::store::entities::outbox;
use chrono::{DateTime, Duration, Utc};
use jiceng_core::outbox::OutboxStatus;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

pub const MAX_ATTEMPTS: i32 = 8;
/// Messages delivered at the same time.
const SEND_AT_ONCE: usize = 16;
/// Messages claimed at once. With 16 at a time and a 10 s timeout each, a claim is done within
/// 100 s, before it lapses.
const CLAIM_BATCH: u64 = 160;
/// How long a claimed message is left to its sender before another may try it.
const CLAIM_SECONDS: i64 = 120;

/// The built-in wording of one event's message and the placeholders it may use.
pub struct Template {
    pub event: &'static str,
    pub label: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
    pub vars: &'static [&'static str],
}

pub const TEMPLATES: &[Template] = &[
    Template {
        event: "work_order.received",
        label: "诉求已受理（告知群众）",
        subject: "您的诉求已受理",
        body: "您反映的问题已受理，查询码{查询码}。可凭查询码和手机号后四位查询办理进度。",
        vars: &["查询码"],
    },
    Template {
        event: "work_order.dispatched",
        label: "新工单待签收（告知主办单位）",
        subject: "新工单待签收",
        body: "工单{查询码}“{标题}”已派至贵单位主办，请在{签收期限}前签收。",
        vars: &["查询码", "标题", "签收期限"],
    },
    Template {
        event: "work_order.extended",
        label: "延期通知（告知群众）",
        subject: "延期通知",
        body: "您的诉求（查询码{查询码}）办理期限延至{办理期限}。",
        vars: &["查询码", "办理期限"],
    },
    Template {
        event: "work_order.replied",
        label: "诉求已答复（告知群众）",
        subject: "诉求已答复",
        body: "您反映的问题（查询码{查询码}）已有答复：{答复}",
        vars: &["查询码", "答复"],
    },
    Template {
        event: "work_order.closed",
        label: "诉求已办结（告知群众）",
        subject: "诉求已办结",
        body: "您反映的问题（查询码{查询码}）已办结，感谢您的监督。",
        vars: &["查询码"],
    },
    Template {
        event: "work_order.merged_closed",
        label: "同类诉求一并办结（告知群众）",
        subject: "诉求已办结",
        body: "您反映的问题（查询码{查询码}）已与同类诉求一并办结，感谢您的监督。",
        vars: &["查询码"],
    },
    Template {
        event: "work_order.yellow",
        label: "黄色预警（告知主办单位）",
        subject: "黄色预警",
        body: "工单{查询码}“{标题}”{提示}",
        vars: &["查询码", "标题", "提示"],
    },
    Template {
        event: "work_order.red",
        label: "红色催办（告知主办单位及负责人）",
        subject: "红色催办",
        body: "工单{查询码}“{标题}”{提示}",
        vars: &["查询码", "标题", "提示"],
    },
    Template {
        event: "work_order.supervised",
        label: "督办（告知主办单位及督查室）",
        subject: "督办",
        body: "工单{查询码}“{标题}”{提示}",
        vars: &["查询码", "标题", "提示"],
    },
    Template {
        event: "work_order.daily_overdue",
        label: "每日超期通报（告知领导）",
        subject: "超期工单通报",
        body: "{日期}超期工单通报：{内容}",
        vars: &["日期", "内容"],
    },
    Template {
        event: "work_order.assist_reply",
        label: "协办单位已回复（告知主办单位）",
        subject: "协办单位已回复",
        body: "工单{查询码}收到协办意见：{意见}",
        vars: &["查询码", "意见"],
    },
    Template {
        event: "work_order.reopened",
        label: "回访未解决重办（告知主办单位）",
        subject: "工单重办",
        body: "工单{查询码}经群众回访未解决，请重新办理。",
        vars: &["查询码"],
    },
    Template {
        event: "application.accepted",
        label: "办件已受理（告知申请人）",
        subject: "办件已受理",
        body: "您申请的“{事项}”已受理，受理编号{查询码}，承诺{承诺日期}前办结。可凭编号和手机号后四位查询进度。",
        vars: &["查询码", "事项", "承诺日期"],
    },
    Template {
        event: "application.correction",
        label: "一次性告知补正（告知申请人）",
        subject: "请补正材料",
        body: "您申请的“{事项}”（编号{查询码}）需一次性补正以下材料：{清单}。补齐后即予受理。",
        vars: &["查询码", "事项", "清单"],
    },
    Template {
        event: "application.not_accepted",
        label: "不予受理（告知申请人）",
        subject: "不予受理告知",
        body: "您申请的“{事项}”（编号{查询码}）不予受理，理由：{原因}。如有疑问可拨打12345。",
        vars: &["查询码", "事项", "原因"],
    },
    Template {
        event: "application.assigned",
        label: "办件转入（告知承办单位）",
        subject: "新办件待办理",
        body: "办件{查询码}“{事项}”已转至贵单位，请于{期限}前办结。",
        vars: &["查询码", "事项", "期限"],
    },
    Template {
        event: "application.suspended",
        label: "暂停计时（告知申请人）",
        subject: "办件暂停计时",
        body: "您的办件{查询码}中“{事项}”因{原因}暂停计时，恢复后办理期限相应顺延。",
        vars: &["查询码", "事项", "原因"],
    },
    Template {
        event: "application.rescheduled",
        label: "承诺日期调整（告知申请人）",
        subject: "承诺办结日期调整",
        body: "您的办件{查询码}承诺办结日期调整为{承诺日期}。",
        vars: &["查询码", "承诺日期"],
    },
    Template {
        event: "application.result",
        label: "事项办结出证（告知申请人）",
        subject: "办理结果",
        body: "您的办件{查询码}中“{事项}”已办结，结果编号{结果}，{送达方式}。",
        vars: &["查询码", "事项", "结果", "送达方式"],
    },
    Template {
        event: "application.completed",
        label: "办件全部办结（告知申请人）",
        subject: "办件已办结",
        body: "您申请的“{事项}”（编号{查询码}）已全部办结，欢迎对本次服务作出评价。",
        vars: &["查询码", "事项"],
    },
    Template {
        event: "rating.rectification",
        label: "差评整改（告知责任单位）",
        subject: "差评整改任务",
        body: "收到对“{对象}”的{等级}评价：{评价内容}。请于{联系期限}前联系群众，{整改期限}前整改并答复。",
        vars: &["对象", "等级", "评价内容", "联系期限", "整改期限"],
    },
    Template {
        event: "rating.answered",
        label: "差评整改答复（告知群众）",
        subject: "评价处理结果",
        body: "您对“{对象}”的评价已处理（{方式}）：{答复}。欢迎对整改情况再次评价。",
        vars: &["对象", "方式", "答复"],
    },
    Template {
        event: "desk.raised",
        label: "办不成事反映（告知专窗负责人）",
        subject: "办不成事反映",
        body: "“办不成事”反映窗口收到新事项（{对象}）：{摘要}。请于{期限}前办结。",
        vars: &["对象", "摘要", "期限"],
    },
];

pub fn template(event: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.event == event)
}

/// Fills `{name}` placeholders.
pub fn render(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A notification to send: to whom, on which event, with what values for the template.
pub struct Message {
    /// Who, for people: `unit:12`, `unit:12:head`, `phone:138****5678`, `role:leader`.
    pub recipient: String,
    /// Where, sealed with the data key (a phone number); empty when the recipient says it.
    pub address_enc: String,
    pub event: &'static str,
    pub vars: Vec<(&'static str, String)>,
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
        }
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
        let row = |channel: &str, address_enc: String| outbox::Model {
            id: 0,
            channel: channel.into(),
            recipient: m.recipient.clone(),
            event: m.event.to_string(),
            subject: render(subject, &m.vars),
            body: render(body, &m.vars),
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
                    "body": m.body,
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
                    .body(m.body.clone())
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

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Serialize)]
pub struct TemplateView {
    pub event: &'static str,
    pub label: &'static str,
    pub subject: String,
    pub body: String,
    pub vars: &'static [&'static str],
    pub customised: bool,
    pub default_subject: &'static str,
    pub default_body: &'static str,
}

/// Templates hold for the whole deployment: administrators only.
async fn require_admin(app: &App, actor: &Actor, action: &str, id: &str) -> AppResult<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(audit::deny(app, actor, action, "notification_template", id).await)
    }
}

/// Every event's template in force (administrators).
pub async fn templates(app: &App, actor: &Actor) -> AppResult<Vec<TemplateView>> {
    require_admin(app, actor, "notification_template.list", "").await?;
    let custom: std::collections::HashMap<String, notification_template::Model> =
        notification_template::Entity::find()
            .all(&app.db.conn)
            .await?
            .into_iter()
            .map(|t| (t.event.clone(), t))
            .collect();
    Ok(TEMPLATES
        .iter()
        .map(|t| {
            let c = custom.get(t.event);
            TemplateView {
                event: t.event,
                label: t.label,
                subject: c.map(|c| c.subject.clone()).unwrap_or(t.subject.into()),
                body: c.map(|c| c.body.clone()).unwrap_or(t.body.into()),
                vars: t.vars,
                customised: c.is_some(),
                default_subject: t.subject,
                default_body: t.body,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub subject: String,
    pub body: String,
}

/// The placeholders of a text that the event does not offer.
fn unknown_vars(text: &str, vars: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if !vars.contains(&name) {
                    out.push(name.to_string());
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// Sets an event's wording (administrators); `None` restores the built-in wording.
pub async fn set_template(
    app: &App,
    actor: &Actor,
    event: &str,
    input: Option<TemplateInput>,
) -> AppResult<TemplateView> {
    require_admin(app, actor, "notification_template.update", event).await?;
    let Some(t) = template(event) else {
        return Err(AppError::new(
            Code::NotificationTemplateNotFound,
            "没有这个通知事件",
        ));
    };
    let now = app.now();
    let txn = app.db.begin_write().await?;
    notification_template::Entity::delete_by_id(event.to_string())
        .exec(&txn)
        .await?;
    let reason = match &input {
        Some(i) => {
            let mut errors = Vec::new();
            for (field, text, max) in [("subject", &i.subject, 60), ("body", &i.body, 500)] {
                let n = text.trim().chars().count();
                if n == 0 || n > max {
                    errors.push(FieldError {
                        field: field.into(),
                        message: format!("请填写1～{max}个字"),
                    });
                }
                let unknown = unknown_vars(text, t.vars);
                if !unknown.is_empty() {
                    errors.push(FieldError {
                        field: field.into(),
                        message: format!(
                            "不认识的占位符：{}（可用：{}）",
                            unknown.join("、"),
                            t.vars
                                .iter()
                                .map(|v| format!("{{{v}}}"))
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                    });
                }
            }
            if !errors.is_empty() {
                let first = errors[0].message.clone();
                return Err(AppError::invalid(
                    Code::NotificationTemplateInvalid,
                    first,
                    errors,
                ));
            }
            notification_template::ActiveModel {
                event: Set(event.to_string()),
                subject: Set(i.subject.trim().to_string()),
                body: Set(i.body.trim().to_string()),
                updated_by: Set(actor.audit_name()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            "修改"
        }
        None => "恢复默认",
    };
    audit::record(
        &txn,
        now,
        &actor.audit_name(),
        Event::new(
            "notification_template.update",
            "notification_template",
            event,
        )
        .state(&input.as_ref().map(|i| (&i.subject, &i.body)))
        .reason(reason),
    )
    .await?;
    txn.commit().await?;
    templates(app, actor)
        .await?
        .into_iter()
        .find(|v| v.event == event)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("template {event} vanished")))
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
            status: m.status.code().to_string(),
            attempts: m.attempts,
            created_at: m.created_at,
        })
        .collect())
}
