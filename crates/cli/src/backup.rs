//! `rightsguard backup` and `rightsguard restore`: the whole state of a site
//! (database and evidence files) in one directory, and back.
//!
//! A backup is a directory holding the database (`db.sqlite`, a consistent
//! `VACUUM INTO` snapshot taken while the server runs, or `db.pgdump`,
//! `pg_dump`'s custom format), a mirror of the evidence files, and
//! `manifest.json`: the SHA-256 of the database file, the audit log's head
//! (`SEQ:HASH`) and the evidence files it holds. It is written under a
//! temporary name and renamed when complete, so a directory with the final
//! name is always a whole backup.
//!
//! A restore refuses a damaged backup (the database file does not match the
//! manifest), a target that holds data already, and a backend other than the
//! backup's; after loading it walks the audit hash chain and checks that it
//! still reaches the head the manifest recorded, so a restore that lost or
//! altered history does not pass silently. The evidence files are checked
//! against their names (their hashes) on the way out and on the way in.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use rightsguard_domain::ids::Sha256;
use rightsguard_store::{Dialect, SqlStore, Store};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::db::{DbArgs, redact, runtime};

/// The manifest's format tag; a restore refuses any other.
const FORMAT: &str = "rightsguard-backup/1";

/// Arguments of `rightsguard backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The backup directory to create (must not exist).
    #[arg(long)]
    out: PathBuf,
    /// The evidence directory of the site. Default: beside a SQLite database
    /// (`PATH.evidence/`), or `./rightsguard-evidence`.
    #[arg(long)]
    evidence_dir: Option<PathBuf>,
}

/// Arguments of `rightsguard restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup directory (made by `rightsguard backup`).
    #[arg(long)]
    from: PathBuf,
    /// The database to restore into: a SQLite path that does not exist yet,
    /// or an empty PostgreSQL database.
    #[arg(long, env = "RIGHTSGUARD_DB")]
    db: String,
    /// Where the evidence files go. Default: as for `serve` on that database.
    #[arg(long)]
    evidence_dir: Option<PathBuf>,
}

/// What a backup holds; `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    rightsguard_version: String,
    created_at: String,
    backend: String,
    /// The database file in the backup directory.
    db_file: String,
    db_sha256: String,
    db_bytes: u64,
    audit: AuditHead,
    evidence: EvidenceSummary,
}

#[derive(Debug, Serialize, Deserialize)]
struct AuditHead {
    /// Records in the log when the backup was taken (for PostgreSQL, read
    /// just before the dump: the dump holds at least these).
    records: i64,
    /// `SEQ:HASH` of the last of them; `null` for an empty log.
    head: Option<String>,
    /// Whether the chain verified when the backup was taken.
    ok: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct EvidenceSummary {
    files: u64,
    bytes: u64,
    /// Uploaded files the database names but the file store did not hold.
    missing: Vec<String>,
    /// Files whose bytes no longer match their hash (not copied).
    corrupt: Vec<String>,
}

fn dialect_of(url: &str) -> anyhow::Result<Dialect> {
    if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Dialect::Postgres)
    } else {
        bail!("unsupported database URL {url:?}: use sqlite:PATH or postgres://...")
    }
}

fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// Runs `rightsguard backup`.
pub fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let dialect = dialect_of(&args.db.db)?;
    if args.out.exists() {
        bail!(
            "{} exists already; a backup goes into a new directory",
            args.out.display()
        );
    }
    let evidence_dir = args
        .evidence_dir
        .clone()
        .unwrap_or_else(|| rightsguard_http::default_evidence_dir(&args.db.db));
    let parent = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = args
        .out
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("--out {} names no directory", args.out.display()))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = write_backup(&args.db.db, dialect, &evidence_dir, &tmp);
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, &args.out)
        .with_context(|| format!("renaming {} to {}", tmp.display(), args.out.display()))?;
    sync_dir(&parent)?;
    let warn = !manifest.audit.ok
        || !manifest.evidence.missing.is_empty()
        || !manifest.evidence.corrupt.is_empty();
    if warn {
        eprintln!(
            "warning: the backup is complete but the site has problems: audit chain ok={}, {} evidence files missing, {} corrupt (see manifest.json)",
            manifest.audit.ok,
            manifest.evidence.missing.len(),
            manifest.evidence.corrupt.len()
        );
    }
    outln!(
        "{}",
        serde_json::json!({
            "backup": args.out.display().to_string(),
            "db": redact(&args.db.db),
            "manifest": manifest,
        })
    )?;
    Ok(ExitCode::SUCCESS)
}

