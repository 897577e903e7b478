//! Admins' edits of the reference data: categories, the calendar's special days, SLA policies;
//! each bumps the reference version so every node reloads.

use super::*;
use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::calendar_day;
use crate::store::entities::category;
use crate::store::entities::sla_policy;
use chrono::NaiveDate;
use jiceng_core::calendar::SpecialDay;
use jiceng_core::sla::{Policy, Priority};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};

fn require_admin(actor: &crate::kernel::actor::Actor) -> bool {
    actor.is_deployment_admin()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    /// Keywords for the rule classifier, separated by `、`.
    #[serde(default)]
    pub keywords: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Adds or changes a category of the 3-level taxonomy (admins). A code has two characters
/// per level (`01`, `0103`, `010302`); its parent is the code without the last two.
pub async fn set_category(
    app: &crate::kernel::app::App,
    actor: &crate::kernel::actor::Actor,
    code: &str,
    input: CategoryInput,
) -> AppResult<CategoryView> {
    if !require_admin(actor) {
        return Err(audit::deny(app, actor, "category.update", "category", code).await);
    }
    let code = code.trim();
    if !(2..=6).contains(&code.len())
        || !code.len().is_multiple_of(2)
        || !code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AppError::field(
            "code",
            Code::CategoryBadCode,
            "分类编码每级两位字母或数字，共1～3级（如 01、0103、010302）",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(AppError::field(
            "name",
            Code::CategoryBadName,
            "请填写1～50个字的分类名称",
        ));
    }
    let keywords: Vec<&str> = input
        .keywords
        .split(['、', ',', '，'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    if keywords.len() > 50 || keywords.iter().any(|k| k.chars().count() > 20) {
        return Err(AppError::field(
            "keywords",
            Code::CategoryBadKeywords,
            "关键词最多50个，每个不超过20个字，用“、”分隔",
        ));
    }
    let parent = (code.len() > 2).then(|| code[..code.len() - 2].to_string());
    let now = app.now();
    let txn = app.db.begin_write().await?;
    if let Some(p) = &parent {
        let ok = category::Entity::find_by_id(p.clone())
            .one(&txn)
            .await?
            .is_some_and(|c| c.active);
        if !ok {
            return Err(AppError::field(
                "code",
                Code::CategoryNoParent,
                format!("上级分类 {p} 不存在或已停用"),
            ));
        }
    }
    if !input.active {
        let children = category::Entity::find()
            .filter(category::Column::ParentCode.eq(code))
            .filter(category::Column::Active.eq(true))
            .count(&txn)
            .await?;
        if children > 0 {
            return Err(AppError::new(
                Code::CategoryHasChildren,
                "该分类下还有启用的下级分类，请先停用下级分类",
            ));
        }
    }
    let existing = category::Entity::find_by_id(code.to_string())
        .one(&txn)
        .await?;
    let created = existing.is_none();
    let row = category::ActiveModel {
        code: Set(code.to_string()),
        name: Set(name.to_string()),
        parent_code: Set(parent),
        level: Set((code.len() / 2) as i32),
        keywords: Set(keywords.join("、")),
        active: Set(input.active),
        updated_at: Set(now),
    };
    match existing {
        None => {
            category::Entity::insert(row)
                .exec_without_returning(&txn)
                .await?;
        }
        Some(_) => {
            category::Entity::update(row).exec(&txn).await?;
        }
    }
    let ev = Event::new(
        if created {
            "category.create"
        } else {
            "category.update"
        },
        "category",
        code,
    )
    .state(&(name, &keywords, input.active));
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::REFERENCE).await?;
    txn.commit().await?;
    crate::reference::of(app).reload(&app.db).await?;
    crate::reference::of(app)
        .get()
        .categories
        .get(code)
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("category {code} vanished")))
}

