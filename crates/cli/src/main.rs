//! `rightsguard`: the one binary.
//!
//! A thin shell over the library crates: it parses arguments, reads files and
//! prints results. The rules live in `rightsguard-domain`, detection in
//! `rightsguard-detect`. Each subcommand has its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` that returns the write error instead of panicking, so a closed
/// pipe (`| head`) ends the command quietly (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` counterpart of [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod account;
mod backup;
mod calendar;
mod clearance;
mod customs;
mod db;
mod deadline;
mod demo;
mod demo_seed;
mod dossier;
mod escalation;
mod events;
mod export;
mod findings;
mod hash;
mod images;
mod import;
mod policy;
mod scan;
mod scan_image;
mod serve;
mod simulate_feed;
mod stream;
mod webhook;
mod worker;

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
    /// Run the product on a fresh SQLite file with a demo marketplace loaded
    /// (`--timeline`: one complaint's life through the rules instead).
    Demo(demo::Args),
    /// Create or upgrade the database schema.
    Migrate(db::DbArgs),
    /// Verify the tamper-evident audit log.
    Audit(db::AuditArgs),
    /// Back up the database and the evidence files into a new directory
    /// (online: the server may keep running).
    Backup(backup::BackupArgs),
    /// Restore a backup into a new SQLite file or an empty PostgreSQL
    /// database, then verify the audit chain against the backup's head.
    Restore(backup::RestoreArgs),
    /// Show the policy profiles (deadlines, limits, thresholds) sites can use.
    Policy(policy::Args),
    /// Inspect the business-day calendars: years with holiday data, one
    /// year's holidays and make-up working days.
    #[command(subcommand)]
    Calendar(calendar::Command),
    /// Print the PDQ perceptual hash and quality of image files, one JSON line each.
    Hash(hash::Args),
    /// Scan listings against rights (text evasions, class gating); print findings as JSON lines.
    Scan(scan::Args),
    /// Run the HTTP server: REST API under /api/v1, docs at /api/docs.
    Serve(serve::Args),
    /// Manage organisations (rights holders, agents, sellers, the platform).
    #[command(subcommand)]
    Org(account::OrgCommand),
    /// Manage users of organisations.
    #[command(subcommand)]
    User(account::UserCommand),
    /// Issue and revoke API tokens.
    #[command(subcommand)]
    Token(account::TokenCommand),
    /// Record powers of attorney (an agent acting for a rights holder).
    #[command(subcommand)]
    Poa(account::PoaCommand),
    /// DSA statements of reasons (EU Transparency Database schema), validated.
    #[command(subcommand)]
    Dsa(export::DsaCommand),
    /// Reports: the transparency report for a period.
    #[command(subcommand)]
    Report(export::ReportCommand),
    /// Exports: Lumen-style notices, complaints as CSV.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Evidence dossiers: export a complaint's (PDF + ZIP), verify one offline.
    #[command(subcommand)]
    Dossier(dossier::DossierCommand),
    /// Customs (GACC) recordals of a right: list, record, renew.
    #[command(subcommand)]
    Customs(customs::CustomsCommand),
    /// Escalation: a complaint's package for an AMR complaint, a lawsuit or a
    /// customs recordal (export, verify), and the proceedings' outcomes (record).
    #[command(subcommand)]
    Escalation(escalation::EscalationCommand),
    /// Configure the marketplace's webhook endpoints (signed enforcement events).
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Monitoring findings: list them, dismiss one.
    #[command(subcommand)]
    Findings(findings::FindingsCommand),
    /// Rights: the reference images they are monitored for.
    #[command(subcommand)]
    Rights(images::RightsCommand),
    /// Listing images: upload their bytes so monitoring can match them.
    #[command(subcommand)]
    ListingImages(images::ListingImagesCommand),
    /// Rescan every listing against a rights holder's verified rights (or every holder's).
    Rescan(findings::RescanArgs),
    /// Scale-out: consume the work stream on NATS JetStream (listing scans,
    /// rescan partitions) and store findings in the shared database.
    Worker(worker::Args),
    /// A seeded catalogue feed of listing creates and updates (a known share
    /// naming verified marks) at a chosen rate, to the API or the work stream.
    SimulateFeed(simulate_feed::Args),
    /// Trademark clearance: which verified rights a proposed mark conflicts with
    /// (exit 1 if any does).
    Clearance(clearance::Args),
    /// Bulk import of listings or sellers from JSON Lines or CSV, in batches;
    /// bad rows reported by line (exit 1), the rest loaded; `--dry-run`.
    #[command(subcommand)]
    Import(import::ImportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Deadline(args) => deadline::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Migrate(args) => db::migrate(args),
        Command::Audit(args) => db::audit(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::Calendar(command) => calendar::run(command),
        Command::Hash(args) => hash::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Org(command) => account::org(command),
        Command::User(command) => account::user(command),
        Command::Token(command) => account::token(command),
        Command::Poa(command) => account::poa(command),
        Command::Dsa(command) => export::dsa(command),
        Command::Report(command) => export::report(command),
        Command::Export(command) => export::export(command),
        Command::Dossier(command) => dossier::run(command),
        Command::Customs(command) => customs::run(command),
        Command::Escalation(command) => escalation::run(command),
        Command::Webhook(command) => webhook::run(command),
        Command::Findings(command) => findings::findings(command),
        Command::Clearance(args) => clearance::run(args),
        Command::Import(command) => import::run(command),
        Command::Rescan(args) => findings::rescan(args),
        Command::Rights(command) => images::rights(command),
        Command::ListingImages(command) => images::listing_images(command),
        Command::Worker(args) => worker::run(args),
        Command::SimulateFeed(args) => simulate_feed::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        // 2, as grep and diff do: a command whose answer is "no" (an audit
        // that does not verify, a clearance search that finds a conflict,
        // an import with refused rows) exits 1, so a script can tell the
        // answer from the command not having run.
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error is stdout's reader having gone away (`| head`): the
/// output was wanted no further, which is no failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
