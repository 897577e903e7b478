//! Work orders: the responsibility list, orders, assignments, timeline, escalation steps, photos, corrections and daily reports.

pub mod resp_list {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resp_lists")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub region_code: String,
        pub version: i32,
        /// `draft`, `published` or `superseded`.
        pub status: jiceng_core::dispatch::ListStatus,
        pub effective_date: Option<String>,
        pub published_at: Option<DateTimeUtc>,
        pub note: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod resp_item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resp_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub list_id: i64,
        pub code: String,
        pub name: String,
        pub item_type: String,
        pub legal_basis: String,
        /// JSON array of category codes.
        pub categories: String,
        /// JSON of `jiceng_core::dispatch::UnitRef`.
        pub lead: String,
        /// JSON array of `UnitRef`.
        pub assisting: String,
    }
    no_relations!();
}

pub mod work_order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_orders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub tracking_code: String,
        pub title: String,
        pub description: String,
        pub channel: jiceng_core::work_order::Channel,
        pub priority: jiceng_core::sla::Priority,
        pub category_code: String,
        pub category_confidence: f64,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub address: String,
        pub grid_code: Option<String>,
        pub village_code: Option<String>,
        pub township_code: Option<String>,
        pub reporter_name: String,
        /// Masked for display (`138****5678`); empty when anonymous.
        pub reporter_phone: String,
        pub reporter_phone_last4: String,
        pub anonymous: bool,
        pub status: jiceng_core::work_order::State,
        /// JSON of `jiceng_core::work_order::Flags`.
        pub flags: String,
        pub lead_unit_id: Option<i64>,
        pub list_item_code: String,
        /// JSON array of strings.
        pub dispatch_reasons: String,
        pub dispatched_at: Option<DateTimeUtc>,
        /// When the resolve deadline started: dispatch, or the last reopening.
        pub resolve_started_at: Option<DateTimeUtc>,
        pub signed_at: Option<DateTimeUtc>,
        pub contacted_at: Option<DateTimeUtc>,
        pub replied_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        pub sign_by: Option<DateTimeUtc>,
        pub contact_by: Option<DateTimeUtc>,
        pub resolve_by: Option<DateTimeUtc>,
        pub escalation: jiceng_core::sla::Level,
        pub next_escalation_at: Option<DateTimeUtc>,
        pub master_id: Option<i64>,
        pub resolution: String,
        pub satisfaction: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The reporter's full phone number, encrypted with the data key.
        pub reporter_phone_enc: String,
        /// A keyed digest of the reporter's phone (empty when none): the caller's history.
        pub reporter_phone_digest: String,
        /// The client's key for the report (idempotent retries).
        pub client_key: Option<String>,
        /// A keyed digest of the citizen's 查询密码 (never the pin itself).
        pub pin_digest: Option<String>,
        /// `flags.send_back_pending`, queryable (written with the flags, never alone).
        pub send_back_pending: bool,
        /// `flags.extension_pending`, queryable.
        pub extension_pending: bool,
        /// `flags.returned`, queryable.
        pub returned: bool,
        /// 诉求类型 (`jiceng_core::work_order::RequestKind`); empty when not said.
        pub kind: String,
    }
    no_relations!();
}

pub mod assignment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order_assignments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub unit_id: i64,
        pub role: jiceng_core::dispatch::AssignmentRole,
        pub active: bool,
        /// An assisting unit's reply to the lead.
        pub reply: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod order_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub time: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub from_status: String,
        pub to_status: String,
        pub note: String,
        /// The working days an extension request asks for.
        pub days: Option<i32>,
    }
    no_relations!();
}

pub mod supervision_notice {
    use sea_orm::entity::prelude::*;

    /// 督办单: a written supervision order with its own deadline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "supervision_notices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        /// The unit pressed: the order's lead unit when the notice was issued.
        pub unit_id: Option<i64>,
        pub issued_by: String,
        pub issued_at: DateTimeUtc,
        /// The working days given.
        pub days: i32,
        pub due_at: DateTimeUtc,
        pub requirement: String,
        pub status: jiceng_core::supervision::Status,
        pub settled_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod escalation_step {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "escalation_steps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: String,
        pub due_at: DateTimeUtc,
        pub done_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod photo {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_order_photos")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        /// The timeline event the photo belongs to (a reply); none for the report's own.
        pub event_id: Option<i64>,
        pub content_type: String,
        pub data: Vec<u8>,
        pub sha256: String,
        pub uploaded_by: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod correction {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "corrections")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        /// `category` or `dispatch`.
        pub kind: String,
        pub before: String,
        pub after: String,
        pub actor: String,
        pub reason: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod daily_report {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "daily_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}
