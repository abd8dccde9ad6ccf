//! Exports: DSA statements of reasons, Lumen-style notices, CSV and the
//! transparency report, each checked against the actor.
//!
//! Restricting decisions are found in the audit log, read back as the typed
//! events the rules recorded: `ItemUpheld` (a takedown after a notice),
//! `ListingHeld` (the keyword blocklist held a listing) and
//! `ComplaintEstablished` when the penalty rules turned that violation into a
//! store freeze or closure. Each becomes a [`Decision`] with the facts a
//! statement needs (the complaint, its right, the notifier's name, the
//! listing's creation) loaded from the typed objects, and its puid names the
//! audit record, so `GET /dsa/statements/{puid}` finds it again without a scan.
//!
//! Who sees what: staff (and the system, for the CLI) everything; a seller the
//! statements about its own listings and store; a rights holder (or its agent)
//! the takedowns of its own complaints, its own complaints' notices and CSV.
//! Someone else's object answers `NotFound`, as everywhere.

use std::collections::HashMap;

use jiff::Timestamp;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::dsa::{
    Decision, DecisionRef, EEA, Hold, MAX_BATCH, Measure, RightCited, StatementOfReasons,
    StorePenalty, Takedown,
};
use rightsguard_domain::event::{EventKind, Subject};
use rightsguard_domain::ids::{ComplaintId, ListingId, OrgId, RightId};
use rightsguard_domain::lumen::{self, LumenNotice, Parties};
use rightsguard_domain::penalty::{Penalty, PenaltyKind, Standing, Trigger};
use rightsguard_domain::right::Right;
use rightsguard_domain::transparency::{self, ReportInput, TransparencyReport};
use rightsguard_store::exports::ExportStore;
use rightsguard_store::listings::ListingStore;
use rightsguard_store::{AuditRecord, Store};

use crate::access::require;
use crate::{App, AppError, Result, complaint_as_seen_by};

/// Audit records read per query while scanning for decisions.
const SCAN_PAGE: i64 = 1000;

/// One page of statements.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementPage {
    /// At most [`MAX_BATCH`] statements, in the order the decisions were recorded.
    pub statements: Vec<StatementOfReasons>,
    /// Pass as `after` for the next page; `None` at the end.
    pub next_after: Option<i64>,
}

/// A decision found in the log, with the complainant whose notice led to it.
#[derive(Debug)]
struct Found {
    decision: Decision,
    complainant: Option<OrgId>,
}

/// Objects loaded once per export.
#[derive(Debug, Default)]
struct Cache {
    complaints: HashMap<ComplaintId, Option<Complaint>>,
    rights: HashMap<RightId, Option<Right>>,
    names: HashMap<OrgId, String>,
    created: HashMap<ListingId, Option<(OrgId, Timestamp)>>,
    standings: HashMap<OrgId, Standing>,
}

fn trigger_words(t: Trigger) -> String {
    match t {
        Trigger::FirstOffence => "first offence".to_owned(),
        Trigger::GeneralPoints { points } => format!("{points} general points"),
        Trigger::SeriousStrikes { strikes } => format!("{strikes} serious strikes"),
    }
}

impl<S: Store + ListingStore + ExportStore> App<S> {
    async fn cached_complaint(&self, c: &mut Cache, id: &ComplaintId) -> Result<Option<Complaint>> {
        if !c.complaints.contains_key(id) {
            let v = self.store().complaint(id).await?.map(|v| v.value);
            c.complaints.insert(id.clone(), v);
        }
        Ok(c.complaints.get(id).cloned().flatten())
    }

    async fn cached_right(&self, c: &mut Cache, id: &RightId) -> Result<Option<Right>> {
        if !c.rights.contains_key(id) {
            let v = self.store().right(id).await?.map(|v| v.value);
            c.rights.insert(id.clone(), v);
        }
        Ok(c.rights.get(id).cloned().flatten())
    }

    async fn cached_name(&self, c: &mut Cache, id: &OrgId) -> Result<String> {
        if let Some(n) = c.names.get(id) {
            return Ok(n.clone());
        }
        let name = match self.store().org(id).await? {
            Some(o) => o.name.as_str().to_owned(),
            None => id.to_string(),
        };
        c.names.insert(id.clone(), name.clone());
        Ok(name)
    }

