//! Listings with inline keyword blocking, the blocklist's requests and
//! approvals, and sellers' brand authorisations.
//!
//! The main design decision is that a listing write never waits for the
//! blocklist to be built. The approved block terms live in one immutable
//! [`Blocklist`] (a [`TextIndex`] of every term, folded, in one automaton)
//! behind an `Arc`; a write clones the `Arc` under a read lock held for
//! nanoseconds and matches against it. Approving or lifting a term builds a
//! new index from the store *after* the decision is committed and swaps it
//! in before the decision is answered. Rebuilds are serialised by a mutex and
//! numbered by the term changes they include, so an older build never
//! replaces a newer one, and concurrent decisions share one rebuild instead
//! of each building its own (a bulk load of 10k approvals costs a few hundred
//! builds, not 10k). The index is per process: a second server on the same
//! PostgreSQL database sees a term approved elsewhere after its own next
//! rebuild or restart.
//!
//! The check itself: the listing's category maps to Nice classes through the
//! site's category table ([`Categories`], the same table `rightsguard scan`
//! reads); the engine finds the block terms of rights whose classes meet
//! them, in the title and the description, through evasions (case,
//! homoglyphs, leet, spacing, joined words); the seller's authorisations on
//! file are loaded only when there is a hit; [`gate_listing`] decides. Fuzzy
//! (misspelt) matches do not block: holding a listing happens without a
//! human, so it rests only on matches that are the term itself under
//! disguise. The scanner still reports fuzzy matches for review.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use jiff::civil::Date;
use rightsguard_detect::categories::Categories;
use rightsguard_detect::text::{BuildError, ClassSet, Field, MarkSpec, Method, TextIndex};
use rightsguard_domain::account::OrgKind;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::blocklist::{
    BlockHit, BlockTerm, BlockTermCommand, BlockTermState, GateDecision, gate_listing,
};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::{AuthorisationId, BlockTermId, ListingId, OrgId, RightId, Sha256};
use rightsguard_domain::listing::{
    Listing, ListingContent, grant_authorisation, may_read, may_write, revoke_authorisation,
};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::listings::{ListingStore, StoredAuthorisation, StoredBlockTerm};
use rightsguard_store::{Store, StoreError, Versioned};

use crate::{App, AppError, Result};

/// The in-force block terms, ready to match.
#[derive(Debug)]
pub struct Blocklist {
    index: TextIndex,
    /// Block term id → its right and its text.
    terms: HashMap<String, (RightId, String)>,
}

impl Blocklist {
    /// Builds the index of `terms` (each gated by its right's classes).
    pub fn build(terms: &[StoredBlockTerm]) -> Result<Blocklist, BuildError> {
        let specs: Vec<MarkSpec> = terms
            .iter()
            .map(|t| MarkSpec {
                right_id: t.id.to_string(),
                mark: t.term.term.clone(),
                aliases: Vec::new(),
                nice_classes: t.term.classes.iter().map(|c| u16::from(c.get())).collect(),
            })
            .collect();
        Ok(Blocklist {
            index: TextIndex::build(&specs)?,
            terms: terms
                .iter()
                .map(|t| {
                    (
                        t.id.to_string(),
                        (t.term.right.clone(), t.term.term.clone()),
                    )
                })
                .collect(),
        })
    }

    /// Number of terms in force.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term is in force.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The block terms found in a listing whose category maps to `classes`:
    /// one hit per term and field, fuzzy matches left out.
    pub fn check(&self, content: &ListingContent, classes: ClassSet) -> Vec<BlockHit> {
        if self.terms.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<BlockHit> = Vec::new();
        for (field, text) in [
            (Field::Title, content.title.as_str()),
            (Field::Description, content.description.as_str()),
        ] {
            for h in self.index.find(field, text, &classes) {
                if matches!(h.method, Method::Fuzzy { .. }) {
                    continue;
                }
                let Some((right, term)) = self.terms.get(&*h.right_id) else {
                    continue;
                };
                if hits
                    .iter()
                    .any(|x| &x.term == term && x.field == field.as_str())
                {
                    continue;
                }
                hits.push(BlockHit {
                    right: right.clone(),
                    term: term.clone(),
                    field: field.as_str().to_owned(),
                    matched: h.matched,
                    method: h.method.to_string(),
                });
            }
        }
        hits
    }
}

