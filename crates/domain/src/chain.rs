//! The hash chain of the audit log, as a pure function.
//!
//! It lives here rather than in the store so that anything holding audit
//! records (the store when it verifies the log, an evidence dossier's
//! offline verifier) computes the same hash from the same fields.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// One audit record with exactly the fields its hash covers, as stored (the
/// event JSON byte for byte, not re-serialised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, in microseconds since the Unix epoch.
    pub at_us: i64,
    /// What it is about (`complaint:ID/LISTING`, `right:ID`, `evidence:SHA`).
    pub subject: String,
    /// The event JSON as stored.
    pub event: String,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

impl ChainRecord {
    /// The hash its fields give (equal to [`ChainRecord::hash`] unless the
    /// record was changed).
    pub fn recomputed_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            self.seq,
            self.at_us,
            &self.subject,
            &self.event,
        )
    }
}

/// The previous hash of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of one audit record: SHA-256 over the previous hash, the sequence
/// number, the instant (microseconds since the epoch), the subject and the
/// event JSON as stored, newline-separated, in lowercase hex.
pub fn chain_hash(prev: &str, seq: i64, at_us: i64, subject: &str, event_json: &str) -> String {
    let mut h = sha2::Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &at_us.to_string(),
        subject,
        event_json,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_changes_the_hash() {
        let base = chain_hash(GENESIS, 1, 10, "right:r1", "{}");
        assert_eq!(base.len(), 64);
        assert_ne!(base, chain_hash(GENESIS, 2, 10, "right:r1", "{}"));
        assert_ne!(base, chain_hash(GENESIS, 1, 11, "right:r1", "{}"));
        assert_ne!(base, chain_hash(GENESIS, 1, 10, "right:r2", "{}"));
        assert_ne!(base, chain_hash(GENESIS, 1, 10, "right:r1", "{ }"));
        assert_ne!(base, chain_hash(&"1".repeat(64), 1, 10, "right:r1", "{}"));
    }
}
