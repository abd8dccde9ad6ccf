//! Passwords, and the lists the web pages show, each checked against the actor.
//!
//! A password is hashed with argon2id at OWASP's recommended minimum
//! (19 MiB of memory, 2 passes, 1 lane) with a random salt, and only the PHC
//! string is stored. Hashing and verifying run on the blocking pool: a
//! login costs tens of milliseconds of CPU, which is the point, and must not
//! stall the async workers. A login with an unknown user or a user without
//! a password verifies against a fixed dummy hash, so the answer takes the
//! same time and says the same thing ("wrong user or password") either way.
//!
//! Who may set a password: the user for itself, an admin for anyone (and the
//! operator's CLI as the system). Anyone else is told the user does not exist.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rightsguard_domain::account::actor_for;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_domain::right::Right;
use rightsguard_domain::rule::RuleError;
use rightsguard_store::web::WebStore;
use rightsguard_store::{Store, StoreError};

use crate::access::require;
use crate::{App, AppError, AuthError, Result, Secret};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most characters a password may have (argon2 takes any length; this
/// bounds the work one request can ask for).
pub const MAX_PASSWORD_CHARS: usize = 1024;

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a password's length; the message names the rule broken.
pub fn check_password(password: &Secret) -> Result<()> {
    let n = password.expose().chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(RuleError::Invalid(format!(
            "password: must have at least {MIN_PASSWORD_CHARS} characters"
        ))
        .into());
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(RuleError::Invalid(format!(
            "password: must have at most {MAX_PASSWORD_CHARS} characters"
        ))
        .into());
    }
    Ok(())
}

/// Hashes a password into a PHC string (argon2id, random salt).
pub fn hash_password(password: &Secret) -> Result<String> {
    let salt = SaltString::encode_b64(&crate::accounts::random_bytes::<16>()?)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("cannot salt: {e}"))))?;
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("cannot hash: {e}"))))
}

/// Whether `password` matches the PHC string (a malformed string never matches).
pub fn verify_password(password: &Secret, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2()
            .verify_password(password.expose().as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&Secret::new("not-anyones-password-at-all")).unwrap_or_default()
    })
}

/// The organisation an actor represents: an agent's principal, else its own.
pub fn represented(actor: &Actor) -> OrgId {
    actor.principal.clone().unwrap_or_else(|| actor.org.clone())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("hashing task failed: {e}"))))
}

