//! Image decoding and hashing on arbitrary bytes (JPEG, PNG, WebP, GIF,
//! SVG): an error or a hash, never a panic, a hang or unbounded memory (the
//! decoder's size limits are checked before decoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rightsguard_detect::image::{Limits, hash_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = hash_bytes(data, &Limits::default()) {
        assert!(d.quality <= 100);
    }
});
