//! Evidence files: upload by anyone with an account, read by the parties.
//!
//! The bytes go to the content-addressed [`EvidenceStore`] (sniffed type,
//! size limit, never overwritten); the upload is recorded per organisation
//! with the uploader's capture time and audited. A file is shown to staff, to
//! the organisations that uploaded it (an agent's principal included), and to
//! the parties of any complaint that cites it, so a seller can read the
//! evidence against its listing and a rights holder a counter-notice's.
//! Anyone else is told the file does not exist, whether or not it does.

use std::sync::Arc;

use jiff::Timestamp;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::event::{DomainEvent, EventKind};
use rightsguard_domain::ids::Sha256;
use rightsguard_store::evidence::{EvidenceError, EvidenceStore};
use rightsguard_store::{EvidenceRecord, Store};

use crate::{App, AppError, Result};

/// A file that was uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The record of this organisation's upload.
    pub record: EvidenceRecord,
    /// Whether this call recorded it (false: the organisation had uploaded
    /// the same bytes before, and the first record stands).
    pub new: bool,
}

impl<S: Store> App<S> {
    /// Gives the app its evidence file store.
    pub fn with_evidence(mut self, files: EvidenceStore) -> Self {
        self.evidence = Some(Arc::new(files));
        self
    }

    pub(crate) fn files(&self) -> Result<Arc<EvidenceStore>> {
        self.evidence.clone().ok_or_else(|| {
            AppError::NotFound("evidence storage (this process runs without one)".into())
        })
    }

    /// Stores an evidence file for the actor's organisation.
    pub async fn upload_evidence(
        &self,
        actor: &Actor,
        bytes: Vec<u8>,
        captured_at: Option<Timestamp>,
    ) -> Result<Uploaded> {
        if actor.role == Role::System {
            return Err(rightsguard_domain::rule::RuleError::Forbidden {
                role: actor.role,
                command: "upload evidence",
            }
            .into());
        }
        let now = self.now();
        if let Some(at) = captured_at
            && at > now
        {
            return Err(rightsguard_domain::rule::RuleError::Invalid(format!(
                "captured_at {at} is in the future (now {now})"
            ))
            .into());
        }
        let files = self.files()?;
        // File I/O (hash, fsync, rename) off the async threads.
        let meta = tokio::task::spawn_blocking(move || files.put(&bytes))
            .await
            .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))??;
        let record = EvidenceRecord {
            sha256: meta.sha256,
            org: actor.org.clone(),
            uploaded_by: actor.user.clone(),
            content_type: meta.content_type.to_owned(),
            size: meta.size,
            uploaded_at: now,
            captured_at,
        };
        let event = DomainEvent::evidence(
            meta.sha256,
            actor,
            now,
            EventKind::EvidenceUploaded {
                content_type: record.content_type.clone(),
                size: record.size,
                captured_at,
            },
        );
        if self.store().record_evidence(&record, &[event]).await? {
            return Ok(Uploaded { record, new: true });
        }
        let first = self
            .store()
            .evidence_records(&meta.sha256)
            .await?
            .into_iter()
            .find(|r| r.org == actor.org)
            .unwrap_or(record);
        Ok(Uploaded {
            record: first,
            new: false,
        })
    }

    /// The record of a file the actor may read (see the module doc).
    pub async fn evidence_visible_to(&self, actor: &Actor, sha: &Sha256) -> Result<EvidenceRecord> {
        let not_found = || AppError::NotFound(format!("evidence {sha}"));
        let records = self.store().evidence_records(sha).await?;
        let Some(first) = records.first().cloned() else {
            return Err(not_found());
        };
        if actor.is_staff() || actor.role == Role::System {
            return Ok(first);
        }
        if let Some(own) = records
            .iter()
            .find(|r| r.org == actor.org || Some(&r.org) == actor.principal.as_ref())
        {
            return Ok(own.clone());
        }
        for c in self.store().complaints_citing(sha).await? {
            match self.complaint_visible_to(actor, &c).await {
                Ok(_) => return Ok(first),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Err(not_found())
    }

    /// A file's record and bytes, if the actor may read it. The bytes are
    /// checked against their hash on the way out.
    pub async fn read_evidence(
        &self,
        actor: &Actor,
        sha: &Sha256,
    ) -> Result<(EvidenceRecord, Vec<u8>)> {
        let record = self.evidence_visible_to(actor, sha).await?;
        let files = self.files()?;
        let sha = *sha;
        let bytes = tokio::task::spawn_blocking(move || files.get(&sha))
            .await
            .map_err(|e| AppError::Evidence(EvidenceError::Io(std::io::Error::other(e))))??;
        Ok((record, bytes))
    }
}
