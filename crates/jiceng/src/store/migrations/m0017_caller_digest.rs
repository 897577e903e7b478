//! 0017: a keyed digest of the reporter's phone on each order (HMAC-SHA256 under the data key's
//! look-up half), so that the hotline finds a caller's earlier orders without the number ever
//! being stored in the clear or decrypted row by row. Orders from before get theirs when the
//! server starts (`work_orders::read::backfill_caller_digests`), since SQL cannot compute it.

use crate::store::migrations::schema::{Statements, a, index};
use sea_orm::sea_query::{ColumnDef, Table};

pub(crate) fn caller_digest(out: &mut Statements) {
    let mut col = ColumnDef::new(a("reporter_phone_digest"));
    col.text().not_null().default("");
    out.push(
        Table::alter()
            .table(a("work_orders"))
            .add_column(col)
            .to_owned(),
    );
    index(
        out,
        "ix_work_orders_phone_digest",
        "work_orders",
        &["reporter_phone_digest"],
    );
}
