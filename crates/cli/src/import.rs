//! `rightsguard import listings|sellers|rights|authorisations FILE`: bulk
//! import into the database, as the platform's operator (the system
//! actor), or for authorisations as the rights holder's user that grants
//! them (`--as`).
//!
//! The file is read as a stream of rows (JSON Lines or CSV, by extension or
//! `--format`), validated, and written in batches of `--batch` rows, each
//! batch in one transaction (see `rightsguard_app::import`). Every bad row
//! is printed to stderr as `FILE:LINE: FIELD: MESSAGE` and the others load;
//! the summary goes to stdout as one JSON object. Exit status: 0 when every
//! row loaded (or was unchanged), 1 when some were refused (the rest
//! loaded), 2 when the import could not run. `--dry-run` validates
//! everything and writes nothing.

use std::fs::File;
use std::io::{BufReader, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use rightsguard_app::{ImportCache, ImportOutcome, RightImport};
use rightsguard_domain::import::{self, Format, RowError, RowReader};

use crate::account::app;
use crate::db::{DbArgs, runtime};

/// `rightsguard import ...`
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Listings: the scan file format (id, seller_id, title, description,
    /// category) plus price_minor_units, currency and image_hashes; created,
    /// updated or left unchanged, each checked by the blocklist and scanned.
    Listings(Args),
    /// Seller organisations (id, name).
    Sellers(Args),
    /// Rights with their certificate files (id, owner, kind, jurisdiction,
    /// registration_number, nice_classes, valid_from, valid_until,
    /// certificates, mark, aliases), registered pending for review; the
    /// certificates are files in the `--certificates` ZIP, by name.
    Rights(RightsArgs),
    /// Sellers' brand authorisations (seller, right, evidence: the SHA-256
    /// of the authorisation document, valid_until: YYYY-MM-DD or empty),
    /// granted as the rights holder's user `--as`.
    Authorisations(AuthorisationArgs),
}

/// Arguments of `rightsguard import rights`.
#[derive(Debug, clap::Args)]
pub struct RightsArgs {
    #[command(flatten)]
    common: Args,
    /// The ZIP archive holding the certificate files the rows name.
    #[arg(long)]
    certificates: PathBuf,
    /// Where evidence files are kept; default: as `rightsguard serve`
    /// (beside a SQLite database, or `./rightsguard-evidence`).
    #[arg(long)]
    evidence_dir: Option<PathBuf>,
    /// The largest certificate file accepted, in MiB (as `serve --evidence-max-mib`).
    #[arg(long, default_value_t = 20)]
    evidence_max_mib: u16,
}

/// Arguments of `rightsguard import authorisations`.
#[derive(Debug, clap::Args)]
pub struct AuthorisationArgs {
    #[command(flatten)]
    common: Args,
    /// The user granting them: a rights holder's user, or an agent's.
    #[arg(long = "as")]
    user: String,
    /// For an agent with several principals: which one it acts for.
    #[arg(long)]
    on_behalf_of: Option<String>,
}

/// Arguments common to every import.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The file to import (.jsonl, .ndjson, .json or .csv).
    file: PathBuf,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Validate every row and report, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Rows per transaction (1 to 5000).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=5000))]
    batch: u32,
    /// The site's category table (the JSON `rightsguard scan --categories`
    /// reads); default: the built-in table, as `rightsguard serve`.
    #[arg(long)]
    categories: Option<PathBuf>,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

enum Kind {
    Listings,
    Sellers,
    Rights {
        archive: Certificates,
        evidence_dir: PathBuf,
        max_bytes: u64,
    },
    /// Granted by this user (for this principal).
    Authorisations(String, Option<String>),
}

/// The certificates archive: files looked up by name, each read whole but
/// never past the size limit (a ZIP entry may claim any size).
struct Certificates {
    zip: zip::ZipArchive<File>,
    max: u64,
}

impl Certificates {
    fn open(path: &Path, max_mib: u16) -> anyhow::Result<Certificates> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let zip = zip::ZipArchive::new(file)
            .with_context(|| format!("{}: not a readable ZIP archive", path.display()))?;
        Ok(Certificates {
            zip,
            max: u64::from(max_mib) * 1024 * 1024,
        })
    }

    fn read(&mut self, name: &str) -> Result<Vec<u8>, String> {
        use std::io::Read as _;
        let entry = self
            .zip
            .by_name(name)
            .map_err(|_| format!("no file {name:?} in the certificates archive"))?;
        if entry.is_dir() {
            return Err(format!("{name:?} is a directory in the archive"));
        }
        let mut bytes = Vec::new();
        entry
            .take(self.max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name:?}: unreadable in the archive ({e})"))?;
        if bytes.len() as u64 > self.max {
            return Err(format!(
                "{name:?} is larger than {} MiB",
                self.max / 1024 / 1024
            ));
        }
        Ok(bytes)
    }
}

/// Runs `rightsguard import`.
pub fn run(cmd: ImportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImportCommand::Listings(args) => import(args, Kind::Listings),
        ImportCommand::Sellers(args) => import(args, Kind::Sellers),
        ImportCommand::Rights(args) => {
            let archive = Certificates::open(&args.certificates, args.evidence_max_mib)?;
            let evidence_dir = args
                .evidence_dir
                .clone()
                .unwrap_or_else(|| rightsguard_http::default_evidence_dir(&args.common.db.db));
            import(
                args.common,
                Kind::Rights {
                    archive,
                    evidence_dir,
                    max_bytes: u64::from(args.evidence_max_mib) * 1024 * 1024,
                },
            )
        }
        ImportCommand::Authorisations(a) => {
            import(a.common, Kind::Authorisations(a.user, a.on_behalf_of))
        }
    }
}

