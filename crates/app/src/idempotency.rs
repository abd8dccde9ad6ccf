//! Idempotent writes: a retried request under the same `Idempotency-Key` gets
//! the first answer back instead of a second effect.
//!
//! The design, and why it survives crashes:
//!
//! - **One transaction.** A keyed use case computes its transition, renders
//!   the answer the client will see (status and JSON body, through a closure
//!   the caller passes, since only the edge knows its wire format), and hands
//!   both to [`IdempotencyStore::save_complaints_keyed`], which writes the
//!   complaints, their audit records, jobs **and** the key's record of the
//!   answer in one transaction. A crash before the commit leaves nothing (the
//!   retry runs afresh); after it, both (the retry replays). Nothing is
//!   acknowledged before the commit.
//! - **No in-flight row.** The "still running" state lives in memory only
//!   ([`InFlight`], a set of `(scope, key)` claimed for the duration of a
//!   request and released when its guard drops, also when the request is
//!   cancelled): a second request with the key while the first runs on this
//!   server is refused with [`IdempotencyError::InFlight`] (HTTP 409). A crash
//!   takes the set with it, so no marker can block a key after a restart. A
//!   duplicate arriving at another replica is not refused early, but it cannot
//!   double the effect: the key is checked again inside the write
//!   transaction, under the write lock, and the loser writes nothing and
//!   replays the winner's answer (or is told the key was reused).
//! - **Same key, same request.** The record keeps a fingerprint: SHA-256 of
//!   the operation (with the complaint id of a command), the principal an
//!   agent acts for, and the parsed request re-serialised (so whitespace and
//!   key order do not matter). The same key with another fingerprint is
//!   [`IdempotencyError::KeyReused`] (HTTP 422).
//! - **Scope and lifetime.** Keys belong to the caller (organisation and
//!   user): two callers' keys never meet. A record lives [`KEY_LIFETIME`]
//!   (24 hours) by the app's clock; after that the key is forgotten and may
//!   name a new request. Expired records are deleted by the next keyed write.
//! - **Only successes are recorded.** A refused request (rule error, not
//!   found, duplicate id) changed nothing, so its key is not kept: a retry
//!   runs again and may succeed if the refusal was about state that changed.
//!   A batch is a success as a whole (each complaint has its own outcome in
//!   the answer), so its answer is recorded even when some items failed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use jiff::SignedDuration;
use rightsguard_domain::actor::Actor;
use rightsguard_domain::complaint::{Complaint, ComplaintCommand, SubmitComplaint};
use rightsguard_domain::ids::ComplaintId;
use rightsguard_domain::rule::{RuleError, Transition};
use rightsguard_store::StoreError;
use rightsguard_store::idempotency::{
    ComplaintWrite, IdempotencyRecord, IdempotencyStore, KeyedSave,
};
use serde::Serialize;
use sha2::Digest;

use crate::{App, AppError, RETRIES, Result, command_jobs, deadline_jobs};

/// How long a key's record is kept (by the app's clock).
pub const KEY_LIFETIME: SignedDuration = SignedDuration::from_hours(24);

/// A client's idempotency key: 1 to 255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a key is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Accepts 1 to 255 characters, each printable ASCII (space to `~`).
    pub fn parse(s: &str) -> std::result::Result<Self, InvalidKey> {
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(InvalidKey(format!(
                "must be 1 to {} characters, not {}",
                Self::MAX_LEN,
                s.len()
            )));
        }
        if let Some(c) = s.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(InvalidKey(format!(
                "must be printable ASCII; found {:?}",
                c.escape_default().to_string()
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a keyed request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used for a different request.
    #[error(
        "Idempotency-Key {key:?} was already used for a different request (another operation or body); \
         use a new key for a new request"
    )]
    KeyReused {
        /// The key.
        key: String,
    },
    /// A request with the key is still being processed.
    #[error(
        "a request with Idempotency-Key {key:?} is still in flight; retry once it has been answered"
    )]
    InFlight {
        /// The key.
        key: String,
    },
}

/// An answer as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// The answer to a keyed (or unkeyed) request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Status and body.
    pub rendered: Rendered,
    /// Whether this is the recorded answer of an earlier request.
    pub replayed: bool,
}

/// The keys of requests running in this process.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<Mutex<HashSet<(String, String)>>>);

/// Holds a key in flight; releases it when dropped.
#[derive(Debug)]
pub struct InFlightGuard {
    set: InFlight,
    entry: (String, String),
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut set = self.set.0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.entry);
    }
}

impl InFlight {
    fn claim(&self, scope: &str, key: &IdempotencyKey) -> Option<InFlightGuard> {
        let entry = (scope.to_owned(), key.as_str().to_owned());
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(entry.clone()).then(|| InFlightGuard {
            set: self.clone(),
            entry,
        })
    }
}

/// The scope of an actor's keys: its organisation and user.
pub fn key_scope(actor: &Actor) -> String {
    let user = actor.user.as_ref().map(|u| u.as_str()).unwrap_or("-");
    format!("{}/{user}", actor.org)
}

