//! 0006: applications, their parts and timeline, queue tickets, ratings, rectifications, the
//! desk.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::bigint_null;
use crate::store::migrations::schema::boolean;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::index;
use crate::store::migrations::schema::int;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::text_null;
use crate::store::migrations::schema::ts;
use crate::store::migrations::schema::ts_null;
use sea_orm::sea_query::{ForeignKeyAction, Index};

/// 一窗受理: applications with their parts (one per matter) and timeline, 好差评 ratings with
/// rectification tasks, queue tickets, and the 办不成事 desk.
pub(crate) fn applications(out: &mut Statements) {
    out.push(
        table("applications")
            .col(id())
            .col(text("code").unique_key())
            .col(text("subject_kind"))
            .col(text("subject_code"))
            .col(text("title"))
            .col(text("channel"))
            .col(text("status"))
            .col(text("applicant_name"))
            .col(text("applicant_id_masked"))
            .col(text("applicant_id_enc"))
            .col(text("applicant_id_digest"))
            .col(text("applicant_phone_masked"))
            .col(text("applicant_phone_enc"))
            .col(text("phone_last4"))
            .col(text("agent"))
            .col(text("checklist"))
            .col(text("handed"))
            .col(text("defects"))
            .col(text("reason"))
            .col(text("delivery"))
            .col(text("window"))
            .col(text("received_by"))
            .col(bigint_null("ticket_id"))
            .col(text_null("client_key").unique_key())
            .col(ts("received_at"))
            .col(ts_null("accepted_at"))
            .col(ts_null("promised_at"))
            .col(ts_null("completed_at"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    index(
        out,
        "ix_applications_status",
        "applications",
        &["status", "received_at"],
    );
    index(
        out,
        "ix_applications_applicant",
        "applications",
        &["applicant_id_digest"],
    );
    out.push(
        table("application_parts")
            .col(id())
            .col(bigint("application_id"))
            .col(int("seq"))
            .col(text("matter_code"))
            .col(int("matter_version"))
            .col(text("matter_name"))
            .col(bigint("unit_id"))
            .col(text("status"))
            .col(text("steps"))
            .col(int("step"))
            .col(text("limit_spec"))
            .col(ts_null("step_due"))
            .col(text("handler"))
            .col(ts_null("started_at"))
            .col(ts_null("deadline"))
            .col(int("paused_days"))
            .col(ts_null("paused_at"))
            .col(text("pause_kind"))
            .col(text("result_no"))
            .col(text("result_delivery"))
            .col(ts_null("done_at"))
            .foreign_key(&mut fk(
                "application_parts",
                "application_id",
                "applications",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_parts_application",
        "application_parts",
        &["application_id"],
    );
    index(
        out,
        "ix_parts_unit",
        "application_parts",
        &["unit_id", "status"],
    );
    out.push(
        table("application_events")
            .col(id())
            .col(bigint("application_id"))
            .col(bigint_null("part_id"))
            .col(text("kind"))
            .col(text("actor"))
            .col(text("note"))
            .col(ts("at"))
            .foreign_key(&mut fk(
                "application_events",
                "application_id",
                "applications",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_app_events_application",
        "application_events",
        &["application_id"],
    );
    // 好差评: one rating per subject and channel; a rectification is rated as its own subject.
    out.push(
        table("ratings")
            .col(id())
            .col(text("subject_kind"))
            .col(bigint("subject_id"))
            .col(text("subject_code"))
            .col(text("channel"))
            .col(int("score"))
            .col(text("dimensions"))
            .col(text("comment"))
            .col(text("window"))
            .col(text("staff"))
            .col(text("matter_code"))
            .col(bigint_null("unit_id"))
            .col(text("month"))
            .col(ts("created_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_ratings_subject_channel")
            .table(a("ratings"))
            .col(a("subject_kind"))
            .col(a("subject_id"))
            .col(a("channel"))
            .unique()
            .to_owned(),
    );
    index(out, "ix_ratings_month", "ratings", &["month"]);
    out.push(
        table("rectifications")
            .col(id())
            .col(bigint("rating_id"))
            .col(bigint_null("unit_id"))
            .col(text("subject_code"))
            .col(text("status"))
            .col(ts("contact_due"))
            .col(ts("answer_due"))
            .col(ts_null("contacted_at"))
            .col(text("outcome"))
            .col(text("answer"))
            .col(text("handled_by"))
            .col(ts_null("answered_at"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "rectifications",
                "rating_id",
                "ratings",
                "id",
                ForeignKeyAction::Restrict,
            ))
            .to_owned(),
    );
    index(
        out,
        "ix_rectifications_unit",
        "rectifications",
        &["unit_id", "status"],
    );
    // 排队叫号.
    out.push(
        table("queue_groups")
            .col(text("code").primary_key())
            .col(text("name"))
            .col(text("prefix"))
            .col(text("windows"))
            .to_owned(),
    );
    out.push(
        table("queue_tickets")
            .col(id())
            .col(text("day"))
            .col(text("group_code"))
            .col(int("number"))
            .col(text("label"))
            .col(text("status"))
            .col(boolean("reserved", false))
            .col(text("phone_last4"))
            .col(text("window"))
            .col(text("clerk"))
            .col(text("transferred_from"))
            .col(ts("issued_at"))
            .col(ts_null("called_at"))
            .col(ts_null("finished_at"))
            .to_owned(),
    );
    out.push(
        Index::create()
            .name("ux_tickets_day_group_number")
            .table(a("queue_tickets"))
            .col(a("day"))
            .col(a("group_code"))
            .col(a("number"))
            .unique()
            .to_owned(),
    );
    index(
        out,
        "ix_tickets_status",
        "queue_tickets",
        &["day", "status", "group_code"],
    );
    // 办不成事 desk.
    out.push(
        table("desk_cases")
            .col(id())
            .col(text("subject_kind"))
            .col(text("subject_code"))
            .col(text("summary"))
            .col(text("raised_by"))
            .col(text("owner"))
            .col(ts("deadline"))
            .col(text("status"))
            .col(text("resolution"))
            .col(ts("created_at"))
            .col(ts_null("resolved_at"))
            .to_owned(),
    );
    index(out, "ix_desk_status", "desk_cases", &["status", "deadline"]);
}
