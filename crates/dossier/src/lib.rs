//! Evidence dossiers: one complaint's case as a PDF a person reads and a ZIP
//! a machine checks.
//!
//! The main design decision is that a dossier proves itself offline. The ZIP
//! holds the PDF, every evidence file under its SHA-256, the case data
//! (`case.json`), the audit records of the case exactly as stored (the fields
//! each chain hash was computed over, byte for byte) and a `manifest.json`
//! naming every other file with its SHA-256 and size. [`verify()`] needs
//! nothing but the ZIP's bytes: every file against the manifest, no file
//! missing or extra, every audit record's hash recomputed, records that are
//! neighbours in the chain linked, and every field of the manifest
//! cross-checked against the content it describes, so changing any one file
//! or any one manifest field is reported.
//!
//! What offline checking cannot do is tell a dossier from a consistent
//! forgery written from scratch: for that the audit hashes are compared with
//! the platform's log (`rightsguard audit verify` prints the chain head, and
//! the manifest records the head at export time).
//!
//! An escalation package (for an AMR complaint, a lawsuit or a customs
//! recordal) is a dossier with one more file, `escalation.json`
//! ([`EscalationCase`]: the route, the proceedings recorded and the right's
//! customs recordals), named in the same manifest, and the proceedings'
//! documents under [`PROCEEDINGS_DIR`] (`proceedings/<route>-<reference>/
//! <label>-<sha8>.<ext>`), listed in `escalation.json` with their SHA-256;
//! [`verify()`] checks them like any other file and cross-checks the case
//! file's complaint and time and that every document of every proceeding
//! is in the ZIP with the bytes its hash names.
//!
//! This crate does no I/O: the app gathers the case ([`DossierInput`]), the
//! `pdf` feature renders it (krilla, with a bundled CJK font) and
//! [`package`] writes the ZIP. Without the `pdf` feature it is only the
//! format and the verifier (what the fuzz target builds).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use jiff::Timestamp;
use rightsguard_domain::chain::ChainRecord;
use rightsguard_domain::complaint::Complaint;
use rightsguard_domain::customs::CustomsRecordal;
use rightsguard_domain::escalation::{Proceeding, Route};
use rightsguard_domain::finding::{Capture, Explanation};
use rightsguard_domain::ids::{OrgId, Sha256};
use rightsguard_domain::right::Right;
use serde::{Deserialize, Serialize};
use sha2::Digest;

#[cfg(feature = "pdf")]
pub mod pdf;

/// The format tag in every manifest.
pub const FORMAT: &str = "rightsguard-dossier/1";
/// The PDF's path in the ZIP.
pub const PDF_PATH: &str = "dossier.pdf";
/// The manifest's path in the ZIP.
pub const MANIFEST_PATH: &str = "manifest.json";
/// The case data's path in the ZIP.
pub const CASE_PATH: &str = "case.json";
/// The audit records' path in the ZIP (one JSON record per line).
pub const AUDIT_PATH: &str = "audit/records.jsonl";
/// An escalation package's case file ([`EscalationCase`]).
pub const ESCALATION_PATH: &str = "escalation.json";
/// The format tag of [`EscalationCase`].
pub const ESCALATION_FORMAT: &str = "rightsguard-escalation/1";
/// Where an escalation package's proceeding documents go in the ZIP
/// (see [`proceeding_document_path`]).
pub const PROCEEDINGS_DIR: &str = "proceedings/";
/// Where evidence files go in the ZIP (`evidence/SHA256.EXT`).
pub const EVIDENCE_DIR: &str = "evidence/";
/// The most a verifier reads of one file (the evidence store's limits are
/// far below this); a larger entry is reported, not read.
pub const MAX_ENTRY_BYTES: u64 = 256 * 1024 * 1024;
/// The most entries a verifier reads.
pub const MAX_ENTRIES: usize = 10_000;

/// The registered right as the dossier shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RightInfo {
    /// The right.
    pub right: Right,
    /// The holder's name.
    pub holder_name: String,
    /// The mark as registered (trademarks with marks on file).
    pub mark: Option<String>,
    /// Other spellings monitored as the mark.
    pub aliases: Vec<String>,
}

