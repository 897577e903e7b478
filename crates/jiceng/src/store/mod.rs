//! Storage: one codebase for SQLite (default) and PostgreSQL, chosen by URL.

pub mod bulk;
pub mod entities;
mod migrations;

use anyhow::{Context, bail};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names; any other scheme is an error, never a silent fallback.
    pub fn from_url(url: &str) -> anyhow::Result<Backend> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "" => bail!(
                "数据库地址缺少协议（应以 sqlite:// 或 postgres:// 开头）：{}",
                redact_url(url)
            ),
            other => bail!("不支持的数据库协议“{other}”：只支持 sqlite:// 和 postgres://"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Hides the password in a database URL for logs and `print-config`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("******"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    pub backend: Backend,
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let backend = Backend::from_url(url)?;
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        match backend {
            Backend::Sqlite => {
                opts.max_connections(8).min_connections(1);
                opts.map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(10))
                        // Up to 64 MiB of page cache per connection, used only as the
                        // database grows: index inserts stay in memory for large logs.
                        .pragma("cache_size", "-65536")
                        .pragma("temp_store", "memory")
                        .pragma("mmap_size", "1073741824")
                        // Checkpoints copy the log into the database on the writer's commit;
                        // fewer, larger ones keep them off most commits.
                        .pragma("wal_autocheckpoint", "8000")
                });
            }
            Backend::Postgres => {
                opts.max_connections(16).min_connections(1);
            }
        }
        let conn = Database::connect(opts)
            .await
            .with_context(|| format!("无法连接数据库 {}", redact_url(url)))?;
        Ok(Db { conn, backend })
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two writers never deadlock upgrading a read lock.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        match self.backend {
            Backend::Sqlite => {
                self.conn
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            Backend::Postgres => self.conn.begin().await,
        }
    }

    /// Applies every migration not yet applied; returns the names applied now.
    pub async fn migrate(&self) -> anyhow::Result<Vec<&'static str>> {
        migrations::run(self).await
    }

    /// A deployment setting kept in the database.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, DbErr> {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let q = Query::select()
            .column(Alias::new("value"))
            .from(Alias::new("settings"))
            .and_where(Expr::col(Alias::new("key")).eq(key))
            .to_owned();
        self.conn
            .query_one(&q)
            .await?
            .map(|r| r.try_get::<String>("", "value"))
            .transpose()
    }

    /// Stores a setting unless one is there already, and returns what is stored (the first
    /// writer wins when two nodes start at once).
    pub async fn put_setting_once(&self, key: &str, value: &str) -> Result<String, DbErr> {
        use sea_orm::sea_query::{Alias, OnConflict, Query};
        let q = Query::insert()
            .into_table(Alias::new("settings"))
            .columns([Alias::new("key"), Alias::new("value")])
            .values_panic([key.into(), value.into()])
            .on_conflict(
                OnConflict::column(Alias::new("key"))
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        self.conn.execute(&q).await?;
        Ok(self.setting(key).await?.unwrap_or_default())
    }

    /// One value sealed with the data key, if any is stored (phones, ID numbers, addresses).
    pub async fn a_sealed_value(&self) -> Result<Option<String>, DbErr> {
        let sql = "SELECT reporter_phone_enc AS v FROM work_orders WHERE reporter_phone_enc <> '' \
                   UNION ALL SELECT applicant_id_enc AS v FROM applications \
                   WHERE applicant_id_enc <> '' \
                   UNION ALL SELECT address_enc AS v FROM outbox WHERE address_enc <> '' LIMIT 1";
        self.conn
            .query_one_raw(sea_orm::Statement::from_string(
                self.conn.get_database_backend(),
                sql,
            ))
            .await?
            .map(|r| r.try_get::<String>("", "v"))
            .transpose()
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }

    pub fn db_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
}

/// Decodes a JSON column. A row that does not decode is an internal error naming the column,
/// never a silent default (an empty checklist, a limit of 0 working days).
pub fn json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> crate::error::AppResult<T> {
    serde_json::from_str(text).map_err(|e| {
        crate::error::AppError::internal(anyhow::anyhow!("stored JSON in {column} is invalid: {e}"))
    })
}

/// Reads an optional stored code (empty text = none); an unknown code is an internal error.
pub fn optional_code<T: jiceng_core::stored::StoredCode>(
    text: &str,
) -> crate::error::AppResult<Option<T>> {
    jiceng_core::stored::optional(text).map_err(crate::error::AppError::internal)
}

/// Reads a stored code held in a free-text column (a timeline's `to_status`); an unknown code is
/// an internal error.
pub fn code<T: jiceng_core::stored::StoredCode>(text: &str) -> crate::error::AppResult<T> {
    T::from_stored(text).map_err(crate::error::AppError::internal)
}
