//! 0019: 数据驾驶舱 rollups — per day received × township × village × category × lead unit ×
//! channel × 诉求类型, the counters of the orders in each row (`jiceng_core::rollup`), moved in
//! the transaction of every change to an order. Filled from the orders already there by the
//! server at start when empty (`work_orders::rollups::rebuild_if_empty`), and on demand by
//! `jiceng rollups rebuild`.

use crate::store::migrations::schema::{Statements, a, bigint, index, table, text};
use sea_orm::sea_query::{ColumnDef, Index};

pub(crate) fn rollups(out: &mut Statements) {
    let mut t = table("work_order_rollups");
    for c in ["day", "township", "village", "category"] {
        t.col(text(c));
    }
    t.col(bigint("unit_id"));
    for c in ["channel", "kind"] {
        t.col(text(c));
    }
    for c in jiceng_core::rollup::COUNTERS {
        let mut col = ColumnDef::new(a(c));
        col.big_integer().not_null().default(0);
        t.col(col);
    }
    t.primary_key(
        Index::create()
            .col(a("day"))
            .col(a("township"))
            .col(a("village"))
            .col(a("category"))
            .col(a("unit_id"))
            .col(a("channel"))
            .col(a("kind")),
    );
    out.push(t.to_owned());
    index(
        out,
        "ix_rollups_township_day",
        "work_order_rollups",
        &["township", "day"],
    );
    index(
        out,
        "ix_rollups_unit_day",
        "work_order_rollups",
        &["unit_id", "day"],
    );
}
