//! 0014: an order's 诉求类型 (咨询、求助、投诉、举报、建议、表扬), a stored code; empty for orders
//! from before, which did not say.

use crate::store::migrations::schema::{Statements, a};
use sea_orm::sea_query::{ColumnDef, Table};

pub(crate) fn request_kind(out: &mut Statements) {
    let mut kind = ColumnDef::new(a("kind"));
    kind.text().not_null().default("");
    out.push(
        Table::alter()
            .table(a("work_orders"))
            .add_column(kind)
            .to_owned(),
    );
}
