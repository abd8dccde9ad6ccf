//! Accounts: organisations, their users, and how a user becomes an [`Actor`].
//!
//! The main decision is that an [`Actor`] is never taken from the client: it
//! is built here, from an organisation and a user on file, by one function
//! ([`actor_for`]). The user's role must fit the organisation's kind (a seller
//! organisation has sellers, the platform has reviewers and admins), and an
//! agent becomes an actor only for a principal whose power of attorney is on
//! file. Authentication (tokens, later sessions) happens at the edge; this
//! module decides what a verified credential may act as.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actor::{Actor, Role};
use crate::ids::{OrgId, ParseError, UserId};

/// What an organisation is to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// Owns IP rights.
    RightsHolder,
    /// Acts for rights holders under powers of attorney.
    Agent,
    /// Sells on the marketplace.
    Seller,
    /// Runs the marketplace; its users are staff.
    Platform,
}

impl OrgKind {
    /// The kind as text (the stored form).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RightsHolder => "rights_holder",
            Self::Agent => "agent",
            Self::Seller => "seller",
            Self::Platform => "platform",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "rights_holder" => Ok(Self::RightsHolder),
            "agent" => Ok(Self::Agent),
            "seller" => Ok(Self::Seller),
            "platform" => Ok(Self::Platform),
            _ => Err(ParseError {
                what: "organisation kind",
                reason: format!("{s:?} is not rights_holder, agent, seller or platform"),
            }),
        }
    }

    /// The roles a user of this kind of organisation may have.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Self::RightsHolder => &[Role::RightsHolder],
            Self::Agent => &[Role::Agent],
            Self::Seller => &[Role::Seller],
            Self::Platform => &[Role::Reviewer, Role::Admin],
        }
    }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 200 {
            return Err(ParseError {
                what: "name",
                reason: "must be 1 to 200 characters".into(),
            });
        }
        if t.chars().any(char::is_control) {
            return Err(ParseError {
                what: "name",
                reason: "control characters are not allowed".into(),
            });
        }
        Ok(Self(t.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DisplayName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DisplayName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An organisation on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// Its id.
    pub id: OrgId,
    /// What it is.
    pub kind: OrgKind,
    /// Its name.
    pub name: DisplayName,
}

/// A user of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The organisation it acts for.
    pub org: OrgId,
    /// The role it acts in.
    pub role: Role,
    /// Its name.
    pub name: DisplayName,
}

/// Why an account cannot be created or cannot act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The role does not fit the organisation's kind.
    #[error("a {kind} organisation cannot have a user with role {role:?}")]
    RoleDoesNotFit {
        /// The organisation's kind.
        kind: &'static str,
        /// The role asked for.
        role: Role,
    },
    /// The user belongs to another organisation than the one given.
    #[error("user {user} belongs to organisation {org}, not {given}")]
    WrongOrg {
        /// The user.
        user: UserId,
        /// Its organisation.
        org: OrgId,
        /// The organisation given.
        given: OrgId,
    },
    /// An agent named no principal and holds powers of attorney for several (or none).
    #[error(
        "an agent acts for one principal: name it (agent {agent} holds powers of attorney for {count})"
    )]
    PrincipalRequired {
        /// The agent.
        agent: OrgId,
        /// How many principals it has.
        count: usize,
    },
    /// The agent holds no power of attorney for that principal.
    #[error("agent {agent} holds no power of attorney for {principal}")]
    NoPowerOfAttorney {
        /// The agent.
        agent: OrgId,
        /// The principal named.
        principal: OrgId,
    },
    /// Only an agent acts on behalf of another organisation.
    #[error("only an agent acts on behalf of another organisation")]
    NotAnAgent,
    /// Only a rights holder gives a power of attorney.
    #[error("organisation {0} is not a rights holder: only rights holders give powers of attorney")]
    NotARightsHolder(OrgId),
}

impl User {
    /// A user of `org` in `role`, if the role fits the organisation.
    pub fn new(id: UserId, org: &Org, role: Role, name: DisplayName) -> Result<Self, AccountError> {
        check_role(org.kind, role)?;
        Ok(Self {
            id,
            org: org.id.clone(),
            role,
            name,
        })
    }
}

fn check_role(kind: OrgKind, role: Role) -> Result<(), AccountError> {
    if kind.allowed_roles().contains(&role) {
        Ok(())
    } else {
        Err(AccountError::RoleDoesNotFit {
            kind: kind.as_str(),
            role,
        })
    }
}

