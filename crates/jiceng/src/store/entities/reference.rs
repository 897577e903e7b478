//! Reference data: categories, the working-day calendar and SLA policies.

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
