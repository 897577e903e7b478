//! 0013: the flags the worklists ask for — a send-back or an extension request awaiting
//! review, an order returned to its unit — become columns of their own beside the JSON they come from, kept in step
//! by the one place that writes flags, so that the worklist counts and pages them in the
//! database instead of filtering a capped read in memory.

use crate::store::migrations::schema::{Statements, a};
use sea_orm::sea_query::{ColumnDef, Index, Table};

pub(crate) fn worklist_flags(out: &mut Statements) {
    for c in ["send_back_pending", "extension_pending", "returned"] {
        let mut col = ColumnDef::new(a(c));
        col.boolean().not_null().default(false);
        out.push(
            Table::alter()
                .table(a("work_orders"))
                .add_column(col)
                .to_owned(),
        );
        // serde writes the flags without spaces: the same text on either database.
        out.push_sql(&format!(
            "UPDATE work_orders SET {c} = TRUE WHERE flags LIKE '%\"{c}\":true%'"
        ));
        out.push(
            Index::create()
                .name(format!("idx_work_orders_{c}"))
                .table(a("work_orders"))
                .col(a(c))
                .to_owned(),
        );
    }
}
