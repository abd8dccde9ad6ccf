//! Evidence files, stored by content.
//!
//! A file's name is the SHA-256 of its bytes, so a stored file can never be
//! overwritten with other content, the same file uploaded twice is stored
//! once, and any reference to evidence (in a complaint, an audit record, a
//! dossier manifest) pins the exact bytes. The content type is sniffed from
//! the bytes (the `infer` crate), never taken from the uploader, and only
//! types a takedown needs are accepted. Writes go to a temporary file in the
//! same directory, are synced, then renamed into place, so a crash leaves
//! either the whole file or nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use rightsguard_domain::ids::Sha256;
use serde::Serialize;
use sha2::Digest;

/// Why evidence was refused or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Larger than the limit.
    #[error("file of {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Empty upload.
    #[error("the file is empty")]
    Empty,
    /// A type that evidence may not be.
    #[error("content type {0} is not accepted as evidence (images, PDF, plain text)")]
    TypeNotAccepted(String),
    /// No such evidence.
    #[error("no evidence with hash {0}")]
    NotFound(Sha256),
    /// The stored bytes no longer match their name: the store was tampered with.
    #[error("evidence {0} is corrupt: its bytes no longer match its hash")]
    Corrupt(Sha256),
    /// The file system failed.
    #[error("evidence store: {0}")]
    Io(#[from] std::io::Error),
}

/// What is known of a stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceMeta {
    /// Its content hash (and name).
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// The sniffed content type.
    pub content_type: &'static str,
    /// Whether this call stored it (false: it was there already).
    pub newly_stored: bool,
}

/// The content types accepted as evidence.
pub const ACCEPTED: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "application/pdf",
    "text/plain",
];

/// A content-addressed file store under one directory.
#[derive(Debug, Clone)]
pub struct EvidenceStore {
    root: PathBuf,
    max_bytes: u64,
}

impl EvidenceStore {
    /// Opens (creating) a store under `root` accepting files up to `max_bytes`.
    pub fn open(root: impl Into<PathBuf>, max_bytes: u64) -> Result<Self, EvidenceError> {
        let root = root.into();
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root, max_bytes })
    }

    /// Sniffs the content type of `bytes`, if it is one evidence may be.
    pub fn sniff(bytes: &[u8]) -> Result<&'static str, EvidenceError> {
        let t = match infer::get(bytes) {
            Some(kind) => kind.mime_type(),
            None if looks_like_plain_text(bytes) => "text/plain",
            None => "application/octet-stream",
        };
        if ACCEPTED.contains(&t) {
            Ok(t)
        } else {
            Err(EvidenceError::TypeNotAccepted(t.to_owned()))
        }
    }

    /// Stores `bytes`; storing the same bytes again is a no-op.
    pub fn put(&self, bytes: &[u8]) -> Result<EvidenceMeta, EvidenceError> {
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(EvidenceError::Empty);
        }
        if size > self.max_bytes {
            return Err(EvidenceError::TooLarge {
                size,
                limit: self.max_bytes,
            });
        }
        let content_type = Self::sniff(bytes)?;
        let sha256 = Sha256::from_bytes(sha2::Sha256::digest(bytes).into());
        let path = self.path_of(&sha256);
        if path.exists() {
            return Ok(EvidenceMeta {
                sha256,
                size,
                content_type,
                newly_stored: false,
            });
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp"))?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        // persist_noclobber: if another writer won the race, its file has the
        // same bytes (same name = same hash), so losing is success.
        match tmp.persist_noclobber(&path) {
            Ok(_) => {}
            Err(e) if path.exists() => drop(e),
            Err(e) => return Err(e.error.into()),
        }
        if let Some(dir) = path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(EvidenceMeta {
            sha256,
            size,
            content_type,
            newly_stored: true,
        })
    }

    /// Reads a file back, checking that its bytes still match its hash.
    pub fn get(&self, sha: &Sha256) -> Result<Vec<u8>, EvidenceError> {
        let bytes = match fs::read(self.path_of(sha)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EvidenceError::NotFound(*sha));
            }
            Err(e) => return Err(e.into()),
        };
        let actual: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        if &actual != sha.as_bytes() {
            return Err(EvidenceError::Corrupt(*sha));
        }
        Ok(bytes)
    }

    /// Where a file lives: `ab/cd/abcd…` (two levels keep directories small).
    pub fn path_of(&self, sha: &Sha256) -> PathBuf {
        let hex = sha.to_string();
        self.root.join(&hex[0..2]).join(&hex[2..4]).join(&hex)
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// UTF-8 without control characters other than tab, CR, LF.
fn looks_like_plain_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89,
    ];

    fn store(limit: u64) -> (tempfile::TempDir, EvidenceStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = EvidenceStore::open(dir.path().join("evidence"), limit).unwrap();
        (dir, s)
    }

    #[test]
    fn a_file_is_stored_once_under_its_hash_and_read_back() {
        let (_d, s) = store(1 << 20);
        let a = s.put(PNG).unwrap();
        assert!(a.newly_stored);
        assert_eq!(a.content_type, "image/png");
        let expected: [u8; 32] = sha2::Sha256::digest(PNG).into();
        assert_eq!(a.sha256, Sha256::from_bytes(expected));
        assert!(s.path_of(&a.sha256).ends_with(a.sha256.to_string()));
        let again = s.put(PNG).unwrap();
        assert!(!again.newly_stored);
        assert_eq!(again.sha256, a.sha256);
        assert_eq!(s.get(&a.sha256).unwrap(), PNG);
    }

    #[test]
    fn the_type_is_sniffed_not_trusted() {
        let (_d, s) = store(1 << 20);
        assert_eq!(
            s.put(b"Seller's invoice no. 42\n").unwrap().content_type,
            "text/plain"
        );
        assert!(matches!(
            s.put(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
            Err(EvidenceError::TypeNotAccepted(_))
        ));
        assert!(matches!(
            s.put(&[0u8, 1, 2, 3, 0xff]),
            Err(EvidenceError::TypeNotAccepted(_))
        ));
        // Markup that a browser would run is refused outright.
        assert!(
            matches!(s.put(b"<html><script>alert(1)</script>"), Err(EvidenceError::TypeNotAccepted(t)) if t == "text/html")
        );
    }

    #[test]
    fn size_limits_and_empty_files_are_refused() {
        let (_d, s) = store(16);
        assert!(matches!(s.put(&[]), Err(EvidenceError::Empty)));
        assert!(matches!(
            s.put(PNG),
            Err(EvidenceError::TooLarge {
                size: 33,
                limit: 16
            })
        ));
    }

    #[test]
    fn a_tampered_file_is_detected_on_read() {
        let (_d, s) = store(1 << 20);
        let m = s.put(b"contract text").unwrap();
        fs::write(s.path_of(&m.sha256), b"contract text, amended").unwrap();
        assert!(matches!(s.get(&m.sha256), Err(EvidenceError::Corrupt(_))));
        let missing = Sha256::from_bytes([0; 32]);
        assert!(matches!(s.get(&missing), Err(EvidenceError::NotFound(_))));
    }
}
