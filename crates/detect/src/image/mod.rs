//! Image detection: safe decoding, PDQ hashing, robust matching, Hamming index.
//!
//! The main decision is to build on **PDQ**, Meta's 256-bit perceptual hash,
//! computed exactly as Meta's C++ reference computes it ([`pdq`]), instead of
//! a home-grown descriptor: hashes then agree with the ones platforms and
//! ThreatExchange already exchange, and the thresholds (match at distance
//! ≤ 31, ignore quality < 50) come with years of use. What PDQ does not
//! survive — crops, small rotations, banners — is handled around it
//! ([`matcher`]): content-box normalisation and many hashes per reference
//! image, all in one exact Hamming index ([`index`]).
//!
//! The module does no I/O: callers hand in bytes ([`decode`] checks sizes
//! before allocating and refuses hostile files with an [`ImageError`]).
//! [`testset`] generates the logo test set used to measure robust matching.

pub mod decode;
pub mod index;
pub mod matcher;
pub mod pdq;
pub mod testset;

pub use decode::{ImageError, Limits, decode_luma};
pub use index::{HammingIndex, IndexHit};
pub use matcher::{
    HashVariant, ImageHashes, ImageHit, MatchConfig, ReferenceSet, RobustConfig, Transform,
    query_hashes, query_hashes_from_bytes, reference_hashes, reference_hashes_from_bytes,
};
pub use pdq::{Dihedral, LumaImage, PdqHash, PdqOutput};

/// The PDQ hash of an image and its quality, the way `rightsguard hash`
/// prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct PdqDigest {
    /// The 256-bit hash.
    pub hash: PdqHash,
    /// 0–100; under 50 the hash is unreliable.
    pub quality: u8,
    /// The full hasher output, for the dihedral hashes.
    pub output: PdqOutput,
}

/// Decodes `bytes` under `limits` and computes its PDQ hash.
pub fn hash_bytes(bytes: &[u8], limits: &Limits) -> Result<PdqDigest, ImageError> {
    let luma = decode_luma(bytes, limits)?;
    let output = pdq::hash_luma(&luma);
    Ok(PdqDigest {
        hash: output.hash,
        quality: output.quality,
        output,
    })
}
