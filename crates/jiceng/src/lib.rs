//! jiceng (基层): the server, its use cases, storage and web UI.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod http;
pub mod service;
pub mod store;
