//! `rightsguard migrate` and `rightsguard audit verify`: the database from the
//! command line.

use std::process::ExitCode;

use rightsguard_store::{SqlStore, Store};

/// Where the database is: `sqlite:PATH` (the embedded default) or `postgres://...`.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// Database URL.
    #[arg(
        long,
        env = "RIGHTSGUARD_DB",
        default_value = "sqlite:rightsguard.sqlite"
    )]
    pub(crate) db: String,
}

/// Arguments of `rightsguard audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain of the audit log; prints a JSON report and
    /// exits non-zero at the first record that does not verify.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// The head hash recorded earlier (`SEQ:HASH`); detects a truncated log.
        #[arg(long)]
        expect_head: Option<String>,
    },
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Runs `rightsguard migrate`: creates or upgrades the schema.
pub fn migrate(args: DbArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = SqlStore::connect(&args.db).await?;
        store.close().await;
        outln!(
            "{{\"migrated\":true,\"db\":{}}}",
            serde_json::to_string(&redact(&args.db))?
        )?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs `rightsguard audit`.
pub fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { db, expect_head } = args.command;
    runtime()?.block_on(async {
        let anchor = expect_head
            .map(|h| {
                h.split_once(':')
                    .and_then(|(s, h)| s.parse::<i64>().ok().map(|s| (s, h.to_owned())))
                    .ok_or_else(|| anyhow::anyhow!("--expect-head takes SEQ:HASH, e.g. 42:9f86d0..."))
            })
            .transpose()?;
        let store = SqlStore::connect(&db.db).await?;
        let report = store.verify_audit(anchor).await?;
        store.close().await;
        let ok = report.ok();
        let head = report.head.as_ref().map(|(s, h)| format!("{s}:{h}"));
        let json = serde_json::json!({"ok": ok, "records": report.records, "head": head, "first_bad": report.first_bad});
        outln!("{json}")?;
        Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    })
}

/// The URL without a password, for printing.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