/// Replaces one year of the calendar's holidays and adjusted workdays (admins, when the
/// State Council's notice for the year is out).
pub async fn set_year(
    app: &crate::kernel::app::App,
    actor: &crate::kernel::actor::Actor,
    year: i32,
    days: Vec<SpecialDay>,
) -> AppResult<usize> {
    if !require_admin(actor) {
        return Err(
            audit::deny(app, actor, "calendar.update", "calendar", &year.to_string()).await,
        );
    }
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field(
            "year",
            Code::CalendarBadYear,
            "年份须在2000～2100之间",
        ));
    }
    if let Some(d) = days
        .iter()
        .find(|d| chrono::Datelike::year(&d.date) != year)
    {
        return Err(AppError::field(
            "days",
            Code::CalendarWrongYear,
            format!("{} 不属于{year}年", d.date),
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    calendar_day::Entity::delete_many()
        .filter(calendar_day::Column::Day.starts_with(format!("{year}-")))
        .exec(&txn)
        .await?;
    for d in &days {
        calendar_day::Entity::insert(calendar_day::ActiveModel {
            day: Set(d.date.format("%Y-%m-%d").to_string()),
            off: Set(d.off),
            name: Set(d.name.trim().to_string()),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    let ev = Event::new("calendar.update", "calendar", year.to_string()).state(&days);
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::REFERENCE).await?;
    txn.commit().await?;
    crate::reference::of(app).reload(&app.db).await?;
    Ok(days.len())
}

/// The special days of a year.
pub fn year(app: &crate::kernel::app::App, year: i32) -> Vec<SpecialDay> {
    let r = crate::reference::of(app).get();
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1);
    while let Some(day) = d.filter(|x| chrono::Datelike::year(x) == year) {
        if let Some(name) = r.calendar.name_of(day) {
            out.push(SpecialDay {
                date: day,
                off: !r.calendar.is_workday(day),
                name: name.to_string(),
            });
        }
        d = day.succ_opt();
    }
    out
}

/// Sets the policy for a category (or `*`) and priority.
pub async fn set_policy(
    app: &crate::kernel::app::App,
    actor: &crate::kernel::actor::Actor,
    category: &str,
    priority: Priority,
    policy: Policy,
) -> AppResult<()> {
    if !require_admin(actor) {
        return Err(audit::deny(app, actor, "sla.update", "sla_policy", category).await);
    }
    if category != "*"
        && crate::reference::of(app)
            .get()
            .categories
            .get(category)
            .is_none()
    {
        return Err(AppError::field(
            "category_code",
            Code::WorkOrderUnknownCategory,
            format!("分类 {category} 不存在"),
        ));
    }
    let t = policy.thresholds;
    if policy.sign.amount == 0
        || policy.contact.amount == 0
        || policy.resolve.amount == 0
        || !(t.yellow_percent < t.red_percent && t.red_percent < t.supervise_percent)
    {
        return Err(AppError::field(
            "policy",
            Code::SlaInvalid,
            "时限须大于0，且预警、催办、督办的比例须依次增大",
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    sla_policy::Entity::delete_many()
        .filter(sla_policy::Column::CategoryCode.eq(category))
        .filter(sla_policy::Column::Priority.eq(priority.code()))
        .exec(&txn)
        .await?;
    sla_policy::Entity::insert(sla_policy::ActiveModel {
        category_code: Set(category.to_string()),
        priority: Set(priority),
        policy: Set(serde_json::to_string(&policy).expect("policy")),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let ev = Event::new(
        "sla.update",
        "sla_policy",
        format!("{category}/{}", priority.code()),
    )
    .state(&policy);
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    crate::kernel::versions::bump(&txn, crate::kernel::versions::REFERENCE).await?;
    txn.commit().await?;
    crate::reference::of(app).reload(&app.db).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct PolicyView {
    pub category_code: String,
    pub priority: String,
    pub policy: Policy,
}

pub fn policies(app: &crate::kernel::app::App) -> Vec<PolicyView> {
    let r = crate::reference::of(app).get();
    let mut v: Vec<PolicyView> = r
        .policies
        .iter()
        .map(|((c, p), pol)| PolicyView {
            category_code: c.clone(),
            priority: p.code().into(),
            policy: *pol,
        })
        .collect();
    v.sort_by(|a, b| (&a.category_code, &a.priority).cmp(&(&b.category_code, &b.priority)));
    v
}
