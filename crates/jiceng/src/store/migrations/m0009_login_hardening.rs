//! 0009: login throttling keyed by a keyed digest of the name instead of the name itself (a
//! password typed into the name field was kept in clear), and a flag so that refusals during a
//! lock are audited once per lock. Existing rows are dropped: they hold names in clear, and a
//! lock lasts 15 minutes anyway.

use crate::store::migrations::schema::{Statements, a, boolean};
use sea_orm::sea_query::{Query, Table};

pub(crate) fn login_hardening(out: &mut Statements) {
    out.push(Query::delete().from_table(a("login_throttle")).to_owned());
    out.push(
        Table::alter()
            .table(a("login_throttle"))
            .add_column(boolean("refusal_logged", false))
            .to_owned(),
    );
}
