//! Embedded migrations, one history for SQLite and PostgreSQL. Never edit one that has
//! shipped: add a new one.

mod m0001_foundation;
mod m0002_audit_tree;
mod m0003_work_orders;
mod m0004_notifications_photos;
mod m0005_service_catalog;
mod m0006_applications;
mod m0007_settings;
mod m0008_timeline_codes;
mod m0009_login_hardening;
mod m0010_tracking_pins;
mod m0011_application_regions;
mod m0012_hall_regions;
mod m0013_worklist_flags;
mod m0014_request_kind;
mod m0015_queue_recall;
mod m0016_supervision_notices;
mod m0017_caller_digest;
mod m0018_window_service;
mod m0019_rollups;
mod schema;

use crate::store::Db;
use crate::store::migrations::m0001_foundation::foundation;
use crate::store::migrations::m0002_audit_tree::audit_tree;
use crate::store::migrations::m0003_work_orders::work_orders;
use crate::store::migrations::m0004_notifications_photos::notifications_photos;
use crate::store::migrations::m0005_service_catalog::service_catalog;
use crate::store::migrations::m0006_applications::applications;
use crate::store::migrations::m0007_settings::settings;
use crate::store::migrations::m0008_timeline_codes::timeline_codes;
use crate::store::migrations::m0009_login_hardening::login_hardening;
use crate::store::migrations::m0010_tracking_pins::tracking_pins;
use crate::store::migrations::m0011_application_regions::application_regions;
use crate::store::migrations::m0012_hall_regions::hall_regions;
use crate::store::migrations::m0013_worklist_flags::worklist_flags;
use crate::store::migrations::m0014_request_kind::request_kind;
use crate::store::migrations::m0015_queue_recall::queue_recall;
use crate::store::migrations::m0016_supervision_notices::supervision_notices;
use crate::store::migrations::m0017_caller_digest::caller_digest;
use crate::store::migrations::m0018_window_service::window_service;
use crate::store::migrations::m0019_rollups::rollups;
use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::ts;
use anyhow::bail;
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
    Migration {
        version: 7,
        name: "0007_settings",
        statements: settings,
    },
    Migration {
        version: 8,
        name: "0008_timeline_codes",
        statements: timeline_codes,
    },
    Migration {
        version: 9,
        name: "0009_login_hardening",
        statements: login_hardening,
    },
    Migration {
        version: 10,
        name: "0010_tracking_pins",
        statements: tracking_pins,
    },
    Migration {
        version: 11,
        name: "0011_application_regions",
        statements: application_regions,
    },
    Migration {
        version: 12,
        name: "0012_hall_regions",
        statements: hall_regions,
    },
    Migration {
        version: 13,
        name: "0013_worklist_flags",
        statements: worklist_flags,
    },
    Migration {
        version: 14,
        name: "0014_request_kind",
        statements: request_kind,
    },
    Migration {
        version: 15,
        name: "0015_queue_recall",
        statements: queue_recall,
    },
    Migration {
        version: 16,
        name: "0016_supervision_notices",
        statements: supervision_notices,
    },
    Migration {
        version: 17,
        name: "0017_caller_digest",
        statements: caller_digest,
    },
    Migration {
        version: 18,
        name: "0018_window_service",
        statements: window_service,
    },
    Migration {
        version: 19,
        name: "0019_rollups",
        statements: rollups,
    },
];

/// What a migration runs on this backend, as a SHA-256 over its statements.
fn checksum(stmts: &Statements) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for s in &stmts.list {
        h.update(s.sql.as_bytes());
        h.update(format!("{:?}", s.values).as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

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
    db.conn
        .execute(
            &table("schema_checksums")
                .col(bigint("version").primary_key())
                .col(text("checksum"))
                .to_owned(),
        )
        .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let mut stmts = Statements {
            backend: db.db_backend(),
            list: Vec::new(),
        };
        (m.statements)(&mut stmts);
        let sum = checksum(&stmts);
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
        let recorded: Option<String> = txn
            .query_one(
                &Query::select()
                    .column(a("checksum"))
                    .from(a("schema_checksums"))
                    .and_where(Expr::col(a("version")).eq(m.version))
                    .to_owned(),
            )
            .await?
            .map(|r| r.try_get("", "checksum"))
            .transpose()?;
        if done {
            match recorded {
                Some(r) if r != sum => {
                    txn.rollback().await?;
                    bail!(
                        "数据库已应用的迁移 {name} 与本程序中的 {name} 不一致（校验和不同），拒绝启动。\n\
                         migration {name} was changed after it was applied (checksum {r} in the database, {sum} here)",
                        name = m.name
                    );
                }
                Some(_) => txn.rollback().await?,
                // Applied before checksums were kept: what runs now is taken as what ran.
                None => {
                    record_checksum(&txn, m.version, &sum).await?;
                    txn.commit().await?;
                }
            }
            continue;
        }
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
        record_checksum(&txn, m.version, &sum).await?;
        txn.commit().await?;
        tracing::info!(migration = m.name, "migration applied");
        applied.push(m.name);
    }
    Ok(applied)
}

async fn record_checksum(
    txn: &sea_orm::DatabaseTransaction,
    version: i64,
    sum: &str,
) -> Result<(), sea_orm::DbErr> {
    txn.execute(
        &Query::insert()
            .into_table(a("schema_checksums"))
            .columns([a("version"), a("checksum")])
            .values_panic([version.into(), sum.into()])
            .to_owned(),
    )
    .await
    .map(|_| ())
}