/// A listing capture and why it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureInfo {
    /// The listing as captured.
    pub capture: Capture,
    /// SHA-256 of the capture's canonical JSON (an evidence file).
    pub sha256: Sha256,
    /// The engine's explanations of the matches in it.
    pub explanations: Vec<Explanation>,
}

/// One evidence file with its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Its hash.
    pub sha256: Sha256,
    /// Its sniffed content type.
    pub content_type: String,
    /// The organisation that uploaded it first.
    pub uploaded_by: OrgId,
    /// When.
    pub uploaded_at: Timestamp,
    /// When the uploader says it was captured.
    pub captured_at: Option<Timestamp>,
    /// What it is in the case (`complaint evidence`, `supplement`,
    /// `counter-notice`, `right certificate`).
    pub role: String,
    /// The bytes (not in `case.json`: they are files of their own).
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Everything a dossier shows, gathered by the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierInput {
    /// When the dossier was made.
    pub generated_at: Timestamp,
    /// The complaint (as the requester may see it).
    pub complaint: Complaint,
    /// Its right.
    pub right: RightInfo,
    /// The listing captures.
    pub captures: Vec<CaptureInfo>,
    /// The evidence files.
    pub files: Vec<EvidenceFile>,
    /// The audit records of the case, in chain order.
    pub audit: Vec<ChainRecord>,
    /// The last record of the whole audit chain when the dossier was made.
    pub chain_head: Option<ChainHead>,
}

/// A point in the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Its sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// One file named by the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Its path in the ZIP.
    pub path: String,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What the manifest says of the audit records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSummary {
    /// How many records `audit/records.jsonl` holds.
    pub records: usize,
    /// The last of them.
    pub last: Option<ChainHead>,
    /// The last record of the whole chain at export (compare it with the
    /// platform's `rightsguard audit verify`).
    pub chain_head: Option<ChainHead>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The complaint.
    pub complaint: String,
    /// When the dossier was made.
    pub generated_at: Timestamp,
    /// Every file of the ZIP but the manifest, in path order.
    pub files: Vec<ManifestFile>,
    /// The audit records.
    pub audit: AuditSummary,
}

/// `case.json`: the case data in machine-readable form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseData {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the dossier was made.
    pub generated_at: Timestamp,
    /// The complaint.
    pub complaint: Complaint,
    /// Its right.
    pub right: RightInfo,
    /// The listing captures.
    pub captures: Vec<CaptureInfo>,
    /// The evidence files (their bytes are under `evidence/`).
    pub files: Vec<EvidenceFile>,
}

/// `escalation.json`: what an escalation package adds to the dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationCase {
    /// Always [`ESCALATION_FORMAT`].
    pub format: String,
    /// Where the case is taken.
    pub route: Route,
    /// The complaint.
    pub complaint: String,
    /// When the package was made (the dossier's time).
    pub generated_at: Timestamp,
    /// The proceedings recorded against the complaint (every route).
    pub proceedings: Vec<Proceeding>,
    /// The customs recordals of the complaint's right.
    pub customs_recordals: Vec<CustomsRecordal>,
    /// The proceedings' documents in the ZIP, by proceeding (absent from
    /// packages made before proceedings carried documents).
    #[serde(default)]
    pub documents: Vec<PackagedDocument>,
}

/// A proceeding's document as an escalation package holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagedDocument {
    /// The proceeding's route.
    pub route: Route,
    /// The proceeding's reference.
    pub reference: String,
    /// What the document is.
    pub label: String,
    /// Its SHA-256 (of the bytes at `path`).
    pub sha256: Sha256,
    /// Its sniffed content type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its path in the ZIP.
    pub path: String,
}

/// A path segment made of `s`: letters and digits (any script) kept, runs
/// of anything else one `_`, at most 60 characters; `fallback` if nothing
/// is left. No separator, dot or control character survives.
fn path_segment(s: &str, fallback: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_alphanumeric() || ch == '-' {
            out.push(ch);
        } else if !out.ends_with('_') {
            out.push('_');
        }
        if out.chars().count() >= 60 {
            break;
        }
    }
    let t = out.trim_matches('_');
    if t.is_empty() {
        fallback.to_owned()
    } else {
        t.to_owned()
    }
}

