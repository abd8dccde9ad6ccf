//! `rightsguard rights images add|list|remove` and `rightsguard
//! listing-images put`: image monitoring from the command line, acting on
//! the database and its evidence files as the system (the operator), through
//! the same use cases as the API (hashing under the engine's limits,
//! audited, rescans and scans scheduled in the same transaction).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use rightsguard_domain::ids::{RightId, Sha256};
use rightsguard_store::findings::RightImage;
use sha2::Digest;

use crate::db::{DbArgs, runtime};
use crate::dossier::open_site;

/// `rightsguard rights ...`
#[derive(Debug, clap::Subcommand)]
pub enum RightsCommand {
    /// The reference images a right is monitored for (listing images are
    /// matched against them).
    #[command(subcommand)]
    Images(ImagesCommand),
}

/// `rightsguard rights images ...`
#[derive(Debug, clap::Subcommand)]
pub enum ImagesCommand {
    /// Add a reference image (PNG, JPEG, WebP, GIF or SVG) to a right; a
    /// verified right's owner is rescanned. Prints the image as JSON.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
        /// The evidence directory (default: as for `serve` on this database).
        #[arg(long)]
        evidence_dir: Option<PathBuf>,
        /// The image file.
        file: PathBuf,
    },
    /// Print a right's reference images as JSON lines, oldest first.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
    },
    /// Remove a reference image from a right (the file is kept).
    Remove {
        #[command(flatten)]
        db: DbArgs,
        /// The right.
        #[arg(long)]
        right: String,
        /// SHA-256 of the image.
        #[arg(long)]
        sha256: String,
    },
}

/// `rightsguard listing-images ...`
#[derive(Debug, clap::Subcommand)]
pub enum ListingImagesCommand {
    /// Upload listing images' bytes (listings name them by SHA-256): each is
    /// hashed once and the listings showing it are scanned again. One JSON
    /// line per file; exit 1 if any was refused.
    Put {
        #[command(flatten)]
        db: DbArgs,
        /// The evidence directory (default: as for `serve` on this database).
        #[arg(long)]
        evidence_dir: Option<PathBuf>,
        /// The image files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn view(i: &RightImage, new: Option<bool>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "right": i.right.to_string(),
        "sha256": i.sha256.to_string(),
        "hashes": i.variants,
        "added_at": i.added_at.to_string(),
        "added_by": i.added_by,
    });
    if let Some(new) = new {
        v["new"] = new.into();
    }
    v
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    let max = rightsguard_http::DEFAULT_EVIDENCE_LIMIT as u64;
    let len = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if len > max {
        anyhow::bail!(
            "{}: {len} bytes, more than the limit of {max}",
            file.display()
        );
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// Runs `rightsguard rights`.
pub fn rights(cmd: RightsCommand) -> anyhow::Result<ExitCode> {
    let RightsCommand::Images(cmd) = cmd;
    runtime()?.block_on(async {
        match cmd {
            ImagesCommand::Add {
                db,
                right,
                evidence_dir,
                file,
            } => {
                let bytes = read(&file)?;
                let app = open_site(&db, "aliexpress", evidence_dir).await?;
                let right = RightId::parse(&right)?;
                let added = app
                    .add_right_image(&app.system_actor(), &right, bytes)
                    .await;
                app.store().close().await;
                let (image, new) = added.with_context(|| file.display().to_string())?;
                outln!("{}", view(&image, Some(new)))?;
                Ok(ExitCode::SUCCESS)
            }
            ImagesCommand::List { db, right } => {
                let app = crate::account::app(&db).await?;
                let right = RightId::parse(&right)?;
                let images = app
                    .right_images_visible_to(&app.system_actor(), &right)
                    .await;
                app.store().close().await;
                for i in images? {
                    outln!("{}", view(&i, None))?;
                }
                Ok(ExitCode::SUCCESS)
            }
            ImagesCommand::Remove { db, right, sha256 } => {
                let app = crate::account::app(&db).await?;
                let right = RightId::parse(&right)?;
                let sha = Sha256::parse(&sha256)?;
                let removed = app
                    .remove_right_image(&app.system_actor(), &right, &sha)
                    .await;
                app.store().close().await;
                outln!("{}", view(&removed?, None))?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Runs `rightsguard listing-images`.
pub fn listing_images(cmd: ListingImagesCommand) -> anyhow::Result<ExitCode> {
    let ListingImagesCommand::Put {
        db,
        evidence_dir,
        files,
    } = cmd;
    runtime()?.block_on(async {
        let app = open_site(&db, "aliexpress", evidence_dir).await?;
        let mut failed = 0;
        for file in &files {
            let done = match read(file) {
                Ok(bytes) => {
                    let sha = Sha256::from_bytes(sha2::Sha256::digest(&bytes).into());
                    app.put_listing_image(&app.system_actor(), &sha, bytes)
                        .await
                        .map_err(anyhow::Error::from)
                }
                Err(e) => Err(e),
            };
            let line = match done {
                Ok(d) => serde_json::json!({
                    "file": file.display().to_string(),
                    "sha256": d.sha256.to_string(),
                    "hashes": d.variants,
                    "new": d.new,
                    "scans_scheduled": d.listings.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
                Err(e) => {
                    failed += 1;
                    serde_json::json!({"file": file.display().to_string(), "error": format!("{e:#}")})
                }
            };
            outln!("{line}")?;
        }
        app.store().close().await;
        Ok(if failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })
}
