//! Embedded migrations, one history for SQLite and PostgreSQL. Never edit one that has
//! shipped: add a new one.

mod m0001_foundation;
mod m0002_audit_tree;
mod m0003_work_orders;
mod m0004_notifications_photos;
mod m0005_service_catalog;
mod m0006_applications;
mod schema;

use crate::store::Db;
use crate::store::migrations::m0001_foundation::foundation;
use crate::store::migrations::m0002_audit_tree::audit_tree;
use crate::store::migrations::m0003_work_orders::work_orders;
use crate::store::migrations::m0004_notifications_photos::notifications_photos;
use crate::store::migrations::m0005_service_catalog::service_catalog;
use crate::store::migrations::m0006_applications::applications;
use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::ts;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) statements: fn(&mut Statements),
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_foundation",
        statements: foundation,
    },
    Migration {
        version: 2,
        name: "0002_audit_tree",
        statements: audit_tree,
    },
    Migration {
        version: 3,
        name: "0003_work_orders",
        statements: work_orders,
    },
    Migration {
        version: 4,
        name: "0004_notifications_photos",
        statements: notifications_photos,
    },
    Migration {
        version: 5,
        name: "0005_service_catalog",
        statements: service_catalog,
    },
    Migration {
        version: 6,
        name: "0006_applications",
        statements: applications,
    },
];

pub(crate) async fn run(db: &Db) -> anyhow::Result<Vec<&'static str>> {
    db.conn
        .execute(
            &table("schema_migrations")
                .col(bigint("version").primary_key())
                .col(text("name"))
                .col(ts("applied_at"))
                .to_owned(),
        )
        .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let txn = db.begin_write().await?;
        let done = txn
            .query_one(
                &Query::select()
                    .column(a("version"))
                    .from(a("schema_migrations"))
                    .and_where(Expr::col(a("version")).eq(m.version))
                    .to_owned(),
            )
            .await?
            .is_some();
        if done {
            txn.rollback().await?;
            continue;
        }
        let mut stmts = Statements {
            backend: db.db_backend(),
            list: Vec::new(),
        };
        (m.statements)(&mut stmts);
        for stmt in stmts.list {
            txn.execute_raw(stmt).await?;
        }
        txn.execute(
            &Query::insert()
                .into_table(a("schema_migrations"))
                .columns([a("version"), a("name"), a("applied_at")])
                .values_panic([m.version.into(), m.name.into(), Utc::now().into()])
                .to_owned(),
        )
        .await?;
        txn.commit().await?;
        tracing::info!(migration = m.name, "migration applied");
        applied.push(m.name);
    }
    Ok(applied)
}