/// Where a proceeding's document goes in an escalation package:
/// `proceedings/<route>-<reference>/<label>-<first 8 hex of sha>.<ext>`,
/// reference and label reduced to safe path segments.
pub fn proceeding_document_path(
    route: Route,
    reference: &str,
    label: &str,
    sha256: &Sha256,
    content_type: &str,
) -> String {
    let sha = sha256.to_string();
    format!(
        "{PROCEEDINGS_DIR}{}-{}/{}-{}.{}",
        route.as_str(),
        path_segment(reference, "case"),
        path_segment(label, "document"),
        sha.get(..8).unwrap_or(&sha),
        extension_of(content_type)
    )
}

/// Why a dossier could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    /// The ZIP writer failed.
    #[error("writing the dossier ZIP: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing into memory failed.
    #[error("writing the dossier ZIP: {0}")]
    Io(#[from] std::io::Error),
    /// Serialising JSON failed.
    #[error("serialising the dossier: {0}")]
    Json(#[from] serde_json::Error),
    /// The PDF could not be rendered.
    #[error("rendering the dossier PDF: {0}")]
    Pdf(String),
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file extension for a content type.
pub fn extension_of(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// An evidence file's path in the ZIP.
pub fn evidence_path(f: &EvidenceFile) -> String {
    format!(
        "{EVIDENCE_DIR}{}.{}",
        f.sha256,
        extension_of(&f.content_type)
    )
}

/// Writes the ZIP: `pdf` as [`PDF_PATH`], the case data, the evidence files,
/// the audit records and the manifest. The same input and PDF give the same
/// bytes (entries in path order, fixed timestamps).
pub fn package(input: &DossierInput, pdf: &[u8]) -> Result<Vec<u8>, DossierError> {
    package_with(input, pdf, BTreeMap::new())
}

/// [`package`] with `extra` files (path to bytes) beside the dossier's own,
/// named in the manifest like them; an extra path the dossier uses itself
/// is ignored.
pub fn package_with(
    input: &DossierInput,
    pdf: &[u8],
    extra: BTreeMap<String, Vec<u8>>,
) -> Result<Vec<u8>, DossierError> {
    let case = CaseData {
        format: FORMAT.to_owned(),
        generated_at: input.generated_at,
        complaint: input.complaint.clone(),
        right: input.right.clone(),
        captures: input.captures.clone(),
        files: input.files.clone(),
    };
    let mut audit = String::new();
    for r in &input.audit {
        audit.push_str(&serde_json::to_string(r)?);
        audit.push('\n');
    }
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    entries.insert(PDF_PATH.to_owned(), pdf.to_vec());
    entries.insert(CASE_PATH.to_owned(), serde_json::to_vec_pretty(&case)?);
    entries.insert(AUDIT_PATH.to_owned(), audit.into_bytes());
    for f in &input.files {
        entries.insert(evidence_path(f), f.bytes.clone());
    }
    for (path, bytes) in extra {
        if path != MANIFEST_PATH && !path.starts_with(EVIDENCE_DIR) {
            entries.entry(path).or_insert(bytes);
        }
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        complaint: input.complaint.id.to_string(),
        generated_at: input.generated_at,
        files: entries
            .iter()
            .map(|(path, bytes)| ManifestFile {
                path: path.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
            })
            .collect(),
        audit: AuditSummary {
            records: input.audit.len(),
            last: input.audit.last().map(|r| ChainHead {
                seq: r.seq,
                hash: r.hash.clone(),
            }),
            chain_head: input.chain_head.clone(),
        },
    };
    entries.insert(
        MANIFEST_PATH.to_owned(),
        serde_json::to_vec_pretty(&manifest)?,
    );
    write_zip(&entries)
}

/// Writes `entries` (path to bytes) as a ZIP, in the map's order.
pub fn write_zip(entries: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, DossierError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in entries {
        // Images and the PDF are compressed already; storing them saves the
        // time of deflating them again for nothing.
        let method =
            if path.ends_with(".json") || path.ends_with(".jsonl") || path.ends_with(".txt") {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        zip.start_file(path.as_str(), opts)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// One thing wrong with a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not a readable ZIP.
    NotAZip(String),
    /// A ZIP entry could not be read.
    Unreadable {
        /// Its path.
        path: String,
        /// Why.
        why: String,
    },
    /// Two entries have the same path.
    Duplicate(String),
    /// There is no `manifest.json`.
    ManifestMissing,
    /// `manifest.json` does not parse or is not of this format.
    ManifestInvalid(String),
    /// A file the manifest names is not in the ZIP.
    Missing(String),
    /// A file is in the ZIP but not in the manifest.
    Extra(String),
    /// A file's bytes do not have the manifest's hash.
    HashMismatch {
        /// Its path.
        path: String,
        /// The manifest's hash.
        expected: String,
        /// The bytes' hash.
        actual: String,
    },
    /// A file's size differs from the manifest's.
    SizeMismatch {
        /// Its path.
        path: String,
        /// The manifest's size.
        expected: u64,
        /// The real size.
        actual: u64,
    },
    /// An evidence file's name is not its hash.
    EvidenceName {
        /// Its path.
        path: String,
        /// The bytes' hash.
        actual: String,
    },
    /// The case data disagrees with the manifest or does not parse.
    Case(String),
    /// An escalation package's `escalation.json` disagrees with the
    /// manifest or does not parse.
    Escalation(String),
    /// The PDF is not a PDF.
    Pdf(String),
    /// An audit record does not parse.
    AuditUnreadable {
        /// Line number, from 1.
        line: usize,
        /// Why.
        why: String,
    },
    /// An audit record's content does not give its hash.
    AuditHash {
        /// Its sequence number.
        seq: i64,
        /// The hash it carries.
        stored: String,
        /// The hash its content gives.
        recomputed: String,
    },
    /// An audit record does not point at the record before it.
    AuditLink {
        /// Its sequence number.
        seq: i64,
        /// The previous hash it carries.
        prev_hash: String,
        /// The hash of record `seq - 1`.
        previous: String,
    },
    /// Audit records out of chain order.
    AuditOrder {
        /// The record out of order.
        seq: i64,
        /// The record before it in the file.
        after: i64,
    },
    /// The manifest's audit summary disagrees with the records.
    AuditSummary(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAZip(why) => write!(f, "not a readable ZIP file: {why}"),
            Self::Unreadable { path, why } => write!(f, "{path}: cannot be read: {why}"),
            Self::Duplicate(p) => write!(f, "{p}: appears more than once in the ZIP"),
            Self::ManifestMissing => write!(f, "{MANIFEST_PATH}: missing"),
            Self::ManifestInvalid(why) => write!(f, "{MANIFEST_PATH}: invalid: {why}"),
            Self::Missing(p) => write!(f, "{p}: named in the manifest but missing from the ZIP"),
            Self::Extra(p) => write!(f, "{p}: in the ZIP but not in the manifest (added)"),
            Self::HashMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{path}: SHA-256 {actual} does not match the manifest's {expected} (file changed)"
            ),
            Self::SizeMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{path}: {actual} bytes, the manifest says {expected} (file changed)"
            ),
            Self::EvidenceName { path, actual } => write!(
                f,
                "{path}: an evidence file is named by its SHA-256, but its bytes hash to {actual}"
            ),
            Self::Case(why) => write!(f, "{CASE_PATH}: {why}"),
            Self::Escalation(why) => write!(f, "{ESCALATION_PATH}: {why}"),
            Self::Pdf(why) => write!(f, "{PDF_PATH}: {why}"),
            Self::AuditUnreadable { line, why } => {
                write!(f, "{AUDIT_PATH} line {line}: not an audit record: {why}")
            }
            Self::AuditHash {
                seq,
                stored,
                recomputed,
            } => write!(
                f,
                "audit record {seq}: its content hashes to {recomputed}, not its recorded hash {stored} (record edited)"
            ),
            Self::AuditLink {
                seq,
                prev_hash,
                previous,
            } => write!(
                f,
                "audit record {seq}: its previous hash {prev_hash} is not the hash of record {} ({previous}): chain broken",
                seq - 1
            ),
            Self::AuditOrder { seq, after } => write!(
                f,
                "audit record {seq} follows record {after}: records out of chain order or repeated"
            ),
            Self::AuditSummary(why) => write!(f, "{MANIFEST_PATH}: audit summary: {why}"),
        }
    }
}

/// The result of checking a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The complaint, if the manifest could be read.
    pub complaint: Option<String>,
    /// When it was made, if the manifest could be read.
    pub generated_at: Option<Timestamp>,
    /// Files whose hash matched the manifest.
    pub files_ok: usize,
    /// Evidence files among them.
    pub evidence_files: usize,
    /// Audit records whose hash was recomputed and matched.
    pub audit_records_ok: usize,
    /// Links between neighbouring records checked.
    pub audit_links_checked: usize,
    /// The manifest's audit summary.
    pub audit: Option<AuditSummary>,
    /// The route, if this is an escalation package.
    pub escalation: Option<Route>,
    /// Everything wrong, in the order found.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether the dossier verified.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a dossier from its ZIP bytes alone (see the crate doc).
pub fn verify(zip_bytes: &[u8]) -> Report {
    let mut report = Report::default();
    let files = match read_entries(zip_bytes, &mut report.problems) {
        Ok(f) => f,
        Err(p) => {
            report.problems.push(p);
            return report;
        }
    };
    let Some(manifest_bytes) = files.get(MANIFEST_PATH) else {
        report.problems.push(Problem::ManifestMissing);
        return report;
    };
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            report
                .problems
                .push(Problem::ManifestInvalid(e.to_string()));
            return report;
        }
    };
    if manifest.format != FORMAT {
        report.problems.push(Problem::ManifestInvalid(format!(
            "format {:?}, expected {FORMAT:?}",
            manifest.format
        )));
        return report;
    }
    report.complaint = Some(manifest.complaint.clone());
    report.generated_at = Some(manifest.generated_at);
    report.audit = Some(manifest.audit.clone());

    // The files against the manifest.
    let mut named = BTreeSet::new();
    let mut previous: Option<&str> = None;
    for mf in &manifest.files {
        if previous.is_some_and(|p| p >= mf.path.as_str()) {
            report.problems.push(Problem::ManifestInvalid(format!(
                "files not in path order or repeated at {}",
                mf.path
            )));
        }
        previous = Some(&mf.path);
        named.insert(mf.path.as_str());
        let Some(bytes) = files.get(&mf.path) else {
            report.problems.push(Problem::Missing(mf.path.clone()));
            continue;
        };
        let actual = sha256_hex(bytes);
        let mut good = true;
        if actual != mf.sha256 {
            report.problems.push(Problem::HashMismatch {
                path: mf.path.clone(),
                expected: mf.sha256.clone(),
                actual: actual.clone(),
            });
            good = false;
        }
        if bytes.len() as u64 != mf.size {
            report.problems.push(Problem::SizeMismatch {
                path: mf.path.clone(),
                expected: mf.size,
                actual: bytes.len() as u64,
            });
            good = false;
        }
        if let Some(name) = mf.path.strip_prefix(EVIDENCE_DIR) {
            report.evidence_files += 1;
            let stem = name.split('.').next().unwrap_or_default();
            if stem != actual {
                report.problems.push(Problem::EvidenceName {
                    path: mf.path.clone(),
                    actual,
                });
                good = false;
            }
        }
        if good {
            report.files_ok += 1;
        }
    }
    for path in files.keys() {
        if path != MANIFEST_PATH && !named.contains(path.as_str()) {
            report.problems.push(Problem::Extra(path.clone()));
        }
    }
    for required in [PDF_PATH, CASE_PATH, AUDIT_PATH] {
        if !named.contains(required) {
            report.problems.push(Problem::ManifestInvalid(format!(
                "does not name {required}"
            )));
        }
    }

    if let Some(pdf) = files.get(PDF_PATH)
        && !pdf.starts_with(b"%PDF-")
    {
        report
            .problems
            .push(Problem::Pdf("does not start with %PDF-".into()));
    }
    if let Some(case) = files.get(CASE_PATH) {
        check_case(case, &manifest, &files, &mut report.problems);
    }
    if let Some(esc) = files.get(ESCALATION_PATH) {
        report.escalation = check_escalation(esc, &manifest, &files, &mut report.problems);
    } else if let Some(p) = files.keys().find(|p| p.starts_with(PROCEEDINGS_DIR)) {
        report.problems.push(Problem::Escalation(format!(
            "missing, yet the ZIP holds proceeding document {p}"
        )));
    }
    if let Some(audit) = files.get(AUDIT_PATH) {
        check_audit(audit, &manifest.audit, &mut report);
    }
    report
}