fn format_of(args: &Args) -> anyhow::Result<Format> {
    match args.format {
        Some(FormatArg::Jsonl) => Ok(Format::Jsonl),
        Some(FormatArg::Csv) => Ok(Format::Csv),
        None => Format::of_name(&args.file.to_string_lossy()).with_context(|| {
            format!(
                "{}: cannot tell the format from the extension; name it with --format jsonl|csv",
                args.file.display()
            )
        }),
    }
}

fn progress_bar(args: &Args, size: u64) -> indicatif::ProgressBar {
    if args.no_progress || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn report(file: &Path, e: &RowError, bar: &indicatif::ProgressBar) {
    bar.suspend(|| eprintln!("{}:{e}", file.display()));
}

fn import(args: Args, mut kind: Kind) -> anyhow::Result<ExitCode> {
    let format = format_of(&args)?;
    let categories = args
        .categories
        .as_deref()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            rightsguard_detect::categories::Categories::from_json(&text)
                .with_context(|| format!("parsing {}", p.display()))
        })
        .transpose()?;
    let file =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(&args, size);
    let reader = BufReader::with_capacity(1 << 16, bar.wrap_read(file));
    let started = Instant::now();
    runtime()?.block_on(async {
        let mut app = app(&args.db).await?;
        if let Kind::Rights {
            evidence_dir,
            max_bytes,
            ..
        } = &kind
        {
            let files =
                rightsguard_store::evidence::EvidenceStore::open(evidence_dir.clone(), *max_bytes)
                    .with_context(|| {
                        format!("opening the evidence directory {}", evidence_dir.display())
                    })?;
            app = app.with_evidence(files);
        }
        if let Some(c) = categories {
            app.set_categories(c);
        }
        let actor = match &kind {
            Kind::Authorisations(user, principal) => {
                let principal = principal
                    .as_deref()
                    .map(rightsguard_domain::ids::OrgId::parse)
                    .transpose()?;
                app.actor_of_user(
                    &rightsguard_domain::ids::UserId::parse(user)?,
                    principal.as_ref(),
                )
                .await
                .with_context(|| format!("--as {user}"))?
            }
            Kind::Listings | Kind::Sellers | Kind::Rights { .. } => app.system_actor(),
        };
        let mut total = ImportOutcome::default();
        let mut rows_read: u64 = 0;
        let mut unreadable: u64 = 0;
        let mut cache = ImportCache::default();
        let mut listings = Vec::new();
        let mut sellers = Vec::new();
        let mut rights = Vec::new();
        let mut authorisations = Vec::new();
        let mut unparsed: Vec<RowError> = Vec::new();
        let batch = args.batch as usize;
        let mut rows = RowReader::new(reader, format).peekable();
        while rows.peek().is_some() {
            listings.clear();
            sellers.clear();
            rights.clear();
            authorisations.clear();
            for row in rows.by_ref() {
                rows_read += 1;
                let parsed = row.and_then(|r| match &mut kind {
                    Kind::Listings => import::listing(&r).map(|l| listings.push(l)),
                    Kind::Sellers => import::seller(&r).map(|s| sellers.push(s)),
                    Kind::Rights { archive, .. } => {
                        let row = import::right(&r)?;
                        let certificates = row
                            .certificates
                            .iter()
                            .map(|name| archive.read(name))
                            .collect::<Result<Vec<_>, String>>()
                            .map_err(|message| RowError {
                                line: row.line,
                                field: Some("certificates".into()),
                                message,
                            })?;
                        rights.push(RightImport { row, certificates });
                        Ok(())
                    }
                    Kind::Authorisations(..) => {
                        import::authorisation(&r).map(|a| authorisations.push(a))
                    }
                });
                if let Err(e) = parsed {
                    unreadable += 1;
                    let whole_file = e.line == 0;
                    unparsed.push(e);
                    if whole_file {
                        // The file as a whole is unusable (e.g. its header).
                        break;
                    }
                }
                if listings.len() + sellers.len() + rights.len() + authorisations.len() >= batch {
                    break;
                }
            }
            let outcome = match kind {
                Kind::Listings => {
                    app.import_listings(&actor, &listings, &mut cache, args.dry_run)
                        .await?
                }
                Kind::Sellers => app.import_sellers(&actor, &sellers, args.dry_run).await?,
                Kind::Rights { .. } => {
                    app.import_rights(&actor, &rights, &mut cache, args.dry_run)
                        .await?
                }
                Kind::Authorisations(..) => {
                    app.import_authorisations(&actor, &authorisations, args.dry_run)
                        .await?
                }
            };
            // The batch's errors in file order, whether the row did not
            // parse or the rules refused it.
            let mut errors: Vec<&RowError> = unparsed.iter().chain(&outcome.refused).collect();
            errors.sort_by_key(|e| e.line);
            for e in errors {
                report(&args.file, e, &bar);
            }
            unparsed.clear();
            total.add(outcome);
            bar.set_message(format!(
                "{} created, {} updated, {} unchanged, {} refused",
                total.created,
                total.updated,
                total.unchanged,
                total.refused.len() as u64 + unreadable
            ));
        }
        bar.finish_and_clear();
        app.store().close().await;
        let refused = total.refused.len() as u64 + unreadable;
        let secs = started.elapsed().as_secs_f64();
        outln!(
            "{}",
            serde_json::json!({
                "file": args.file.display().to_string(),
                "dry_run": args.dry_run,
                "rows": rows_read,
                "created": total.created,
                "updated": total.updated,
                "unchanged": total.unchanged,
                "held": total.held,
                "refused": refused,
                "seconds": (secs * 1000.0).round() / 1000.0,
                "rows_per_second": if secs > 0.0 { (rows_read as f64 / secs).round() } else { 0.0 },
            })
        )?;
        Ok(if refused == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}
