//! 0011: an application belongs to the region of the hall that received it (the county's
//! 政务服务中心, a township's 便民服务中心), so that a township's clerks see their hall's work
//! and not the county's. Applications from before were all received at the county's hall.

use crate::store::migrations::schema::{Statements, a};
use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait, Query, Table};

pub(crate) fn application_regions(out: &mut Statements) {
    let mut region = ColumnDef::new(a("region_code"));
    region.text().not_null().default("");
    out.push(
        Table::alter()
            .table(a("applications"))
            .add_column(region)
            .to_owned(),
    );
    // The county: the region without a parent.
    let county = Query::select()
        .column(a("code"))
        .from(a("regions"))
        .and_where(Expr::col(a("parent_code")).is_null())
        .order_by(a("code"), sea_orm::sea_query::Order::Asc)
        .limit(1)
        .to_owned();
    out.push(
        Query::update()
            .table(a("applications"))
            .value(a("region_code"), county)
            .and_where(Expr::col(a("region_code")).eq(""))
            .to_owned(),
    );
}
