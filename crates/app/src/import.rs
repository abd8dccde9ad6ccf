//! Bulk import: listings, sellers and rights (with their certificates)
//! from files, in batches.
//!
//! The main design decision is that a batch is validated row by row and
//! then written in one transaction: a bad row is refused with its line and
//! field and the others of its batch still load, while a crash loses at
//! most the batch in flight, never half of it. Re-running an import is
//! idempotent: a row equal to what is stored is `unchanged`, a row whose
//! listing changed is an update (with its scan), so a file re-run after a
//! crash finishes the work and repeats nothing. A dry run does everything
//! but the write.
//!
//! Each imported listing goes through the same rules as one written over
//! the API — the seller must be a seller organisation, the category must be
//! in the site's table, the keyword blocklist may hold it — and owes its
//! scan, scheduled in the same transaction.

use std::collections::{HashMap, HashSet};

use rightsguard_domain::account::OrgKind;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::Sha256;
use rightsguard_domain::import::{AuthorisationRow, ListingRow, RightRow, RowError, SellerRow};
use rightsguard_domain::listing::{Listing, ListingState};
use rightsguard_domain::right::{Right, RightState, certificate_conflicts};
use rightsguard_domain::rule::RuleError;
use rightsguard_store::EvidenceRecord;
use rightsguard_store::findings::{FindingStore, RightMarks};
use rightsguard_store::listings::{ListingStore, ListingWrite};
use rightsguard_store::{Store, StoreError};

use crate::{App, AppError, RETRIES, Result};

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Rows created (or, in a dry run, that would be).
    pub created: u64,
    /// Rows that changed a stored object.
    pub updated: u64,
    /// Rows equal to what is stored.
    pub unchanged: u64,
    /// Of the created and updated listings, those the blocklist holds.
    pub held: u64,
    /// Rows refused, with why.
    pub refused: Vec<RowError>,
}

impl ImportOutcome {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: ImportOutcome) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.held += other.held;
        self.refused.extend(other.refused);
    }
}

fn refuse(line: u64, field: Option<&str>, e: &AppError) -> RowError {
    RowError {
        line,
        field: field.map(str::to_owned),
        message: e.to_string(),
    }
}

/// What the importer remembers between batches.
#[derive(Debug, Default)]
pub struct ImportCache {
    /// Whether each organisation met is a seller.
    sellers: HashMap<String, bool>,
    /// Certificates claimed by the rights imported so far, with their owner.
    certificates: HashMap<
        Sha256,
        (
            rightsguard_domain::ids::OrgId,
            rightsguard_domain::ids::RightId,
        ),
    >,
}

