//! 0015: when a ticket was last announced on the hall's display — its call, or a 重呼 (a
//! call again for who did not come up) — kept apart from when it was first called, which the
//! wait statistics count.

use crate::store::migrations::schema::{Statements, a, ts_null};
use sea_orm::sea_query::Table;

pub(crate) fn queue_recall(out: &mut Statements) {
    out.push(
        Table::alter()
            .table(a("queue_tickets"))
            .add_column(ts_null("announced_at"))
            .to_owned(),
    );
    out.push_sql("UPDATE queue_tickets SET announced_at = called_at");
}
