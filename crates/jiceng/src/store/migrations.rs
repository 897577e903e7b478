//! Embedded migrations, one history for SQLite and PostgreSQL. Never edit one that has
//! shipped: add a new one.

use super::Db;
use chrono::Utc;
use sea_orm::sea_query::{
    Alias, ColumnDef, Expr, ExprTrait, ForeignKey, ForeignKeyAction, Index, Query, Table,
    TableCreateStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement, StatementBuilder};

/// Collects statements built for one backend.
struct Statements {
    backend: DbBackend,
    list: Vec<Statement>,
}

impl Statements {
    fn push<S: StatementBuilder>(&mut self, s: S) {
        self.list.push(s.build(&self.backend));
    }

    /// SQL that reads the same on SQLite and PostgreSQL.
    fn push_sql(&mut self, sql: &str) {
        self.list.push(Statement::from_string(self.backend, sql));
    }
}

struct Migration {
    version: i64,
    name: &'static str,
    statements: fn(&mut Statements),
}

const MIGRATIONS: &[Migration] = &[
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

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn text(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.text().not_null();
    c
}

fn text_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.text().null();
    c
}

fn ts(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.timestamp_with_time_zone().not_null();
    c
}

fn ts_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.timestamp_with_time_zone().null();
    c
}

fn bigint(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.big_integer().not_null();
    c
}

fn bigint_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.big_integer().null();
    c
}

fn double(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.double().not_null();
    c
}

/// A caller-assigned 64-bit key. On SQLite it is declared `INTEGER PRIMARY KEY`, which makes
/// it the rowid: one B-tree instead of a table plus a key index.
fn int64_key(backend: DbBackend, name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    match backend {
        DbBackend::Sqlite => c.custom(a("INTEGER")),
        _ => c.big_integer(),
    };
    c.not_null().primary_key();
    c
}

fn id() -> ColumnDef {
    let mut c = ColumnDef::new(a("id"));
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

fn fk(
    from_table: &str,
    from_col: &str,
    to_table: &str,
    to_col: &str,
    on_delete: ForeignKeyAction,
) -> sea_orm::sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(a(from_table), a(from_col))
        .to(a(to_table), a(to_col))
        .on_delete(on_delete)
        .to_owned()
}

fn table(name: &str) -> TableCreateStatement {
    Table::create().table(a(name)).if_not_exists().to_owned()
}

