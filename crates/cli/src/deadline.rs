//! `rightsguard deadline`: business-day and calendar-day arithmetic.
//!
//! A thin shell over [`rightsguard_domain::calendar`]: parse, count, print one
//! JSON object. Spans that overflow the calendar (past year 9999) are errors
//! here, never silently saturated.

use std::process::ExitCode;

use anyhow::Context;
use rightsguard_domain::calendar::{Calendar, Deadline};

/// Arguments of `rightsguard deadline`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("span").required(true).multiple(false).args(["business_days", "days"])))]
pub struct Args {
    /// Calendar id: CN (Asia/Shanghai, holidays 2019–2026), EU (Europe/Brussels,
    /// weekends only) or UTC (weekends only).
    #[arg(long)]
    calendar: String,
    /// Start instant, RFC 3339 with an offset (e.g. 2024-09-30T10:00:00+08:00).
    /// Its local date in the calendar's time zone is the start day, which is
    /// not counted.
    #[arg(long)]
    from: jiff::Timestamp,
    /// Count N business days: due at the end of the Nth working day after the
    /// start day (N = 0: the first working day from the start day on).
    #[arg(long, value_name = "N")]
    business_days: Option<u32>,
    /// Count N calendar days; a last day that is not a working day moves to
    /// the next working day.
    #[arg(long, value_name = "N")]
    days: Option<u32>,
}

/// The printed object: the deadline plus what it was computed from.
#[derive(Debug, serde::Serialize)]
struct Output<'a> {
    calendar: &'a str,
    time_zone: &'a str,
    from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    business_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
    #[serde(flatten)]
    deadline: Deadline,
}

/// Prints `{"calendar","time_zone","from","business_days"|"days","due_date","due_at","provisional"}`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cal = Calendar::builtin(&args.calendar)?;
    let deadline = match (args.business_days, args.days) {
        (Some(n), None) => cal
            .try_add_business_days(args.from, n)
            .with_context(|| format!("{n} business days after {}", args.from))?,
        (None, Some(n)) => cal
            .try_add_days(args.from, n)
            .with_context(|| format!("{n} days after {}", args.from))?,
        _ => anyhow::bail!("give exactly one of --business-days N or --days N"),
    };
    let from = args.from.to_zoned(cal.time_zone().clone());
    let out = Output {
        calendar: cal.id(),
        time_zone: cal.time_zone_name(),
        from: from
            .timestamp()
            .display_with_offset(from.offset())
            .to_string(),
        business_days: args.business_days,
        days: args.days,
        deadline,
    };
    crate::calendar::print_line(&serde_json::to_string(&out)?)?;
    Ok(ExitCode::SUCCESS)
}
