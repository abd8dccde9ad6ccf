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

use std::collections::BTreeMap;

use rightsguard_domain::actor::Actor;
use rightsguard_domain::escalation::{self, Proceeding, RecordProceeding, Route};
use rightsguard_domain::ids::ComplaintId;
use rightsguard_dossier::{ESCALATION_FORMAT, ESCALATION_PATH, EscalationCase};
use rightsguard_store::Store;
use rightsguard_store::customs::CustomsStore;
use rightsguard_store::dossier::DossierStore;
use rightsguard_store::evidence::EvidenceError;
use rightsguard_store::findings::FindingStore;

use crate::{App, AppError, Result};

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

impl<S: Store + FindingStore + DossierStore + CustomsStore> App<S> {
    /// Records (or updates) a proceeding of complaint `id`.
    pub async fn record_proceeding(
        &self,
        actor: &Actor,
        id: &ComplaintId,
        cmd: RecordProceeding,
    ) -> Result<Proceeding> {
        let c = self.complaint_visible_to(actor, id).await?.value;
        escalation::may_record(actor, &c)?;
        let recordals = self.store().customs_recordals_of(&c.right).await?;
        let now = self.now();
        let t = escalation::record(
            cmd,
            &c,
            &recordals,
            actor,
            self.calendar().local_date(now),
            now,
        )?;
        self.store()
            .record_proceeding(&t.state, now, &t.events)
            .await?;
        Ok(t.state)
    }

    /// The proceedings of complaint `id`, for whoever may see the complaint.
    pub async fn proceedings(&self, actor: &Actor, id: &ComplaintId) -> Result<Vec<Proceeding>> {
        self.complaint_visible_to(actor, id).await?;
        Ok(self.store().proceedings_of(id).await?)
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
        let case = EscalationCase {
            format: ESCALATION_FORMAT.to_owned(),
            route,
            complaint: id.to_string(),
            generated_at: input.generated_at,
            proceedings: self.store().proceedings_of(id).await?,
            customs_recordals: self.store().customs_recordals_of(&c.right).await?,
        };
        let json = serde_json::to_vec_pretty(&case)
            .map_err(|e| AppError::Dossier(format!("escalation.json: {e}")))?;
        let extra = BTreeMap::from([(ESCALATION_PATH.to_owned(), json)]);
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
}
