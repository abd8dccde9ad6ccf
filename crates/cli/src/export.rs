//! `rightsguard dsa export`, `rightsguard report transparency` and
//! `rightsguard export lumen|complaints`: the exports from the command line,
//! read from the database as the platform (the system actor sees everything).
//!
//! `dsa export` writes batches ready for the Transparency Database's
//! `POST /api/v1/statements`: one JSON object `{"statements":[...]}` of at most
//! 100 statements per line. Every statement and every batch is checked with
//! the validator written from the database's field reference first; if any
//! fails, nothing is written, the errors go to stderr and the exit code is 1.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jiff::Timestamp;
use jiff::civil::Date;
use rightsguard_app::App;
use rightsguard_domain::dsa::MAX_BATCH;
use rightsguard_domain::dsa::validate::{validate_batch, validate_statement};
use rightsguard_domain::lumen::{self, DEFAULT_LISTING_URL};
use rightsguard_store::SqlStore;

use crate::db::{DbArgs, runtime};

/// Where and how to read.
#[derive(Debug, clap::Args)]
pub struct Source {
    #[command(flatten)]
    db: DbArgs,
    /// The site's policy profile (the penalty ladder decides which violations
    /// froze or closed a store); use the one the server runs with.
    #[arg(long, default_value = "aliexpress")]
    policy: String,
    /// Write to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `rightsguard dsa ...`
#[derive(Debug, clap::Subcommand)]
pub enum DsaCommand {
    /// Statements of reasons for every decision that restricted a listing or
    /// an account, validated, as JSON lines of batches of at most 100.
    Export {
        #[command(flatten)]
        source: Source,
    },
}

/// Output format of a report or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON.
    Json,
    /// CSV.
    Csv,
}

/// `rightsguard report ...`
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// The transparency report for a period `[from, to)`.
    Transparency {
        #[command(flatten)]
        source: Source,
        /// Start (inclusive): RFC 3339 or YYYY-MM-DD (UTC midnight).
        #[arg(long)]
        from: String,
        /// End (exclusive): RFC 3339 or YYYY-MM-DD (UTC midnight).
        #[arg(long)]
        to: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
}

/// `rightsguard export ...`
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Every complaint as a Lumen-style notice record (JSON array, or CSV with
    /// one row per infringing URL).
    Lumen {
        #[command(flatten)]
        source: Source,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Where listings live: `{id}` is replaced by the listing id.
        #[arg(long, default_value = DEFAULT_LISTING_URL)]
        listing_url: String,
    },
    /// Every complaint as CSV, one row per listing.
    Complaints {
        #[command(flatten)]
        source: Source,
    },
}

async fn open(source: &Source) -> anyhow::Result<App<SqlStore>> {
    crate::account::app_with_policy(&source.db, &source.policy).await
}

fn write_out(source: &Source, text: &str) -> anyhow::Result<()> {
    match &source.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

/// Runs `rightsguard dsa`.
pub fn dsa(cmd: DsaCommand) -> anyhow::Result<ExitCode> {
    let DsaCommand::Export { source } = cmd;
    runtime()?.block_on(async {
        let app = open(&source).await?;
        let statements = app.dsa_statements_all(&app.system_actor()).await?;
        app.store().close().await;
        let mut lines = String::new();
        let mut invalid = 0usize;
        let mut bad_batches = 0usize;
        for chunk in statements.chunks(MAX_BATCH) {
            let batch = serde_json::json!({ "statements": chunk });
            for s in batch["statements"].as_array().into_iter().flatten() {
                if let Err(errs) = validate_statement(s) {
                    invalid += 1;
                    for e in errs {
                        eprintln!(
                            "invalid statement {}: {}: {}",
                            s["puid"], e.field, e.message
                        );
                    }
                }
            }
            if let Err(errs) = validate_batch(&batch) {
                bad_batches += 1;
                for e in errs {
                    eprintln!("invalid batch: {}: {}", e.field, e.message);
                }
            }
            lines.push_str(&serde_json::to_string(&batch)?);
            lines.push('\n');
        }
        let summary = serde_json::json!({
            "statements": statements.len(),
            "batches": statements.len().div_ceil(MAX_BATCH),
            "invalid": invalid,
            "invalid_batches": bad_batches,
        });
        eprintln!("{summary}");
        if invalid > 0 || bad_batches > 0 {
            return Ok(ExitCode::FAILURE);
        }
        write_out(&source, &lines)?;
        Ok(ExitCode::SUCCESS)
    })
}

fn instant(what: &str, s: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let d: Date = s
        .parse()
        .with_context(|| format!("--{what} {s:?}: not RFC 3339 or YYYY-MM-DD"))?;
    Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp())
}

/// Runs `rightsguard report`.
pub fn report(cmd: ReportCommand) -> anyhow::Result<ExitCode> {
    let ReportCommand::Transparency {
        source,
        from,
        to,
        format,
    } = cmd;
    let (from, to) = (instant("from", &from)?, instant("to", &to)?);
    runtime()?.block_on(async {
        let app = open(&source).await?;
        let report = app
            .transparency_report(&app.system_actor(), from, to)
            .await?;
        app.store().close().await;
        let text = match format {
            Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
            Format::Csv => report.to_csv(),
        };
        write_out(&source, &text)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs `rightsguard export`.
pub fn export(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (source, text) = match cmd {
            ExportCommand::Lumen {
                source,
                format,
                listing_url,
            } => {
                let app = open(&source).await?;
                let notices = app.lumen_notices(&app.system_actor(), &listing_url).await?;
                app.store().close().await;
                let text = match format {
                    Format::Json => format!("{}\n", serde_json::to_string_pretty(&notices)?),
                    Format::Csv => lumen::notices_csv(&notices),
                };
                (source, text)
            }
            ExportCommand::Complaints { source } => {
                let app = open(&source).await?;
                let text = app.complaints_csv(&app.system_actor()).await?;
                app.store().close().await;
                (source, text)
            }
        };
        write_out(&source, &text)?;
        Ok(ExitCode::SUCCESS)
    })
}
