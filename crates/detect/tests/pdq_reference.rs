//! PDQ agreement with Meta's reference hashers on ThreatExchange's test images
//! (`shared/data/pdq/expected.csv`), without Python: within 10 bits of the
//! C++ reference's hashes wherever the image's quality is at least 80,
//! ThreatExchange's own bar. The Python reference's hashes differ from the
//! C++ ones by up to 12 bits on these files (the live C++ hasher in
//! `pdq_oracle.rs` shows it), so rows from it get that looser bound; the
//! oracle test holds every file to 10 bits of the C++ hasher. Also: the
//! dihedral hashes of the bridge photo against its 8 transformed files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use rightsguard_detect::image::{Dihedral, Limits, PdqHash, hash_bytes};

fn data_dir() -> PathBuf {
    match std::env::var_os("RG_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir).join("pdq"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/pdq"
        )),
    }
}

fn expected() -> Vec<(String, PdqHash, String)> {
    let csv = std::fs::read_to_string(data_dir().join("expected.csv"))
        .expect("shared/data/pdq/expected.csv");
    csv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_owned(),
                f[1].parse().expect("hash"),
                f[2].to_owned(),
            )
        })
        .collect()
}

/// Largest distance between the Python and the C++ references on the
/// python-ref files (measured with the `pdqhash` C++ wrapper: 12).
const PYTHON_REF_BOUND: u32 = 12;

#[test]
fn every_reference_image_is_within_10_bits_at_quality_80() {
    let rows = expected();
    assert!(rows.len() >= 30, "expected.csv has {} rows", rows.len());
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (path, want, source) in &rows {
        let bytes = std::fs::read(data_dir().join(path)).expect("image file");
        let got = hash_bytes(&bytes, &Limits::default()).expect("hashable");
        let d = got.hash.distance(want);
        report.push(format!(
            "{path} ({source}): distance {d}, quality {}",
            got.quality
        ));
        let bound = if source == "cpp-ref" {
            10
        } else {
            PYTHON_REF_BOUND
        };
        if got.quality >= 80 && d > bound {
            failures.push(format!(
                "{path} ({source}): {} vs {want}, distance {d}",
                got.hash
            ));
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dihedral_hashes_of_the_original_match_the_transformed_files() {
    let dir = data_dir().join("dih");
    let original = hash_bytes(
        &std::fs::read(dir.join("bridge-1-original.jpg")).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let files = [
        (Dihedral::Original, "bridge-1-original.jpg"),
        (Dihedral::Rotate90, "bridge-2-rotate-90.jpg"),
        (Dihedral::Rotate180, "bridge-3-rotate-180.jpg"),
        (Dihedral::Rotate270, "bridge-4-rotate-270.jpg"),
        (Dihedral::FlipX, "bridge-5-flipx.jpg"),
        (Dihedral::FlipY, "bridge-6-flipy.jpg"),
        (Dihedral::FlipPlus1, "bridge-7-flip-plus-1.jpg"),
        (Dihedral::FlipMinus1, "bridge-8-flip-minus-1.jpg"),
    ];
    for (d, file) in files {
        let direct =
            hash_bytes(&std::fs::read(dir.join(file)).unwrap(), &Limits::default()).unwrap();
        let derived = original.output.dihedral(d);
        let dist = derived.distance(&direct.hash);
        assert!(
            dist <= 10,
            "{file} vs {d:?} of the original: distance {dist}"
        );
        // And the transforms are told apart: the derived hash is far from the
        // plain hash unless the transform is the identity.
        if d != Dihedral::Original {
            assert!(derived.distance(&original.hash) > 64, "{d:?}");
        }
    }
}
