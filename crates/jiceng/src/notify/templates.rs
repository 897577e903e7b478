//! Message wording: the built-in templates, one per event, and administrators' edits of them.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::notification_template;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait};
use serde::{Deserialize, Serialize};

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
        body: "您反映的问题已受理，查询码{查询码}，查询密码{查询密码}（请妥善保管，工作人员不会向您索要）。可凭查询码和查询密码查询办理进度、评价办理结果。",
        vars: &["查询码", "查询密码"],
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
        event: "work_order.answered",
        label: "直接答复办结（告知群众）",
        subject: "诉求已答复",
        body: "您反映的问题（查询码{查询码}）已当场答复：{答复}。如仍有疑问，请拨打12345。",
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
        event: "work_order.urged",
        label: "督查催办（告知主办单位）",
        subject: "工单催办",
        body: "工单{查询码}“{标题}”被催办：{意见}。请抓紧办理，办结期限{办结期限}。",
        vars: &["查询码", "标题", "意见", "办结期限"],
    },
    Template {
        event: "work_order.supervision_notice",
        label: "下发督办单（告知主办单位及其负责人）",
        subject: "督办单",
        body: "{编号}：工单{查询码}“{标题}”已超期，请于期限（{期限}）内办结并书面报告办理情况。督办要求：{要求}",
        vars: &["编号", "查询码", "标题", "期限", "要求"],
    },
    Template {
        event: "work_order.supervision_missed",
        label: "督办单逾期未办（报县领导及单位负责人）",
        subject: "督办单逾期",
        body: "{编号}要求{单位}在期限（{期限}）内办结工单{查询码}“{标题}”，逾期仍未办理，已提级督办。",
        vars: &["编号", "单位", "期限", "查询码", "标题"],
    },
    Template {
        event: "work_order.reopened",
        label: "回访未解决重办（告知主办单位）",
        subject: "工单重办",
        body: "工单{查询码}经群众回访未解决，请重新办理。",
        vars: &["查询码"],
    },
    Template {
        event: "application.pin",
        label: "办件查询密码（告知申请人）",
        subject: "办件查询密码",
        body: "您的办件编号{查询码}，查询密码{查询密码}（请妥善保管，工作人员不会向您索要）。可凭编号和查询密码查询进度、补正材料、评价服务。",
        vars: &["查询码", "查询密码"],
    },
    Template {
        event: "application.accepted",
        label: "办件已受理（告知申请人）",
        subject: "办件已受理",
        body: "您申请的“{事项}”已受理，受理编号{查询码}，承诺{承诺日期}前办结。可凭编号和查询密码查询进度。",
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
    if actor.is_deployment_admin() {
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
