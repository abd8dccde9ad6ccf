//! `rightsguard clearance`: trademark clearance search from the command
//! line, against the verified rights in the database.

use std::process::ExitCode;

use crate::account::app;
use crate::db::{DbArgs, runtime};

/// Arguments of `rightsguard clearance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The proposed mark.
    mark: String,
    /// Nice classes it would be used in (e.g. `--classes 9,25`); default: every class.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..=45))]
    classes: Vec<u16>,
    /// How many conflicts at most (1 to 100).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=100))]
    limit: u16,
    /// Print one JSON object per conflict instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `rightsguard clearance`. Exits 0 when nothing conflicts, 1 when
/// something does (so a script can gate a filing on it), 2 on an error.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let app = app(&args.db).await?;
        let hits = app
            .clearance_search(
                &app.system_actor(),
                &args.mark,
                &args.classes,
                usize::from(args.limit),
            )
            .await;
        app.store().close().await;
        let hits = hits?;
        if args.json {
            for h in &hits {
                outln!(
                    "{}",
                    serde_json::json!({
                        "right": h.right.id,
                        "owner": h.right.owner,
                        "mark": h.mark,
                        "term": h.term,
                        "jurisdiction": h.right.jurisdiction.to_string(),
                        "registration_number": h.right.registration_number.as_str(),
                        "shared_classes": h.shared_classes,
                        "score": h.score,
                        "reasons": h.reasons,
                    })
                )?;
            }
        } else if hits.is_empty() {
            outln!("no verified right conflicts with {:?}", args.mark)?;
        } else {
            outln!(
                "{:>5}  {:<24} {:<24} {:<18} {:<10} reasons",
                "score",
                "registered mark",
                "conflicting term",
                "registration",
                "classes"
            )?;
            for h in &hits {
                let classes: Vec<String> = h.shared_classes.iter().map(u16::to_string).collect();
                let reasons: Vec<String> = h.reasons.iter().map(|r| r.describe()).collect();
                outln!(
                    "{:>4.0}%  {:<24} {:<24} {:<18} {:<10} {}",
                    h.score * 100.0,
                    h.mark,
                    h.term,
                    format!(
                        "{} {}",
                        h.right.jurisdiction,
                        h.right.registration_number.as_str()
                    ),
                    classes.join(","),
                    reasons.join("; ")
                )?;
            }
        }
        Ok(if hits.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}
