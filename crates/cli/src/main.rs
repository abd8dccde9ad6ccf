//! `rightsguard`: the one binary.
//!
//! A thin shell over the library crates: it parses arguments, reads files and
//! prints results. The rules live in `rightsguard-domain`, detection in
//! `rightsguard-detect`. Each subcommand has its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod deadline;
mod scan;

/// rightsguard: IP protection for online marketplaces — notice and takedown,
/// counter-notices, penalties, detection of infringing listings.
#[derive(Debug, Parser)]
#[command(name = "rightsguard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute a deadline on a business-day calendar and print it as JSON.
    Deadline(deadline::Args),
    /// Scan listings against rights (text evasions, class gating); print findings as JSON lines.
    Scan(scan::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Deadline(args) => deadline::run(args),
        Command::Scan(args) => scan::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
