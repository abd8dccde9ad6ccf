//! Trademark clearance search: which verified rights a proposed mark would
//! conflict with (see [`rightsguard_detect::clearance`] for the tests).
//!
//! Searched against the same verified rights with marks that monitoring
//! matches listings against, through the process's scan index, so a search
//! costs one pass over the registered terms and no database query. Anyone
//! signed in may search: the register is public information, and a seller
//! checking a brand before listing is as welcome as a rights holder
//! checking a filing.

use rightsguard_detect::clearance::{ClearanceError, MAX_RESULTS, Reason};
use rightsguard_domain::actor::Actor;
use rightsguard_domain::right::Right;
use rightsguard_domain::rule::RuleError;

use rightsguard_store::Store;
use rightsguard_store::findings::FindingStore;
use rightsguard_store::listings::ListingStore;

use crate::{App, Result};

/// One conflicting right, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct ClearanceHit {
    /// The registered right.
    pub right: Right,
    /// Its registered mark.
    pub mark: String,
    /// The term (the mark or an alias) that conflicts.
    pub term: String,
    /// 0–1, strongest first.
    pub score: f32,
    /// Every reason, strongest first.
    pub reasons: Vec<Reason>,
    /// Nice classes shared with the search.
    pub shared_classes: Vec<u16>,
}

impl<S: Store + ListingStore + FindingStore> App<S> {
    /// The verified rights `proposed` conflicts with in `classes` (empty:
    /// any class), strongest first, at most `limit` (1 to 100).
    pub async fn clearance_search(
        &self,
        _actor: &Actor,
        proposed: &str,
        classes: &[u16],
        limit: usize,
    ) -> Result<Vec<ClearanceHit>> {
        if !(1..=MAX_RESULTS).contains(&limit) {
            return Err(RuleError::Invalid(format!("limit must be 1 to {MAX_RESULTS}")).into());
        }
        let index = self.scan_index().await?;
        let conflicts = index
            .clearance()?
            .search(proposed, classes, limit)
            .map_err(|e: ClearanceError| RuleError::Invalid(e.to_string()))?;
        Ok(conflicts
            .into_iter()
            .filter_map(|c| {
                let m = index.right(&c.right_id)?;
                Some(ClearanceHit {
                    right: m.right.clone(),
                    mark: m.marks.mark.clone(),
                    term: c.term,
                    score: c.score,
                    reasons: c.reasons,
                    shared_classes: c.shared_classes,
                })
            })
            .collect())
    }
}
