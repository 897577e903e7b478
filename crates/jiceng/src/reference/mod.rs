//! Reference data the work-order loop runs on: the category taxonomy, the working-day
//! calendar, SLA policies, and the classifier trained from labelled messages. Seeded on first
//! start from data shipped in the binary; admins edit them afterwards.
//!
//! `mod.rs` holds the loaded cache (versioned, reloaded when another node changed it);
//! `seed.rs` the shipped data and first-start seeding; `admin.rs` the admins' edits.

mod admin;
mod seed;

pub use admin::*;
pub use seed::{CITY_MANAGEMENT_NAME, seed};

use crate::store::Db;
use crate::store::entities::calendar_day;
use crate::store::entities::category;
use crate::store::entities::sla_policy;
use chrono::NaiveDate;
use jiceng_core::calendar::{SpecialDay, WorkCalendar};
use jiceng_core::classify::{Classifier, KeywordRule};
use jiceng_core::sla::{Policy, Priority};
use sea_orm::{EntityTrait, QueryOrder};
use seed::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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

    /// The active categories as people choose them: (code, full name), by name.
    pub fn choices(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .by_code
            .values()
            .filter(|c| c.active)
            .map(|c| (c.code.clone(), c.path.clone()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
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

/// This app's reference data.
pub fn of(app: &crate::kernel::app::App) -> &Reference {
    app.wing::<Reference>()
}
