//! The reference data shipped in the binary (the taxonomy, the holiday calendar, labelled
//! messages for the classifier) and seeding it into an empty database.

use crate::error::AppError;
use crate::error::AppResult;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::Db;
use crate::store::entities::calendar_day;
use crate::store::entities::category;
use crate::store::entities::sla_policy;
use chrono::{DateTime, Utc};
use jiceng_core::calendar::parse_holiday_cn;
use jiceng_core::sla::{Policy, Priority};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;

/// NateScarlet/holiday-cn (MIT), 2020–2026, see `data/holiday-cn/LICENSE`.
pub(crate) const HOLIDAYS: [&str; 7] = [
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
pub(crate) const TAXONOMY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/tipdm2020/taxonomy_3level.csv"
));
/// 395 real messages with their first-level category (TipDM 2020).
pub(crate) const LABELLED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/tipdm2020/messages_labeled_dev.csv"
));

/// City-management event classes and everyday cases, with the keywords the rule classifier
/// looks for: (level 2, level 3, keywords).
pub(crate) const CITY_MANAGEMENT: &[(&str, &str, &str)] = &[
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

pub(crate) fn labelled_samples() -> Vec<(String, String)> {
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
pub(crate) fn taxonomy_rows() -> Vec<(String, String, Option<String>, i32, String)> {
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
