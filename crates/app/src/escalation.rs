//! Escalation: the proceedings a complaint is taken to outside the platform
//! (an AMR complaint, a lawsuit, a customs recordal), and the package of the
//! case to file with one.
//!
//! A package is the complaint's evidence dossier ([`crate::Dossier`]: the
//! PDF, every evidence file including the right's certificate, `case.json`,
//! the audit records and the manifest of hashes) with `escalation.json`
//! added under the same manifest, so `rightsguard dossier verify` checks it
//! offline as it checks a dossier. Who may make one or record a proceeding
//! is the complainant's side and staff; a seller who can see the complaint
//! is refused, anyone else is told the complaint does not exist.
//!
//! A proceeding's documents are evidence files. The recorder may attach a
//! file its own organisation uploaded (an agent: or its principal), one the
//! complaint already cites, or, as staff, any uploaded file; a hash that is
//! none of these is refused like one never uploaded (nothing tells which).
//! Once attached, a document is cited by the complaint, so exactly those
//! who may read the complaint's evidence may download it: its parties (the
//! reported seller included: it is told of the case against it) and staff.
//! The package holds each document's bytes under `proceedings/`.

use std::collections::BTreeMap;

use rightsguard_domain::actor::Actor;
use rightsguard_domain::actor::Role;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::escalation::{self, Document, Proceeding, RecordProceeding, Route};
use rightsguard_domain::ids::{ComplaintId, Sha256};
use rightsguard_domain::rule::RuleError;
use rightsguard_dossier::{
    ESCALATION_FORMAT, ESCALATION_PATH, EscalationCase, PackagedDocument, proceeding_document_path,
};
use rightsguard_store::Store;
use rightsguard_store::customs::CustomsStore;
use rightsguard_store::dossier::DossierStore;
use rightsguard_store::evidence::EvidenceError;
use rightsguard_store::findings::FindingStore;
use rightsguard_store::{EvidenceRecord, StoreError};

use crate::{App, AppError, RETRIES, Result};

/// An escalation package.
#[derive(Debug, Clone)]
pub struct EscalationPackage {
    /// The complaint.
    pub complaint: ComplaintId,
    /// Where the case is taken.
    pub route: Route,
    /// The ZIP.
    pub zip: Vec<u8>,
}

/// A proceeding with what the platform holds of its documents.
#[derive(Debug, Clone)]
pub struct ProceedingDetail {
    /// The proceeding.
    pub proceeding: Proceeding,
    /// Its documents, in its order.
    pub documents: Vec<DocumentDetail>,
}

/// A proceeding's document and its file's first upload record.
#[derive(Debug, Clone)]
pub struct DocumentDetail {
    /// The document.
    pub document: Document,
    /// The file's first upload (none only if the record was lost).
    pub record: Option<EvidenceRecord>,
}

