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
use rightsguard_domain::ids::{OrgId, Sha256, UserId};
use rightsguard_store::{ApiToken, Store, StoreError};
use sha2::Digest as _;

use crate::{App, AppError, Result};

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

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(b)
}

impl<S: Store> App<S> {
    /// Creates an organisation.
    pub async fn add_org(&self, id: OrgId, kind: OrgKind, name: DisplayName) -> Result<Org> {
        let org = Org { id, kind, name };
        self.store().create_org(&org).await?;
        Ok(org)
    }

    /// Creates a user of an existing organisation, in a role that fits it.
    pub async fn add_user(
        &self,
        id: UserId,
        org: &OrgId,
        role: Role,
        name: DisplayName,
    ) -> Result<User> {
        let org = self
            .store()
            .org(org)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("organisation {org}")))?;
        let user = User::new(id, &org, role, name)?;
        self.store().create_user(&user).await?;
        Ok(user)
    }

    /// Records a power of attorney from a rights holder to an agent.
    pub async fn grant_power_of_attorney(&self, agent: &OrgId, principal: &OrgId) -> Result<()> {
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
        self.store()
            .grant_power_of_attorney(agent, principal, self.now())
            .await?;
        Ok(())
    }

    /// Issues an API token for a user; the secret is returned once and only
    /// its hash is stored.
    pub async fn issue_token(&self, user: &UserId) -> Result<IssuedToken> {
        if self.store().user(user).await?.is_none() {
            return Err(AppError::NotFound(format!("user {user}")));
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
        let token = ApiToken {
            id: id.clone(),
            user: user.clone(),
            sha256: secret.sha256(),
            created_at: self.now(),
            revoked_at: None,
        };
        self.store().create_api_token(&token).await?;
        Ok(IssuedToken {
            id,
            secret,
            user: user.clone(),
        })
    }

    /// Revokes a token by its id; `NotFound` if there is no live token with it.
    pub async fn revoke_token(&self, id: &str) -> Result<Timestamp> {
        let now = self.now();
        if self.store().revoke_api_token(id, now).await? {
            Ok(now)
        } else {
            Err(AppError::NotFound(format!("live API token {id}")))
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
