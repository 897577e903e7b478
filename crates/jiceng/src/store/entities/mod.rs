//! sea-orm entities, one module per table, grouped in one file per wing and re-exported
//! here (`entities::work_order`). Timestamps are UTC.
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

mod audit;
mod auth;
mod hall;
mod notify;
mod org;
mod reference;
mod work_orders;

pub use audit::*;
pub use auth::*;
pub use hall::*;
pub use notify::*;
pub use org::*;
pub use reference::*;
pub use work_orders::*;