/// Every file of a ZIP, by path (for readers of a dossier; [`verify()`]
/// reports the same failures as problems).
pub fn read_zip(zip_bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let mut problems = Vec::new();
    let files = read_entries(zip_bytes, &mut problems)?;
    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(files),
    }
}

fn read_entries(
    zip_bytes: &[u8],
    problems: &mut Vec<Problem>,
) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes))
        .map_err(|e| Problem::NotAZip(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(Problem::NotAZip(format!(
            "{} entries, more than the {MAX_ENTRIES} a dossier may hold",
            archive.len()
        )));
    }
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::Unreadable {
                    path: format!("entry #{i}"),
                    why: e.to_string(),
                });
                continue;
            }
        };
        let path = entry.name().to_owned();
        if entry.is_dir() {
            problems.push(Problem::Extra(path));
            continue;
        }
        if entry.size() > MAX_ENTRY_BYTES {
            problems.push(Problem::Unreadable {
                path,
                why: format!("larger than {MAX_ENTRY_BYTES} bytes"),
            });
            continue;
        }
        let mut bytes = Vec::new();
        // `take` bounds what is inflated whatever the header claims.
        if let Err(e) = (&mut entry).take(MAX_ENTRY_BYTES).read_to_end(&mut bytes) {
            problems.push(Problem::Unreadable {
                path,
                why: e.to_string(),
            });
            continue;
        }
        if files.insert(path.clone(), bytes).is_some() {
            problems.push(Problem::Duplicate(path));
        }
    }
    Ok(files)
}

