//! jiceng (基层): the server, built as feature wings over a small kernel.
//!
//! - `kernel/` — the application context (`App`: database, clock, config, keys), the actor,
//!   paging, the one audit write path, group commit, sealing of personal data.
//! - `store/` — the database connection, migrations and the sea-orm entities.
//! - `web/` — the page kit and the extractors shared by every wing's routes.
//! - one folder per wing, each with its use cases, queries, JSON routes (`api.rs`) and pages
//!   (`pages.rs`): `auth/`, `org/`, `reference`, `audit/`, `notify`, `work_orders/`, `hall/`,
//!   `cockpit/`.
//! - `demo/` seeds the demo county; `server.rs` is the composition root.

pub mod audit;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod cockpit;
pub mod config;
pub mod demo;
pub mod error;
pub mod hall;
pub mod kernel;
pub mod notify;
pub mod org;
pub mod reference;
pub mod server;
pub mod store;
pub mod web;
pub mod work_orders;
