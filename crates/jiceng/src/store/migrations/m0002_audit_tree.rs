//! 0002: the audit log's Merkle tree, checkpoints and cosignatures.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::blob;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::ts;
use sea_orm::DbBackend;
use sea_orm::sea_query::{ColumnDef, Expr, ForeignKeyAction, Index, Query};

/// The audit log's Merkle tree (perfect subtrees), its signed checkpoints and witness
/// cosignatures.
pub(crate) fn audit_tree(out: &mut Statements) {
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
