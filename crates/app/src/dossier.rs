//! Evidence dossiers: gathering one complaint's case for
//! [`rightsguard_dossier`] to render and package.
//!
//! Who may have a dossier is who may see the complaint: its parties and
//! staff ([`App::complaint_visible_to`]). A seller's dossier holds only its
//! own listings of a complaint that names several sellers': their captures,
//! the audit records about them and the complaint-level records, never the
//! other sellers' (as [`crate::complaint_as_seen_by`] does for the complaint
//! itself). The case's audit records are the complaint's (and its visible
//! listings'), the right's and each evidence file's upload, exactly as stored,
//! so the verifier can recompute their chain hashes.

use std::collections::{BTreeMap, BTreeSet};

use rightsguard_domain::actor::Actor;
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::finding::FindingState;
use rightsguard_domain::ids::{ComplaintId, Sha256};
use rightsguard_dossier::{CaptureInfo, ChainHead, DossierInput, EvidenceFile, RightInfo};
use rightsguard_store::Store;
use rightsguard_store::dossier::DossierStore;
use rightsguard_store::evidence::EvidenceError;
use rightsguard_store::findings::FindingStore;

use crate::{App, AppError, Result, complaint_as_seen_by};

/// A dossier: the PDF and the ZIP that holds it.
#[derive(Debug, Clone)]
pub struct Dossier {
    /// The complaint.
    pub complaint: ComplaintId,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The ZIP (PDF, evidence, case data, audit records, manifest).
    pub zip: Vec<u8>,
}

/// Findings read per page while collecting a complaint's captures.
const FINDINGS_PAGE: i64 = 500;

