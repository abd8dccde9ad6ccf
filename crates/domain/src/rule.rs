//! The result of applying a command: a transition or a typed refusal.

use serde::Serialize;

use crate::actor::Role;
use crate::event::DomainEvent;

/// A successful state change: the new state and the audit events to store
/// with it, in the same transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition<S> {
    /// The state after the command.
    pub state: S,
    /// What happened, in order.
    pub events: Vec<DomainEvent>,
}

/// Why a command is not allowed. Each variant is a distinct, stable reason a
/// client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The actor's role may not issue this command.
    #[error("a {role:?} may not {command}")]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// The command refused.
        command: &'static str,
    },
    /// The actor has the right role but is not a party to this object.
    #[error("not a party: {0}")]
    NotAParty(String),
    /// The object is not in a state that allows the command.
    #[error("cannot {command} in state {state}")]
    WrongState {
        /// The command refused.
        command: &'static str,
        /// The current state.
        state: String,
    },
    /// The window for the command has closed.
    #[error("window closed: {0}")]
    WindowClosed(String),
    /// The command came before its time (e.g. expiring a window still open).
    #[error("too early: {0}")]
    TooEarly(String),
    /// The complaint is outside the right's or the site's scope.
    #[error("out of scope: {0}")]
    OutOfScope(String),
    /// A limit of the policy would be exceeded.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The command's own content is invalid.
    #[error("invalid: {0}")]
    Invalid(String),
}

impl RuleError {
    /// A stable machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::Forbidden { .. } => "forbidden",
            RuleError::NotAParty(_) => "not_a_party",
            RuleError::WrongState { .. } => "wrong_state",
            RuleError::WindowClosed(_) => "window_closed",
            RuleError::TooEarly(_) => "too_early",
            RuleError::OutOfScope(_) => "out_of_scope",
            RuleError::Limit(_) => "limit_exceeded",
            RuleError::Invalid(_) => "invalid",
        }
    }
}
