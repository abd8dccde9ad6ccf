//! The rules of rightsguard, as pure functions.
//!
//! This crate decides; it does no I/O. There is no async, no database and no
//! clock here: every rule that depends on time takes `now` as a parameter, and
//! every state change is a function `(state, command, actor, now, policy) ->
//! Result<Transition, RuleError>` whose transition carries the new state and the
//! audit events it must be stored with. The app layer loads, applies and stores
//! in one transaction; tests and property tests drive the same functions with
//! no database and a clock they control.
//!
//! All numbers (deadlines, thresholds, caps) come from versioned policy
//! profiles ([`policy`]); deadlines are counted in business days on a
//! per-jurisdiction [`calendar`].

pub mod account;
pub mod actor;
pub mod blocklist;
pub mod calendar;
pub mod chain;
pub mod complaint;
pub mod csv;
pub mod customs;
pub mod dsa;
pub mod escalation;
pub mod event;
pub mod finding;
pub mod ids;
pub mod import;
pub mod listing;
pub mod lumen;
pub mod notification;
pub mod notifier;
pub mod outbound;
pub mod penalty;
pub mod policy;
pub mod right;
pub mod rule;
pub mod transparency;