fn write_backup(
    url: &str,
    dialect: Dialect,
    evidence_dir: &Path,
    tmp: &Path,
) -> anyhow::Result<Manifest> {
    let (db_file, audit, uploaded) = runtime()?.block_on(async {
        let store = SqlStore::connect(url).await?;
        let out = snapshot(&store, url, dialect, tmp).await;
        store.close().await;
        out
    })?;
    let db_path = tmp.join(db_file);
    let (db_sha256, db_bytes) = hash_file(&db_path)?;
    let evidence = copy_evidence(evidence_dir, &tmp.join("evidence"), &uploaded)?;
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        rightsguard_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: rightsguard_app::Clock::now(&rightsguard_app::SystemClock).to_string(),
        backend: match dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
        .to_owned(),
        db_file: db_file.to_owned(),
        db_sha256,
        db_bytes,
        audit,
        evidence,
    };
    let mut f = fs::File::create(tmp.join("manifest.json"))?;
    f.write_all(serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    f.sync_all()?;
    sync_dir(tmp)?;
    Ok(manifest)
}

/// Writes the database file into `tmp`; returns its name, the audit head it
/// holds and the evidence files it refers to.
async fn snapshot(
    store: &SqlStore,
    url: &str,
    dialect: Dialect,
    tmp: &Path,
) -> anyhow::Result<(&'static str, AuditHead, Vec<Sha256>)> {
    match dialect {
        Dialect::Sqlite => {
            let dest = tmp.join("db.sqlite");
            store
                .snapshot_sqlite(&dest)
                .await
                .context("snapshot of the SQLite database")?;
            fs::File::open(&dest)?.sync_all()?;
            // Read the head and the evidence list from the snapshot itself:
            // exactly what the backup holds.
            let copy = SqlStore::connect(&format!("sqlite:{}", dest.display())).await?;
            let report = copy.verify_audit(None).await;
            let uploaded = copy.evidence_hashes().await;
            copy.close().await;
            // The connection left WAL side files; fold them back in.
            for side in ["db.sqlite-wal", "db.sqlite-shm"] {
                let _ = fs::remove_file(tmp.join(side));
            }
            let report = report?;
            Ok(("db.sqlite", head_of(&report), uploaded?))
        }
        Dialect::Postgres => {
            // The dump and the recorded head come from one exported snapshot,
            // so the manifest names exactly the head the dump holds.
            let snap = store.pg_snapshot().await?;
            let dest = tmp.join("db.pgdump");
            let (url, dest2, id) = (url.to_owned(), dest.clone(), snap.id.clone());
            let dump = tokio::task::spawn_blocking(move || {
                Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges"])
                    .arg(format!("--snapshot={id}"))
                    .arg("--file")
                    .arg(&dest2)
                    .arg(&url)
                    .output()
            })
            .await?
            .context("running pg_dump (install PostgreSQL's client tools)");
            let head = snap.head.clone();
            snap.release().await?;
            let out = dump?;
            if !out.status.success() {
                bail!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            fs::File::open(&dest)?.sync_all()?;
            let report = store.verify_audit(head.clone()).await?;
            let audit = AuditHead {
                records: head.as_ref().map_or(0, |(s, _)| *s),
                head: head.map(|(s, h)| format!("{s}:{h}")),
                ok: report.ok(),
            };
            Ok(("db.pgdump", audit, store.evidence_hashes().await?))
        }
    }
}

fn head_of(report: &rightsguard_store::AuditReport) -> AuditHead {
    AuditHead {
        records: report.records,
        head: report.head.as_ref().map(|(s, h)| format!("{s}:{h}")),
        ok: report.ok(),
    }
}

/// Copies every evidence file under `from` to `to`, checking each against its
/// name; notes the uploaded files that are missing.
fn copy_evidence(from: &Path, to: &Path, uploaded: &[Sha256]) -> anyhow::Result<EvidenceSummary> {
    let mut summary = EvidenceSummary::default();
    let mut held = std::collections::HashSet::new();
    if from.is_dir() {
        for path in evidence_files(from)? {
            let Some(sha) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| Sha256::parse(n).ok())
            else {
                continue;
            };
            match copy_checked(&path, &sha, to)? {
                Some(bytes) => {
                    summary.files += 1;
                    summary.bytes += bytes;
                    held.insert(sha);
                }
                None => summary.corrupt.push(sha.to_string()),
            }
        }
    }
    summary.missing = uploaded
        .iter()
        .filter(|s| !held.contains(*s) && !summary.corrupt.contains(&s.to_string()))
        .map(ToString::to_string)
        .collect();
    Ok(summary)
}

