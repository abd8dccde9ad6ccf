//! `rightsguard hash FILE...`: the PDQ hash of each image, one JSON line each.
//!
//! A file that cannot be read or decoded gets an `error` line and the others
//! are still hashed: one hostile image never stops a batch. The exit status
//! is 1 when any file failed, so scripts can tell.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rightsguard_detect::image::{Dihedral, Limits, hash_bytes};
use serde_json::{Map, Value, json};

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

/// Prints `{"path","pdq","quality"}` or `{"path","error"}` per file.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let limits = Limits::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for path in &args.files {
        let mut line = Map::new();
        line.insert("path".into(), json!(path.display().to_string()));
        match read_limited(path, limits.max_bytes)
            .and_then(|bytes| hash_bytes(&bytes, &limits).map_err(|e| e.to_string()))
        {
            Ok(digest) => {
                line.insert("pdq".into(), json!(digest.hash.to_string()));
                line.insert("quality".into(), json!(digest.quality));
                if args.dihedral {
                    let all: Map<String, Value> = Dihedral::ALL
                        .iter()
                        .map(|&d| {
                            let name = serde_json::to_value(d)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default();
                            (name, json!(digest.output.dihedral(d).to_string()))
                        })
                        .collect();
                    line.insert("dihedral".into(), Value::Object(all));
                }
            }
            Err(err) => {
                failed = true;
                line.insert("error".into(), json!(err));
            }
        }
        writeln!(out, "{}", Value::Object(line))?;
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
