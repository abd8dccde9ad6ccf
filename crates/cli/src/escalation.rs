//! `rightsguard escalation export|record|verify`: a complaint's escalation
//! package (its dossier plus `escalation.json`, one manifest of hashes) and
//! the proceedings it is taken to, from the database as the platform.
//! `verify` is `dossier verify`: the package is a dossier with one more file
//! and the proceedings' documents. `record --document LABEL=FILE` uploads
//! each file to the site's evidence store for the complainant (recorded as
//! its organisation's upload, with no user: the operator acted) and
//! attaches it to the proceeding.
//! Exit 0 when done (verify: the package is intact), 1 when verify finds it
//! tampered, 2 when refused or failed, with the reason.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use rightsguard_domain::actor::{Actor, Role};
use rightsguard_domain::escalation::{Document, Outcome, RecordProceeding, Route};
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
        /// A document to attach, as LABEL=FILE (repeatable), e.g.
        /// "court judgment=judgment.pdf": the file is uploaded as evidence
        /// of the complainant. Documents accumulate over records.
        #[arg(long = "document", value_parser = parse_document)]
        documents: Vec<(String, PathBuf)>,
        /// The evidence directory of the site. Default: as for `serve` on
        /// that database.
        #[arg(long)]
        evidence_dir: Option<PathBuf>,
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

fn parse_document(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((label, file)) if !label.trim().is_empty() && !file.is_empty() => {
            Ok((label.trim().to_owned(), PathBuf::from(file)))
        }
        _ => Err(format!(
            "{s:?}: use LABEL=FILE, e.g. \"court judgment=judgment.pdf\""
        )),
    }
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
            documents,
            evidence_dir,
            policy,
        } => {
            let id = ComplaintId::parse(&complaint)
                .with_context(|| format!("--complaint {complaint:?}"))?;
            let mut files = Vec::new();
            for (label, path) in documents {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("--document {label}={}", path.display()))?;
                files.push((label, path, bytes));
            }
            runtime()?.block_on(async {
                let app = crate::dossier::open_site(&db, &policy, evidence_dir).await?;
                let r = async {
                    let system = app.system_actor();
                    let mut attached = Vec::new();
                    if !files.is_empty() {
                        let c = app.complaint_visible_to(&system, &id).await?.value;
                        let uploader = Actor {
                            role: Role::RightsHolder,
                            org: c.complainant.clone(),
                            user: None,
                            principal: None,
                        };
                        for (label, path, bytes) in files {
                            let u = app
                                .upload_evidence(&uploader, bytes, None)
                                .await
                                .with_context(|| format!("uploading {}", path.display()))?;
                            eprintln!(
                                "{}: {} ({}, {} bytes) as {label:?}",
                                path.display(),
                                u.record.sha256,
                                u.record.content_type,
                                u.record.size
                            );
                            attached.push(Document {
                                sha256: u.record.sha256,
                                label,
                            });
                        }
                    }
                    let cmd = RecordProceeding {
                        route,
                        authority,
                        reference,
                        filed_on,
                        outcome,
                        decided_on,
                        documents: attached,
                    };
                    anyhow::Ok(app.record_proceeding(&system, &id, cmd).await?)
                }
                .await;
                app.store().close().await;
                outln!("{}", serde_json::to_string(&r?)?)?;
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}
