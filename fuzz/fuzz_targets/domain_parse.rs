//! The domain's parsers at the edge — ids, hashes, policy profiles in TOML —
//! on arbitrary text: a value or an error, never a panic; a parsed id prints
//! back to text that parses to the same id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rightsguard_domain::ids::{ComplaintId, ListingId, OrgId, RightId, Sha256};
use rightsguard_domain::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = ListingId::parse(text) {
        assert_eq!(ListingId::parse(&id.to_string()).ok(), Some(id));
    }
    if let Ok(id) = OrgId::parse(text) {
        assert_eq!(OrgId::parse(&id.to_string()).ok(), Some(id));
    }
    if let Ok(id) = RightId::parse(text) {
        assert_eq!(RightId::parse(&id.to_string()).ok(), Some(id));
    }
    if let Ok(id) = ComplaintId::parse(text) {
        assert_eq!(ComplaintId::parse(&id.to_string()).ok(), Some(id));
    }
    if let Ok(h) = Sha256::parse(text) {
        assert_eq!(Sha256::parse(&h.to_string()).ok(), Some(h));
    }
    let _ = Policy::from_toml("fuzz", text);
});
