//! 0003: categories, the calendar, SLA policies, responsibility lists, work orders with their
//! assignments, timeline, escalation steps and corrections, the outbox, daily reports.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::bigint_null;
use crate::store::migrations::schema::boolean;
use crate::store::migrations::schema::double_null;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::index;
use crate::store::migrations::schema::int;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::text_null;
use crate::store::migrations::schema::ts;
use crate::store::migrations::schema::ts_null;
use sea_orm::sea_query::{ColumnDef, ForeignKeyAction, Index};

/// Categories, the working-day calendar, SLA policies, responsibility lists, work orders with
/// their assignments, timeline and escalation steps, and the notification outbox.
pub(crate) fn work_orders(out: &mut Statements) {
    use ForeignKeyAction::{Cascade, Restrict};
    out.push(
        table("categories")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text_null("parent_code"))
            .col(int("level"))
            .col(text("keywords"))
            .col(boolean("active", true))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "categories",
                "parent_code",
                "categories",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        table("calendar_days")
            .col(text("day").primary_key())
            .col(boolean("off", true))
            .col(text("name"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        table("sla_policies")
            .col(id())
            .col(text("category_code"))
            .col(text("priority"))
            .col(text("policy"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_sla_policies")
            .table(a("sla_policies"))
            .col(a("category_code"))
            .col(a("priority"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("resp_lists")
            .col(id())
            .col(text("region_code"))
            .col(int("version"))
            .col(text("status"))
            .col(text_null("effective_date"))
            .col(ts_null("published_at"))
            .col(text("note"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "resp_lists",
                "region_code",
                "regions",
                "code",
                Restrict,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_resp_lists_version")
            .table(a("resp_lists"))
            .col(a("region_code"))
            .col(a("version"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("resp_items")
            .col(id())
            .col(bigint("list_id"))
            .col(text("code"))
            .col(text("name"))
            .col(text("item_type"))
            .col(text("legal_basis"))
            .col(text("categories"))
            .col(text("lead"))
            .col(text("assisting"))
            .foreign_key(&mut fk(
                "resp_items",
                "list_id",
                "resp_lists",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_resp_items_code")
            .table(a("resp_items"))
            .col(a("list_id"))
            .col(a("code"))
            .unique()
            .to_owned(),
    );
    out.push(
        table("work_orders")
            .col(id())
            .col(text("tracking_code").unique_key())
            .col(text("title"))
            .col(text("description"))
            .col(text("channel"))
            .col(text("priority"))
            .col(text("category_code"))
            .col(ColumnDef::new(a("category_confidence")).double().not_null())
            .col(double_null("lat"))
            .col(double_null("lon"))
            .col(text("address"))
            .col(text_null("grid_code"))
            .col(text_null("village_code"))
            .col(text_null("township_code"))
            .col(text("reporter_name"))
            .col(text("reporter_phone"))
            .col(text("reporter_phone_last4"))
            .col(boolean("anonymous", false))
            .col(text("status"))
            .col(text("flags"))
            .col(bigint_null("lead_unit_id"))
            .col(text("list_item_code"))
            .col(text("dispatch_reasons"))
            .col(ts_null("dispatched_at"))
            .col(ts_null("resolve_started_at"))
            .col(ts_null("signed_at"))
            .col(ts_null("contacted_at"))
            .col(ts_null("replied_at"))
            .col(ts_null("closed_at"))
            .col(ts_null("sign_by"))
            .col(ts_null("contact_by"))
            .col(ts_null("resolve_by"))
            .col(text("escalation"))
            .col(ts_null("next_escalation_at"))
            .col(bigint_null("master_id"))
            .col(text("resolution"))
            .col(text("satisfaction"))
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .foreign_key(&mut fk(
                "work_orders",
                "category_code",
                "categories",
                "code",
                Restrict,
            ))
            .foreign_key(&mut fk(
                "work_orders",
                "lead_unit_id",
                "departments",
                "id",
                Restrict,
            ))
            .foreign_key(&mut fk(
                "work_orders",
                "master_id",
                "work_orders",
                "id",
                Restrict,
            ))
            .to_owned(),
    );
    index(out, "ix_work_orders_status", "work_orders", &["status"]);
    index(
        out,
        "ix_work_orders_lead",
        "work_orders",
        &["lead_unit_id", "status"],
    );
    index(
        out,
        "ix_work_orders_township",
        "work_orders",
        &["township_code"],
    );
    index(
        out,
        "ix_work_orders_next_escalation",
        "work_orders",
        &["next_escalation_at"],
    );
    index(
        out,
        "ix_work_orders_created",
        "work_orders",
        &["created_at"],
    );
    out.push(
        table("work_order_assignments")
            .col(id())
            .col(bigint("order_id"))
            .col(bigint("unit_id"))
            .col(text("role"))
            .col(boolean("active", true))
            .col(text("reply"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "work_order_assignments",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .foreign_key(&mut fk(
                "work_order_assignments",
                "unit_id",
                "departments",
                "id",
                Restrict,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_assignments_order",
        "work_order_assignments",
        &["order_id"],
    );
    index(
        out,
        "ix_assignments_unit",
        "work_order_assignments",
        &["unit_id", "active"],
    );
    out.push(
        table("work_order_events")
            .col(id())
            .col(bigint("order_id"))
            .col(ts("time"))
            .col(text("actor"))
            .col(text("action"))
            .col(text("from_status"))
            .col(text("to_status"))
            .col(text("note"))
            .foreign_key(&mut fk(
                "work_order_events",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    index(out, "ix_events_order", "work_order_events", &["order_id"]);
    out.push(
        table("escalation_steps")
            .col(bigint("order_id"))
            .col(text("kind"))
            .col(text("level"))
            .col(ts("due_at"))
            .col(ts("done_at"))
            .primary_key(
                Index::create()
                    .col(a("order_id"))
                    .col(a("kind"))
                    .col(a("level")),
            )
            .foreign_key(&mut fk(
                "escalation_steps",
                "order_id",
                "work_orders",
                "id",
                Cascade,
            ))
            .to_owned(),
    );
    out.push(
        table("outbox")
            .col(id())
            .col(text("channel"))
            .col(text("recipient"))
            .col(text("event"))
            .col(text("subject"))
            .col(text("body"))
            .col(text("status"))
            .col(int("attempts"))
            .col(ts("next_attempt_at"))
            .col(text("last_error"))
            .col(ts("created_at"))
            .col(ts_null("sent_at"))
            .to_owned(),
    );
    index(
        out,
        "ix_outbox_due",
        "outbox",
        &["status", "next_attempt_at"],
    );
    // A dispatcher's corrections of the automatic category or dispatch, kept for learning.
    out.push(
        table("corrections")
            .col(id())
            .col(bigint("order_id"))
            .col(text("kind"))
            .col(text("before"))
            .col(text("after"))
            .col(text("actor"))
            .col(text("reason"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "corrections",
                "order_id",
                "work_orders",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    // One overdue report (通报) per day, however many processes run.
    out.push(
        table("daily_reports")
            .col(text("day").primary_key())
            .col(ts("created_at"))
            .to_owned(),
    );
}
