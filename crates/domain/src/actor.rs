//! Who is acting: the role and the organisation behind every command.
//!
//! Authentication happens at the edge; the rules receive an [`Actor`] that the
//! app layer built from a verified session or token (and, for an agent, from a
//! power of attorney on file). The rules then decide what that actor may do.

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, UserId};

/// The roles of DESIGN.md, plus the system itself (timers, workers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Owner of IP rights.
    RightsHolder,
    /// Acts for a rights holder under a power of attorney.
    Agent,
    /// Marketplace seller.
    Seller,
    /// Platform staff who verify rights and decide complaints.
    Reviewer,
    /// Platform staff who set policy and decide on abusers.
    Admin,
    /// The platform's own timers and workers.
    System,
}

/// Who performs a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The role in which the actor acts.
    pub role: Role,
    /// The actor's organisation (the platform's for staff and system).
    pub org: OrgId,
    /// The person, if a person acts.
    pub user: Option<UserId>,
    /// For an agent: the rights holder whose power of attorney it holds.
    pub principal: Option<OrgId>,
}

impl Actor {
    /// A rights holder acting for itself.
    pub fn rights_holder(org: OrgId, user: UserId) -> Self {
        Self {
            role: Role::RightsHolder,
            org,
            user: Some(user),
            principal: None,
        }
    }

    /// An agent acting for `principal`; the caller has checked the power of attorney.
    pub fn agent(org: OrgId, user: UserId, principal: OrgId) -> Self {
        Self {
            role: Role::Agent,
            org,
            user: Some(user),
            principal: Some(principal),
        }
    }

    /// A seller.
    pub fn seller(org: OrgId, user: UserId) -> Self {
        Self {
            role: Role::Seller,
            org,
            user: Some(user),
            principal: None,
        }
    }

    /// A reviewer of the platform.
    pub fn reviewer(org: OrgId, user: UserId) -> Self {
        Self {
            role: Role::Reviewer,
            org,
            user: Some(user),
            principal: None,
        }
    }

    /// An admin of the platform.
    pub fn admin(org: OrgId, user: UserId) -> Self {
        Self {
            role: Role::Admin,
            org,
            user: Some(user),
            principal: None,
        }
    }

    /// The platform's timers and workers.
    pub fn system(platform: OrgId) -> Self {
        Self {
            role: Role::System,
            org: platform,
            user: None,
            principal: None,
        }
    }

    /// Whether the actor may act for the rights holder `owner`: the owner
    /// itself, or its agent.
    pub fn acts_for_rights_holder(&self, owner: &OrgId) -> bool {
        match self.role {
            Role::RightsHolder => &self.org == owner,
            Role::Agent => self.principal.as_ref() == Some(owner),
            _ => false,
        }
    }

    /// Whether the actor is platform staff (reviewer or admin).
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Reviewer | Role::Admin)
    }
}
