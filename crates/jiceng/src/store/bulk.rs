//! Multi-row inserts for the hot write paths (intake, outbox): many models in one
//! `INSERT … VALUES (…), (…)` whose values are bound straight from the models, without the
//! query builder's per-value work. Rows go in chunks below both databases' bind limits.

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait, QueryResult,
    Statement, Value,
};
use std::fmt::Write;

/// Bound values per statement: below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BINDS: usize = 30_000;

/// Inserts `models` (their `id` left to the database) and returns the `returning` columns of
/// each inserted row, in no particular order (empty `returning`: none).
pub async fn insert_models<E, C>(
    db: &C,
    models: &[E::Model],
    returning: &str,
) -> Result<Vec<QueryResult>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let backend = db.get_database_backend();
    let cols: Vec<E::Column> = E::Column::iter().filter(|c| c.as_str() != "id").collect();
    let names: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let head = format!(
        "INSERT INTO \"{}\" ({}) VALUES ",
        E::default().table_name(),
        names.join(", ")
    );
    let mut out = Vec::new();
    for chunk in models.chunks((MAX_BINDS / cols.len().max(1)).max(1)) {
        let mut sql = String::with_capacity(head.len() + chunk.len() * cols.len() * 5);
        sql.push_str(&head);
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * cols.len());
        for (r, m) in chunk.iter().enumerate() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                values.push(m.get(*c));
                match backend {
                    DbBackend::Postgres => {
                        let _ = write!(sql, "${}", values.len());
                    }
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
        }
        if !returning.is_empty() {
            sql.push_str(" RETURNING ");
            sql.push_str(returning);
        }
        let stmt = Statement::from_sql_and_values(backend, sql, values);
        if returning.is_empty() {
            db.execute_raw(stmt).await?;
        } else {
            out.extend(db.query_all_raw(stmt).await?);
        }
    }
    Ok(out)
}
