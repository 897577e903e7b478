//! The audit wing: reading the log, the transparency log over it (checkpoints, proofs,
//! cosignatures), its JSON routes and pages. Entries are written by `kernel::audit`.

pub mod api;
pub mod pages;
pub mod read;
pub mod transparency;