fn check_case(
    bytes: &[u8],
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
    problems: &mut Vec<Problem>,
) {
    let case: CaseData = match serde_json::from_slice(bytes) {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::Case(format!("does not parse: {e}")));
            return;
        }
    };
    if case.complaint.id.as_str() != manifest.complaint {
        problems.push(Problem::Case(format!(
            "is about complaint {}, the manifest about {}",
            case.complaint.id, manifest.complaint
        )));
    }
    if case.generated_at != manifest.generated_at {
        problems.push(Problem::Case(format!(
            "was generated at {}, the manifest says {}",
            case.generated_at, manifest.generated_at
        )));
    }
    let listed: BTreeSet<String> = case.files.iter().map(evidence_path).collect();
    for f in &listed {
        if !files.contains_key(f) {
            problems.push(Problem::Case(format!(
                "lists evidence {f}, which is not in the ZIP"
            )));
        }
    }
    for path in files.keys() {
        if path.starts_with(EVIDENCE_DIR) && !listed.contains(path) {
            problems.push(Problem::Case(format!(
                "does not list evidence {path}, which is in the ZIP"
            )));
        }
    }
}

fn check_escalation(
    bytes: &[u8],
    manifest: &Manifest,
    files: &BTreeMap<String, Vec<u8>>,
    problems: &mut Vec<Problem>,
) -> Option<Route> {
    let case: EscalationCase = match serde_json::from_slice(bytes) {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::Escalation(format!("does not parse: {e}")));
            return None;
        }
    };
    if case.format != ESCALATION_FORMAT {
        problems.push(Problem::Escalation(format!(
            "format {:?}, expected {ESCALATION_FORMAT:?}",
            case.format
        )));
    }
    if case.complaint != manifest.complaint {
        problems.push(Problem::Escalation(format!(
            "is about complaint {}, the manifest about {}",
            case.complaint, manifest.complaint
        )));
    }
    if case.generated_at != manifest.generated_at {
        problems.push(Problem::Escalation(format!(
            "was generated at {}, the manifest says {}",
            case.generated_at, manifest.generated_at
        )));
    }
    if let Some(p) = case
        .proceedings
        .iter()
        .find(|p| p.complaint.as_str() != manifest.complaint)
    {
        problems.push(Problem::Escalation(format!(
            "lists a proceeding of complaint {}",
            p.complaint
        )));
    }
    check_documents(&case, files, problems);
    Some(case.route)
}

