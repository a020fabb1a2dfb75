//! Every end-to-end test, in one binary, as ripgrep's `tests/` is: a test binary links the
//! whole crate, so one binary links it once instead of once a story, and one pool of test
//! threads stays busy instead of each story's binary waiting on its slowest test. A module is
//! one user story or promise; `common` is the world they share.
//!
//! Run one story with `cargo test --test cli attacks::`, one test by its full name.

// A story reads top to bottom as the user lives it; src/ keeps clippy's 60-line limit.
#![allow(clippy::too_many_lines)]

mod common;

mod agency_month;
mod agent;
mod app_changes;
mod attacks;
mod audit_rules;
mod bad_input;
mod builds;
mod bulk_roles;
mod clients;
mod contacts;
mod contract_end;
mod demo;
mod docs;
mod error_style;
mod examples;
mod export_interop;
mod exposure;
mod format_vectors;
mod git;
mod handoffs;
mod health;
mod history;
mod hostile;
mod import;
mod import_file;
mod join;
mod kept_promises;
mod layers;
mod merges;
mod modes;
mod newcomer;
mod no_panics;
mod npm;
mod order;
mod plugin;
mod promises;
mod reports;
mod restore;
mod returns;
mod roundtrip;
mod scoped_reads;
mod service_members;
mod sign_review;
mod small_gaps;
mod snapshots;
mod steer;
mod strict;
mod team_flow;
mod team_week;
mod textconv;
mod trust;
mod trust_memory;
mod vault_identity;
mod vaults;
mod verify;
mod waivers;
