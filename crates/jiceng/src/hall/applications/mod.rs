//! Applications (办件): intake at the window, online, at a kiosk or assisted, with the
//! materials checklist, receipts and correction notices; the back office's steps.
//!
//! - `model` — input, views, who may receive, see and handle;
//! - `subject` — the matter or bundle applied for, as intake reads it;
//! - `intake` — checking and writing applications by group commit;
//! - `read` — one application, lists, the citizen's tracking;
//! - `actions` — every later action on an application and its parts.

pub mod actions;
pub mod intake;
pub mod model;
pub mod read;
pub mod subject;

pub use actions::*;
pub use intake::*;
pub use model::*;
pub use read::*;
pub use subject::*;