/// The fingerprint of a request: operation, principal, canonical request.
fn fingerprint(actor: &Actor, operation: &str, request: &impl Serialize) -> Result<String> {
    let json = serde_json::to_string(request)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("cannot encode request: {e}"))))?;
    let mut h = sha2::Sha256::new();
    for part in [
        operation,
        actor.principal.as_ref().map(|p| p.as_str()).unwrap_or("-"),
        &json,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A keyed request that may run: its key held in flight.
struct Keyed {
    scope: String,
    key: String,
    fingerprint: String,
    _guard: InFlightGuard,
}

enum Begun {
    Replay(Answer),
    Run(Option<Keyed>),
}

fn replay(rec: IdempotencyRecord, keyed: &Keyed) -> Result<Answer> {
    if rec.fingerprint == keyed.fingerprint {
        Ok(Answer {
            rendered: Rendered {
                status: rec.status,
                body: rec.body,
            },
            replayed: true,
        })
    } else {
        Err(IdempotencyError::KeyReused {
            key: keyed.key.clone(),
        }
        .into())
    }
}

/// The outcome of one complaint of a batch, for rendering.
pub type BatchOutcome<'a> = std::result::Result<&'a Complaint, &'a AppError>;

impl<S: IdempotencyStore> App<S> {
    /// Claims `key` for `actor` in this process, as a request does while it
    /// runs; `None` if a request holds it. Public so tests can hold a key.
    pub fn claim_in_flight(&self, actor: &Actor, key: &IdempotencyKey) -> Option<InFlightGuard> {
        self.inflight.claim(&key_scope(actor), key)
    }

    async fn begin_keyed(
        &self,
        actor: &Actor,
        key: Option<&IdempotencyKey>,
        operation: &str,
        request: &impl Serialize,
    ) -> Result<Begun> {
        let Some(key) = key else {
            return Ok(Begun::Run(None));
        };
        let scope = key_scope(actor);
        let guard = self
            .inflight
            .claim(&scope, key)
            .ok_or_else(|| IdempotencyError::InFlight {
                key: key.as_str().to_owned(),
            })?;
        let keyed = Keyed {
            fingerprint: fingerprint(actor, operation, request)?,
            scope,
            key: key.as_str().to_owned(),
            _guard: guard,
        };
        match self
            .store()
            .idempotency_record(&keyed.scope, &keyed.key, self.now())
            .await?
        {
            Some(rec) => replay(rec, &keyed).map(Begun::Replay),
            None => Ok(Begun::Run(Some(keyed))),
        }
    }

    /// Saves `writes` with the record of `rendered` under `keyed`; `None`
    /// when the store lost a race and the use case should run again.
    async fn save_keyed(
        &self,
        keyed: Option<&Keyed>,
        rendered: Rendered,
        writes: &[ComplaintWrite<'_>],
    ) -> Result<Option<Answer>> {
        let now = self.now();
        let record = keyed.map(|k| IdempotencyRecord {
            scope: k.scope.clone(),
            key: k.key.clone(),
            fingerprint: k.fingerprint.clone(),
            status: rendered.status,
            body: rendered.body.clone(),
            created_at: now,
            expires_at: now.checked_add(KEY_LIFETIME).unwrap_or(now),
        });
        match self
            .store()
            .save_complaints_keyed(writes, record.as_ref())
            .await
        {
            Ok(KeyedSave::Saved(_)) => Ok(Some(Answer {
                rendered,
                replayed: false,
            })),
            Ok(KeyedSave::Existing(rec)) => match keyed {
                Some(k) => replay(rec, k).map(Some),
                None => Err(AppError::Busy("idempotency key".into())),
            },
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Submits a complaint, at most once per `key`. `render` turns the new
    /// complaint into the answer that is sent and recorded.
    pub async fn submit_complaint_keyed(
        &self,
        actor: &Actor,
        key: Option<&IdempotencyKey>,
        cmd: SubmitComplaint,
        render: impl Fn(&Complaint) -> Rendered,
    ) -> Result<Answer> {
        let keyed = match self
            .begin_keyed(actor, key, "submit_complaint", &cmd)
            .await?
        {
            Begun::Replay(a) => return Ok(a),
            Begun::Run(k) => k,
        };
        let right = self
            .store()
            .right(&cmd.right)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("right {}", cmd.right)))?
            .value;
        self.refuse_if_suspended(&right.owner).await?;
        let id = cmd.id.clone();
        let t = self.submission(cmd, &right, actor).await?;
        let jobs = deadline_jobs(&t.state);
        let write = ComplaintWrite {
            complaint: &t.state,
            expected_version: None,
            events: &t.events,
            jobs: &jobs,
        };
        self.save_keyed(keyed.as_ref(), render(&t.state), &[write])
            .await?
            .ok_or_else(|| AppError::Busy(format!("complaint {id}")))
    }

    /// Applies a command to a complaint, at most once per `key`.
    pub async fn act_on_complaint_keyed(
        &self,
        actor: &Actor,
        key: Option<&IdempotencyKey>,
        id: &ComplaintId,
        cmd: &ComplaintCommand,
        render: impl Fn(&Complaint) -> Rendered,
    ) -> Result<Answer> {
        let operation = format!("act_on_complaint:{id}");
        let keyed = match self.begin_keyed(actor, key, &operation, cmd).await? {
            Begun::Replay(a) => return Ok(a),
            Begun::Run(k) => k,
        };
        for _ in 0..RETRIES {
            let loaded = self.complaint_visible_to(actor, id).await?;
            let now = self.now();
            let t = loaded.value.apply(cmd, actor, now, self.ctx())?;
            let jobs = command_jobs(&t.state, loaded.version + 1, now);
            let write = ComplaintWrite {
                complaint: &t.state,
                expected_version: Some(loaded.version),
                events: &t.events,
                jobs: &jobs,
            };
            if let Some(a) = self
                .save_keyed(keyed.as_ref(), render(&t.state), &[write])
                .await?
            {
                return Ok(a);
            }
        }
        Err(AppError::Busy(format!("complaint {id}")))
    }

    /// Submits several complaints in one request, at most once per `key`:
    /// each is created or refused on its own (`render` sees every outcome in
    /// order), and the created ones commit together. The batch may name at
    /// most the policy's per-complaint limit of listings in all.
    pub async fn submit_complaints_batch(
        &self,
        actor: &Actor,
        key: Option<&IdempotencyKey>,
        cmds: Vec<SubmitComplaint>,
        render: impl Fn(&[BatchOutcome<'_>]) -> Rendered,
    ) -> Result<Answer> {
        let limit = self.policy().complaints.max_listings_per_complaint as usize;
        let listings: usize = cmds.iter().map(|c| c.listings.len()).sum();
        if cmds.is_empty() {
            return Err(RuleError::Invalid("a batch holds at least one complaint".into()).into());
        }
        if listings > limit {
            return Err(RuleError::Limit(format!(
                "{listings} listings named in the batch; the site allows {limit} per request"
            ))
            .into());
        }
        let keyed = match self
            .begin_keyed(actor, key, "submit_complaints_batch", &cmds)
            .await?
        {
            Begun::Replay(a) => return Ok(a),
            Begun::Run(k) => k,
        };
        for _ in 0..RETRIES {
            let mut outcomes: Vec<Result<(Transition<Complaint>, Vec<_>)>> = Vec::new();
            let mut ids = HashSet::new();
            for cmd in &cmds {
                match self.batch_item(actor, cmd, &mut ids).await {
                    // A failing database fails the batch, not one complaint.
                    Err(AppError::Store(e)) if !matches!(e, StoreError::Duplicate(_)) => {
                        return Err(e.into());
                    }
                    outcome => outcomes.push(outcome),
                }
            }
            let views: Vec<BatchOutcome<'_>> = outcomes
                .iter()
                .map(|o| o.as_ref().map(|(t, _)| &t.state))
                .collect();
            let rendered = render(&views);
            let writes: Vec<ComplaintWrite<'_>> = outcomes
                .iter()
                .filter_map(|o| o.as_ref().ok())
                .map(|(t, jobs)| ComplaintWrite {
                    complaint: &t.state,
                    expected_version: None,
                    events: &t.events,
                    jobs,
                })
                .collect();
            match self.save_keyed(keyed.as_ref(), rendered, &writes).await {
                Ok(Some(a)) => return Ok(a),
                Ok(None) => continue,
                // Another request took one of the ids meanwhile: judge again.
                Err(AppError::Store(StoreError::Duplicate(_))) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(AppError::Busy("complaint batch".into()))
    }

    async fn batch_item(
        &self,
        actor: &Actor,
        cmd: &SubmitComplaint,
        ids: &mut HashSet<ComplaintId>,
    ) -> Result<(Transition<Complaint>, Vec<rightsguard_store::NewJob>)> {
        let duplicate = || AppError::Store(StoreError::Duplicate(format!("complaint {}", cmd.id)));
        if !ids.insert(cmd.id.clone()) || self.store().complaint(&cmd.id).await?.is_some() {
            return Err(duplicate());
        }
        let right = self.right_visible_to(actor, &cmd.right).await?;
        self.refuse_if_suspended(&right.owner).await?;
        let t = self.submission(cmd.clone(), &right, actor).await?;
        let jobs = deadline_jobs(&t.state);
        Ok((t, jobs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("order 42/retry-1 ~!").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
        assert!(IdempotencyKey::parse("ключ").is_err());
    }

    #[test]
    fn a_key_is_held_once_until_its_guard_drops() {
        let set = InFlight::default();
        let k = IdempotencyKey::parse("k1").unwrap();
        let g = set.claim("acme/alice", &k).unwrap();
        assert!(set.claim("acme/alice", &k).is_none());
        assert!(set.claim("rival/bob", &k).is_some(), "scoped per caller");
        drop(g);
        assert!(set.claim("acme/alice", &k).is_some());
    }
}
