//! The organisation: regions, departments, grids, import, locating a point, and their routes
//! and pages.

pub mod api;
pub mod checks;
pub mod departments;
pub mod grids;
pub mod import;
pub mod locate;
pub mod pages;
pub mod regions;
pub mod summary;

pub use departments::*;
pub use grids::*;
pub use regions::*;
pub use summary::*;
