//! The demo county (示范县): its organisation and accounts, the responsibility list, six
//! months of work orders replayed, the service catalog and the hall's last working days.

pub mod catalog;
pub mod hall;
pub mod org;
pub mod resp_list;
pub mod seed;
pub mod work_orders;

pub use catalog::*;
pub use hall::*;
pub use org::*;
pub use seed::*;
pub use work_orders::*;
