//! `rightsguard escalation export|record|verify`: a complaint's escalation
//! package (its dossier plus `escalation.json`, one manifest of hashes) and
//! the proceedings it is taken to, from the database as the platform.
//! `verify` is `dossier verify`: the package is a dossier with one more file.
//! Exit 0 when done (verify: the package is intact), 1 when verify finds it
//! tampered, 2 when refused or failed, with the reason.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use rightsguard_domain::escalation::{Outcome, RecordProceeding, Route};
use rightsguard_domain::ids::ComplaintId;

use crate::db::{DbArgs, runtime};

/// `rightsguard escalation ...`
#[derive(Debug, clap::Subcommand)]
pub enum EscalationCommand {
    /// Write a complaint's escalation package for a route: the dossier (PDF,
    /// evidence files, the right's certificate, case data, audit records)
    /// plus `escalation.json`, under one manifest of hashes.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// The complaint.
        #[arg(long)]
        complaint: String,
        /// administrative_complaint, lawsuit or customs_recordal.
        #[arg(long, value_parser = parse_route)]
        route: Route,
        /// The ZIP to write.
        #[arg(long)]
        out: PathBuf,
        /// The evidence directory of the site. Default: as for `serve` on
        /// that database.
        #[arg(long)]
        evidence_dir: Option<PathBuf>,
        /// The site's policy profile.
        #[arg(long, default_value = "aliexpress")]
        policy: String,
    },
    /// Record a proceeding of a complaint, or its outcome (the same route
    /// and reference again replaces it); prints it as JSON.
    Record {
        #[command(flatten)]
        db: DbArgs,
        /// The complaint.
        #[arg(long)]
        complaint: String,
        /// administrative_complaint, lawsuit or customs_recordal.
        #[arg(long, value_parser = parse_route)]
        route: Route,
        /// The bureau, court or customs office.
        #[arg(long)]
        authority: String,
        /// Its case number (customs: the recordal number).
        #[arg(long)]
        reference: String,
        /// When it was filed (YYYY-MM-DD).
        #[arg(long)]
        filed_on: Date,
        /// infringement_found, no_infringement, settled or withdrawn.
        #[arg(long, value_parser = parse_outcome, requires = "decided_on")]
        outcome: Option<Outcome>,
        /// When it was decided (YYYY-MM-DD).
        #[arg(long, requires = "outcome")]
        decided_on: Option<Date>,
        /// The site's policy profile (its calendar says what today is).
        #[arg(long, default_value = "aliexpress")]
        policy: String,
    },
    /// Check a package offline, as `dossier verify` does (exit 1 if tampered).
    Verify {
        /// The package ZIP.
        file: PathBuf,
    },
}

fn parse_route(s: &str) -> Result<Route, String> {
    Route::parse(s)
        .ok_or_else(|| format!("{s:?}: use administrative_complaint, lawsuit or customs_recordal"))
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        format!("{s:?}: use infringement_found, no_infringement, settled or withdrawn")
    })
}

/// Runs `rightsguard escalation`.
pub fn run(cmd: EscalationCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EscalationCommand::Verify { file } => crate::dossier::verify(&file),
        EscalationCommand::Export {
            db,
            complaint,
            route,
            out,
            evidence_dir,
            policy,
        } => {
            let id = ComplaintId::parse(&complaint)
                .with_context(|| format!("--complaint {complaint:?}"))?;
            runtime()?.block_on(async {
                let app = crate::dossier::open_site(&db, &policy, evidence_dir).await?;
                let p = app
                    .escalation_package(&app.system_actor(), &id, route)
                    .await;
                app.store().close().await;
                let p = p?;
                crate::dossier::write_zip(
                    &out,
                    &p.zip,
                    &format!("{} package of complaint {id}", route.as_str()),
                )
            })
        }
        EscalationCommand::Record {
            db,
            complaint,
            route,
            authority,
            reference,
            filed_on,
            outcome,
            decided_on,
            policy,
        } => {
            let id = ComplaintId::parse(&complaint)
                .with_context(|| format!("--complaint {complaint:?}"))?;
            runtime()?.block_on(async {
                let app = crate::account::app_with_policy(&db, &policy).await?;
                let cmd = RecordProceeding {
                    route,
                    authority,
                    reference,
                    filed_on,
                    outcome,
                    decided_on,
                };
                let p = app.record_proceeding(&app.system_actor(), &id, cmd).await;
                app.store().close().await;
                outln!("{}", serde_json::to_string(&p?)?)?;
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}
