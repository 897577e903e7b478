//! Reference data the work-order loop runs on: the category taxonomy, the working-day
//! calendar, SLA policies, and the classifier trained from labelled messages. Seeded on first
//! start from data shipped in the binary; admins edit them afterwards.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::Db;
use crate::store::entities::calendar_day;
use crate::store::entities::category;
use crate::store::entities::sla_policy;
use chrono::{DateTime, NaiveDate, Utc};
use jiceng_core::calendar::{SpecialDay, WorkCalendar, parse_holiday_cn};
use jiceng_core::classify::{Classifier, KeywordRule};
use jiceng_core::sla::{Policy, Priority};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// NateScarlet/holiday-cn (MIT), 2020–2026, see `data/holiday-cn/LICENSE`.
const HOLIDAYS: [&str; 7] = [
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2020.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2021.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2022.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2023.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2024.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2025.json"
    )),
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/holiday-cn/2026.json"
    )),
];

/// The TipDM 2020 three-level taxonomy (public competition data).
const TAXONOMY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/tipdm2020/taxonomy_3level.csv"
));
/// 395 real messages with their first-level category (TipDM 2020).
const LABELLED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/tipdm2020/messages_labeled_dev.csv"
));

/// City-management event classes and everyday cases, with the keywords the rule classifier
/// looks for: (level 2, level 3, keywords).
const CITY_MANAGEMENT: &[(&str, &str, &str)] = &[
    (
        "街面秩序",
        "占用消防通道",
        "消防通道、消防车道、生命通道、堵塞通道",
    ),
    ("街面秩序", "占道经营", "占道经营、流动摊贩、摆摊"),
    ("街面秩序", "噪音扰民", "噪音、噪声、扰民、广场舞"),
    ("街面秩序", "乱停乱放", "乱停、违停、乱放、僵尸车"),
    (
        "市容环境",
        "垃圾堆积",
        "垃圾堆、垃圾成堆、垃圾未清运、垃圾满溢",
    ),
    ("市容环境", "路灯损坏", "路灯不亮、路灯坏、路灯损坏"),
    ("市容环境", "井盖缺失", "井盖、窨井盖"),
    ("市容环境", "道路破损", "路面破损、坑洼、塌陷"),
    ("宣传广告", "违规广告", "小广告、牛皮癣、乱贴、横幅"),
    ("施工管理", "违章搭建", "违章搭建、违建、私搭乱建"),
    ("施工管理", "夜间施工", "夜间施工、半夜施工"),
    ("施工管理", "工地扬尘", "扬尘、渣土"),
    ("突发事件", "火灾隐患", "着火、冒烟、火灾隐患"),
    ("突发事件", "燃气泄漏", "燃气泄漏、煤气味、天然气泄漏"),
    ("物业服务", "物业管理", "物业不作为、物业费、物业公司"),
    ("劳资纠纷", "欠薪", "欠薪、拖欠工资、讨薪"),
];

pub const CITY_MANAGEMENT_NAME: &str = "城市管理";

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: i32,
    pub keywords: String,
    pub path: String,
    pub active: bool,
}

/// Categories by code with their full names (`城市管理 / 街面秩序 / 占用消防通道`).
#[derive(Default)]
pub struct Categories {
    by_code: HashMap<String, CategoryView>,
}

impl Categories {
    pub fn get(&self, code: &str) -> Option<&CategoryView> {
        self.by_code.get(code)
    }

