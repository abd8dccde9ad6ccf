//! `rightsguard findings list|dismiss` and `rightsguard rescan`: monitoring
//! from the command line, acting on the database as the system (the
//! operator), like the account commands.

use std::collections::BTreeSet;
use std::process::ExitCode;

use rightsguard_domain::ids::OrgId;
use rightsguard_store::findings::FindingStore;

use crate::account::app;
use crate::db::{DbArgs, runtime};

/// `rightsguard findings ...`
#[derive(Debug, clap::Subcommand)]
pub enum FindingsCommand {
    /// Print findings as JSON lines, in id order.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Only findings of this rights holder's rights.
        #[arg(long)]
        holder: Option<String>,
        /// Only findings in this state: open, dismissed, complained, resolved.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Dismiss an open finding with a reason.
    Dismiss {
        #[command(flatten)]
        db: DbArgs,
        /// The finding's id.
        #[arg(long)]
        id: String,
        /// Why it is not an infringement.
        #[arg(long)]
        reason: String,
    },
}

/// Arguments of `rightsguard rescan`.
#[derive(Debug, clap::Args)]
pub struct RescanArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The rights holder to rescan; default: every holder with monitored rights.
    #[arg(long)]
    holder: Option<String>,
    /// Run the rescans (and any other due jobs) in this process now, instead
    /// of leaving them to the server's job runner.
    #[arg(long)]
    now: bool,
}

/// Runs `rightsguard findings`.
pub fn findings(cmd: FindingsCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            FindingsCommand::List {
                db,
                holder,
                state,
                limit,
            } => {
                let app = app(&db).await?;
                let holder = holder.as_deref().map(OrgId::parse).transpose()?;
                let mut after: Option<String> = None;
                let mut left = limit.max(0);
                while left > 0 {
                    let page = app
                        .store()
                        .findings(
                            holder.as_ref(),
                            state.as_deref(),
                            None,
                            after.as_deref(),
                            left.min(500),
                        )
                        .await?;
                    for f in &page {
                        outln!("{}", serde_json::to_string(f)?)?;
                    }
                    left -= page.len() as i64;
                    match page.last() {
                        Some(f) if page.len() == 500 => after = Some(f.id.clone()),
                        _ => break,
                    }
                }
                app.store().close().await;
                Ok(ExitCode::SUCCESS)
            }
            FindingsCommand::Dismiss { db, id, reason } => {
                let app = app(&db).await?;
                let f = app
                    .dismiss_finding(&app.system_actor(), &id, &reason)
                    .await?;
                app.store().close().await;
                outln!("{}", serde_json::to_string(&f)?)?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Runs `rightsguard rescan`.
pub fn rescan(args: RescanArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let app = app(&args.db).await?;
        let holders: BTreeSet<OrgId> = match &args.holder {
            Some(h) => [OrgId::parse(h)?].into(),
            None => app
                .store()
                .monitored_rights()
                .await?
                .into_iter()
                .map(|m| m.right.owner)
                .collect(),
        };
        for h in &holders {
            let scan = app.schedule_rescan(h, "requested").await?;
            outln!("{}", serde_json::json!({"holder": h, "scan": scan}))?;
        }
        if args.now {
            loop {
                let n = app.run_due_jobs("rightsguard-rescan", 100).await?;
                if n.total() == 0 {
                    break;
                }
            }
            for s in app.store().scans(None, holders.len() as i64).await? {
                outln!("{}", serde_json::to_string(&s)?)?;
            }
        }
        app.store().close().await;
        Ok(ExitCode::SUCCESS)
    })
}