/// What the app keeps for listing writes: the category table and the
/// current blocklist.
#[derive(Debug)]
pub(crate) struct ListingGate {
    categories: RwLock<Arc<Categories>>,
    /// The index, the number of term changes it includes and when it was
    /// built.
    blocklist: RwLock<Option<(u64, Arc<Blocklist>, std::time::Instant)>>,
    /// Term changes committed by this process.
    changes: AtomicU64,
    rebuild: tokio::sync::Mutex<()>,
}

impl Default for ListingGate {
    fn default() -> Self {
        Self {
            categories: RwLock::new(Arc::new(Categories::builtin())),
            blocklist: RwLock::new(None),
            changes: AtomicU64::new(0),
            rebuild: tokio::sync::Mutex::new(()),
        }
    }
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(|p| p.into_inner()).clone()
}

fn write<T>(l: &RwLock<T>, v: T) {
    *l.write().unwrap_or_else(|p| p.into_inner()) = v;
}

/// A new random id with a prefix (`bt-`, `au-`): 64 random bits, hex.
pub(crate) fn random_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(format!(
        "{prefix}{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// How old this process's blocklist index may get before a listing write
/// rebuilds it (term changes made by other processes are seen by then).
pub const BLOCKLIST_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// The most listings one page returns.
pub const MAX_PAGE: i64 = 500;

impl<S: Store + ListingStore> App<S> {
    /// Replaces the site's category table.
    pub fn set_categories(&self, categories: Categories) {
        write(&self.gate.categories, Arc::new(categories));
    }

    /// The classes a category maps to, or `None` if the site has no such category.
    pub fn category_classes(&self, name: &str) -> Option<ClassSet> {
        read(&self.gate.categories).classes(name)
    }

    /// The blocklist in force, built from the store on first use.
    ///
    /// Rebuilt when older than [`BLOCKLIST_MAX_AGE`]: a term approved or
    /// lifted through another process (another `serve` replica on the same
    /// database) is enforced here within that time.
    pub async fn blocklist(&self) -> Result<Arc<Blocklist>> {
        match read(&self.gate.blocklist) {
            Some((_, b, built)) if built.elapsed() < BLOCKLIST_MAX_AGE => Ok(b),
            Some(_) => self.rebuild_blocklist().await,
            None => self.refresh_blocklist(0).await,
        }
    }

    /// Rebuilds the blocklist from the terms in force, after a term change
    /// made outside this process.
    pub async fn rebuild_blocklist(&self) -> Result<Arc<Blocklist>> {
        let change = self.gate.changes.fetch_add(1, Ordering::SeqCst) + 1;
        self.refresh_blocklist(change).await
    }

    /// Makes sure the index includes term change number `change`: builds
    /// it unless a build that started after that change has been swapped in.
    async fn refresh_blocklist(&self, change: u64) -> Result<Arc<Blocklist>> {
        let _one_at_a_time = self.gate.rebuild.lock().await;
        if let Some((included, b, _)) = read(&self.gate.blocklist)
            && included >= change
        {
            return Ok(b);
        }
        let includes = self.gate.changes.load(Ordering::SeqCst);
        let terms = self.store().in_force_block_terms().await?;
        let built = Blocklist::build(&terms)
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("blocklist: {e}"))))?;
        let built = Arc::new(built);
        write(
            &self.gate.blocklist,
            Some((includes, built.clone(), std::time::Instant::now())),
        );
        Ok(built)
    }

    pub(crate) fn today(&self) -> Date {
        self.calendar().local_date(self.now())
    }

    /// The gate's decision on `content` written for `seller`.
    pub(crate) async fn gate(
        &self,
        seller: &OrgId,
        content: &ListingContent,
    ) -> Result<GateDecision> {
        let classes = self
            .category_classes(content.category.as_str())
            .ok_or_else(|| {
                RuleError::Invalid(format!(
                    "unknown category {:?}: not in the site's category table",
                    content.category.as_str()
                ))
            })?;
        let hits = self.blocklist().await?.check(content, classes);
        if hits.is_empty() {
            return Ok(GateDecision::Pass);
        }
        let auths = self.store().authorisations_of_seller(seller).await?;
        Ok(gate_listing(seller, hits, &auths, self.today()))
    }

    /// Creates a listing for `seller` (the caller's own organisation when
    /// `None`), held if the blocklist finds a brand the seller is not
    /// authorised for.
    pub async fn create_listing(
        &self,
        actor: &Actor,
        id: ListingId,
        seller: Option<OrgId>,
        content: ListingContent,
    ) -> Result<Versioned<Listing>> {
        let seller = seller.unwrap_or_else(|| actor.org.clone());
        may_write(actor, &seller)?;
        if actor.role != Role::Seller {
            // The feed writes for sellers: the organisation must be one.
            let org = self.store().org(&seller).await?;
            if org.is_none_or(|o| o.kind != OrgKind::Seller) {
                return Err(RuleError::Invalid(format!("{seller} is not a seller")).into());
            }
        }
        let gate = self.gate(&seller, &content).await?;
        let now = self.now();
        let t = Listing::create(id, seller, content, gate, actor, now)?;
        let scan = crate::findings::scan_job(&t.state, 1, now);
        let version = self
            .store()
            .create_listing_with_jobs(&t.state, &t.events, &[scan])
            .await?;
        Ok(Versioned {
            value: t.state,
            version,
        })
    }

    /// Replaces a listing's content if it is still at `expected_version`
    /// (a stale version is a [`StoreError::Conflict`]: reload and retry).
    pub async fn update_listing(
        &self,
        actor: &Actor,
        id: &ListingId,
        content: ListingContent,
        expected_version: i64,
    ) -> Result<Versioned<Listing>> {
        let loaded = self.listing_visible_to(actor, id).await?;
        may_write(actor, &loaded.value.seller)?;
        if loaded.version != expected_version {
            return Err(StoreError::Conflict(format!(
                "listing {id} (at version {}, not {expected_version})",
                loaded.version
            ))
            .into());
        }
        let gate = self.gate(&loaded.value.seller, &content).await?;
        let now = self.now();
        let t = loaded.value.update(content, gate, actor, now)?;
        let scan = crate::findings::scan_job(&t.state, expected_version + 1, now);
        let version = self
            .store()
            .save_listing_with_jobs(&t.state, expected_version, &t.events, &[scan])
            .await?;
        Ok(Versioned {
            value: t.state,
            version,
        })
    }

    /// A listing, if the actor may see it (its seller and staff); `NotFound` otherwise.
    pub async fn listing_visible_to(
        &self,
        actor: &Actor,
        id: &ListingId,
    ) -> Result<Versioned<Listing>> {
        let not_found = || AppError::NotFound(format!("listing {id}"));
        let l = self.store().listing(id).await?.ok_or_else(not_found)?;
        if may_read(actor, &l.value) {
            Ok(l)
        } else {
            Err(not_found())
        }
    }

    /// A page of listings in id order: staff see all (or one seller's), a
    /// seller only its own, anyone else nothing.
    pub async fn listings_visible_to(
        &self,
        actor: &Actor,
        seller: Option<&OrgId>,
        after: Option<&ListingId>,
        limit: i64,
    ) -> Result<Vec<Versioned<Listing>>> {
        let limit = limit.clamp(1, MAX_PAGE);
        let scope = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => seller.cloned(),
            Role::Seller if seller.is_none_or(|s| s == &actor.org) => Some(actor.org.clone()),
            Role::Seller | Role::RightsHolder | Role::Agent => return Ok(Vec::new()),
        };
        Ok(self.store().listings(scope.as_ref(), after, limit).await?)
    }

    /// A rights holder (or its agent) asks to block `term` for one of its
    /// verified rights; an admin decides.
    pub async fn request_block_term(
        &self,
        actor: &Actor,
        right: &RightId,
        term: &str,
    ) -> Result<StoredBlockTerm> {
        let right = self.right_visible_to(actor, right).await?;
        let now = self.now();
        let t = BlockTerm::request(&right, term, actor, now)?;
        let id = BlockTermId::parse(&random_id("bt-")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let events = [DomainEvent::block_term(
            id.clone(),
            actor,
            now,
            EventKind::BlockTermRequested {
                right: t.right.clone(),
                term: t.term.clone(),
            },
        )];
        self.store().create_block_term(&id, &t, &events).await?;
        Ok(StoredBlockTerm {
            id,
            term: t,
            version: 1,
        })
    }

    /// A block term, if the actor may see it: its owner (or agent) and staff.
    pub async fn block_term_visible_to(
        &self,
        actor: &Actor,
        id: &BlockTermId,
    ) -> Result<StoredBlockTerm> {
        let not_found = || AppError::NotFound(format!("block term {id}"));
        let t = self.store().block_term(id).await?.ok_or_else(not_found)?;
        if actor.is_staff()
            || actor.role == Role::System
            || actor.acts_for_rights_holder(&t.term.owner)
        {
            Ok(t)
        } else {
            Err(not_found())
        }
    }

    /// Approves, rejects or lifts a block term (the rules say who may); the
    /// blocklist is rebuilt when a term enters or leaves force.
    pub async fn decide_block_term(
        &self,
        actor: &Actor,
        id: &BlockTermId,
        cmd: &BlockTermCommand,
    ) -> Result<StoredBlockTerm> {
        for _ in 0..crate::RETRIES {
            let loaded = self.block_term_visible_to(actor, id).await?;
            let now = self.now();
            let next = loaded.term.apply(cmd, actor, now)?;
            let kind = match &next.state {
                BlockTermState::Approved { .. } => EventKind::BlockTermApproved,
                BlockTermState::Rejected { reason } => EventKind::BlockTermRejected {
                    reason: reason.clone(),
                },
                BlockTermState::Lifted { reason } => EventKind::BlockTermLifted {
                    reason: reason.clone(),
                },
                BlockTermState::Requested => {
                    return Err(AppError::Busy(format!("block term {id}")));
                }
            };
            let events = [DomainEvent::block_term(id.clone(), actor, now, kind)];
            match self
                .store()
                .save_block_term(id, &next, loaded.version, &events)
                .await
            {
                Ok(version) => {
                    if loaded.term.in_force() != next.in_force() {
                        self.rebuild_blocklist().await?;
                    }
                    return Ok(StoredBlockTerm {
                        id: id.clone(),
                        term: next,
                        version,
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("block term {id}")))
    }

    /// Block terms the actor may see: staff all, a rights holder (or its
    /// agent) its own, anyone else none.
    pub async fn block_terms_visible_to(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<StoredBlockTerm>> {
        let limit = limit.clamp(1, MAX_PAGE);
        let owner = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => None,
            Role::RightsHolder => Some(actor.org.clone()),
            Role::Agent => match &actor.principal {
                Some(p) => Some(p.clone()),
                None => return Ok(Vec::new()),
            },
            Role::Seller => return Ok(Vec::new()),
        };
        Ok(self.store().block_terms(owner.as_ref(), limit).await?)
    }

    /// A rights holder (or its agent) authorises a seller to sell the brand
    /// of one of its rights, until `valid_until` (or open-ended).
    pub async fn authorise_seller(
        &self,
        actor: &Actor,
        seller: &OrgId,
        right: &RightId,
        evidence: Sha256,
        valid_until: Option<Date>,
    ) -> Result<StoredAuthorisation> {
        let right = self.right_visible_to(actor, right).await?;
        let org = self.store().org(seller).await?;
        if org.is_none_or(|o| o.kind != OrgKind::Seller) {
            return Err(RuleError::Invalid(format!("{seller} is not a seller")).into());
        }
        let now = self.now();
        let a = grant_authorisation(
            &right,
            seller.clone(),
            evidence,
            valid_until,
            actor,
            self.today(),
        )?;
        let id = AuthorisationId::parse(&random_id("au-")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let stored = StoredAuthorisation {
            id: id.clone(),
            owner: right.owner.clone(),
            authorisation: a,
            created_at: now,
        };
        let events = [DomainEvent::authorisation(
            id,
            actor,
            now,
            EventKind::AuthorisationGranted {
                seller: seller.clone(),
                right: right.id.clone(),
                valid_until,
            },
        )];
        self.store().create_authorisation(&stored, &events).await?;
        Ok(stored)
    }

    /// The granting rights holder (or its agent) or an admin withdraws an
    /// authorisation, with a reason: the seller's next listing write naming
    /// the brand is gated again (listings already live stay as they are).
    /// Who cannot see it gets 404, the seller and reviewers a refusal.
    pub async fn revoke_authorisation(
        &self,
        actor: &Actor,
        id: &AuthorisationId,
        reason: &str,
    ) -> Result<StoredAuthorisation> {
        let not_found = || AppError::NotFound(format!("authorisation {id}"));
        for _ in 0..crate::RETRIES {
            let Some(loaded) = self.store().authorisation(id).await? else {
                return Err(not_found());
            };
            let visible = match actor.role {
                Role::Reviewer | Role::Admin | Role::System => true,
                Role::RightsHolder => actor.org == loaded.owner,
                Role::Agent => actor.principal.as_ref() == Some(&loaded.owner),
                Role::Seller => actor.org == loaded.authorisation.seller,
            };
            if !visible {
                return Err(not_found());
            }
            let next = revoke_authorisation(&loaded.authorisation, &loaded.owner, actor, reason)?;
            let now = self.now();
            let events = [DomainEvent::authorisation(
                id.clone(),
                actor,
                now,
                EventKind::AuthorisationRevoked {
                    seller: next.seller.clone(),
                    right: next.right.clone(),
                    reason: reason.trim().to_owned(),
                },
            )];
            match self
                .store()
                .update_authorisation(id, &loaded.authorisation, &next, &events)
                .await
            {
                Ok(()) => {
                    return Ok(StoredAuthorisation {
                        authorisation: next,
                        ..loaded
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!("authorisation {id}")))
    }

    /// Authorisations the actor may see: the granting holder (or its
    /// agent), the seller named, and staff.
    pub async fn authorisations_visible_to(
        &self,
        actor: &Actor,
    ) -> Result<Vec<StoredAuthorisation>> {
        let (owner, seller) = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => (None, None),
            Role::RightsHolder => (Some(actor.org.clone()), None),
            Role::Agent => match &actor.principal {
                Some(p) => (Some(p.clone()), None),
                None => return Ok(Vec::new()),
            },
            Role::Seller => (None, Some(actor.org.clone())),
        };
        Ok(self
            .store()
            .authorisations(owner.as_ref(), seller.as_ref())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use rightsguard_domain::ids::NiceClass;
    use std::collections::BTreeSet;

    fn term(id: &str, right: &str, text: &str, classes: &[u8]) -> StoredBlockTerm {
        StoredBlockTerm {
            id: BlockTermId::parse(id).unwrap(),
            term: BlockTerm {
                right: RightId::parse(right).unwrap(),
                owner: OrgId::parse("acme").unwrap(),
                term: text.into(),
                classes: classes
                    .iter()
                    .map(|c| NiceClass::new(u32::from(*c)).unwrap())
                    .collect::<BTreeSet<_>>(),
                requested_at: Timestamp::UNIX_EPOCH,
                state: BlockTermState::Approved {
                    at: Timestamp::UNIX_EPOCH,
                },
            },
            version: 1,
        }
    }

    fn content(title: &str, category: &str) -> ListingContent {
        serde_json::from_value(serde_json::json!({"title": title, "category": category})).unwrap()
    }

    #[test]
    fn the_blocklist_finds_terms_through_evasions_within_their_classes() {
        let b = Blocklist::build(&[term("bt-1", "r1", "APPLE", &[9])]).unwrap();
        let cats = Categories::builtin();
        let phones = cats.classes("Phones & Electronics").unwrap();
        let food = cats.classes("Food").unwrap();
        let hits = b.check(
            &content("Apple iPhone case", "Phones & Electronics"),
            phones,
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].right.as_str(), "r1");
        assert_eq!(hits[0].term, "APPLE");
        assert_eq!(hits[0].field, "title");
        assert!(
            b.check(&content("Fresh Apple Fruit", "Food"), food)
                .is_empty()
        );
        // Cyrillic "А" and "р", and leet.
        let h = b.check(&content("\u{0410}\u{0440}ple charger", "x"), phones);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].method, "homoglyph");
        let h = b.check(&content("4PPL3 charger", "x"), phones);
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(
            b.check(&content("Pineapple charger", "x"), phones)
                .is_empty()
        );
        assert!(
            Blocklist::build(&[])
                .unwrap()
                .check(&content("Apple", "x"), phones)
                .is_empty()
        );
    }
}