    pub fn all(&self) -> Vec<&CategoryView> {
        let mut v: Vec<_> = self.by_code.values().collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// What the work-order loop reads on every request, rebuilt when an admin edits it.
#[derive(Clone, Default)]
pub struct Reference {
    inner: Arc<RwLock<Arc<Loaded>>>,
    seen: Arc<crate::kernel::versions::Seen>,
    /// One reload at a time: a slow one is never overtaken by an older read.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
pub struct Loaded {
    pub calendar: WorkCalendar,
    pub categories: Categories,
    pub classifier: Classifier,
    pub policies: HashMap<(String, Priority), Policy>,
}

impl Loaded {
    /// The policy for a category and priority: the most specific ancestor's, else the default.
    pub fn policy(&self, category: &str, p: Priority) -> Policy {
        let mut code = category.to_string();
        loop {
            if let Some(x) = self.policies.get(&(code.clone(), p)) {
                return *x;
            }
            if code.len() <= 2 {
                break;
            }
            code.truncate(code.len() - 2);
        }
        self.policies
            .get(&("*".to_string(), p))
            .copied()
            .unwrap_or_else(|| Policy::default_for(p))
    }
}

impl Reference {
    pub fn get(&self) -> Arc<Loaded> {
        self.inner.read().expect("reference lock").clone()
    }

    /// Reloads when another node (or this one) changed the reference data since it was
    /// loaded; looks at most once a second.
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<()> {
        if self
            .seen
            .stale(db, crate::kernel::versions::REFERENCE)
            .await?
        {
            self.reload(db).await?;
        }
        Ok(())
    }

    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let _one = self.reloading.lock().await;
        // The version first: a change committed while this reads is seen at the next check.
        let version = crate::kernel::versions::read(db, crate::kernel::versions::REFERENCE).await?;
        let days = calendar_day::Entity::find().all(&db.conn).await?;
        let calendar = WorkCalendar::new(days.into_iter().filter_map(|d| {
            Some(SpecialDay {
                date: NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok()?,
                off: d.off,
                name: d.name,
            })
        }));
        let rows = category::Entity::find()
            .order_by_asc(category::Column::Code)
            .all(&db.conn)
            .await?;
        let names: HashMap<String, String> = rows
            .iter()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect();
        let mut by_code = HashMap::new();
        let mut rules = Vec::new();
        let mut l1_by_name = HashMap::new();
        for c in &rows {
            let mut path = Vec::new();
            let mut code = c.code.clone();
            while !code.is_empty() {
                if let Some(n) = names.get(&code) {
                    path.push(n.clone());
                }
                code.truncate(code.len().saturating_sub(2));
            }
            path.reverse();
            if c.level == 1 {
                l1_by_name.insert(c.name.clone(), c.code.clone());
            }
            let keywords: Vec<String> = c
                .keywords
                .split('、')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect();
            if c.active && !keywords.is_empty() {
                rules.push(KeywordRule {
                    label: c.code.clone(),
                    keywords,
                });
            }
            by_code.insert(
                c.code.clone(),
                CategoryView {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    parent_code: c.parent_code.clone(),
                    level: c.level,
                    keywords: c.keywords.clone(),
                    path: path.join(" / "),
                    active: c.active,
                },
            );
        }
        let samples = labelled_samples();
        let classifier = Classifier::train(
            samples.iter().filter_map(|(text, label)| {
                l1_by_name
                    .get(label)
                    .map(|code| (text.as_str(), code.as_str()))
            }),
            rules,
        );
        let mut policies = HashMap::new();
        for p in sla_policy::Entity::find().all(&db.conn).await? {
            let pol: Policy = crate::store::json("sla_policies.policy", &p.policy)?;
            policies.insert((p.category_code, p.priority), pol);
        }
        let loaded = Loaded {
            calendar,
            categories: Categories { by_code },
            classifier,
            policies,
        };
        *self.inner.write().expect("reference lock") = Arc::new(loaded);
        self.seen.loaded(version);
        Ok(())
    }
}

fn labelled_samples() -> Vec<(String, String)> {
    let mut rdr = csv::Reader::from_reader(LABELLED.as_bytes());
    rdr.records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            Some((
                format!("{} {}", r.get(2)?, r.get(4)?),
                r.get(5)?.to_string(),
            ))
        })
        .collect()
}

