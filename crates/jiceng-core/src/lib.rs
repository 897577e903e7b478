//! jiceng-core: the pure domain of jiceng (基层).
//!
//! Nothing here does IO, async or database work: regions and their codes, grids and geometry,
//! roles and jurisdiction; the work-order and application state machines and who may act;
//! SLA, the working-day calendar and deadline rules; dispatch by the responsibility list; the
//! service catalog, bundles and the queue; citizens' phone numbers and tracking codes; ratings,
//! metrics and classification; the login lockout rule, the password policy, the canonical audit
//! encoding and Merkle proofs; the injected clock; and the stored codes (`stored`), which the
//! `store` feature makes sea-orm column types. The app crate turns these into use cases and HTTP.

/// A closed set of stored codes, each with its stable code and its Chinese label.
macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$v),+];
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $(Self::$v => $label),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.code() == s)
            }
        }

        crate::stored_code!($name);
    };
}

pub mod application;
pub mod audit;
pub mod bundle;
pub mod calendar;
pub mod catalog;
pub mod citizen;
pub mod classify;
pub mod clock;
pub mod department;
pub mod dispatch;
pub mod gazetteer;
pub mod geometry;
pub mod id_card;
pub mod lockout;
pub mod merkle;
pub mod metrics;
pub mod note;
pub mod outbox;
pub mod password;
pub mod queue;
pub mod rating;
pub mod region;
pub mod role;
pub mod rollup;
pub mod scope;
pub mod sla;
pub mod stored;
pub mod supervision;
pub mod work_order;
pub mod worklist;

pub use clock::{Clock, FakeClock, SystemClock};
pub use region::{RegionCode, RegionLevel};
pub use role::Role;
pub use scope::Jurisdiction;
