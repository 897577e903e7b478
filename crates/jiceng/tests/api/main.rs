//! Integration stories: the real app on port 0 against a fresh database — SQLite always,
//! PostgreSQL when `JICENG_TEST_DATABASE_URL` is set (each test makes and drops its own
//! database). One test binary for the crate.

mod helpers;

mod auth;
mod bad_input;
mod browser;
mod browser_roles;
mod catalog;
mod cockpit;
mod demo;
mod fuzz;
mod house;
mod intake;
mod matrix;
mod org;
mod permissions;
mod service;
mod transparency;
mod trust;
mod work_orders;
mod worklist;