/// Codes for the taxonomy: two digits per level in order of first appearance.
fn taxonomy_rows() -> Vec<(String, String, Option<String>, i32, String)> {
    let mut out = Vec::new();
    let mut l1: Vec<String> = Vec::new();
    let mut l2: HashMap<String, Vec<String>> = HashMap::new();
    let mut l3: HashMap<String, usize> = HashMap::new();
    let mut add = |out: &mut Vec<_>, a: &str, b: &str, c: &str, keywords: &str| {
        let i1 = match l1.iter().position(|x| x == a) {
            Some(i) => i,
            None => {
                l1.push(a.to_string());
                out.push((
                    format!("{:02}", l1.len()),
                    a.to_string(),
                    None,
                    1,
                    String::new(),
                ));
                l1.len() - 1
            }
        };
        let c1 = format!("{:02}", i1 + 1);
        let kids = l2.entry(c1.clone()).or_default();
        let i2 = match kids.iter().position(|x| x == b) {
            Some(i) => i,
            None => {
                kids.push(b.to_string());
                out.push((
                    format!("{c1}{:02}", kids.len()),
                    b.to_string(),
                    Some(c1.clone()),
                    2,
                    String::new(),
                ));
                kids.len() - 1
            }
        };
        let c2 = format!("{c1}{:02}", i2 + 1);
        let n = l3.entry(c2.clone()).or_insert(0);
        *n += 1;
        out.push((
            format!("{c2}{:02}", n),
            c.to_string(),
            Some(c2),
            3,
            keywords.to_string(),
        ));
    };
    let mut rdr = csv::Reader::from_reader(TAXONOMY.as_bytes());
    for r in rdr.records().filter_map(Result::ok) {
        if let (Some(a), Some(b), Some(c)) = (r.get(0), r.get(1), r.get(2)) {
            add(&mut out, a.trim(), b.trim(), c.trim(), "");
        }
    }
    for (b, c, k) in CITY_MANAGEMENT {
        add(&mut out, CITY_MANAGEMENT_NAME, b, c, k);
    }
    out
}

/// Seeds categories, the calendar and default SLA policies into an empty database, with one
/// audit entry for each kind seeded.
pub async fn seed(db: &Db, now: DateTime<Utc>) -> AppResult<()> {
    let txn = db.begin_write().await?;
    if category::Entity::find().count(&txn).await? == 0 {
        let rows = taxonomy_rows();
        let n = rows.len();
        for chunk in rows.chunks(200) {
            category::Entity::insert_many(chunk.iter().map(
                |(code, name, parent, level, keywords)| category::ActiveModel {
                    code: Set(code.clone()),
                    name: Set(name.clone()),
                    parent_code: Set(parent.clone()),
                    level: Set(*level),
                    keywords: Set(keywords.clone()),
                    active: Set(true),
                    updated_at: Set(now),
                },
            ))
            .exec_without_returning(&txn)
            .await?;
        }
        let ev = Event::new("category.seed", "category", "*").reason(format!("预置{n}个分类"));
        audit::record(&txn, now, "system:seed", ev).await?;
    }
    if calendar_day::Entity::find().count(&txn).await? == 0 {
        let mut days = Vec::new();
        for json in HOLIDAYS {
            days.extend(parse_holiday_cn(json).map_err(AppError::internal)?);
        }
        let n = days.len();
        for chunk in days.chunks(200) {
            calendar_day::Entity::insert_many(chunk.iter().map(|d| calendar_day::ActiveModel {
                day: Set(d.date.format("%Y-%m-%d").to_string()),
                off: Set(d.off),
                name: Set(d.name.clone()),
                updated_at: Set(now),
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        let ev = Event::new("calendar.seed", "calendar", "2020-2026")
            .reason(format!("预置{n}个节假日与调休日"));
        audit::record(&txn, now, "system:seed", ev).await?;
    }
    if sla_policy::Entity::find()
        .filter(sla_policy::Column::CategoryCode.eq("*"))
        .count(&txn)
        .await?
        == 0
    {
        for p in Priority::ALL {
            sla_policy::Entity::insert(sla_policy::ActiveModel {
                category_code: Set("*".into()),
                priority: Set(p),
                policy: Set(
                    serde_json::to_string(&Policy::default_for(p)).expect("policy serialises")
                ),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let ev = Event::new("sla.seed", "sla_policy", "*").reason("预置默认时限策略");
        audit::record(&txn, now, "system:seed", ev).await?;
    }
    txn.commit().await?;
    Ok(())
}

fn require_admin(actor: &crate::kernel::actor::Actor) -> bool {
    actor.is_admin()
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

/// This app's reference data.
pub fn of(app: &crate::kernel::app::App) -> &Reference {
    app.wing::<Reference>()
}
