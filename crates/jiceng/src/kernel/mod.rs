//! The kernel every wing builds on: the application context, who is acting, paging, the one
//! audit write path, group commit, the Merkle tree's storage, sealing of personal data, and
//! reading uploaded spreadsheets within caps.
//! Nothing here imports a wing.

pub mod actor;
pub mod app;
pub mod audit;
pub mod citizen;
pub mod crypto;
pub mod group_commit;
pub mod jobs;
pub mod names;
pub mod paging;
pub mod sheet;
pub mod throttle;
pub mod tree;
pub mod versions;

pub use actor::*;
pub use paging::*;