impl<S: Store + FindingStore + DossierStore> App<S> {
    /// Everything the dossier of complaint `id` shows, as `actor` may see it.
    pub async fn dossier_input(&self, actor: &Actor, id: &ComplaintId) -> Result<DossierInput> {
        let c = complaint_as_seen_by(actor, self.complaint_visible_to(actor, id).await?.value);
        let store = self.store();
        let right = store
            .right(&c.right)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("right {}", c.right)))?
            .value;
        let holder_name = store
            .org(&right.owner)
            .await?
            .map(|o| o.name.to_string())
            .unwrap_or_else(|| right.owner.to_string());
        let marks = store.right_marks(&right.id).await?;
        let listings: BTreeSet<&str> = c.items.iter().map(|i| i.listing.as_str()).collect();

        // The listing captures: the findings this complaint was filed from.
        let mut captures: BTreeMap<Sha256, CaptureInfo> = BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .findings(
                    Some(&c.complainant),
                    Some("complained"),
                    Some(&c.right),
                    after.as_deref(),
                    FINDINGS_PAGE,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for f in page {
                let ours = matches!(&f.state, FindingState::Complained { complaint } if complaint == &c.id);
                if !ours || !listings.contains(f.listing.as_str()) {
                    continue;
                }
                captures
                    .entry(f.capture_sha256)
                    .or_insert_with(|| CaptureInfo {
                        capture: f.capture.clone(),
                        sha256: f.capture_sha256,
                        explanations: Vec::new(),
                    })
                    .explanations
                    .push(f.explanation);
            }
        }

        // The audit records: the complaint (only the listings visible), the
        // right, and then each evidence file's upload.
        let complaint_key = format!("complaint:{}", c.id);
        let visible = |subject: &str| match subject.strip_prefix(&complaint_key) {
            Some("") => true,
            Some(rest) => rest.strip_prefix('/').is_some_and(|l| listings.contains(l)),
            None => true,
        };
        let mut audit: Vec<_> = store
            .chain_records_of(&[complaint_key.clone(), format!("right:{}", right.id)])
            .await?
            .into_iter()
            .filter(|r| visible(&r.subject))
            .collect();

        // The evidence: cited by the complaint, added later (supplements and
        // counter-notices, from the audit records), the right's
        // certificates, and the listing images the captures name.
        let mut cited: Vec<(Sha256, &'static str)> = c
            .evidence
            .iter()
            .map(|s| (*s, "complaint evidence"))
            .collect();
        for r in &audit {
            if let Ok(e) = serde_json::from_str::<DomainEvent>(&r.event) {
                match e.kind {
                    EventKind::EvidenceSupplemented { evidence, .. } => {
                        cited.extend(evidence.into_iter().map(|s| (s, "supplement")));
                    }
                    EventKind::CounterNoticeSubmitted { evidence, .. } => {
                        cited.extend(evidence.into_iter().map(|s| (s, "counter-notice")));
                    }
                    _ => {}
                }
            }
        }
        cited.extend(
            right
                .certificates
                .iter()
                .chain(right.cn_extension_certificate.iter())
                .map(|s| (*s, "right certificate")),
        );
        for cap in captures.values() {
            cited.extend(
                cap.capture
                    .image_hashes
                    .iter()
                    .map(|s| (*s, "listing image")),
            );
        }
        let mut seen = BTreeSet::new();
        let mut files = Vec::new();
        for (sha, role) in cited {
            if !seen.insert(sha) {
                continue;
            }
            if let Some(f) = self.dossier_file(&sha, role).await? {
                files.push(f);
            }
        }
        let evidence_keys: Vec<String> = files
            .iter()
            .map(|f| format!("evidence:{}", f.sha256))
            .collect();
        // Only the upload that the dossier names (another organisation's
        // upload of the same bytes is none of the reader's business).
        let uploaders: BTreeMap<String, String> = files
            .iter()
            .map(|f| (format!("evidence:{}", f.sha256), f.uploaded_by.to_string()))
            .collect();
        audit.extend(
            store
                .chain_records_of(&evidence_keys)
                .await?
                .into_iter()
                .filter(|r| {
                    serde_json::from_str::<DomainEvent>(&r.event).is_ok_and(|e| {
                        uploaders.get(&r.subject).map(String::as_str) == Some(e.actor_org.as_str())
                    })
                }),
        );
        audit.sort_by_key(|r| r.seq);
        audit.dedup_by_key(|r| r.seq);

        Ok(DossierInput {
            generated_at: self.now(),
            complaint: c,
            right: RightInfo {
                right,
                holder_name,
                mark: marks.as_ref().map(|m| m.mark.clone()),
                aliases: marks.map(|m| m.aliases).unwrap_or_default(),
            },
            captures: captures.into_values().collect(),
            files,
            audit,
            chain_head: store
                .audit_head()
                .await?
                .map(|(seq, hash)| ChainHead { seq, hash }),
        })
    }

    /// One evidence file with its bytes, if the platform holds it (a
    /// capture hash is only a file when the process had an evidence store
    /// when the complaint was filed; a listing image only if it was uploaded).
    async fn dossier_file(&self, sha: &Sha256, role: &str) -> Result<Option<EvidenceFile>> {
        let Some(first) = self.store().evidence_records(sha).await?.into_iter().next() else {
            return Ok(None);
        };
        let Ok(files) = self.files() else {
            return Ok(None);
        };
        let sha = *sha;
        let bytes = match tokio::task::spawn_blocking(move || files.get(&sha))
            .await
            .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))?
        {
            Ok(b) => b,
            Err(EvidenceError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some(EvidenceFile {
            sha256: sha,
            content_type: first.content_type,
            uploaded_by: first.org,
            uploaded_at: first.uploaded_at,
            captured_at: first.captured_at,
            role: role.to_owned(),
            bytes,
        }))
    }

    /// The dossier of complaint `id` as `actor` may see it: the PDF and the
    /// ZIP (see [`rightsguard_dossier`]).
    pub async fn dossier(&self, actor: &Actor, id: &ComplaintId) -> Result<Dossier> {
        let input = self.dossier_input(actor, id).await?;
        // Layout, font subsetting and compression are CPU work: off the
        // async threads.
        let (pdf, zip) =
            tokio::task::spawn_blocking(move || rightsguard_dossier::pdf::build(&input))
                .await
                .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))?
                .map_err(|e| AppError::Dossier(e.to_string()))?;
        Ok(Dossier {
            complaint: id.clone(),
            pdf,
            zip,
        })
    }
}
