//! Accounts and API tokens: who may call, and as whom.
//!
//! A token is 32 random bytes, base64url-encoded behind an `rg_` prefix, and
//! is shown exactly once, when issued; the store keeps only its SHA-256. A
//! fast hash is right here because the token has 256 bits of entropy: there
//! is nothing to brute-force that a slow hash would protect (passwords,
//! later, get argon2). Authenticating a token ends in
//! [`rightsguard_domain::account::actor_for`], so the rules decide what the
//! holder may act as (an agent only for a principal whose power of attorney
//! is on file).

use std::fmt;

use base64::Engine as _;
use jiff::Timestamp;
use rightsguard_domain::account::{AccountError, DisplayName, Org, OrgKind, User, actor_for};
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::{OrgId, Sha256, UserId};
use rightsguard_store::{ApiToken, Store, StoreError};
use sha2::Digest as _;

use crate::access::require;
use crate::{App, AppError, Result};

/// Who may manage accounts besides the account's own user.
const STAFF_ADMIN: &[Role] = &[Role::Admin, Role::System];

/// The text of an API token. Its `Debug` and `Display` never show it, so it
/// cannot leak into a log by accident; [`Secret::expose`] is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token the client sent.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The token text, to print once or send in a header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 the store keeps instead of the token.
    pub fn sha256(&self) -> Sha256 {
        Sha256::from_bytes(sha2::Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A freshly issued token: the id to revoke it by and the secret to use it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// Public id.
    pub id: String,
    /// The token itself; shown once.
    pub secret: Secret,
    /// The user it authenticates.
    pub user: UserId,
}

/// Why a credential does not authenticate or may not act.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token with this hash exists.
    #[error("unknown API token")]
    UnknownToken,
    /// The token was revoked.
    #[error("the API token was revoked")]
    RevokedToken,
    /// The user id and password do not match a user with that password
    /// (the same answer for an unknown user, on purpose).
    #[error("wrong user or password")]
    WrongPassword,
    /// The token's user or its organisation no longer exists.
    #[error("the API token's account no longer exists")]
    AccountGone,
    /// The account may not act this way (e.g. an agent without a power of attorney).
    #[error(transparent)]
    Account(#[from] AccountError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(b)
}

impl<S: Store> App<S> {
    /// Creates an organisation: admins (and the operator's CLI, as the system).
    pub async fn add_org(
        &self,
        actor: &Actor,
        id: OrgId,
        kind: OrgKind,
        name: DisplayName,
    ) -> Result<Org> {
        require(actor, STAFF_ADMIN, "create an organisation")?;
        let org = Org { id, kind, name };
        let event = DomainEvent::account(
            org.id.clone(),
            actor,
            self.now(),
            EventKind::OrgCreated {
                kind,
                name: org.name.as_str().to_owned(),
            },
        );
        self.store().create_org(&org, &[event]).await?;
        Ok(org)
    }

    /// Creates a user of an existing organisation, in a role that fits it:
    /// admins (and the system).
    pub async fn add_user(
        &self,
        actor: &Actor,
        id: UserId,
        org: &OrgId,
        role: Role,
        name: DisplayName,
    ) -> Result<User> {
        require(actor, STAFF_ADMIN, "create a user")?;
        let org = self
            .store()
            .org(org)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("organisation {org}")))?;
        let user = User::new(id, &org, role, name)?;
        let event = DomainEvent::account(
            org.id.clone(),
            actor,
            self.now(),
            EventKind::UserCreated {
                user: user.id.clone(),
                role,
            },
        );
        self.store().create_user(&user, &[event]).await?;
        Ok(user)
    }

    /// Records a power of attorney from a rights holder to an agent: the
    /// rights holder itself, or an admin (and the system).
    pub async fn grant_power_of_attorney(
        &self,
        actor: &Actor,
        agent: &OrgId,
        principal: &OrgId,
    ) -> Result<()> {
        let own = actor.role == Role::RightsHolder && &actor.org == principal;
        if !own {
            require(actor, STAFF_ADMIN, "grant a power of attorney")?;
        }
        let kind_of = |id: &OrgId| {
            let id = id.clone();
            async move {
                self.store()
                    .org(&id)
                    .await?
                    .map(|o| o.kind)
                    .ok_or_else(|| AppError::NotFound(format!("organisation {id}")))
            }
        };
        if kind_of(agent).await? != OrgKind::Agent {
            return Err(AccountError::NotAnAgent.into());
        }
        if kind_of(principal).await? != OrgKind::RightsHolder {
            return Err(AccountError::NotARightsHolder(principal.clone()).into());
        }
        let now = self.now();
        let event = DomainEvent::account(
            principal.clone(),
            actor,
            now,
            EventKind::PowerOfAttorneyGranted {
                agent: agent.clone(),
            },
        );
        self.store()
            .grant_power_of_attorney(agent, principal, now, &[event])
            .await?;
        Ok(())
    }

    /// Issues an API token for a user, the secret returned once and only its
    /// hash stored: the user for itself, or an admin (and the system). Anyone
    /// else is told the user does not exist.
    pub async fn issue_token(&self, actor: &Actor, user: &UserId) -> Result<IssuedToken> {
        let not_found = || AppError::NotFound(format!("user {user}"));
        let holder = self.store().user(user).await?.ok_or_else(not_found)?;
        if actor.user.as_ref() != Some(user) && !matches!(actor.role, Role::Admin | Role::System) {
            return Err(not_found());
        }
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let secret = Secret(format!("rg_{}", engine.encode(random_bytes::<32>()?)));
        let id = format!(
            "tok_{}",
            random_bytes::<6>()?
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let now = self.now();
        let token = ApiToken {
            id: id.clone(),
            user: user.clone(),
            sha256: secret.sha256(),
            created_at: now,
            revoked_at: None,
        };
        let event = DomainEvent::account(
            holder.org.clone(),
            actor,
            now,
            EventKind::ApiTokenIssued {
                token: id.clone(),
                user: user.clone(),
            },
        );
        self.store().create_api_token(&token, &[event]).await?;
        Ok(IssuedToken {
            id,
            secret,
            user: user.clone(),
        })
    }

    /// Revokes a token by its id: its user, or an admin (and the system).
    /// `NotFound` if there is no live token with it that the actor may revoke.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<Timestamp> {
        let not_found = || AppError::NotFound(format!("live API token {id}"));
        let token = self.store().api_token(id).await?.ok_or_else(not_found)?;
        if actor.user.as_ref() != Some(&token.user)
            && !matches!(actor.role, Role::Admin | Role::System)
        {
            return Err(not_found());
        }
        let org = match self.store().user(&token.user).await? {
            Some(u) => u.org,
            None => actor.org.clone(),
        };
        let now = self.now();
        let event = DomainEvent::account(
            org,
            actor,
            now,
            EventKind::ApiTokenRevoked {
                token: id.to_owned(),
            },
        );
        if self.store().revoke_api_token(id, now, &[event]).await? {
            Ok(now)
        } else {
            Err(not_found())
        }
    }

    /// The actor a token stands for. An agent names the principal it acts
    /// for (`on_behalf_of`) unless it holds exactly one power of attorney.
    pub async fn authenticate(
        &self,
        secret: &Secret,
        on_behalf_of: Option<&OrgId>,
    ) -> Result<Actor, AuthError> {
        let token = self
            .store()
            .api_token_by_hash(&secret.sha256())
            .await?
            .ok_or(AuthError::UnknownToken)?;
        if token.revoked_at.is_some() {
            return Err(AuthError::RevokedToken);
        }
        let user = self
            .store()
            .user(&token.user)
            .await?
            .ok_or(AuthError::AccountGone)?;
        let org = self
            .store()
            .org(&user.org)
            .await?
            .ok_or(AuthError::AccountGone)?;
        let poas = if user.role == Role::Agent {
            self.store().powers_of_attorney(&org.id).await?
        } else {
            Vec::new()
        };
        Ok(actor_for(&org, &user, on_behalf_of, &poas)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug() {
        let s = Secret::new("rg_supersecret");
        assert!(!format!("{s:?}").contains("supersecret"));
        let issued = IssuedToken {
            id: "tok_1".into(),
            secret: s,
            user: UserId::parse("u").unwrap(),
        };
        assert!(!format!("{issued:?}").contains("supersecret"));
    }

    #[test]
    fn the_hash_is_sha256_of_the_text() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            Secret::new("abc").sha256().to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
