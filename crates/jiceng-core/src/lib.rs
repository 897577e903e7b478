//! jiceng-core: the pure domain of jiceng (基层).
//!
//! Nothing here does IO, async or database work: regions and their codes, grids and geometry,
//! roles and jurisdiction, the login lockout rule, the password policy, the canonical audit
//! encoding and the injected clock. The app crate turns these into services and HTTP.

pub mod application;
pub mod audit;
pub mod bundle;
pub mod calendar;
pub mod catalog;
pub mod citizen;
pub mod classify;
pub mod clock;
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
pub mod work_order;

pub use clock::{Clock, FakeClock, SystemClock};
pub use region::{RegionCode, RegionLevel};
pub use role::Role;
pub use scope::Jurisdiction;
