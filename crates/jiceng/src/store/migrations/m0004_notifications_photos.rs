//! 0004: message templates and work-order photos.

use crate::store::migrations::schema::Statements;
use crate::store::migrations::schema::a;
use crate::store::migrations::schema::bigint;
use crate::store::migrations::schema::bigint_null;
use crate::store::migrations::schema::fk;
use crate::store::migrations::schema::id;
use crate::store::migrations::schema::index;
use crate::store::migrations::schema::table;
use crate::store::migrations::schema::text;
use crate::store::migrations::schema::text_null;
use crate::store::migrations::schema::ts;
use sea_orm::sea_query::{ColumnDef, ForeignKeyAction, Index, Table};

/// Where notifications go (a unit's e-mail, the reporter's phone kept encrypted), editable
/// message templates, and photos of work orders.
pub(crate) fn notifications_photos(out: &mut Statements) {
    let add =
        |table: &str, col: ColumnDef| Table::alter().table(a(table)).add_column(col).to_owned();
    let empty_text = |name: &str| {
        let mut c = ColumnDef::new(a(name));
        c.text().not_null().default("");
        c
    };
    out.push(add("departments", empty_text("email")));
    // The reporter's full phone number, encrypted with the data key.
    out.push(add("work_orders", empty_text("reporter_phone_enc")));
    // A key the client chose, so that a report sent again after a dropped connection is
    // registered once.
    out.push(add("work_orders", text_null("client_key")));
    out.push(
        Index::create()
            .name("ux_work_orders_client_key")
            .table(a("work_orders"))
            .col(a("client_key"))
            .unique()
            .to_owned(),
    );
    // The delivery address of a message (a phone number or an e-mail address), encrypted.
    out.push(add("outbox", empty_text("address_enc")));
    out.push(
        table("notification_templates")
            .col(text("event").primary_key())
            .col(text("subject"))
            .col(text("body"))
            .col(text("updated_by"))
            .col(ts("updated_at"))
            .to_owned(),
    );
    out.push(
        table("work_order_photos")
            .col(id())
            .col(bigint("order_id"))
            .col(bigint_null("event_id"))
            .col(text("content_type"))
            .col(ColumnDef::new(a("data")).binary().not_null().to_owned())
            .col(text("sha256"))
            .col(text("uploaded_by"))
            .col(ts("created_at"))
            .foreign_key(&mut fk(
                "work_order_photos",
                "order_id",
                "work_orders",
                "id",
                ForeignKeyAction::Cascade,
            ))
            .to_owned(),
    );
    index(out, "ix_photos_order", "work_order_photos", &["order_id"]);
}
