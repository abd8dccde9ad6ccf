//! `rightsguard deadline`: business-day and calendar-day arithmetic.

use std::process::ExitCode;

use anyhow::Context;
use rightsguard_domain::calendar::Calendar;

/// Arguments of `rightsguard deadline`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("span").required(true).args(["business_days", "days"])))]
pub struct Args {
    /// Calendar id (e.g. CN).
    #[arg(long)]
    calendar: String,
    /// Start instant, RFC 3339 (e.g. 2024-09-30T10:00:00+08:00). The start day is not counted.
    #[arg(long)]
    from: jiff::Timestamp,
    /// Count N business days (working days of the calendar).
    #[arg(long)]
    business_days: Option<u32>,
    /// Count N calendar days; a last day that is not a working day moves to the next one.
    #[arg(long)]
    days: Option<u32>,
}

/// Prints `{"due_date","due_at","provisional"}`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cal = Calendar::builtin(&args.calendar).context("choosing the calendar")?;
    let deadline = match (args.business_days, args.days) {
        (Some(n), _) => cal.add_business_days(args.from, n),
        (None, Some(n)) => cal.add_days(args.from, n),
        (None, None) => anyhow::bail!("give --business-days N or --days N"),
    };
    println!("{}", serde_json::to_string(&deadline)?);
    Ok(ExitCode::SUCCESS)
}