impl<S: Store + ListingStore + FindingStore> App<S> {
    /// Imports one batch of listings (the platform's catalogue feed: the
    /// system or an admin; a seller only its own). See the module doc.
    pub async fn import_listings(
        &self,
        actor: &Actor,
        rows: &[ListingRow],
        cache: &mut ImportCache,
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        if !matches!(actor.role, Role::System | Role::Admin | Role::Seller) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "import listings",
            }
            .into());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.import_listings_once(actor, rows, cache, dry_run).await {
                // Another writer created or changed one of the batch's
                // listings between our read and our write: read again.
                Err(AppError::Store(StoreError::Conflict(_) | StoreError::Duplicate(_)))
                    if attempt < RETRIES => {}
                r => return r,
            }
        }
    }

    async fn import_listings_once(
        &self,
        actor: &Actor,
        rows: &[ListingRow],
        cache: &mut ImportCache,
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        let mut out = ImportOutcome::default();
        let mut first_line: HashMap<&str, u64> = HashMap::new();
        let mut todo: Vec<&ListingRow> = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(first) = first_line.get(r.id.as_str()) {
                out.refused.push(RowError {
                    line: r.line,
                    field: Some("id".into()),
                    message: format!(
                        "listing {} appears twice in this batch (first at line {first})",
                        r.id
                    ),
                });
                continue;
            }
            first_line.insert(r.id.as_str(), r.line);
            todo.push(r);
        }
        let sellers: HashSet<&str> = todo.iter().map(|r| r.seller.as_str()).collect();
        for s in sellers {
            if !cache.sellers.contains_key(s) {
                let org = self
                    .store()
                    .org(&rightsguard_domain::ids::OrgId::parse(s).map_err(|e| {
                        StoreError::Corrupt(format!("seller id {s} no longer parses: {e}"))
                    })?)
                    .await?;
                cache
                    .sellers
                    .insert(s.to_owned(), org.is_some_and(|o| o.kind == OrgKind::Seller));
            }
        }
        let ids: Vec<_> = todo.iter().map(|r| r.id.clone()).collect();
        let existing: HashMap<String, _> = self
            .store()
            .listings_by_ids(&ids)
            .await?
            .into_iter()
            .map(|v| (v.value.id.as_str().to_owned(), v))
            .collect();
        let now = self.now();
        let mut writes = Vec::with_capacity(todo.len());
        for r in todo {
            if !cache
                .sellers
                .get(r.seller.as_str())
                .copied()
                .unwrap_or(false)
            {
                out.refused.push(RowError {
                    line: r.line,
                    field: Some("seller_id".into()),
                    message: format!("{} is not a seller organisation", r.seller),
                });
                continue;
            }
            let stored = existing.get(r.id.as_str());
            if let Some(s) = stored {
                if s.value.seller != r.seller {
                    out.refused.push(RowError {
                        line: r.line,
                        field: Some("seller_id".into()),
                        message: format!(
                            "listing {} belongs to {}, not {}",
                            r.id, s.value.seller, r.seller
                        ),
                    });
                    continue;
                }
                if s.value.content == r.content {
                    out.unchanged += 1;
                    continue;
                }
            }
            let gate = match self.gate(&r.seller, &r.content).await {
                Ok(g) => g,
                Err(e @ AppError::Rule(_)) => {
                    out.refused.push(refuse(r.line, Some("category"), &e));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (t, expected_version) = match stored {
                Some(s) => (
                    s.value.update(r.content.clone(), gate, actor, now),
                    Some(s.version),
                ),
                None => (
                    Listing::create(
                        r.id.clone(),
                        r.seller.clone(),
                        r.content.clone(),
                        gate,
                        actor,
                        now,
                    ),
                    None,
                ),
            };
            let t = match t {
                Ok(t) => t,
                Err(e) => {
                    out.refused.push(refuse(r.line, None, &AppError::Rule(e)));
                    continue;
                }
            };
            let version = expected_version.map_or(1, |v| v + 1);
            if expected_version.is_some() {
                out.updated += 1;
            } else {
                out.created += 1;
            }
            if matches!(t.state.state, ListingState::Held { .. }) {
                out.held += 1;
            }
            writes.push(ListingWrite {
                jobs: vec![crate::findings::scan_job(&t.state, version, now)],
                listing: t.state,
                expected_version,
                events: t.events,
            });
        }
        if !dry_run {
            self.store().write_listings(&writes).await?;
        }
        out.refused.sort_by_key(|e| e.line);
        Ok(out)
    }

    /// Imports seller organisations (admins and the system). An
    /// organisation that exists as the same seller is `unchanged`; one that
    /// exists otherwise is refused.
    pub async fn import_sellers(
        &self,
        actor: &Actor,
        rows: &[SellerRow],
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        if !matches!(actor.role, Role::System | Role::Admin) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "import sellers",
            }
            .into());
        }
        let mut out = ImportOutcome::default();
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for r in rows {
            if let Some(first) = seen.get(r.id.as_str()) {
                out.refused.push(RowError {
                    line: r.line,
                    field: Some("id".into()),
                    message: format!("seller {} appears twice (first at line {first})", r.id),
                });
                continue;
            }
            seen.insert(r.id.as_str(), r.line);
            match self.store().org(&r.id).await? {
                Some(o) if o.kind == OrgKind::Seller && o.name == r.name => out.unchanged += 1,
                Some(o) if o.kind == OrgKind::Seller => out.refused.push(RowError {
                    line: r.line,
                    field: Some("name".into()),
                    message: format!("seller {} exists with the name {:?}", r.id, o.name.as_str()),
                }),
                Some(o) => out.refused.push(RowError {
                    line: r.line,
                    field: Some("id".into()),
                    message: format!("{} exists and is not a seller ({:?})", r.id, o.kind),
                }),
                None if dry_run => out.created += 1,
                None => {
                    match self
                        .add_org(actor, r.id.clone(), OrgKind::Seller, r.name.clone())
                        .await
                    {
                        Ok(_) => out.created += 1,
                        // Created by someone else meanwhile: as if it had been there.
                        Err(AppError::Store(StoreError::Duplicate(_))) => out.unchanged += 1,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Imports brand authorisations granted by `actor` (a rights holder, or
    /// an agent for its principal) to sellers on file. Each row goes through
    /// [`App::authorise_seller`] (its own audited transaction); a dry run
    /// applies the same rules without writing. A row equal to an
    /// authorisation on file (seller, right, evidence, last day; not
    /// revoked) is `unchanged`, so a re-run writes nothing twice.
    pub async fn import_authorisations(
        &self,
        actor: &Actor,
        rows: &[AuthorisationRow],
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        if !matches!(actor.role, Role::RightsHolder | Role::Agent) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "import brand authorisations",
            }
            .into());
        }
        type Key = (String, String, String, Option<jiff::civil::Date>);
        let key = |seller: &str, right: &str, evidence: String, until| -> Key {
            (seller.to_owned(), right.to_owned(), evidence, until)
        };
        let mut on_file: HashSet<Key> = self
            .authorisations_visible_to(actor)
            .await?
            .into_iter()
            .filter(|a| !a.authorisation.revoked)
            .map(|a| {
                let a = a.authorisation;
                key(
                    a.seller.as_str(),
                    a.right.as_str(),
                    a.evidence.to_string(),
                    a.valid_until,
                )
            })
            .collect();
        let today = self.today();
        let mut out = ImportOutcome::default();
        for r in rows {
            let k = key(
                r.seller.as_str(),
                r.right.as_str(),
                r.evidence.to_string(),
                r.valid_until,
            );
            if on_file.contains(&k) {
                out.unchanged += 1;
                continue;
            }
            let refused = |field: &str, e: &AppError| refuse(r.line, Some(field), e);
            match self.store().org(&r.seller).await? {
                Some(o) if o.kind == OrgKind::Seller => {}
                found => {
                    let why = match found {
                        Some(_) => format!("{} is not a seller", r.seller),
                        None => format!("no seller {} on file", r.seller),
                    };
                    out.refused
                        .push(refused("seller", &AppError::Rule(RuleError::Invalid(why))));
                    continue;
                }
            }
            let right = match self.right_visible_to(actor, &r.right).await {
                Ok(x) => x,
                Err(e @ (AppError::NotFound(_) | AppError::Rule(_))) => {
                    out.refused.push(refused("right", &e));
                    continue;
                }
                Err(e) => return Err(e),
            };
            // The rules' own check first, so a dry run refuses what a real run would.
            if let Err(e) = rightsguard_domain::listing::grant_authorisation(
                &right,
                r.seller.clone(),
                r.evidence,
                r.valid_until,
                actor,
                today,
            ) {
                let field = if matches!(e, RuleError::Invalid(_)) {
                    "valid_until"
                } else {
                    "right"
                };
                out.refused.push(refused(field, &AppError::Rule(e)));
                continue;
            }
            if !dry_run {
                self.authorise_seller(actor, &r.seller, &r.right, r.evidence, r.valid_until)
                    .await?;
            }
            on_file.insert(k);
            out.created += 1;
        }
        Ok(out)
    }
}

/// A right to import, with the bytes of its certificate files (in the
/// order of [`RightRow::certificates`]).
#[derive(Debug, Clone)]
pub struct RightImport {
    /// The validated row.
    pub row: RightRow,
    /// Each certificate file's bytes.
    pub certificates: Vec<Vec<u8>>,
}

impl<S: Store + ListingStore + FindingStore> App<S> {
    /// Imports rights with their certificates (admins and the system): each
    /// certificate is stored as evidence of the owner, the right is
    /// registered `pending` (a reviewer still verifies it, as any other) and
    /// its marks recorded for monitoring. A right that exists with the same
    /// owner, office, number and marks is `unchanged`; one that exists
    /// otherwise is refused, as is a certificate another owner registered.
    pub async fn import_rights(
        &self,
        actor: &Actor,
        items: &[RightImport],
        cache: &mut ImportCache,
        dry_run: bool,
    ) -> Result<ImportOutcome> {
        if !matches!(actor.role, Role::System | Role::Admin) {
            return Err(RuleError::Forbidden {
                role: actor.role,
                command: "import rights",
            }
            .into());
        }
        let mut out = ImportOutcome::default();
        for item in items {
            match self.import_right(actor, item, cache, dry_run).await {
                Ok(Ok(Imported::Created)) => out.created += 1,
                Ok(Ok(Imported::Unchanged)) => out.unchanged += 1,
                Ok(Err((field, message))) => out.refused.push(RowError {
                    line: item.row.line,
                    field: Some(field.to_owned()),
                    message,
                }),
                Err(e @ AppError::Evidence(_)) => {
                    out.refused
                        .push(refuse(item.row.line, Some("certificates"), &e));
                }
                Err(AppError::Store(StoreError::Duplicate(what))) => out.refused.push(RowError {
                    line: item.row.line,
                    field: Some("id".into()),
                    message: format!("{what} was registered meanwhile"),
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// One right: `Ok(Err((field, why)))` when the row is refused.
    async fn import_right(
        &self,
        actor: &Actor,
        item: &RightImport,
        cache: &mut ImportCache,
        dry_run: bool,
    ) -> Result<Result<Imported, (&'static str, String)>> {
        let r = &item.row;
        match self.store().org(&r.owner).await? {
            Some(o) if o.kind == OrgKind::RightsHolder => {}
            _ => {
                return Ok(Err((
                    "owner",
                    format!("{} is not a rights holder organisation", r.owner),
                )));
            }
        }
        let marks = r.mark.as_ref().map(|m| RightMarks {
            mark: m.clone(),
            aliases: r.aliases.clone(),
        });
        if let Some(existing) = self.store().right(&r.id).await? {
            let e = existing.value;
            let same = e.owner == r.owner
                && e.jurisdiction == r.jurisdiction
                && e.registration_number == r.registration_number
                && self.store().right_marks(&r.id).await? == marks;
            return Ok(if same {
                Ok(Imported::Unchanged)
            } else {
                Err((
                    "id",
                    format!(
                        "right {} exists with other data; change it over the API",
                        r.id
                    ),
                ))
            });
        }
        // Check everything before storing anything: the file types, then
        // whether another owner holds a certificate.
        let mut hashes = std::collections::BTreeSet::new();
        for bytes in &item.certificates {
            rightsguard_store::evidence::EvidenceStore::sniff(bytes)?;
            hashes.insert(sha_of(bytes));
        }
        let right = Right {
            id: r.id.clone(),
            owner: r.owner.clone(),
            kind: r.kind,
            jurisdiction: r.jurisdiction,
            registration_number: r.registration_number.clone(),
            nice_classes: r.nice_classes.iter().copied().collect(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            certificates: hashes,
            cn_extension_certificate: None,
            state: RightState::Pending,
        };
        for c in &right.certificates {
            let others = self.store().rights_with_certificate(c).await?;
            if let Some(conflict) = certificate_conflicts(&right, &others).first() {
                return Ok(Err((
                    "certificates",
                    format!(
                        "certificate {} is already registered by another owner (right {})",
                        conflict.certificate, conflict.other_right
                    ),
                )));
            }
            // Earlier rows of this import (not yet stored in a dry run).
            if let Some((owner, other)) = cache.certificates.get(c)
                && owner != &right.owner
            {
                return Ok(Err((
                    "certificates",
                    format!("certificate {c} is already claimed by another owner (right {other})"),
                )));
            }
        }
        for c in &right.certificates {
            cache
                .certificates
                .insert(*c, (right.owner.clone(), right.id.clone()));
        }
        if dry_run {
            return Ok(Ok(Imported::Created));
        }
        let files = self.files()?;
        let now = self.now();
        for bytes in &item.certificates {
            let f = files.clone();
            let bytes = bytes.clone();
            let meta = tokio::task::spawn_blocking(move || f.put(&bytes))
                .await
                .map_err(|e| {
                    AppError::Evidence(rightsguard_store::evidence::EvidenceError::Io(
                        std::io::Error::other(e),
                    ))
                })??;
            let record = EvidenceRecord {
                sha256: meta.sha256,
                org: r.owner.clone(),
                uploaded_by: actor.user.clone(),
                content_type: meta.content_type.to_owned(),
                size: meta.size,
                uploaded_at: now,
                captured_at: None,
            };
            let event = DomainEvent::evidence(
                meta.sha256,
                actor,
                now,
                EventKind::EvidenceUploaded {
                    content_type: record.content_type.clone(),
                    size: record.size,
                    captured_at: None,
                },
            );
            self.store().record_evidence(&record, &[event]).await?;
        }
        self.store().create_right(&right, &[]).await?;
        if let Some(m) = &marks {
            self.store()
                .set_right_marks(&right.id, &right.owner, m, now, &[])
                .await?;
        }
        Ok(Ok(Imported::Created))
    }
}

enum Imported {
    Created,
    Unchanged,
}

fn sha_of(bytes: &[u8]) -> Sha256 {
    use sha2::Digest as _;
    Sha256::from_bytes(sha2::Sha256::digest(bytes).into())
}
