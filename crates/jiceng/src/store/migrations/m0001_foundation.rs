//! 0001: regions, grids, departments, accounts, sessions, tokens, the audit log.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::bigint_null;
use crate::store::migrations::schema::double;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::int64_key;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::text_null;
use crate::store::migrations::schema::ts;
use crate::store::migrations::schema::ts_null;
use sea_orm::sea_query::{ColumnDef, Expr, ForeignKeyAction, Index, Query};

pub(crate) fn foundation(out: &mut Statements) {
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
