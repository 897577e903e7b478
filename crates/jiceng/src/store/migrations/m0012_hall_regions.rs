//! 0012: the hall's other records carry the region they belong to, so that each is read and
//! worked within its jurisdiction like the applications (0011): a rating and its rectification
//! the region of what was rated (the hall's for an application, the place of a work order),
//! a desk case the region of its subject, and a queue group the region of its hall (the
//! county's hall for every group from before).

use crate::store::migrations::schema::{Statements, a};
use sea_orm::sea_query::{ColumnDef, Index, Table};

pub(crate) fn hall_regions(out: &mut Statements) {
    for t in ["ratings", "rectifications", "desk_cases", "queue_groups"] {
        let mut region = ColumnDef::new(a("region_code"));
        region.text().not_null().default("");
        out.push(Table::alter().table(a(t)).add_column(region).to_owned());
    }
    // Plain SQL that reads the same on SQLite and PostgreSQL; the county is the region
    // without a parent.
    let county = "(SELECT code FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1)";
    out.push_sql(
        "UPDATE ratings SET region_code = COALESCE((SELECT applications.region_code \
         FROM applications WHERE applications.id = ratings.subject_id), '') \
         WHERE subject_kind = 'application'",
    );
    out.push_sql(&format!(
        "UPDATE ratings SET region_code = COALESCE((SELECT COALESCE(work_orders.village_code, \
         work_orders.township_code, {county}) FROM work_orders \
         WHERE work_orders.id = ratings.subject_id), '') WHERE subject_kind = 'work_order'"
    ));
    out.push_sql(
        "UPDATE rectifications SET region_code = COALESCE((SELECT ratings.region_code \
         FROM ratings WHERE ratings.id = rectifications.rating_id), '')",
    );
    out.push_sql(
        "UPDATE ratings SET region_code = COALESCE((SELECT rectifications.region_code \
         FROM rectifications WHERE rectifications.id = ratings.subject_id), '') \
         WHERE subject_kind = 'rectification'",
    );
    out.push_sql(
        "UPDATE desk_cases SET region_code = COALESCE((SELECT applications.region_code \
         FROM applications WHERE applications.code = desk_cases.subject_code), '') \
         WHERE subject_kind = 'application'",
    );
    out.push_sql(&format!(
        "UPDATE desk_cases SET region_code = COALESCE((SELECT COALESCE(\
         work_orders.village_code, work_orders.township_code, {county}) FROM work_orders \
         WHERE work_orders.tracking_code = desk_cases.subject_code), '') \
         WHERE subject_kind = 'work_order'"
    ));
    // A case about something else: the region of who raised it.
    out.push_sql(
        "UPDATE desk_cases SET region_code = COALESCE((SELECT users.region_code FROM users \
         WHERE 'user:' || users.username = desk_cases.raised_by), '') \
         WHERE subject_kind = 'other'",
    );
    for t in ["ratings", "rectifications", "desk_cases", "queue_groups"] {
        out.push_sql(&format!(
            "UPDATE {t} SET region_code = COALESCE({county}, '') WHERE region_code = ''"
        ));
    }
    // Every list of these filters by region.
    for t in ["ratings", "rectifications", "desk_cases"] {
        out.push(
            Index::create()
                .name(format!("idx_{t}_region"))
                .table(a(t))
                .col(a("region_code"))
                .to_owned(),
        );
    }
}
