//! `rightsguard dossier export|verify`: a complaint's evidence dossier from
//! the database, and the offline check of one (see [`rightsguard_dossier`]).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rightsguard_app::App;
use rightsguard_domain::ids::ComplaintId;
use rightsguard_store::SqlStore;
use rightsguard_store::evidence::EvidenceStore;

use crate::db::{DbArgs, runtime};

/// `rightsguard dossier ...`
#[derive(Debug, clap::Subcommand)]
pub enum DossierCommand {
    /// Write a complaint's evidence dossier (a ZIP with the PDF, every
    /// evidence file, the case's audit records and a manifest of hashes),
    /// read from the database as the platform.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// The complaint.
        #[arg(long)]
        complaint: String,
        /// The ZIP to write.
        #[arg(long)]
        out: PathBuf,
        /// Also write the PDF alone here.
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// The evidence directory of the site. Default: as for `serve` on
        /// that database.
        #[arg(long)]
        evidence_dir: Option<PathBuf>,
        /// The site's policy profile.
        #[arg(long, default_value = "aliexpress")]
        policy: String,
    },
    /// Check a dossier offline: every file against the manifest, no file
    /// missing or added, the audit records' chain hashes and links. Exits 1
    /// and says what is wrong if anything is.
    Verify {
        /// The dossier ZIP.
        file: PathBuf,
    },
}

/// Opens the site's database with its evidence files (the directory as
/// for `serve` on that database unless given), to act as the platform.
pub(crate) async fn open_site(
    db: &DbArgs,
    policy: &str,
    evidence_dir: Option<PathBuf>,
) -> anyhow::Result<App<SqlStore>> {
    let dir = evidence_dir.unwrap_or_else(|| rightsguard_http::default_evidence_dir(&db.db));
    let files = EvidenceStore::open(&dir, rightsguard_http::DEFAULT_EVIDENCE_LIMIT as u64)
        .with_context(|| format!("evidence directory {}", dir.display()))?;
    Ok(crate::account::app_with_policy(db, policy)
        .await?
        .with_evidence(files))
}

/// Writes an exported ZIP (a dossier or an escalation package) to `out`
/// and says on stderr what it holds.
pub(crate) fn write_zip(out: &PathBuf, zip: &[u8], what: &str) -> anyhow::Result<ExitCode> {
    std::fs::write(out, zip).with_context(|| format!("writing {}", out.display()))?;
    let report = rightsguard_dossier::verify(zip);
    eprintln!(
        "{}: {what}: {} files ({} evidence), {} audit records, {} bytes",
        out.display(),
        report.files_ok,
        report.evidence_files,
        report.audit_records_ok,
        zip.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `rightsguard dossier`.
pub fn run(cmd: DossierCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DossierCommand::Verify { file } => verify(&file),
        DossierCommand::Export {
            db,
            complaint,
            out,
            pdf,
            evidence_dir,
            policy,
        } => {
            let id = ComplaintId::parse(&complaint)
                .with_context(|| format!("--complaint {complaint:?}"))?;
            runtime()?.block_on(async {
                let app = open_site(&db, &policy, evidence_dir).await?;
                let d = app.dossier(&app.system_actor(), &id).await;
                app.store().close().await;
                let d = d?;
                if let Some(p) = pdf {
                    std::fs::write(&p, &d.pdf)
                        .with_context(|| format!("writing {}", p.display()))?;
                }
                write_zip(&out, &d.zip, &format!("dossier of complaint {id}"))
            })
        }
    }
}

/// Checks a dossier (or an escalation package) offline and prints the
/// report; exit 1 if anything is wrong.
pub(crate) fn verify(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let r = rightsguard_dossier::verify(&bytes);
    println!(
        "{}: dossier of complaint {}, generated {}",
        file.display(),
        r.complaint.as_deref().unwrap_or("?"),
        r.generated_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into())
    );
    if let Some(route) = r.escalation {
        println!("  escalation package: {}", route.as_str());
    }
    println!(
        "  files: {} match the manifest ({} evidence files)",
        r.files_ok, r.evidence_files
    );
    println!(
        "  audit: {} records rehashed, {} links between neighbouring records checked",
        r.audit_records_ok, r.audit_links_checked
    );
    if let Some(a) = &r.audit {
        if let Some(last) = &a.last {
            println!("  last record of the case: #{} {}", last.seq, last.hash);
        }
        if let Some(head) = &a.chain_head {
            println!("  audit chain head at export: #{} {}", head.seq, head.hash);
        }
    }
    if r.ok() {
        println!(
            "OK: every file matches the manifest and every audit record its hash. \
             To tie the dossier to the platform, compare the hashes above with the platform's audit log."
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("TAMPERED: {} problem(s):", r.problems.len());
        for p in &r.problems {
            println!("  - {p}");
        }
        Ok(ExitCode::FAILURE)
    }
}