/// Every document of every proceeding is listed, under [`PROCEEDINGS_DIR`],
/// in the ZIP with the bytes its hash names; nothing else is in that folder.
fn check_documents(
    case: &EscalationCase,
    files: &BTreeMap<String, Vec<u8>>,
    problems: &mut Vec<Problem>,
) {
    let mut listed = BTreeSet::new();
    for d in &case.documents {
        listed.insert(d.path.as_str());
        if !d.path.starts_with(PROCEEDINGS_DIR) {
            problems.push(Problem::Escalation(format!(
                "lists document {} outside {PROCEEDINGS_DIR}",
                d.path
            )));
            continue;
        }
        match files.get(&d.path) {
            None => problems.push(Problem::Escalation(format!(
                "lists document {}, which is not in the ZIP",
                d.path
            ))),
            Some(bytes) => {
                let actual = sha256_hex(bytes);
                if actual != d.sha256.to_string() {
                    problems.push(Problem::Escalation(format!(
                        "document {} should hash to {}, it hashes to {actual}",
                        d.path, d.sha256
                    )));
                }
            }
        }
    }
    for p in &case.proceedings {
        for doc in &p.documents {
            let held = case.documents.iter().any(|d| {
                d.route == p.route && d.reference == p.reference && d.sha256 == doc.sha256
            });
            if !held {
                problems.push(Problem::Escalation(format!(
                    "proceeding {} {} has document {} ({}), which the package does not hold",
                    p.route.as_str(),
                    p.reference,
                    doc.sha256,
                    doc.label
                )));
            }
        }
    }
    for path in files.keys() {
        if path.starts_with(PROCEEDINGS_DIR) && !listed.contains(path.as_str()) {
            problems.push(Problem::Escalation(format!(
                "does not list document {path}, which is in the ZIP"
            )));
        }
    }
}