impl<S: Store + WebStore> App<S> {
    /// Sets a user's password (audited; the hash is stored, never the text).
    pub async fn set_password(&self, actor: &Actor, user: &UserId, password: Secret) -> Result<()> {
        let not_found = || AppError::NotFound(format!("user {user}"));
        let holder = self.store().user(user).await?.ok_or_else(not_found)?;
        if actor.user.as_ref() != Some(user) && !matches!(actor.role, Role::Admin | Role::System) {
            return Err(not_found());
        }
        check_password(&password)?;
        let phc = blocking(move || hash_password(&password)).await??;
        let event = DomainEvent::account(
            holder.org.clone(),
            actor,
            self.now(),
            EventKind::PasswordSet { user: user.clone() },
        );
        if self.store().set_password_hash(user, &phc, &[event]).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// The actor a user id and password stand for. Every failure — unknown
    /// user, no password set, wrong password — is the same
    /// [`AuthError::WrongPassword`] after the same amount of work.
    pub async fn login(
        &self,
        user: &str,
        password: Secret,
        on_behalf_of: Option<&OrgId>,
    ) -> Result<Actor, AuthError> {
        let id = UserId::parse(user).ok();
        let phc = match &id {
            Some(id) => self.store().password_hash(id).await?,
            None => None,
        };
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
            .await
            .unwrap_or(false);
        let (true, true, Some(id)) = (known, ok, id) else {
            return Err(AuthError::WrongPassword);
        };
        self.actor_of_user(&id, on_behalf_of).await
    }

    /// The actor a user on file stands for now (a session re-reads it on
    /// every request, so a role change or a deleted account takes effect).
    pub async fn actor_of_user(
        &self,
        user: &UserId,
        on_behalf_of: Option<&OrgId>,
    ) -> Result<Actor, AuthError> {
        let user = self
            .store()
            .user(user)
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

    /// The rights holders an agent may act for (its powers of attorney on
    /// file), for it to choose one; nobody else has any.
    pub async fn principals_of(&self, actor: &Actor) -> Result<Vec<OrgId>> {
        if actor.role != Role::Agent {
            return Ok(Vec::new());
        }
        Ok(self.store().powers_of_attorney(&actor.org).await?)
    }

    /// The rights of the actor's organisation (a rights holder or an agent's principal).
    pub async fn my_rights(&self, actor: &Actor) -> Result<Vec<Right>> {
        require(actor, &[Role::RightsHolder, Role::Agent], "list its rights")?;
        Ok(self.store().rights_of(&represented(actor)).await?)
    }

    /// Complaints the actor's organisation filed (rights holders and agents).
    pub async fn my_complaints(&self, actor: &Actor) -> Result<Vec<Complaint>> {
        require(
            actor,
            &[Role::RightsHolder, Role::Agent],
            "list its complaints",
        )?;
        Ok(self
            .store()
            .complaints_of_complainant(&represented(actor))
            .await?)
    }

    /// Complaints against the seller's listings, each cut to its own listings.
    pub async fn complaints_against_me(&self, actor: &Actor) -> Result<Vec<Complaint>> {
        require(actor, &[Role::Seller], "list complaints against it")?;
        let all = self.store().complaints_against(&actor.org).await?;
        Ok(all
            .into_iter()
            .map(|c| crate::complaint_as_seen_by(actor, c))
            .collect())
    }

    /// Complaints with a counter-notice awaiting a decision, or forwarded
    /// and awaiting delivery confirmation (staff).
    pub async fn counter_notice_queue(&self, actor: &Actor) -> Result<Vec<Complaint>> {
        require(actor, &[Role::Reviewer, Role::Admin], "see counter-notices")?;
        Ok(self
            .store()
            .complaints_with_item_state(&["counter_notice_pending", "forwarded"], 200)
            .await?)
    }

    /// Rights as `actor` may list them, in `state` if given: staff see every
    /// right in that state (default `pending`: the verification queue); a
    /// rights holder (or its agent) its own; sellers are refused.
    pub async fn rights_listed_for(
        &self,
        actor: &Actor,
        state: Option<&str>,
    ) -> Result<Vec<Right>> {
        const STATES: [&str; 5] = ["pending", "verified", "rejected", "expired", "revoked"];
        if let Some(s) = state
            && !STATES.contains(&s)
        {
            return Err(RuleError::Invalid(format!(
                "state {s:?} is not one of pending, verified, rejected, expired, revoked"
            ))
            .into());
        }
        let owner = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => {
                return Ok(self
                    .store()
                    .rights_in_state(state.unwrap_or("pending"), 1000)
                    .await?);
            }
            Role::RightsHolder => actor.org.clone(),
            Role::Agent => match &actor.principal {
                Some(p) => p.clone(),
                None => return Ok(Vec::new()),
            },
            Role::Seller => {
                return Err(RuleError::Forbidden {
                    role: actor.role,
                    command: "list rights",
                }
                .into());
            }
        };
        let mut rights = self.store().rights_of(&owner).await?;
        if let Some(s) = state {
            rights.retain(|r| {
                serde_json::to_value(r.state)
                    .ok()
                    .is_some_and(|v| v.as_str() == Some(s))
            });
        }
        Ok(rights)
    }

    /// Rights awaiting verification (staff).
    pub async fn verification_queue(&self, actor: &Actor) -> Result<Vec<Right>> {
        require(
            actor,
            &[Role::Reviewer, Role::Admin],
            "see rights to verify",
        )?;
        self.rights_listed_for(actor, Some("pending")).await
    }

    /// A complaint's history, oldest first, for those who may see the
    /// complaint; a seller sees the complaint's own events and those of its
    /// listings only.
    pub async fn complaint_history(
        &self,
        actor: &Actor,
        id: &rightsguard_domain::ids::ComplaintId,
    ) -> Result<Vec<rightsguard_store::AuditRecord>> {
        let c = self.complaint_visible_to(actor, id).await?.value;
        let all = self
            .store()
            .audit_of(&rightsguard_domain::event::Subject::Complaint {
                complaint: id.clone(),
                listing: None,
            })
            .await?;
        if actor.role != Role::Seller {
            return Ok(all);
        }
        let mine: std::collections::BTreeSet<_> = c
            .items
            .iter()
            .filter(|i| i.seller == actor.org)
            .map(|i| i.listing.clone())
            .collect();
        Ok(all
            .into_iter()
            .filter(|r| match &r.event.subject {
                rightsguard_domain::event::Subject::Complaint {
                    listing: Some(l), ..
                } => mine.contains(l),
                _ => true,
            })
            .collect())
    }

    /// A notifier's accuracy over the policy's rolling window, and whether
    /// it meets the good-faith bars (staff, for the review page).
    pub async fn notifier_accuracy(
        &self,
        actor: &Actor,
        notifier: &OrgId,
    ) -> Result<(rightsguard_domain::notifier::Accuracy, bool)> {
        use rightsguard_domain::notifier::{accuracy, meets_good_faith, records_of};
        require(
            actor,
            &[Role::Reviewer, Role::Admin],
            "see a notifier's accuracy",
        )?;
        let complaints = self.store().complaints_of_complainant(notifier).await?;
        let records: Vec<_> = complaints.iter().flat_map(records_of).collect();
        let acc = accuracy(&records, self.now(), None, self.policy());
        let good = meets_good_faith(&acc, self.policy());
        Ok((acc, good))
    }

    /// The rights holder's own accuracy record (what reviewers see of it).
    pub async fn my_accuracy(
        &self,
        actor: &Actor,
    ) -> Result<(rightsguard_domain::notifier::Accuracy, bool)> {
        use rightsguard_domain::notifier::{accuracy, meets_good_faith, records_of};
        require(
            actor,
            &[Role::RightsHolder, Role::Agent],
            "see its accuracy",
        )?;
        let complaints = self
            .store()
            .complaints_of_complainant(&represented(actor))
            .await?;
        let records: Vec<_> = complaints.iter().flat_map(records_of).collect();
        let acc = accuracy(&records, self.now(), None, self.policy());
        let good = meets_good_faith(&acc, self.policy());
        Ok((acc, good))
    }

    /// Every user (admins).
    pub async fn list_users(
        &self,
        actor: &Actor,
    ) -> Result<Vec<rightsguard_domain::account::User>> {
        require(actor, &[Role::Admin], "list users")?;
        Ok(self.store().users().await?)
    }

    /// The newest API tokens (ids, owners, when issued and revoked; never
    /// the secret), at most `limit` (admins).
    pub async fn list_tokens(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<rightsguard_store::ApiToken>> {
        require(actor, &[Role::Admin], "list API tokens")?;
        Ok(self.store().api_tokens(limit.clamp(1, 1000)).await?)
    }
}

impl<S: Store + WebStore + rightsguard_store::listings::ListingStore> App<S> {
    /// The listings a complaint will name, looked up on file (a marketplace's
    /// listings are public): each with its seller and its category's classes.
    pub async fn listing_refs(
        &self,
        actor: &Actor,
        ids: &[rightsguard_domain::ids::ListingId],
    ) -> Result<Vec<rightsguard_domain::complaint::ListingRef>> {
        use rightsguard_detect::text::ClassSet;
        use rightsguard_domain::ids::NiceClass;
        require(
            actor,
            &[Role::RightsHolder, Role::Agent],
            "file a complaint",
        )?;
        let mut out = Vec::new();
        for id in ids {
            let l = self
                .store()
                .listing(id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("listing {id}")))?
                .value;
            let set = self
                .category_classes(l.content.category.as_str())
                .unwrap_or(ClassSet::EMPTY);
            let category_classes = (1..=45u16)
                .filter(|n| ClassSet::from_classes([*n]).is_ok_and(|c| c.meets(set)))
                .filter_map(|n| NiceClass::new(u32::from(n)).ok())
                .collect();
            out.push(rightsguard_domain::complaint::ListingRef {
                id: l.id,
                seller: l.seller,
                category_classes,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let phc = hash_password(&Secret::new("correct horse battery")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&Secret::new("correct horse battery"), &phc));
        assert!(!verify_password(
            &Secret::new("correct horse batterx"),
            &phc
        ));
        assert!(!verify_password(&Secret::new("x"), "not a phc string"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_password(&Secret::new("123456789")).is_err());
        assert!(check_password(&Secret::new("1234567890")).is_ok());
        assert!(check_password(&Secret::new("x".repeat(1025))).is_err());
    }
}

/// A rights holder's work per week, oldest week first: what its dashboard
/// draws as bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyActivity {
    /// The first day (Monday, UTC) of each week.
    pub weeks: Vec<jiff::civil::Date>,
    /// Complaints submitted in each week.
    pub complaints: Vec<u64>,
    /// Listings taken down in each week: items of its complaints whose
    /// listing went down (down now, or reinstated since), by the week of the
    /// item's last decision (a decision reversed on an internal complaint
    /// moves it to the reversal's week).
    pub takedowns: Vec<u64>,
    /// Listings monitoring found for its rights in each week.
    pub findings: Vec<u64>,
}

/// The Monday (UTC) starting the week of `t`.
fn week_start(t: jiff::Timestamp) -> jiff::civil::Date {
    let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let back = i64::from(d.weekday().to_monday_zero_offset());
    d.checked_sub(jiff::Span::new().days(back)).unwrap_or(d)
}

fn midnight_utc(d: jiff::civil::Date) -> jiff::Timestamp {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Counts `times` into `weeks` weekly buckets starting at `start`; instants
/// outside are ignored.
pub fn bucket_weeks(start: jiff::Timestamp, weeks: usize, times: &[jiff::Timestamp]) -> Vec<u64> {
    const WEEK_SECS: i64 = 7 * 24 * 3600;
    let mut out = vec![0u64; weeks];
    for t in times {
        let secs = t.duration_since(start).as_secs();
        if secs < 0 {
            continue;
        }
        if let Some(slot) = usize::try_from(secs / WEEK_SECS)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot += 1;
        }
    }
    out
}

impl<S: Store + WebStore + rightsguard_store::ActivityStore> App<S> {
    /// The last `weeks` weeks (this one included) of a rights holder's
    /// complaints, takedowns and findings: the holder itself or its agent.
    pub async fn weekly_activity(&self, actor: &Actor, weeks: usize) -> Result<WeeklyActivity> {
        require(
            actor,
            &[Role::RightsHolder, Role::Agent],
            "see its weekly activity",
        )?;
        let org = represented(actor);
        let first = week_start(self.now())
            .checked_sub(jiff::Span::new().weeks(i64::try_from(weeks).unwrap_or(1) - 1))
            .map_err(|e| RuleError::Invalid(e.to_string()))?;
        let days: Vec<jiff::civil::Date> = (0..weeks)
            .filter_map(|i| {
                first
                    .checked_add(jiff::Span::new().weeks(i64::try_from(i).ok()?))
                    .ok()
            })
            .collect();
        let from = midnight_utc(first);
        let to = days
            .last()
            .and_then(|d| d.checked_add(jiff::Span::new().weeks(1)).ok())
            .map_or(self.now(), midnight_utc);
        let store = self.store();
        let complaints = store.complaint_times(&org, from, to).await?;
        let findings = store.finding_times(&org, from, to).await?;
        // Decision instants live in the complaints' bodies, not in a column.
        let takedowns: Vec<jiff::Timestamp> = store
            .complaints_of_complainant(&org)
            .await?
            .iter()
            .flat_map(|c| &c.items)
            .filter(|i| {
                i.state.listing_down()
                    || matches!(
                        i.state,
                        rightsguard_domain::complaint::ItemState::Reinstated { .. }
                    )
            })
            .filter_map(|i| i.decided_at)
            .collect();
        Ok(WeeklyActivity {
            weeks: days,
            complaints: bucket_weeks(from, weeks, &complaints),
            takedowns: bucket_weeks(from, weeks, &takedowns),
            findings: bucket_weeks(from, weeks, &findings),
        })
    }
}

#[cfg(test)]
mod weekly_tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_buckets_drop_what_is_outside() {
        let t: jiff::Timestamp = "2026-11-29T10:00:00Z".parse().unwrap(); // a Sunday
        assert_eq!(week_start(t).to_string(), "2026-11-23");
        let start: jiff::Timestamp = "2026-11-09T00:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let times = [
            at("2026-11-08T23:59:59Z"), // before
            at("2026-11-09T00:00:00Z"), // week 0
            at("2026-11-15T23:59:59Z"), // week 0
            at("2026-11-16T00:00:00Z"), // week 1
            at("2026-11-29T10:00:00Z"), // week 2
            at("2026-11-30T00:00:00Z"), // after
        ];
        assert_eq!(bucket_weeks(start, 3, &times), vec![2, 1, 1]);
    }
}
