//! The offline dossier verifier on arbitrary bytes: it never panics and never
//! reads without bound (entries are capped whatever their headers claim),
//! and it passes a dossier only with a manifest it could read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = rightsguard_dossier::verify(data);
    if report.ok() {
        assert!(report.complaint.is_some() && report.audit.is_some());
    } else {
        for p in &report.problems {
            let _ = p.to_string();
        }
    }
});