impl<S: Store + FindingStore + DossierStore + CustomsStore> App<S> {
    /// Records (or updates) a proceeding of complaint `id`.
    pub async fn record_proceeding(
        &self,
        actor: &Actor,
        id: &ComplaintId,
        cmd: RecordProceeding,
    ) -> Result<Proceeding> {
        for _ in 0..RETRIES {
            let c = self.complaint_visible_to(actor, id).await?.value;
            escalation::may_record(actor, &c)?;
            let recordals = self.store().customs_recordals_of(&c.right).await?;
            let previous = self
                .store()
                .proceeding(id, cmd.route, cmd.reference.trim())
                .await?;
            self.check_documents(actor, &c, previous.as_ref(), &cmd.documents)
                .await?;
            let now = self.now();
            let t = escalation::record(
                cmd.clone(),
                &c,
                &recordals,
                previous.as_ref(),
                actor,
                self.calendar().local_date(now),
                now,
            )?;
            match self
                .store()
                .record_proceeding(&t.state, previous.as_ref(), now, &t.events)
                .await
            {
                Ok(()) => return Ok(t.state),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Busy(format!(
            "escalation proceeding {} {} of complaint {id}",
            cmd.route.as_str(),
            cmd.reference.trim()
        )))
    }

    /// Whether `actor` may attach each of `documents` to a proceeding of
    /// `c` (see the module doc); refused naming the field.
    async fn check_documents(
        &self,
        actor: &Actor,
        c: &Complaint,
        previous: Option<&Proceeding>,
        documents: &[Document],
    ) -> Result<()> {
        for (i, d) in documents.iter().enumerate() {
            if previous.is_some_and(|p| p.documents.iter().any(|o| o.sha256 == d.sha256)) {
                continue;
            }
            if !self.may_attach(actor, c, &d.sha256).await? {
                return Err(RuleError::Invalid(format!(
                    "documents[{i}].sha256: {} is no evidence file you uploaded \
                     (upload the file first)",
                    d.sha256
                ))
                .into());
            }
        }
        Ok(())
    }

    async fn may_attach(&self, actor: &Actor, c: &Complaint, sha: &Sha256) -> Result<bool> {
        let records = self.store().evidence_records(sha).await?;
        if records.is_empty() {
            return Ok(false);
        }
        if actor.is_staff() || actor.role == Role::System {
            return Ok(true);
        }
        if records
            .iter()
            .any(|r| r.org == actor.org || Some(&r.org) == actor.principal.as_ref())
        {
            return Ok(true);
        }
        Ok(self.store().complaints_citing(sha).await?.contains(&c.id))
    }

    /// The proceedings of complaint `id` with their documents, for whoever
    /// may see the complaint.
    pub async fn proceedings(
        &self,
        actor: &Actor,
        id: &ComplaintId,
    ) -> Result<Vec<ProceedingDetail>> {
        self.complaint_visible_to(actor, id).await?;
        let mut out = Vec::new();
        for p in self.store().proceedings_of(id).await? {
            out.push(self.proceeding_detail(p).await?);
        }
        Ok(out)
    }

    /// A proceeding (as recorded or listed) with its documents' records.
    pub async fn proceeding_detail(&self, p: Proceeding) -> Result<ProceedingDetail> {
        let mut documents = Vec::new();
        for d in &p.documents {
            let record = self
                .store()
                .evidence_records(&d.sha256)
                .await?
                .into_iter()
                .next();
            documents.push(DocumentDetail {
                document: d.clone(),
                record,
            });
        }
        Ok(ProceedingDetail {
            proceeding: p,
            documents,
        })
    }

    /// The escalation package of complaint `id` for `route`.
    pub async fn escalation_package(
        &self,
        actor: &Actor,
        id: &ComplaintId,
        route: Route,
    ) -> Result<EscalationPackage> {
        let c = self.complaint_visible_to(actor, id).await?.value;
        escalation::may_record(actor, &c)?;
        let input = self.dossier_input(actor, id).await?;
        let proceedings = self.store().proceedings_of(id).await?;
        let mut extra = BTreeMap::new();
        let mut documents = Vec::new();
        for p in &proceedings {
            for d in &p.documents {
                let (doc, bytes) = self.packaged_document(p, d).await?;
                extra.insert(doc.path.clone(), bytes);
                documents.push(doc);
            }
        }
        let case = EscalationCase {
            format: ESCALATION_FORMAT.to_owned(),
            route,
            complaint: id.to_string(),
            generated_at: input.generated_at,
            proceedings,
            customs_recordals: self.store().customs_recordals_of(&c.right).await?,
            documents,
        };
        let json = serde_json::to_vec_pretty(&case)
            .map_err(|e| AppError::Dossier(format!("escalation.json: {e}")))?;
        extra.insert(ESCALATION_PATH.to_owned(), json);
        let (_, zip) = tokio::task::spawn_blocking(move || {
            rightsguard_dossier::pdf::build_with(&input, extra)
        })
        .await
        .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))?
        .map_err(|e| AppError::Dossier(e.to_string()))?;
        Ok(EscalationPackage {
            complaint: id.clone(),
            route,
            zip,
        })
    }

    /// A proceeding's document with its bytes, for a package. A document
    /// whose file is gone fails the package: one filed without it would
    /// not be the case recorded.
    async fn packaged_document(
        &self,
        p: &Proceeding,
        d: &Document,
    ) -> Result<(PackagedDocument, Vec<u8>)> {
        let record = self
            .store()
            .evidence_records(&d.sha256)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                AppError::Dossier(format!(
                    "document {} ({}) of proceeding {} {} has no evidence record",
                    d.sha256,
                    d.label,
                    p.route.as_str(),
                    p.reference
                ))
            })?;
        let files = self.files()?;
        let sha = d.sha256;
        let bytes = tokio::task::spawn_blocking(move || files.get(&sha))
            .await
            .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))??;
        let doc = PackagedDocument {
            route: p.route,
            reference: p.reference.clone(),
            label: d.label.clone(),
            sha256: d.sha256,
            path: proceeding_document_path(
                p.route,
                &p.reference,
                &d.label,
                &d.sha256,
                &record.content_type,
            ),
            content_type: record.content_type,
            size: bytes.len() as u64,
        };
        Ok((doc, bytes))
    }
}
