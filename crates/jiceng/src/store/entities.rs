//! sea-orm entities, one module per table. Timestamps are UTC.
//!
//! Closed sets of codes (statuses, roles, channels, kinds, priorities, levels) are typed here
//! as the core's enums (`jiceng_core::stored`): a row holding a code the enum does not know
//! fails to load as an internal error instead of reading back as some valid state.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod region {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub level: jiceng_core::RegionLevel,
        pub parent_code: Option<String>,
        /// GeoJSON geometry (Polygon or MultiPolygon), when the boundary is known.
        pub boundary: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub kind: jiceng_core::department::DepartmentKind,
        pub region_code: String,
        pub phone: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Where the unit's notifications are e-mailed (SMTP channel); empty for none.
        pub email: String,
    }
    no_relations!();
}

pub mod grid {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "grids")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub village_code: String,
        /// GeoJSON Polygon geometry.
        pub geometry: String,
        pub min_lon: f64,
        pub min_lat: f64,
        pub max_lon: f64,
        pub max_lat: f64,
        pub worker_user_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub username: String,
        pub display_name: String,
        pub role: jiceng_core::Role,
        pub region_code: String,
        pub department_id: Option<i64>,
        pub password_hash: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod login_throttle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub username: String,
        pub failures: i32,
        pub window_start: Option<DateTimeUtc>,
        pub locked_until: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 (hex) of the cookie value; the value itself is never stored.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub user_id: i64,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        /// SHA-256 (hex) of the bearer token.
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub time: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        /// Hex SHA-256 of the entity's new state, if any.
        pub state_digest: Option<String>,
        pub reason: String,
    }
    no_relations!();
}

pub mod audit_node {
    use sea_orm::entity::prelude::*;

    /// A perfect subtree of the audit Merkle tree: leaves `[idx·2^level, (idx+1)·2^level)`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_tree")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub idx: i64,
        pub hash: Vec<u8>,
    }
    no_relations!();
}

