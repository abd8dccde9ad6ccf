//! `rightsguard customs list|record|renew`: a right's customs (GACC)
//! recordals, from the database as the platform. Each recordal prints as
//! one JSON line. Exit 0 when done, 2 when refused (unknown right, a date
//! outside the right's term or the renewal window, a duplicate number) with
//! the reason.

use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use rightsguard_domain::customs::CustomsRecordal;
use rightsguard_domain::ids::RightId;

use crate::db::{DbArgs, runtime};

/// `rightsguard customs ...`
#[derive(Debug, clap::Subcommand)]
pub enum CustomsCommand {
    /// List a right's recordals (one JSON line each, by number).
    List {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
    },
    /// Record that customs approved a recordal of a verified China right:
    /// valid 10 years from approval, capped at the right's term; the holder
    /// is reminded before it lapses.
    Record {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
        /// Customs' recordal number.
        #[arg(long)]
        number: String,
        /// The day customs approved it (YYYY-MM-DD).
        #[arg(long)]
        approved_on: Date,
        /// The site's policy profile (its reminder lead time).
        #[arg(long, default_value = "aliexpress")]
        policy: String,
    },
    /// Record that customs renewed a recordal (within the 6 months before
    /// it lapses): 10 more years, capped at the right's term.
    Renew {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
        /// The recordal number.
        #[arg(long)]
        number: String,
        /// The day customs approved the renewal (YYYY-MM-DD).
        #[arg(long)]
        renewed_on: Date,
        /// The site's policy profile (its reminder lead time).
        #[arg(long, default_value = "aliexpress")]
        policy: String,
    },
}

fn right_id(s: &str) -> anyhow::Result<RightId> {
    RightId::parse(s).with_context(|| format!("--right {s:?}"))
}

fn print(r: &CustomsRecordal) -> anyhow::Result<()> {
    outln!("{}", serde_json::to_string(r)?)?;
    Ok(())
}

/// Runs `rightsguard customs`.
pub fn run(cmd: CustomsCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            CustomsCommand::List { db, right } => {
                let id = right_id(&right)?;
                let app = crate::account::app(&db).await?;
                let list = app.customs_recordals(&app.system_actor(), &id).await;
                app.store().close().await;
                for r in &list? {
                    print(r)?;
                }
            }
            CustomsCommand::Record {
                db,
                right,
                number,
                approved_on,
                policy,
            } => {
                let id = right_id(&right)?;
                let app = crate::account::app_with_policy(&db, &policy).await?;
                let r = app
                    .record_customs_recordal(&app.system_actor(), &id, &number, approved_on)
                    .await;
                app.store().close().await;
                print(&r?)?;
            }
            CustomsCommand::Renew {
                db,
                right,
                number,
                renewed_on,
                policy,
            } => {
                let id = right_id(&right)?;
                let app = crate::account::app_with_policy(&db, &policy).await?;
                let r = app
                    .renew_customs_recordal(&app.system_actor(), &id, &number, renewed_on)
                    .await;
                app.store().close().await;
                print(&r?)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
