//! 0008: the work-order timeline stores action codes, not Chinese labels, and an extension
//! request's days get a column of their own. Existing rows are moved over: every label maps
//! back to its code, and the days are taken once from the request's note (`N个工作日：…`).

use crate::store::migrations::schema::{Statements, a};
use jiceng_core::sla::Level;
use jiceng_core::work_order::{ACCEPT, ASSIST_REPLY, Action, escalation_code};
use sea_orm::DbBackend;
use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait, Query, Table};

pub(crate) fn timeline_codes(out: &mut Statements) {
    out.push(
        Table::alter()
            .table(a("work_order_events"))
            .add_column(ColumnDef::new(a("days")).integer().null())
            .to_owned(),
    );
    let mut pairs: Vec<(String, String)> = Action::ALL
        .iter()
        .map(|x| (x.label().to_string(), x.code().to_string()))
        .collect();
    pairs.push(("受理".into(), ACCEPT.into()));
    pairs.push(("协办回复".into(), ASSIST_REPLY.into()));
    for l in [Level::Yellow, Level::Red, Level::Supervised] {
        pairs.push((l.label().into(), escalation_code(l)));
    }
    for (label, code) in pairs {
        out.push(
            Query::update()
                .table(a("work_order_events"))
                .value(a("action"), code)
                .and_where(Expr::col(a("action")).eq(label))
                .to_owned(),
        );
    }
    let position = match out.backend {
        DbBackend::Postgres => "strpos(note, '个')",
        _ => "instr(note, '个')",
    };
    out.push_sql(&format!(
        "UPDATE work_order_events SET days = CAST(substr(note, 1, {position} - 1) AS INTEGER) \
         WHERE action = '{}' AND {position} > 1",
        Action::RequestExtension.code()
    ));
}