pub mod audit_checkpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub tree_size: i64,
        pub root_hash: Vec<u8>,
        /// The signed note, as served.
        pub note: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod audit_cosignature {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_cosignatures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub checkpoint_id: i64,
        pub witness: String,
        /// Seconds since the epoch, as signed by the witness.
        pub signed_at: i64,
        /// The cosignature line, as received.
        pub line: String,
        pub received_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub parent_code: Option<String>,
        pub level: i32,
        /// Keywords for the rule classifier, separated by `、`.
        pub keywords: String,
        pub active: bool,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod calendar_day {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_days")]
    pub struct Model {
        /// `YYYY-MM-DD`
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub off: bool,
        pub name: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod sla_policy {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sla_policies")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// A category code, or `*` for every category.
        pub category_code: String,
        pub priority: jiceng_core::sla::Priority,
        /// JSON of `jiceng_core::sla::Policy`.
        pub policy: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

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
        /// The client's key for the report (idempotent retries).
        pub client_key: Option<String>,
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

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `log`, `webhook` or `smtp`.
        pub channel: String,
        pub recipient: String,
        pub event: String,
        pub subject: String,
        pub body: String,
        /// `pending`, `sent` or `dead`.
        pub status: jiceng_core::outbox::OutboxStatus,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        /// The delivery address (phone number or e-mail), encrypted; empty when the
        /// recipient is resolved at sending.
        pub address_enc: String,
    }
    no_relations!();
}

pub mod notification_template {
    use sea_orm::entity::prelude::*;

    /// An administrator's wording of one event's message; events without a row use the
    /// built-in wording.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event: String,
        pub subject: String,
        pub body: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
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

pub mod matter {
    use sea_orm::entity::prelude::*;

    /// One version of a service matter; `spec` is its `MatterSpec` as JSON.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "matters")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub version: i32,
        pub current: bool,
        pub basic_code: String,
        pub name: String,
        pub matter_type: String,
        pub unit_id: i64,
        pub spec: String,
        pub created_by: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod bundle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bundles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub spec: String,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod application {
    use sea_orm::entity::prelude::*;

    /// An application at the one window: for one matter or one bundle (`subject_kind`). The
    /// applicant's ID number and phone are sealed with the data key; `applicant_id_digest` finds
    /// a person's applications without opening them. `agent`, `checklist`, `handed` and
    /// `defects` are JSON.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "applications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub subject_kind: String,
        pub subject_code: String,
        pub title: String,
        pub channel: jiceng_core::application::Channel,
        pub status: jiceng_core::application::Status,
        pub applicant_name: String,
        pub applicant_id_masked: String,
        pub applicant_id_enc: String,
        pub applicant_id_digest: String,
        pub applicant_phone_masked: String,
        pub applicant_phone_enc: String,
        pub phone_last4: String,
        pub agent: String,
        pub checklist: String,
        pub handed: String,
        pub defects: String,
        pub reason: String,
        pub delivery: jiceng_core::application::Delivery,
        pub window: String,
        pub received_by: String,
        pub ticket_id: Option<i64>,
        pub client_key: Option<String>,
        pub received_at: DateTimeUtc,
        pub accepted_at: Option<DateTimeUtc>,
        pub promised_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod application_part {
    use sea_orm::entity::prelude::*;

    /// One matter of an application in its unit's back office: the steps (JSON list), the one
    /// it is at, and its clock (`limit_spec` is the `Limit` as JSON).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "application_parts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub application_id: i64,
        pub seq: i32,
        pub matter_code: String,
        pub matter_version: i32,
        pub matter_name: String,
        pub unit_id: i64,
        pub status: jiceng_core::application::PartStatus,
        pub steps: String,
        pub step: i32,
        pub limit_spec: String,
        pub step_due: Option<DateTimeUtc>,
        pub handler: String,
        pub started_at: Option<DateTimeUtc>,
        pub deadline: Option<DateTimeUtc>,
        pub paused_days: i32,
        pub paused_at: Option<DateTimeUtc>,
        pub pause_kind: String,
        pub result_no: String,
        pub result_delivery: String,
        pub done_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod application_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "application_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub application_id: i64,
        pub part_id: Option<i64>,
        pub kind: String,
        pub actor: String,
        pub note: String,
        pub at: DateTimeUtc,
    }
    no_relations!();
}

pub mod rating {
    use sea_orm::entity::prelude::*;

    /// A 好差评 rating of an application, a work order or a rectification; `dimensions` is
    /// JSON, `month` is `YYYY-MM` in Beijing time.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ratings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub subject_kind: String,
        pub subject_id: i64,
        pub subject_code: String,
        pub channel: jiceng_core::rating::RatingChannel,
        pub score: i32,
        pub dimensions: String,
        pub comment: String,
        pub window: String,
        pub staff: String,
        pub matter_code: String,
        pub unit_id: Option<i64>,
        pub month: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod rectification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rectifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub rating_id: i64,
        pub unit_id: Option<i64>,
        pub subject_code: String,
        pub status: jiceng_core::rating::RectStatus,
        pub contact_due: DateTimeUtc,
        pub answer_due: DateTimeUtc,
        pub contacted_at: Option<DateTimeUtc>,
        pub outcome: String,
        pub answer: String,
        pub handled_by: String,
        pub answered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod queue_group {
    use sea_orm::entity::prelude::*;

    /// A service group of the hall; `windows` lists its windows, comma-separated.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "queue_groups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub prefix: String,
        pub windows: String,
    }
    no_relations!();
}

pub mod queue_ticket {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "queue_tickets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub day: String,
        pub group_code: String,
        pub number: i32,
        pub label: String,
        pub status: jiceng_core::queue::TicketStatus,
        pub reserved: bool,
        pub phone_last4: String,
        pub window: String,
        pub clerk: String,
        pub transferred_from: String,
        pub issued_at: DateTimeUtc,
        pub called_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod desk_case {
    use sea_orm::entity::prelude::*;

    /// A case at the 办不成事 desk: an application or work order that failed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "desk_cases")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub subject_kind: String,
        pub subject_code: String,
        pub summary: String,
        pub raised_by: String,
        pub owner: String,
        pub deadline: DateTimeUtc,
        pub status: jiceng_core::rating::DeskStatus,
        pub resolution: String,
        pub created_at: DateTimeUtc,
        pub resolved_at: Option<DateTimeUtc>,
    }
    no_relations!();
}