/// The files of a content-addressed store (`ab/cd/abcd…`), skipping `tmp/`.
fn evidence_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for a in fs::read_dir(root)? {
        let a = a?;
        if !a.file_type()?.is_dir() || a.file_name() == "tmp" {
            continue;
        }
        for b in fs::read_dir(a.path())? {
            let b = b?;
            if !b.file_type()?.is_dir() {
                continue;
            }
            for f in fs::read_dir(b.path())? {
                let f = f?;
                if f.file_type()?.is_file() {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies one evidence file into the store at `to` if its bytes match its
/// hash; `None` if they do not. An identical file already there is kept.
fn copy_checked(path: &Path, sha: &Sha256, to: &Path) -> anyhow::Result<Option<u64>> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let actual: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    if &actual != sha.as_bytes() {
        return Ok(None);
    }
    let hex = sha.to_string();
    let dir = to.join(&hex[0..2]).join(&hex[2..4]);
    fs::create_dir_all(&dir)?;
    let dest = dir.join(&hex);
    if !dest.exists() {
        let tmp = dir.join(format!(".{hex}.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, &dest)?;
    }
    Ok(Some(bytes.len() as u64))
}

fn hash_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    let digest: [u8; 32] = h.finalize().into();
    Ok((Sha256::from_bytes(digest).to_string(), n))
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Runs `rightsguard restore`.
pub fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let manifest_path = args.from.join("manifest.json");
    let text = fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "reading {} (is {} a rightsguard backup?)",
            manifest_path.display(),
            args.from.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a backup manifest", manifest_path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{} has format {:?}; this rightsguard restores {FORMAT:?}",
            manifest_path.display(),
            manifest.format
        );
    }
    if manifest.db_file.contains('/') || manifest.db_file.contains("..") {
        bail!(
            "the manifest names a database file outside the backup: {:?}",
            manifest.db_file
        );
    }
    let db_path = args.from.join(&manifest.db_file);
    let (sha, _) = hash_file(&db_path)?;
    if sha != manifest.db_sha256 {
        bail!(
            "{} does not match its manifest (SHA-256 {sha}, manifest says {}): the backup is damaged",
            db_path.display(),
            manifest.db_sha256
        );
    }
    let dialect = dialect_of(&args.db)?;
    match (manifest.backend.as_str(), dialect) {
        ("sqlite", Dialect::Sqlite) => {
            let target = sqlite_path(&args.db);
            if target.exists() {
                bail!(
                    "{} exists already; restore into a new path (and point serve at it)",
                    target.display()
                );
            }
            let dir = match target.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = dir.join(format!(
                ".{}.restoring-{}",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                std::process::id()
            ));
            fs::copy(&db_path, &tmp)
                .with_context(|| format!("copying the database to {}", tmp.display()))?;
            fs::File::open(&tmp)?.sync_all()?;
            fs::rename(&tmp, &target)?;
            sync_dir(&dir)?;
        }
        ("postgres", Dialect::Postgres) => {
            let out = Command::new("pg_restore")
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                ])
                .arg(&args.db)
                .arg(&db_path)
                .output()
                .context("running pg_restore (install PostgreSQL's client tools)")?;
            if !out.status.success() {
                bail!(
                    "pg_restore failed, nothing was restored (the target database must exist and be empty): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        (backend, _) => bail!(
            "this is a {backend} backup; restore it into a {} URL",
            if backend == "sqlite" {
                "sqlite:PATH"
            } else {
                "postgres://"
            }
        ),
    }
    let evidence_dir = args
        .evidence_dir
        .clone()
        .unwrap_or_else(|| rightsguard_http::default_evidence_dir(&args.db));
    let mut restored = EvidenceSummary::default();
    let src = args.from.join("evidence");
    if src.is_dir() {
        for path in evidence_files(&src)? {
            let Some(sha) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| Sha256::parse(n).ok())
            else {
                continue;
            };
            match copy_checked(&path, &sha, &evidence_dir)? {
                Some(bytes) => {
                    restored.files += 1;
                    restored.bytes += bytes;
                }
                None => restored.corrupt.push(sha.to_string()),
            }
        }
    }
    let anchor = manifest
        .audit
        .head
        .as_ref()
        .and_then(|h| h.split_once(':'))
        .and_then(|(s, h)| s.parse::<i64>().ok().map(|s| (s, h.to_owned())));
    let report = runtime()?.block_on(async {
        let store = SqlStore::connect(&args.db).await?;
        let report = store.verify_audit(anchor).await;
        store.close().await;
        anyhow::Ok(report?)
    })?;
    let audit_ok = report.ok() && report.records >= manifest.audit.records;
    let ok = audit_ok && restored.corrupt.is_empty();
    outln!(
        "{}",
        serde_json::json!({
            "restored": ok,
            "db": redact(&args.db),
            "evidence_dir": evidence_dir.display().to_string(),
            "evidence_files": restored.files,
            "evidence_corrupt": restored.corrupt,
            "audit": {
                "ok": audit_ok,
                "records": report.records,
                "head": report.head.as_ref().map(|(s, h)| format!("{s}:{h}")),
                "expected_head": manifest.audit.head,
                "first_bad": report.first_bad,
            },
        })
    )?;
    if !ok {
        eprintln!(
            "error: the restored site does not verify (audit chain ok={audit_ok}, {} corrupt evidence files)",
            restored.corrupt.len()
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