    async fn cached_listing(
        &self,
        c: &mut Cache,
        id: &ListingId,
    ) -> Result<Option<(OrgId, Timestamp)>> {
        if !c.created.contains_key(id) {
            let v = self
                .store()
                .listing(id)
                .await?
                .map(|l| (l.value.seller, l.value.created_at));
            c.created.insert(id.clone(), v);
        }
        Ok(c.created.get(id).cloned().flatten())
    }

    async fn cached_standing(&self, c: &mut Cache, seller: &OrgId) -> Result<Standing> {
        if let Some(s) = c.standings.get(seller) {
            return Ok(s.clone());
        }
        let s = self.seller_standing(seller).await?;
        c.standings.insert(seller.clone(), s.clone());
        Ok(s)
    }

    /// The restricting decision recorded in `rec`, if it holds one.
    async fn decision_in(&self, c: &mut Cache, rec: &AuditRecord) -> Result<Option<Found>> {
        let e = &rec.event;
        match (&e.subject, &e.kind) {
            (
                Subject::Complaint {
                    complaint,
                    listing: Some(listing),
                },
                EventKind::ItemUpheld { .. },
            ) => {
                let Some(comp) = self.cached_complaint(c, complaint).await? else {
                    return Ok(None);
                };
                let Some(item) = comp.item(listing) else {
                    return Ok(None);
                };
                let Some(right) = self.cached_right(c, &comp.right).await? else {
                    return Ok(None);
                };
                let holder = self.cached_name(c, &comp.complainant).await?;
                let notifier = if comp.filed_by == comp.complainant {
                    holder
                } else {
                    let agent = self.cached_name(c, &comp.filed_by).await?;
                    format!("{holder} (through its agent {agent})")
                };
                let created = self.cached_listing(c, listing).await?.map(|(_, t)| t);
                Ok(Some(Found {
                    complainant: Some(comp.complainant.clone()),
                    decision: Decision {
                        seq: rec.seq,
                        decided_at: e.at,
                        content_at: created,
                        measure: Measure::Takedown(Takedown {
                            complaint: comp.id.clone(),
                            listing: listing.clone(),
                            seller: item.seller.clone(),
                            reason: comp.reason,
                            right: RightCited {
                                kind: right.kind,
                                jurisdiction: right.jurisdiction.to_string(),
                                registration_number: right.registration_number.as_str().to_owned(),
                            },
                            notifier,
                            submitted_at: comp.submitted_at,
                        }),
                    },
                }))
            }
            (Subject::Listing { listing }, EventKind::ListingHeld { reasons }) => {
                let Some((seller, created)) = self.cached_listing(c, listing).await? else {
                    return Ok(None);
                };
                Ok(Some(Found {
                    complainant: None,
                    decision: Decision {
                        seq: rec.seq,
                        decided_at: e.at,
                        content_at: Some(created),
                        measure: Measure::Hold(Hold {
                            listing: listing.clone(),
                            seller,
                            hits: reasons.clone(),
                        }),
                    },
                }))
            }
            (
                Subject::Complaint {
                    complaint,
                    listing: Some(listing),
                },
                EventKind::ComplaintEstablished,
            ) => {
                let Some(comp) = self.cached_complaint(c, complaint).await? else {
                    return Ok(None);
                };
                let Some(item) = comp.item(listing) else {
                    return Ok(None);
                };
                let seller = item.seller.clone();
                let standing = self.cached_standing(c, &seller).await?;
                let Some(p) = standing.penalties.iter().find(|p| {
                    &p.complaint == complaint
                        && &p.listing == listing
                        && p.at == e.at
                        && !matches!(p.kind, PenaltyKind::Warning)
                }) else {
                    return Ok(None);
                };
                let until = match p.kind {
                    PenaltyKind::Freeze { until } => Some(until),
                    _ => None,
                };
                let created = self.cached_listing(c, listing).await?.map(|(_, t)| t);
                Ok(Some(Found {
                    complainant: Some(comp.complainant.clone()),
                    decision: Decision {
                        seq: rec.seq,
                        decided_at: p.at,
                        content_at: created,
                        measure: Measure::Penalty(StorePenalty {
                            seller,
                            until,
                            complaint: comp.id.clone(),
                            listing: listing.clone(),
                            reason: comp.reason,
                            rule: trigger_words(p.trigger),
                        }),
                    },
                }))
            }
            _ => Ok(None),
        }
    }