fn foundation(out: &mut Statements) {
    use ForeignKeyAction::{Cascade, Restrict, SetNull};
    out.push(
        table("regions")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text("level"))
            .col(text_null("parent_code"))
            .col(text_null("boundary"))
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "regions",
                "parent_code",
                "regions",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ix_regions_parent")
            .table(a("regions"))
            .col(a("parent_code"))
            .to_owned(),
    );
    out.push(
        table("departments")
            .col(id())
            .col(text("code").unique_key())
            .col(text("name"))
            .col(text("kind"))
            .col(text("region_code"))
            .col(text("phone"))
            .col(
                ColumnDef::new(a("active"))
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "departments",
                "region_code",
                "regions",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ix_departments_region")
            .table(a("departments"))
            .col(a("region_code"))
            .to_owned(),
    );
    out.push(
        table("users")
            .col(id())
            .col(text("username").unique_key())
            .col(text("display_name"))
            .col(text("role"))
            .col(text("region_code"))
            .col(bigint_null("department_id"))
            .col(text("password_hash"))
            .col(
                ColumnDef::new(a("active"))
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk("users", "region_code", "regions", "code", Restrict))
            .foreign_key(&mut fk(
                "users",
                "department_id",
                "departments",
                "id",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ix_users_region")
            .table(a("users"))
            .col(a("region_code"))
            .to_owned(),
    );
    out.push(
        table("grids")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text("village_code"))
            .col(text("geometry"))
            .col(double("min_lon"))
            .col(double("min_lat"))
            .col(double("max_lon"))
            .col(double("max_lat"))
            .col(bigint_null("worker_user_id"))
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "grids",
                "village_code",
                "regions",
                "code",
                Restrict,
            ))
            .foreign_key(&mut fk("grids", "worker_user_id", "users", "id", SetNull))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ix_grids_village")
            .table(a("grids"))
            .col(a("village_code"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ix_grids_bbox")
            .table(a("grids"))
            .col(a("min_lon"))
            .col(a("max_lon"))
            .to_owned(),
    );
    out.push(
        table("login_throttle")
            .col(text("username").primary_key())
            .col(
                ColumnDef::new(a("failures"))
                    .integer()
                    .not_null()
                    .default(0),
            )
            .col(ts_null("window_start"))
            .col(ts_null("locked_until"))
            .to_owned(),
    );
    out.push(
        table("sessions")
            .col(text("id_hash").primary_key())
            .col(bigint("user_id"))
            .col(text("csrf_token"))
            .col(ts("created_at"))
            .col(ts("last_seen_at"))
            .foreign_key(&mut fk("sessions", "user_id", "users", "id", Cascade))
            .to_owned(),
    );
    out.push(
        table("api_tokens")
            .col(id())
            .col(bigint("user_id"))
            .col(text("token_hash").unique_key())
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .col(ts_null("last_used_at"))
            .col(ts_null("revoked_at"))
            .foreign_key(&mut fk("api_tokens", "user_id", "users", "id", Cascade))
            .to_owned(),
    );
    out.push(
        table("audit_log")
            .col(int64_key(out.backend, "seq"))
            .col(ts("time"))
            .col(text("actor"))
            .col(text("action"))
            .col(text("entity_type"))
            .col(text("entity_id"))
            .col(text_null("state_digest"))
            .col(text("reason"))
            .to_owned(),
    );
    for (name, cols) in [
        ("ix_audit_entity", &["entity_type", "entity_id"][..]),
        ("ix_audit_actor", &["actor"][..]),
        ("ix_audit_action", &["action"][..]),
    ] {
        let mut ix = Index::create().name(name).table(a("audit_log")).to_owned();
        for c in cols {
            ix.col(a(c));
        }
        out.push(ix);
    }
    // One row holding the last audit sequence number. Updating it inside each writing
    // transaction serialises audit appends, so sequence numbers are gapless and ordered.
    out.push(
        table("audit_head")
            .col(ColumnDef::new(a("id")).integer().not_null().primary_key())
            .col(bigint("last_seq"))
            .to_owned(),
    );
    out.push(
        Query::insert()
            .into_table(a("audit_head"))
            .columns([a("id"), a("last_seq")])
            .values_panic([Expr::val(1), Expr::val(0i64)])
            .to_owned(),
    );
}

fn blob(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.binary().not_null();
    c
}

/// The audit log's Merkle tree (perfect subtrees), its signed checkpoints and witness
/// cosignatures.
fn audit_tree(out: &mut Statements) {
    if out.backend == DbBackend::Sqlite {
        // Nodes are looked up only by their key: store them in the key's B-tree itself.
        out.push_sql(
            "CREATE TABLE IF NOT EXISTS audit_tree (level integer NOT NULL, idx integer NOT NULL, \
             hash blob NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
        );
    } else {
        out.push(
            table("audit_tree")
                .col(ColumnDef::new(a("level")).integer().not_null())
                .col(bigint("idx"))
                .col(blob("hash"))
                .primary_key(Index::create().col(a("level")).col(a("idx")))
                .to_owned(),
        );
    }
    // Leaf hash → index, filled behind the log in large batches (random keys would make every
    // append rewrite pages all over an index); `audit_leaf_index_state.upto` says how far.
    if out.backend == DbBackend::Sqlite {
        out.push_sql(
            "CREATE TABLE IF NOT EXISTS audit_leaf_index (hash blob NOT NULL PRIMARY KEY, idx integer NOT NULL) \
             WITHOUT ROWID",
        );
    } else {
        out.push(
            table("audit_leaf_index")
                .col(blob("hash").primary_key())
                .col(bigint("idx"))
                .to_owned(),
        );
    }
    out.push(
        table("audit_leaf_index_state")
            .col(ColumnDef::new(a("id")).integer().not_null().primary_key())
            .col(bigint("upto"))
            .to_owned(),
    );
    out.push(
        Query::insert()
            .into_table(a("audit_leaf_index_state"))
            .columns([a("id"), a("upto")])
            .values_panic([Expr::val(1), Expr::val(0i64)])
            .to_owned(),
    );
    out.push(
        table("audit_checkpoints")
            .col(id())
            .col(bigint("tree_size").unique_key())
            .col(blob("root_hash"))
            .col(text("note"))
            .col(ts("created_at"))
            .to_owned(),
    );
    out.push(
        table("audit_cosignatures")
            .col(id())
            .col(bigint("checkpoint_id"))
            .col(text("witness"))
            .col(bigint("signed_at"))
            .col(text("line"))
            .col(ts("received_at"))
            .foreign_key(&mut fk(
                "audit_cosignatures",
                "checkpoint_id",
                "audit_checkpoints",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_audit_cosignatures")
            .table(a("audit_cosignatures"))
            .col(a("checkpoint_id"))
            .col(a("witness"))
            .unique()
            .to_owned(),
    );
}

fn boolean(name: &str, default: bool) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.boolean().not_null().default(default);
    c
}

fn int(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.integer().not_null();
    c
}

fn double_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.double().null();
    c
}

fn index(out: &mut Statements, name: &str, table: &str, cols: &[&str]) {
    let mut ix = Index::create().name(name).table(a(table)).to_owned();
    for c in cols {
        ix.col(a(c));
    }
    out.push(ix);
}

/// Categories, the working-day calendar, SLA policies, responsibility lists, work orders with
/// their assignments, timeline and escalation steps, and the notification outbox.
fn work_orders(out: &mut Statements) {
    use ForeignKeyAction::{Cascade, Restrict};
    out.push(
        table("categories")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text_null("parent_code"))
            .col(int("level"))
            .col(text("keywords"))
            .col(boolean("active", true))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "categories",
                "parent_code",
                "categories",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        table("calendar_days")
            .col(text("day").primary_key())
            .col(boolean("off", true))
            .col(text("name"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        table("sla_policies")
            .col(id())
            .col(text("category_code"))
            .col(text("priority"))
            .col(text("policy"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_sla_policies")
            .table(a("sla_policies"))
            .col(a("category_code"))
            .col(a("priority"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("resp_lists")
            .col(id())
            .col(text("region_code"))
            .col(int("version"))
            .col(text("status"))
            .col(text_null("effective_date"))
            .col(ts_null("published_at"))
            .col(text("note"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "resp_lists",
                "region_code",
                "regions",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_resp_lists_version")
            .table(a("resp_lists"))
            .col(a("region_code"))
            .col(a("version"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("resp_items")
            .col(id())
            .col(bigint("list_id"))
            .col(text("code"))
            .col(text("name"))
            .col(text("item_type"))
            .col(text("legal_basis"))
            .col(text("categories"))
            .col(text("lead"))
            .col(text("assisting"))
            .foreign_key(&mut fk(
                "resp_items",
                "list_id",
                "resp_lists",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_resp_items_code")
            .table(a("resp_items"))
            .col(a("list_id"))
            .col(a("code"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("work_orders")
            .col(id())
            .col(text("tracking_code").unique_key())
            .col(text("title"))
            .col(text("description"))
            .col(text("channel"))
            .col(text("priority"))
            .col(text("category_code"))
            .col(ColumnDef::new(a("category_confidence")).double().not_null())
            .col(double_null("lat"))
            .col(double_null("lon"))
            .col(text("address"))
            .col(text_null("grid_code"))
            .col(text_null("village_code"))
            .col(text_null("township_code"))
            .col(text("reporter_name"))
            .col(text("reporter_phone"))
            .col(text("reporter_phone_last4"))
            .col(boolean("anonymous", false))
            .col(text("status"))
            .col(text("flags"))
            .col(bigint_null("lead_unit_id"))
            .col(text("list_item_code"))
            .col(text("dispatch_reasons"))
            .col(ts_null("dispatched_at"))
            .col(ts_null("resolve_started_at"))
            .col(ts_null("signed_at"))
            .col(ts_null("contacted_at"))
            .col(ts_null("replied_at"))
            .col(ts_null("closed_at"))
            .col(ts_null("sign_by"))
            .col(ts_null("contact_by"))
            .col(ts_null("resolve_by"))
            .col(text("escalation"))
            .col(ts_null("next_escalation_at"))
            .col(bigint_null("master_id"))
            .col(text("resolution"))
            .col(text("satisfaction"))
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "work_orders",
                "category_code",
                "categories",
                "code",
                Restrict,
            ))
            .foreign_key(&mut fk(
                "work_orders",
                "lead_unit_id",
                "departments",
                "id",
                Restrict,
            ))
            .foreign_key(&mut fk(
                "work_orders",
                "master_id",
                "work_orders",
                "id",
                Restrict,
            ))
            .to_owned(),
    );
    index(out, "ix_work_orders_status", "work_orders", &["status"]);
    index(
        out,
        "ix_work_orders_lead",
        "work_orders",
        &["lead_unit_id", "status"],
    );
    index(
        out,
        "ix_work_orders_township",
        "work_orders",
        &["township_code"],
    );
    index(
        out,
        "ix_work_orders_next_escalation",
        "work_orders",
        &["next_escalation_at"],
    );
    index(
        out,
        "ix_work_orders_created",
        "work_orders",
        &["created_at"],
    );
    out.push(
        table("work_order_assignments")
            .col(id())
            .col(bigint("order_id"))
            .col(bigint("unit_id"))
            .col(text("role"))
            .col(boolean("active", true))
            .col(text("reply"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "work_order_assignments",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .foreign_key(&mut fk(
                "work_order_assignments",
                "unit_id",
                "departments",
                "id",
                Restrict,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_assignments_order",
        "work_order_assignments",
        &["order_id"],
    );
    index(
        out,
        "ix_assignments_unit",
        "work_order_assignments",
        &["unit_id", "active"],
    );
    out.push(
        table("work_order_events")
            .col(id())
            .col(bigint("order_id"))
            .col(ts("time"))
            .col(text("actor"))
            .col(text("action"))
            .col(text("from_status"))
            .col(text("to_status"))
            .col(text("note"))
            .foreign_key(&mut fk(
                "work_order_events",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    index(out, "ix_events_order", "work_order_events", &["order_id"]);
    out.push(
        table("escalation_steps")
            .col(bigint("order_id"))
            .col(text("kind"))
            .col(text("level"))
            .col(ts("due_at"))
            .col(ts("done_at"))
            .primary_key(
                Index::create()
                    .col(a("order_id"))
                    .col(a("kind"))
                    .col(a("level")),
            )
            .foreign_key(&mut fk(
                "escalation_steps",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    out.push(
        table("outbox")
            .col(id())
            .col(text("channel"))
            .col(text("recipient"))
            .col(text("event"))
            .col(text("subject"))
            .col(text("body"))
            .col(text("status"))
            .col(int("attempts"))
            .col(ts("next_attempt_at"))
            .col(text("last_error"))
            .col(ts("created_at"))
            .col(ts_null("sent_at"))
            .to_owned(),
    );
    index(
        out,
        "ix_outbox_due",
        "outbox",
        &["status", "next_attempt_at"],
    );
    // A dispatcher's corrections of the automatic category or dispatch, kept for learning.
    out.push(
        table("corrections")
            .col(id())
            .col(bigint("order_id"))
            .col(text("kind"))
            .col(text("before"))
            .col(text("after"))
            .col(text("actor"))
            .col(text("reason"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "corrections",
                "order_id",
                "work_orders",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    // One overdue report (通报) per day, however many processes run.
    out.push(
        table("daily_reports")
            .col(text("day").primary_key())
            .col(ts("created_at"))
            .to_owned(),
    );
}

pub(super) async fn run(db: &Db) -> anyhow::Result<Vec<&'static str>> {
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

/// Where notifications go (a unit's e-mail, the reporter's phone kept encrypted), editable
/// message templates, and photos of work orders.
fn notifications_photos(out: &mut Statements) {
    let add =
        |table: &str, col: ColumnDef| Table::alter().table(a(table)).add_column(col).to_owned();
    let empty_text = |name: &str| {
        let mut c = ColumnDef::new(a(name));
        c.text().not_null().default("");
        c
    };
    out.push(add("departments", empty_text("email")));
    // The reporter's full phone number, encrypted with the data key.
    out.push(add("work_orders", empty_text("reporter_phone_enc")));
    // A key the client chose, so that a report sent again after a dropped connection is
    // registered once.
    out.push(add("work_orders", text_null("client_key")));
    out.push(
        Index::create()
            .name("ux_work_orders_client_key")
            .table(a("work_orders"))
            .col(a("client_key"))
            .unique()
            .to_owned(),
    );
    // The delivery address of a message (a phone number or an e-mail address), encrypted.
    out.push(add("outbox", empty_text("address_enc")));
    out.push(
        table("notification_templates")
            .col(text("event").primary_key())
            .col(text("subject"))
            .col(text("body"))
            .col(text("updated_by"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        table("work_order_photos")
            .col(id())
            .col(bigint("order_id"))
            .col(bigint_null("event_id"))
            .col(text("content_type"))
            .col(ColumnDef::new(a("data")).binary().not_null().to_owned())
            .col(text("sha256"))
            .col(text("uploaded_by"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "work_order_photos",
                "order_id",
                "work_orders",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(out, "ix_photos_order", "work_order_photos", &["order_id"]);
}

/// The catalog of service matters: every version kept, one current per implementation code.
fn service_catalog(out: &mut Statements) {
    out.push(
        table("matters")
            .col(id())
            .col(text("code"))
            .col(ColumnDef::new(a("version")).integer().not_null().to_owned())
            .col(boolean("current", true))
            .col(text("basic_code"))
            .col(text("name"))
            .col(text("matter_type"))
            .col(bigint("unit_id"))
            .col(text("spec"))
            .col(text("created_by"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "matters",
                "unit_id",
                "departments",
                "id",
                ForeignKeyAction::Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_matters_code_version")
            .table(a("matters"))
            .col(a("code"))
            .col(a("version"))
            .unique()
            .to_owned(),
    );
    index(out, "ix_matters_current", "matters", &["current", "name"]);
    // 一件事: bundles of matters; `spec` is the `BundleSpec` as JSON.
    out.push(
        table("bundles")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text("spec"))
            .col(text("updated_by"))
            .col(ts("updated_at"))
            .to_owned(),
    );
}

/// 一窗受理: applications with their parts (one per matter) and timeline, 好差评 ratings with
/// rectification tasks, queue tickets, and the 办不成事 desk.
fn applications(out: &mut Statements) {
    out.push(
        table("applications")
            .col(id())
            .col(text("code").unique_key())
            .col(text("subject_kind"))
            .col(text("subject_code"))
            .col(text("title"))
            .col(text("channel"))
            .col(text("status"))
            .col(text("applicant_name"))
            .col(text("applicant_id_masked"))
            .col(text("applicant_id_enc"))
            .col(text("applicant_id_digest"))
            .col(text("applicant_phone_masked"))
            .col(text("applicant_phone_enc"))
            .col(text("phone_last4"))
            .col(text("agent"))
            .col(text("checklist"))
            .col(text("handed"))
            .col(text("defects"))
            .col(text("reason"))
            .col(text("delivery"))
            .col(text("window"))
            .col(text("received_by"))
            .col(bigint_null("ticket_id"))
            .col(text_null("client_key").unique_key())
            .col(ts("received_at"))
            .col(ts_null("accepted_at"))
            .col(ts_null("promised_at"))
            .col(ts_null("completed_at"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    index(
        out,
        "ix_applications_status",
        "applications",
        &["status", "received_at"],
    );
    index(
        out,
        "ix_applications_applicant",
        "applications",
        &["applicant_id_digest"],
    );
    out.push(
        table("application_parts")
            .col(id())
            .col(bigint("application_id"))
            .col(int("seq"))
            .col(text("matter_code"))
            .col(int("matter_version"))
            .col(text("matter_name"))
            .col(bigint("unit_id"))
            .col(text("status"))
            .col(text("steps"))
            .col(int("step"))
            .col(text("limit_spec"))
            .col(ts_null("step_due"))
            .col(text("handler"))
            .col(ts_null("started_at"))
            .col(ts_null("deadline"))
            .col(int("paused_days"))
            .col(ts_null("paused_at"))
            .col(text("pause_kind"))
            .col(text("result_no"))
            .col(text("result_delivery"))
            .col(ts_null("done_at"))
            .foreign_key(&mut fk(
                "application_parts",
                "application_id",
                "applications",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_parts_application",
        "application_parts",
        &["application_id"],
    );
    index(
        out,
        "ix_parts_unit",
        "application_parts",
        &["unit_id", "status"],
    );
    out.push(
        table("application_events")
            .col(id())
            .col(bigint("application_id"))
            .col(bigint_null("part_id"))
            .col(text("kind"))
            .col(text("actor"))
            .col(text("note"))
            .col(ts("at"))
            .foreign_key(&mut fk(
                "application_events",
                "application_id",
                "applications",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_app_events_application",
        "application_events",
        &["application_id"],
    );
    // 好差评: one rating per subject and channel; a rectification is rated as its own subject.
    out.push(
        table("ratings")
            .col(id())
            .col(text("subject_kind"))
            .col(bigint("subject_id"))
            .col(text("subject_code"))
            .col(text("channel"))
            .col(int("score"))
            .col(text("dimensions"))
            .col(text("comment"))
            .col(text("window"))
            .col(text("staff"))
            .col(text("matter_code"))
            .col(bigint_null("unit_id"))
            .col(text("month"))
            .col(ts("created_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_ratings_subject_channel")
            .table(a("ratings"))
            .col(a("subject_kind"))
            .col(a("subject_id"))
            .col(a("channel"))
            .unique()
            .to_owned(),
    );
    index(out, "ix_ratings_month", "ratings", &["month"]);
    out.push(
        table("rectifications")
            .col(id())
            .col(bigint("rating_id"))
            .col(bigint_null("unit_id"))
            .col(text("subject_code"))
            .col(text("status"))
            .col(ts("contact_due"))
            .col(ts("answer_due"))
            .col(ts_null("contacted_at"))
            .col(text("outcome"))
            .col(text("answer"))
            .col(text("handled_by"))
            .col(ts_null("answered_at"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "rectifications",
                "rating_id",
                "ratings",
                "id",
                ForeignKeyAction::Restrict,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_rectifications_unit",
        "rectifications",
        &["unit_id", "status"],
    );
    // 排队叫号.
    out.push(
        table("queue_groups")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text("prefix"))
            .col(text("windows"))
            .to_owned(),
    );
    out.push(
        table("queue_tickets")
            .col(id())
            .col(text("day"))
            .col(text("group_code"))
            .col(int("number"))
            .col(text("label"))
            .col(text("status"))
            .col(boolean("reserved", false))
            .col(text("phone_last4"))
            .col(text("window"))
            .col(text("clerk"))
            .col(text("transferred_from"))
            .col(ts("issued_at"))
            .col(ts_null("called_at"))
            .col(ts_null("finished_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_tickets_day_group_number")
            .table(a("queue_tickets"))
            .col(a("day"))
            .col(a("group_code"))
            .col(a("number"))
            .unique()
            .to_owned(),
    );
    index(
        out,
        "ix_tickets_status",
        "queue_tickets",
        &["day", "status", "group_code"],
    );
    // 办不成事 desk.
    out.push(
        table("desk_cases")
            .col(id())
            .col(text("subject_kind"))
            .col(text("subject_code"))
            .col(text("summary"))
            .col(text("raised_by"))
            .col(text("owner"))
            .col(ts("deadline"))
            .col(text("status"))
            .col(text("resolution"))
            .col(ts("created_at"))
            .col(ts_null("resolved_at"))
            .to_owned(),
    );
    index(out, "ix_desk_status", "desk_cases", &["status", "deadline"]);
}
