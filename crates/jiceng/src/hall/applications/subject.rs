//! 一窗受理, what an application is for: the matter or 一件事 bundle as intake reads it (its
//! members in DAG order and the materials checklist), kept briefly in the hall's subject cache.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::app::App;
use crate::org::departments::unit_names;
use crate::store::entities::bundle;
use crate::store::entities::matter;
use jiceng_core::application::{self as domain, ChecklistItem};
use jiceng_core::bundle::BundleSpec;
use jiceng_core::catalog::MatterSpec;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// The subject: a matter or a bundle, with its members' current specs

pub(crate) struct Member {
    pub(crate) code: String,
    pub(crate) version: i32,
    pub(crate) spec: MatterSpec,
    pub(crate) unit_id: i64,
    pub(crate) unit_name: String,
}

/// A matter or bundle as intake needs it; cached for a few seconds (see [`SUBJECT_CACHE`]).
pub(crate) struct Subject {
    pub(crate) kind: &'static str,
    pub(crate) code: String,
    pub(crate) title: String,
    /// In a topological order.
    pub(crate) members: Vec<Member>,
    pub(crate) edges: Vec<(String, String)>,
    pub(crate) produced: BTreeSet<String>,
}

pub(crate) async fn current_matters<C: ConnectionTrait>(
    db: &C,
    codes: &[String],
) -> AppResult<HashMap<String, matter::Model>> {
    Ok(matter::Entity::find()
        .filter(matter::Column::Code.is_in(codes.to_vec()))
        .filter(matter::Column::Current.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect())
}

pub(crate) fn member(m: &matter::Model, units: &HashMap<i64, String>) -> AppResult<Member> {
    Ok(Member {
        code: m.code.clone(),
        version: m.version,
        spec: serde_json::from_str(&m.spec)
            .map_err(|e| AppError::internal(anyhow::anyhow!("matter {}: {e}", m.code)))?,
        unit_id: m.unit_id,
        unit_name: units.get(&m.unit_id).cloned().unwrap_or_default(),
    })
}

/// How long intake trusts a subject it has read; saving a matter or a bundle empties the
/// cache of this process at once.
pub const SUBJECT_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) async fn subject(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<std::sync::Arc<Subject>> {
    let key = format!(
        "{}|{}",
        matter_code.unwrap_or("").trim(),
        bundle_code.unwrap_or("").trim()
    );
    if let Some(s) = cache(app).get(&key, SUBJECT_CACHE) {
        return Ok(s);
    }
    let s = std::sync::Arc::new(read_subject(app, matter_code, bundle_code).await?);
    cache(app).put(key, s.clone());
    Ok(s)
}

pub(crate) async fn read_subject(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<Subject> {
    let db = &app.db.conn;
    match (
        matter_code.map(str::trim).filter(|s| !s.is_empty()),
        bundle_code.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(code), None) => {
            let found = current_matters(db, &[code.to_string()]).await?;
            let m = found.get(code).ok_or_else(|| {
                AppError::field("matter", Code::ApplicationUnknownMatter, "没有这个事项")
            })?;
            let units = unit_names(db, vec![m.unit_id]).await?;
            let mem = member(m, &units)?;
            Ok(Subject {
                kind: "matter",
                code: code.to_string(),
                title: mem.spec.name.clone(),
                members: vec![mem],
                edges: vec![],
                produced: BTreeSet::new(),
            })
        }
        (None, Some(code)) => {
            let b = bundle::Entity::find_by_id(code.to_string())
                .one(db)
                .await?
                .ok_or_else(|| {
                    AppError::field("bundle", Code::ApplicationUnknownBundle, "没有这件事")
                })?;
            let spec: BundleSpec = serde_json::from_str(&b.spec)
                .map_err(|e| AppError::internal(anyhow::anyhow!("bundle {code}: {e}")))?;
            let order: Vec<String> = spec
                .stages()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("bundle {code} has a cycle")))?
                .concat();
            let found = current_matters(db, &order).await?;
            let units = unit_names(db, found.values().map(|m| m.unit_id).collect()).await?;
            let members = order
                .iter()
                .map(|c| {
                    found.get(c).map(|m| member(m, &units)).unwrap_or_else(|| {
                        Err(AppError::new(
                            Code::ApplicationBundleOutdated,
                            format!("这件事包含的事项 {c} 已不在目录中，请联系管理员"),
                        ))
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(Subject {
                kind: "bundle",
                code: code.to_string(),
                title: spec.name.clone(),
                members,
                edges: spec.edges.clone(),
                produced: spec.outputs.iter().map(|o| o.material.clone()).collect(),
            })
        }
        _ => Err(AppError::field(
            "matter",
            Code::ApplicationNoSubject,
            "请选择一个事项或一件事（二者选一）",
        )),
    }
}

impl Subject {
    pub(crate) fn checklist(
        &self,
        applies: &BTreeSet<String>,
        has_agent: bool,
    ) -> Vec<ChecklistItem> {
        let members: Vec<(&str, &MatterSpec)> = self
            .members
            .iter()
            .map(|m| (m.code.as_str(), &m.spec))
            .collect();
        domain::checklist(&members, &self.produced, applies, has_agent)
    }
}

/// The materials checklist of a matter or bundle before anything is handed over, for the
/// window's form and the online one.
pub async fn checklist_for(
    app: &App,
    matter_code: Option<&str>,
    bundle_code: Option<&str>,
) -> AppResult<(String, Vec<ChecklistItem>)> {
    let s = subject(app, matter_code, bundle_code).await?;
    let list = s.checklist(&BTreeSet::new(), false);
    Ok((s.title.clone(), list))
}

/// Matters and bundles as application intake reads them, by key, with when they were read:
/// the hall's runtime cache, emptied when the catalog changes.
#[derive(Default)]
pub struct SubjectCache(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Arc<Subject>)>>,
);

/// This app's subject cache.
pub fn cache(app: &App) -> &SubjectCache {
    app.wing::<SubjectCache>()
}

impl SubjectCache {
    /// A subject read less than `fresh` ago.
    pub(crate) fn get(&self, key: &str, fresh: std::time::Duration) -> Option<Arc<Subject>> {
        let m = self.0.lock().expect("subject cache lock");
        m.get(key)
            .filter(|(at, _)| at.elapsed() < fresh)
            .map(|(_, s)| s.clone())
    }

    pub(crate) fn put(&self, key: String, s: Arc<Subject>) {
        let mut m = self.0.lock().expect("subject cache lock");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (std::time::Instant::now(), s));
    }

    /// Forgets every subject (after the catalog changed).
    pub fn forget(&self) {
        self.0.lock().expect("subject cache lock").clear();
    }
}
