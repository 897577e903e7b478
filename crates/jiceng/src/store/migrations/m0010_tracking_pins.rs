//! 0010: a citizen's own tracking pin (查询密码). Work orders and applications keep a keyed
//! digest of the six digits shown once to the citizen, and wrong pins are counted per code
//! (five lock the code for an hour). The SMS that tells the pin keeps its text sealed in the
//! outbox, so that neither the outbox page nor the log shows it. Cases from before keep no pin and cannot be tracked by
//! code alone any more: the last four digits of the phone, which staff see in every masked
//! number, no longer open a case.

use crate::store::migrations::schema::{Statements, a, int, table, text, text_null, ts_null};
use sea_orm::sea_query::{ColumnDef, Table};

pub(crate) fn tracking_pins(out: &mut Statements) {
    for t in ["work_orders", "applications"] {
        out.push(
            Table::alter()
                .table(a(t))
                .add_column(text_null("pin_digest"))
                .to_owned(),
        );
    }
    // A message carrying a pin keeps its full text sealed; the readable body shows `******`.
    let mut body_enc = ColumnDef::new(a("body_enc"));
    body_enc.text().not_null().default("");
    out.push(
        Table::alter()
            .table(a("outbox"))
            .add_column(body_enc)
            .to_owned(),
    );
    out.push(
        table("citizen_pin_throttle")
            .col(text("code").primary_key())
            .col(int("failures"))
            .col(ts_null("window_start"))
            .col(ts_null("locked_until"))
            .to_owned(),
    );
}