fn check_audit(bytes: &[u8], summary: &AuditSummary, report: &mut Report) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            report.problems.push(Problem::AuditUnreadable {
                line: 0,
                why: format!("not UTF-8: {e}"),
            });
            return;
        }
    };
    let mut last: Option<ChainRecord> = None;
    let mut count = 0usize;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let rec: ChainRecord = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => {
                report.problems.push(Problem::AuditUnreadable {
                    line: i + 1,
                    why: e.to_string(),
                });
                continue;
            }
        };
        count += 1;
        let recomputed = rec.recomputed_hash();
        if recomputed == rec.hash {
            report.audit_records_ok += 1;
        } else {
            report.problems.push(Problem::AuditHash {
                seq: rec.seq,
                stored: rec.hash.clone(),
                recomputed,
            });
        }
        if let Some(prev) = &last {
            if rec.seq <= prev.seq {
                report.problems.push(Problem::AuditOrder {
                    seq: rec.seq,
                    after: prev.seq,
                });
            } else if prev.seq.checked_add(1) == Some(rec.seq) {
                report.audit_links_checked += 1;
                if rec.prev_hash != prev.hash {
                    report.problems.push(Problem::AuditLink {
                        seq: rec.seq,
                        prev_hash: rec.prev_hash.clone(),
                        previous: prev.hash.clone(),
                    });
                }
            }
        } else if rec.seq == 1 && rec.prev_hash != rightsguard_domain::chain::GENESIS {
            report.problems.push(Problem::AuditLink {
                seq: 1,
                prev_hash: rec.prev_hash.clone(),
                previous: rightsguard_domain::chain::GENESIS.to_owned(),
            });
        }
        last = Some(rec);
    }
    if count != summary.records {
        report.problems.push(Problem::AuditSummary(format!(
            "{} records, the file holds {count}",
            summary.records
        )));
    }
    let last_head = last.map(|r| ChainHead {
        seq: r.seq,
        hash: r.hash,
    });
    if last_head != summary.last {
        report.problems.push(Problem::AuditSummary(format!(
            "last record {}, the file ends with {}",
            head_text(summary.last.as_ref()),
            head_text(last_head.as_ref())
        )));
    }
    if let (Some(l), Some(h)) = (&summary.last, &summary.chain_head)
        && (h.seq < l.seq || (h.seq == l.seq && h.hash != l.hash))
    {
        report.problems.push(Problem::AuditSummary(format!(
            "chain head {} lies before the last record {}",
            head_text(Some(h)),
            head_text(Some(l))
        )));
    }
}

fn head_text(h: Option<&ChainHead>) -> String {
    match h {
        Some(h) => format!("#{} {}", h.seq, h.hash),
        None => "none".to_owned(),
    }
}

#[cfg(test)]
mod tests;