    fn statement_of(&self, d: &Decision) -> StatementOfReasons {
        d.statement(&EEA)
    }

    /// A page of statements of reasons the actor may see, decisions recorded
    /// after audit sequence `after`, at most `limit` (1 to 100).
    pub async fn dsa_statements(
        &self,
        actor: &Actor,
        after: i64,
        limit: usize,
    ) -> Result<StatementPage> {
        let limit = limit.clamp(1, MAX_BATCH);
        let mut cache = Cache::default();
        let mut out = Vec::new();
        let mut cursor = after.max(0);
        loop {
            let recs = self
                .store()
                .decision_records(cursor, None, SCAN_PAGE)
                .await?;
            let Some(last) = recs.last() else {
                return Ok(StatementPage {
                    statements: out,
                    next_after: None,
                });
            };
            let page_end = last.seq;
            for rec in &recs {
                if let Some(f) = self.decision_in(&mut cache, rec).await?
                    && visible(actor, &f)
                {
                    out.push(self.statement_of(&f.decision));
                    if out.len() == limit {
                        return Ok(StatementPage {
                            statements: out,
                            next_after: Some(rec.seq),
                        });
                    }
                }
            }
            if (recs.len() as i64) < SCAN_PAGE {
                return Ok(StatementPage {
                    statements: out,
                    next_after: None,
                });
            }
            cursor = page_end;
        }
    }

