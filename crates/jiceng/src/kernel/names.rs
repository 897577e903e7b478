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
