//! 接诉即办 work orders: intake, classification, dispatch by the responsibility list, the
//! lifecycle, escalation, metrics, and their JSON routes and pages.
//!
//! - `model` — channels, input, photos, timeline rows and labels;
//! - `read` — the order's view, lists, the citizen's tracking;
//! - `dispatch` — the dispatch data and plans;
//! - `intake` — checking and writing new orders by group commit;
//! - `actions` — every later action on an order;
//! - `worklist` — what each account must do now;
//! - `supervision` — 督办单, written supervision orders with their own deadlines;
//! - `rollups` — the cockpit's figures, moved with every change to an order;
//! - `escalation`, `resp_list`, `metrics`, `api`, `pages`.

pub mod actions;
pub mod api;
pub mod dispatch;
pub mod escalation;
pub mod intake;
pub mod metrics;
pub mod model;
pub mod pages;
pub mod read;
pub mod resp_list;
pub mod rollups;
pub mod supervision;
pub mod worklist;

pub use actions::*;
pub use dispatch::*;
pub use intake::*;
pub use model::*;
pub use read::*;