    /// Every statement the actor may see, in order (the CLI's export).
    pub async fn dsa_statements_all(&self, actor: &Actor) -> Result<Vec<StatementOfReasons>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self.dsa_statements(actor, after, MAX_BATCH).await?;
            all.extend(page.statements);
            match page.next_after {
                Some(n) => after = n,
                None => return Ok(all),
            }
        }
    }

    /// One statement by its puid, if the actor may see it.
    pub async fn dsa_statement(&self, actor: &Actor, puid: &str) -> Result<StatementOfReasons> {
        let not_found = || AppError::NotFound(format!("statement {puid}"));
        let r = DecisionRef::parse(puid).ok_or_else(not_found)?;
        let rec = self
            .store()
            .audit_record(r.seq)
            .await?
            .ok_or_else(not_found)?;
        let mut cache = Cache::default();
        let f = self
            .decision_in(&mut cache, &rec)
            .await?
            .filter(|f| f.decision.reference() == r && visible(actor, f))
            .ok_or_else(not_found)?;
        Ok(self.statement_of(&f.decision))
    }

    /// The statements of one complaint's decisions (takedowns and the store
    /// penalties they triggered) the actor may see; `NotFound` if the actor
    /// may not see the complaint.
    pub async fn complaint_statements(
        &self,
        actor: &Actor,
        id: &ComplaintId,
    ) -> Result<Vec<StatementOfReasons>> {
        self.complaint_visible_to(actor, id).await?;
        let recs = self
            .store()
            .audit_of(&Subject::Complaint {
                complaint: id.clone(),
                listing: None,
            })
            .await?;
        let mut cache = Cache::default();
        let mut out = Vec::new();
        for rec in &recs {
            if let Some(f) = self.decision_in(&mut cache, rec).await?
                && visible(actor, &f)
            {
                out.push(self.statement_of(&f.decision));
            }
        }
        Ok(out)
    }

    /// The complaints the actor may export: staff all, a rights holder (or
    /// its agent) its own; sellers may not.
    async fn exportable_complaints(
        &self,
        actor: &Actor,
        before: Option<Timestamp>,
    ) -> Result<Vec<Complaint>> {
        let scope = match actor.role {
            Role::Reviewer | Role::Admin | Role::System => None,
            Role::RightsHolder => Some(actor.org.clone()),
            Role::Agent => match &actor.principal {
                Some(p) => Some(p.clone()),
                None => return Ok(Vec::new()),
            },
            Role::Seller => {
                require(actor, &[Role::Reviewer, Role::Admin], "export complaints")?;
                None
            }
        };
        Ok(self
            .store()
            .complaints_filed(scope.as_ref(), before)
            .await?)
    }

    async fn lumen_of(
        &self,
        cache: &mut Cache,
        c: &Complaint,
        listing_url: &str,
    ) -> Result<LumenNotice> {
        let right = self
            .cached_right(cache, &c.right)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("right {}", c.right)))?;
        let sender = self.cached_name(cache, &c.filed_by).await?;
        let principal = self.cached_name(cache, &c.complainant).await?;
        let platform_id = self.system_actor().org;
        let platform = self.cached_name(cache, &platform_id).await?;
        Ok(lumen::notice(
            c,
            &right,
            Parties {
                sender: (c.filed_by.as_str(), &sender),
                principal: (c.complainant.as_str(), &principal),
                recipient: (platform_id.as_str(), &platform),
            },
            listing_url,
        ))
    }

    /// One complaint as a Lumen-style notice, for whoever may see the
    /// complaint (a seller sees only its own listings in it).
    pub async fn lumen_notice(
        &self,
        actor: &Actor,
        id: &ComplaintId,
        listing_url: &str,
    ) -> Result<LumenNotice> {
        let c = complaint_as_seen_by(actor, self.complaint_visible_to(actor, id).await?.value);
        self.lumen_of(&mut Cache::default(), &c, listing_url).await
    }

    /// Every complaint the actor may export, as Lumen-style notices.
    pub async fn lumen_notices(
        &self,
        actor: &Actor,
        listing_url: &str,
    ) -> Result<Vec<LumenNotice>> {
        let mut cache = Cache::default();
        let mut out = Vec::new();
        for c in self.exportable_complaints(actor, None).await? {
            out.push(self.lumen_of(&mut cache, &c, listing_url).await?);
        }
        Ok(out)
    }

    /// Every complaint the actor may export, one CSV row per listing.
    pub async fn complaints_csv(&self, actor: &Actor) -> Result<String> {
        Ok(lumen::complaints_csv(
            &self.exportable_complaints(actor, None).await?,
        ))
    }

    /// The transparency report for `[from, to)`: staff only.
    pub async fn transparency_report(
        &self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<TransparencyReport> {
        require(
            actor,
            &[Role::Reviewer, Role::Admin, Role::System],
            "read the transparency report",
        )?;
        if to <= from {
            return Err(rightsguard_domain::rule::RuleError::Invalid(
                "the period's end must come after its start".into(),
            )
            .into());
        }
        let complaints = self.store().complaints_filed(None, Some(to)).await?;
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let recs = self
                .store()
                .decision_records(after, Some(to), SCAN_PAGE)
                .await?;
            let n = recs.len() as i64;
            if let Some(last) = recs.last() {
                after = last.seq;
            }
            events.extend(recs.into_iter().map(|r| r.event));
            if n < SCAN_PAGE {
                break;
            }
        }
        let mut penalties: Vec<(OrgId, Penalty)> = Vec::new();
        for seller in self.store().sellers_named().await? {
            let s = self.seller_standing(&seller).await?;
            penalties.extend(s.penalties.into_iter().map(|p| (seller.clone(), p)));
        }
        Ok(transparency::report(ReportInput {
            from,
            to,
            complaints: &complaints,
            events: &events,
            penalties: &penalties,
        }))
    }
}

/// Whether `actor` may see the statement of a decision.
fn visible(actor: &Actor, f: &Found) -> bool {
    match actor.role {
        Role::Reviewer | Role::Admin | Role::System => true,
        Role::Seller => f.decision.seller() == &actor.org,
        Role::RightsHolder | Role::Agent => {
            matches!(f.decision.measure, Measure::Takedown(_))
                && f.complainant
                    .as_ref()
                    .is_some_and(|c| actor.acts_for_rights_holder(c))
        }
    }
}
