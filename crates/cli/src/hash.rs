//! `rightsguard hash FILE...`: the PDQ hash of each image, one JSON line each.
//!
//! A file that cannot be read or decoded gets an `error` line and the others
//! are still hashed: one hostile image never stops a batch. The exit status
//! is 1 when any file failed, so scripts can tell.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rightsguard_detect::image::{Dihedral, Limits, hash_bytes};
use serde::Serialize;

/// Arguments of `rightsguard hash`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Image files (JPEG, PNG, WebP, GIF, SVG).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also print the 8 dihedral hashes (rotations and mirrors) under `dihedral`.
    #[arg(long)]
    dihedral: bool,
}

/// One output line; absent fields are left out.
#[derive(Debug, Serialize)]
struct Line {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdq: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dihedral: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Prints `{"path","pdq","quality"}` or `{"path","error"}` per file.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let limits = Limits::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for path in &args.files {
        let mut line = Line {
            path: path.display().to_string(),
            pdq: None,
            quality: None,
            dihedral: None,
            error: None,
        };
        match read_limited(path, limits.max_bytes)
            .and_then(|bytes| hash_bytes(&bytes, &limits).map_err(|e| e.to_string()))
        {
            Ok(digest) => {
                line.pdq = Some(digest.hash.to_string());
                line.quality = Some(digest.quality);
                if args.dihedral {
                    line.dihedral = Some(
                        Dihedral::ALL
                            .iter()
                            .map(|&d| {
                                let name = serde_json::to_value(d)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_owned))
                                    .unwrap_or_default();
                                (name, digest.output.dihedral(d).to_string())
                            })
                            .collect(),
                    );
                }
            }
            Err(err) => {
                failed = true;
                line.error = Some(err);
            }
        }
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads at most `max + 1` bytes, so a huge file is refused without being
/// read whole (the hasher reports the size error).
fn read_limited(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(bytes)
}
