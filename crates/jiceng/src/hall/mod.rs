//! 一窗受理, the service hall: the catalog of matters and 一件事 bundles, applications and
//! their back office, queue tickets, 好差评 ratings, the 办不成事 desk, their routes and pages.

pub mod api;
pub mod applications;
pub mod catalog;
pub mod catalog_api;
pub mod catalog_pages;
pub mod catalog_xlsx;
pub mod desk;
pub mod pages;
pub mod queue;
pub mod ratings;
