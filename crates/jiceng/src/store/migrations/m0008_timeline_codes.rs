//! 0008: the work-order timeline stores action codes, not Chinese labels, and an extension
//! request's days get a column of their own. Existing rows are moved over: every label that
//! was stored maps back to its code, and the days are taken once from the request's note
//! (`N个工作日：…`). The pairs are written out here, not read from the code's labels, so that
//! renaming a label later leaves this migration (and its checksum) as it ran.

use crate::store::migrations::schema::{Statements, a};
use sea_orm::DbBackend;
use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait, Query, Table};

/// Each label the timeline stored before 0008, with its code.
const LABELS: &[(&str, &str)] = &[
    ("直接答复办结", "answer_directly"),
    ("转人工派单", "queue_for_dispatch"),
    ("派单", "dispatch"),
    ("签收", "sign"),
    ("首次联系", "contact"),
    ("退单", "send_back"),
    ("同意退单", "accept_send_back"),
    ("驳回退单", "reject_send_back"),
    ("申请延期", "request_extension"),
    ("批准延期", "approve_extension"),
    ("驳回延期", "reject_extension"),
    ("回复", "reply"),
    ("审核回复", "approve_reply"),
    ("退回重办", "return_reply"),
    ("回访办结", "callback_close"),
    ("重办", "reopen"),
    ("合并", "merge"),
    ("撤回", "withdraw"),
    ("受理", "accept"),
    ("协办回复", "assist_reply"),
    ("黄牌预警", "escalate_yellow"),
    ("红牌催办", "escalate_red"),
    ("督办", "escalate_supervised"),
];

pub(crate) fn timeline_codes(out: &mut Statements) {
    out.push(
        Table::alter()
            .table(a("work_order_events"))
            .add_column(ColumnDef::new(a("days")).integer().null())
            .to_owned(),
    );
    for (label, code) in LABELS {
        out.push(
            Query::update()
                .table(a("work_order_events"))
                .value(a("action"), *code)
                .and_where(Expr::col(a("action")).eq(*label))
                .to_owned(),
        );
    }
    // Only a note that starts with digits and 个 gives days; any other row keeps none.
    let (position, digits) = match out.backend {
        DbBackend::Postgres => (
            "strpos(note, '个')",
            "substr(note, 1, strpos(note, '个') - 1) ~ '^[0-9]+$'",
        ),
        _ => (
            "instr(note, '个')",
            "substr(note, 1, instr(note, '个') - 1) NOT GLOB '*[^0-9]*'",
        ),
    };
    out.push_sql(&format!(
        "UPDATE work_order_events SET days = CAST(substr(note, 1, {position} - 1) AS INTEGER) \
         WHERE action = 'request_extension' AND {position} > 1 AND {digits}"
    ));
}