/// The actor a user acts as. `on_behalf_of` is the principal an agent names;
/// `powers_of_attorney` are the principals its organisation holds a power of
/// attorney for. An agent with exactly one need not name it.
pub fn actor_for(
    org: &Org,
    user: &User,
    on_behalf_of: Option<&OrgId>,
    powers_of_attorney: &[OrgId],
) -> Result<Actor, AccountError> {
    if user.org != org.id {
        return Err(AccountError::WrongOrg {
            user: user.id.clone(),
            org: user.org.clone(),
            given: org.id.clone(),
        });
    }
    check_role(org.kind, user.role)?;
    if user.role != Role::Agent && on_behalf_of.is_some() {
        return Err(AccountError::NotAnAgent);
    }
    let uid = user.id.clone();
    let oid = org.id.clone();
    Ok(match user.role {
        Role::RightsHolder => Actor::rights_holder(oid, uid),
        Role::Seller => Actor::seller(oid, uid),
        Role::Reviewer => Actor::reviewer(oid, uid),
        Role::Admin => Actor::admin(oid, uid),
        Role::Agent => {
            let principal = match (on_behalf_of, powers_of_attorney) {
                (Some(p), poas) if poas.contains(p) => p.clone(),
                (Some(p), _) => {
                    return Err(AccountError::NoPowerOfAttorney {
                        agent: oid,
                        principal: p.clone(),
                    });
                }
                (None, [only]) => only.clone(),
                (None, poas) => {
                    return Err(AccountError::PrincipalRequired {
                        agent: oid,
                        count: poas.len(),
                    });
                }
            };
            Actor::agent(oid, uid, principal)
        }
        Role::System => {
            return Err(AccountError::RoleDoesNotFit {
                kind: org.kind.as_str(),
                role: Role::System,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, kind: OrgKind) -> Org {
        Org {
            id: OrgId::parse(id).unwrap(),
            kind,
            name: DisplayName::parse(id).unwrap(),
        }
    }

    fn user(o: &Org, role: Role) -> Result<User, AccountError> {
        User::new(
            UserId::parse("u1").unwrap(),
            o,
            role,
            DisplayName::parse("U One").unwrap(),
        )
    }

    #[test]
    fn roles_must_fit_the_organisation() {
        let seller = org("shop", OrgKind::Seller);
        assert!(user(&seller, Role::Seller).is_ok());
        assert!(matches!(
            user(&seller, Role::Admin),
            Err(AccountError::RoleDoesNotFit { .. })
        ));
        let platform = org("platform", OrgKind::Platform);
        assert!(user(&platform, Role::Reviewer).is_ok());
        assert!(user(&platform, Role::Admin).is_ok());
        assert!(user(&platform, Role::System).is_err());
        assert!(user(&platform, Role::RightsHolder).is_err());
    }

    #[test]
    fn staff_act_as_their_role() {
        let platform = org("platform", OrgKind::Platform);
        let u = user(&platform, Role::Admin).unwrap();
        let a = actor_for(&platform, &u, None, &[]).unwrap();
        assert_eq!(a.role, Role::Admin);
        assert!(a.is_staff());
    }

    #[test]
    fn an_agent_acts_only_under_a_power_of_attorney() {
        let agency = org("agency", OrgKind::Agent);
        let u = user(&agency, Role::Agent).unwrap();
        let acme = OrgId::parse("acme").unwrap();
        let globex = OrgId::parse("globex").unwrap();
        assert!(matches!(
            actor_for(&agency, &u, None, &[]),
            Err(AccountError::PrincipalRequired { count: 0, .. })
        ));
        let a = actor_for(&agency, &u, None, std::slice::from_ref(&acme)).unwrap();
        assert_eq!(a.principal, Some(acme.clone()));
        assert!(matches!(
            actor_for(&agency, &u, Some(&globex), std::slice::from_ref(&acme)),
            Err(AccountError::NoPowerOfAttorney { .. })
        ));
        let both = [acme.clone(), globex.clone()];
        assert!(actor_for(&agency, &u, None, &both).is_err());
        let a = actor_for(&agency, &u, Some(&globex), &both).unwrap();
        assert!(a.acts_for_rights_holder(&globex));
        assert!(!a.acts_for_rights_holder(&acme));
    }

    #[test]
    fn only_agents_name_a_principal() {
        let holder = org("acme", OrgKind::RightsHolder);
        let u = user(&holder, Role::RightsHolder).unwrap();
        let other = OrgId::parse("globex").unwrap();
        assert_eq!(
            actor_for(&holder, &u, Some(&other), &[]),
            Err(AccountError::NotAnAgent)
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse(&"x".repeat(201)).is_err());
        assert!(DisplayName::parse("a\nb").is_err());
    }
}
