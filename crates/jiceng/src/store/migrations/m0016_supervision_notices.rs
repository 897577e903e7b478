//! 0016: 督办单 — written supervision orders, each with its own deadline, settled once: met
//! by the unit's reply, or missed and sent up to the leaders by the escalation scheduler.

use crate::store::migrations::schema::{
    Statements, bigint, bigint_null, fk, id, index, int, table, text, ts, ts_null,
};
use sea_orm::sea_query::ForeignKeyAction::Cascade;

pub(crate) fn supervision_notices(out: &mut Statements) {
    out.push(
        table("supervision_notices")
            .col(id())
            .col(bigint("order_id"))
            .col(bigint_null("unit_id"))
            .col(text("issued_by"))
            .col(ts("issued_at"))
            .col(int("days"))
            .col(ts("due_at"))
            .col(text("requirement"))
            .col(text("status"))
            .col(ts_null("settled_at"))
            .foreign_key(&mut fk(
                "supervision_notices",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_supervision_notices_order",
        "supervision_notices",
        &["order_id"],
    );
    index(
        out,
        "ix_supervision_notices_due",
        "supervision_notices",
        &["status", "due_at"],
    );
}
