//! jiceng-core: the pure domain of jiceng (基层).
//!
//! Nothing here does IO, async or database work: regions and their codes, grids and geometry,
//! roles and jurisdiction; the work-order and application state machines and who may act;
//! SLA, the working-day calendar and deadline rules; dispatch by the responsibility list; the
//! service catalog, bundles and the queue; citizens' phone numbers and tracking codes; ratings,
//! metrics and classification; the login lockout rule, the password policy, the canonical audit
//! encoding and Merkle proofs; the injected clock; and the stored codes (`stored`), which the
//! `store` feature makes sea-orm column types. The app crate turns these into use cases and HTTP.

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
pub mod geometry;
pub mod id_card;
pub mod lockout;
pub mod merkle;
pub mod metrics;
pub mod note;
pub mod password;
pub mod queue;
pub mod rating;
pub mod region;
pub mod role;
pub mod scope;
pub mod sla;
pub mod stored;
pub mod work_order;

pub use clock::{Clock, FakeClock, SystemClock};
pub use region::{RegionCode, RegionLevel};
pub use role::Role;
pub use scope::Jurisdiction;
