//! Names for people to read: the audit names stored with every change (`user:zhang.san`,
//! `system:dispatch`, `unit:13`, `citizen`) shown as a person's name and role, a unit's name,
//! 系统 or 群众 — never the code.

use crate::error::AppResult;
use crate::store::entities::{department, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// The display name of who acts now, known without a query (a submission's own answer).
pub fn of_actor(actor: Option<&crate::kernel::actor::Actor>) -> String {
    use crate::kernel::actor::Actor;
    match actor {
        Some(Actor::User(u)) => format!("{}（{}）", u.display_name, u.role.label()),
        Some(Actor::System(_)) => "系统".into(),
        None => "群众".into(),
    }
}

/// Display names for audit names, read in two queries whatever their number; a name not
/// found (a deleted account) reads as 工作人员, never as its code.
pub async fn of_actors<C: ConnectionTrait>(
    db: &C,
    codes: impl IntoIterator<Item = &str>,
) -> AppResult<HashMap<String, String>> {
    let codes: Vec<String> = codes.into_iter().map(String::from).collect();
    let usernames: Vec<&str> = codes
        .iter()
        .filter_map(|c| c.strip_prefix("user:"))
        .collect();
    let units: Vec<i64> = codes
        .iter()
        .filter_map(|c| c.strip_prefix("unit:").and_then(|i| i.parse().ok()))
        .collect();
    let people: HashMap<String, String> = if usernames.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Username.is_in(usernames))
            .all(db)
            .await?
            .into_iter()
            .map(|u| {
                (
                    u.username,
                    format!("{}（{}）", u.display_name, u.role.label()),
                )
            })
            .collect()
    };
    let unit_names: HashMap<i64, String> = if units.is_empty() {
        HashMap::new()
    } else {
        department::Entity::find()
            .filter(department::Column::Id.is_in(units))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    };
    Ok(codes
        .into_iter()
        .map(|c| {
            let name = if let Some(u) = c.strip_prefix("user:") {
                people.get(u).cloned().unwrap_or_else(|| "工作人员".into())
            } else if let Some(id) = c.strip_prefix("unit:") {
                id.parse()
                    .ok()
                    .and_then(|id: i64| unit_names.get(&id).cloned())
                    .unwrap_or_else(|| "单位".into())
            } else if c.starts_with("system") {
                "系统".into()
            } else if c.starts_with("citizen") {
                "群众".into()
            } else if c.is_empty() {
                String::new()
            } else {
                "工作人员".into()
            };
            (c, name)
        })
        .collect())
}

/// What an audit action means, for a person (the code stays beside it for the auditor).
pub fn action_label(code: &str) -> &'static str {
    match code {
        "auth.login" => "登录",
        "auth.login_failed" => "登录失败",
        "auth.login_refused" => "锁定期间登录被拒",
        "auth.lockout" => "账号因密码错误锁定",
        "auth.logout" => "退出",
        "auth.denied" => "越权访问被拒绝",
        "auth.token_issued" => "签发接口令牌",
        "auth.token_revoked" => "吊销接口令牌",
        "user.create" => "新增账号",
        "user.update" => "修改账号",
        "region.create" | "region.update" | "region.delete" => "区划变更",
        "department.create" | "department.update" | "department.delete" => "部门变更",
        "grid.create" | "grid.update" | "grid.delete" => "网格变更",
        "work_order.create" => "登记工单",
        "work_order.action" => "工单办理",
        "work_order.assist_reply" => "协办回复",
        "work_order.escalate" => "工单督办升级",
        "work_order.reveal_phone" => "查看反映人完整电话",
        "work_order.daily_report" => "每日超期通报",
        "application.submit" => "受理办件",
        "application.supplement" | "application.handle" | "application.action" => "办件办理",
        "matter.save" | "matter.import" => "事项目录变更",
        "bundle.save" => "一件事变更",
        "category.update" | "category.seed" => "诉求分类变更",
        "notification_template.update" => "通知模板变更",
        "sla.update" | "sla.seed" => "办理时限变更",
        "user.edit" => "修改账号",
        "rating.create" => "好差评",
        "rectification.open"
        | "rectification.contact"
        | "rectification.answer"
        | "rectification.rated" => "差评整改",
        "desk.raise" | "desk.resolve" => "办不成事",
        "queue.issue" | "queue.call" | "queue.act" | "queue.group" => "排队叫号",
        "resp_list.create" | "resp_list.publish" => "权责清单",
        "calendar.update" | "calendar.seed" => "工作日历",
        "audit.verify" => "验证审计日志",
        "audit.export" => "导出审计日志",
        "audit.cosigned" => "见证方联署",
        "clock.advance" => "调整模拟时间",
        _ => "其他操作",
    }
}

/// What an audited object is, for a person.
pub fn entity_label(entity_type: &str) -> &'static str {
    match entity_type {
        "user" => "账号",
        "session" => "会话",
        "api_token" => "接口令牌",
        "region" => "区划",
        "department" => "部门",
        "grid" => "网格",
        "work_order" => "工单",
        "application" => "办件",
        "rating" => "评价",
        "rectification" => "整改",
        "desk_case" => "办不成事",
        "queue_ticket" | "queue_group" => "叫号",
        "resp_list" => "权责清单",
        "matter" => "事项",
        "bundle" => "一件事",
        "category" => "诉求分类",
        "notification_template" => "通知模板",
        "audit_log" => "审计日志",
        _ => "对象",
    }
}

/// The audit actions an auditor watches first: citizens' numbers seen, refusals, lock-outs,
/// exports.
pub const SENSITIVE_ACTIONS: [&str; 6] = [
    "work_order.reveal_phone",
    "work_order.caller_history",
    "auth.denied",
    "auth.lockout",
    "auth.login_refused",
    "audit.export",
];
