//! The service hall: catalog, applications, ratings and rectifications, the queue, desk cases.

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
        /// A keyed digest of the citizen's 查询密码 (never the pin itself).
        pub pin_digest: Option<String>,
        /// The region of the hall that received it (its jurisdiction).
        pub region_code: String,
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
        /// The region of what was rated: the hall's, or the work order's place.
        pub region_code: String,
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
        /// The region of the rating it follows.
        pub region_code: String,
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
        /// The region of the hall whose windows these are.
        pub region_code: String,
        /// The codes of the units whose matters the group handles, comma-separated.
        pub units: String,
    }
    no_relations!();
}

pub mod queue_window_pause {
    use sea_orm::entity::prelude::*;

    /// 暂停叫号: a window of a hall that calls nobody on `day`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "queue_window_pauses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub region_code: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub window: String,
        pub day: String,
        pub paused_by: String,
        pub paused_at: DateTimeUtc,
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
        /// Last shown on the hall's display: the call, or a 重呼.
        pub announced_at: Option<DateTimeUtc>,
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
        /// The region of its subject (or of who raised it, for "other").
        pub region_code: String,
    }
    no_relations!();
}
