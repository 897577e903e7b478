//! 0018: the window's service. 暂停叫号 — a window of a hall that calls nobody for the rest of
//! the day (the clerk is away, the window is closed); the hall display says so. A pause belongs
//! to its day: the next morning the window calls again without anyone lifting it. And the units
//! whose matters a service group handles, so that the window offers a ticket's group's matters
//! first.

use crate::store::migrations::schema::{Statements, a, table, text, ts};
use sea_orm::sea_query::{ColumnDef, Index, Table};

pub(crate) fn window_service(out: &mut Statements) {
    let mut units = ColumnDef::new(a("units"));
    units.text().not_null().default("");
    out.push(
        Table::alter()
            .table(a("queue_groups"))
            .add_column(units)
            .to_owned(),
    );
    out.push(
        table("queue_window_pauses")
            .col(text("region_code"))
            .col(text("window"))
            .col(text("day"))
            .col(text("paused_by"))
            .col(ts("paused_at"))
            .primary_key(Index::create().col(a("region_code")).col(a("window")))
            .to_owned(),
    );
}
