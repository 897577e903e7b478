//! 0005: the service catalog: matters and bundles.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::boolean;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::index;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::ts;
use sea_orm::sea_query::{ColumnDef, ForeignKeyAction, Index};

/// The catalog of service matters: every version kept, one current per implementation code.
pub(crate) fn service_catalog(out: &mut Statements) {
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
