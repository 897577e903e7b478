//! The notification outbox and templates.

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
        /// The full text when it carries a secret (a 查询密码), sealed; `body` then shows the
        /// secret as `******`. Empty otherwise.
        pub body_enc: String,
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
