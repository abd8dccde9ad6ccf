#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use rightsguard_domain::chain::{GENESIS, chain_hash};
use rightsguard_domain::event::DomainEvent;
use serde_json::json;

fn sha(bytes: &[u8]) -> Sha256 {
    Sha256::parse(&sha256_hex(bytes)).unwrap()
}

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([x as u8 * 5, y as u8 * 7, seed]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn event(
    at: &str,
    role: &str,
    org: &str,
    subject: serde_json::Value,
    kind: serde_json::Value,
) -> String {
    let e: DomainEvent = serde_json::from_value(json!({
        "at": at, "actor_role": role, "actor_org": org, "actor_user": null,
        "subject": subject, "kind": kind,
    }))
    .unwrap();
    serde_json::to_string(&e).unwrap()
}

/// A chain of records numbered from `first`, hashed as the store hashes them.
fn chain(first: i64, events: &[(i64, &str, String)]) -> Vec<ChainRecord> {
    let mut prev = if first == 1 {
        GENESIS.to_owned()
    } else {
        "ab".repeat(32)
    };
    let mut out = Vec::new();
    for (i, (at_us, subject, ev)) in events.iter().enumerate() {
        let seq = first + i as i64;
        let hash = chain_hash(&prev, seq, *at_us, subject, ev);
        out.push(ChainRecord {
            seq,
            at_us: *at_us,
            subject: (*subject).to_owned(),
            event: ev.clone(),
            prev_hash: prev.clone(),
            hash: hash.clone(),
        });
        prev = hash;
    }
    out
}

pub(crate) fn demo_input() -> DossierInput {
    let listing_png = png(10);
    let reference_png = png(200);
    let capture: Capture = serde_json::from_value(json!({
        "listing": "l-1", "seller": "shop-1",
        "title": "正品 耐克 NIKE Air running shoes",
        "description": "Brand new nike shoes, 耐克 official quality.",
        "image_hashes": [sha(&listing_png).to_string()],
        "captured_at": "2026-03-01T09:00:00Z",
    }))
    .unwrap();
    let capture_json = capture.canonical_json().into_bytes();
    let title = &capture.title;
    let start = title.find("耐克").unwrap() as u64;
    let explanations: Vec<Explanation> = vec![
        serde_json::from_value(json!({
            "method": "exact", "term": "耐克", "field": "title", "start": start,
            "end": start + "耐克".len() as u64, "matched": "耐克", "score": 1.0, "distance": null,
        }))
        .unwrap(),
        serde_json::from_value(json!({
            "method": "folded", "term": "NIKE", "field": "description", "start": 10,
            "end": 14, "matched": "nike", "score": 0.95, "distance": null,
        }))
        .unwrap(),
    ];
    let right: Right = serde_json::from_value(json!({
        "id": "r-nike", "owner": "nike", "kind": "trademark", "jurisdiction": "CN",
        "registration_number": "G1234567", "nice_classes": [25],
        "valid_from": "2020-01-01", "valid_until": "2030-01-01",
        "certificates": [], "cn_extension_certificate": null, "state": "verified",
    }))
    .unwrap();
    let complaint: Complaint = serde_json::from_value(json!({
        "id": "c-1", "complainant": "nike", "filed_by": "nike", "right": "r-nike",
        "reason": "counterfeit", "submitted_at": "2026-03-01T10:00:00Z",
        "evidence": [sha(&capture_json).to_string(), sha(&reference_png).to_string()],
        "items": [{
            "listing": "l-1", "seller": "shop-1",
            "state": {"state": "upheld", "round": 1, "counter_due": "2026-03-05T10:00:00Z"},
            "review_due": "2026-03-03T10:00:00Z", "decided_at": "2026-03-02T10:00:00Z",
            "decided_by": null, "established_at": null, "resubmissions": 0,
            "counter_notices": 0, "appeals": [],
        }],
    }))
    .unwrap();
    let t = |s: &str| s.parse::<Timestamp>().unwrap();
    let us = |s: &str| t(s).as_microsecond();
    let subj_c = json!({"type": "complaint", "complaint": "c-1", "listing": null});
    let subj_i = json!({"type": "complaint", "complaint": "c-1", "listing": "l-1"});
    let audit = chain(
        7,
        &[
            (
                us("2026-03-01T10:00:00Z"),
                "complaint:c-1",
                event(
                    "2026-03-01T10:00:00Z",
                    "rights_holder",
                    "nike",
                    subj_c,
                    json!({"event": "complaint_submitted", "right": "r-nike",
                           "reason_code": "counterfeit", "listings": 1,
                           "review_due": "2026-03-03T10:00:00Z"}),
                ),
            ),
            (
                us("2026-03-02T10:00:00Z"),
                "complaint:c-1/l-1",
                event(
                    "2026-03-02T10:00:00Z",
                    "reviewer",
                    "platform",
                    subj_i,
                    json!({"event": "item_upheld", "counter_notice_due": "2026-03-05T10:00:00Z"}),
                ),
            ),
            (
                us("2026-03-20T10:00:00Z"),
                "complaint:c-1/l-1",
                event(
                    "2026-03-20T10:00:00Z",
                    "rights_holder",
                    "nike",
                    json!({"type": "complaint", "complaint": "c-1", "listing": "l-1"}),
                    json!({"event": "escalation_recorded", "kind": "lawsuit",
                           "reference": "(2026)沪0115民初1234号"}),
                ),
            ),
        ],
    );
    let file = |bytes: Vec<u8>, ct: &str, role: &str| EvidenceFile {
        sha256: sha(&bytes),
        content_type: ct.to_owned(),
        uploaded_by: OrgId::parse("nike").unwrap(),
        uploaded_at: t("2026-03-01T09:30:00Z"),
        captured_at: Some(t("2026-03-01T09:00:00Z")),
        role: role.to_owned(),
        bytes,
    };
    DossierInput {
        generated_at: t("2026-03-04T08:00:00Z"),
        right: RightInfo {
            right,
            holder_name: "Nike, Inc.".into(),
            mark: Some("耐克 NIKE".into()),
            aliases: vec!["耐克".into()],
        },
        captures: vec![CaptureInfo {
            sha256: sha(&capture_json),
            capture,
            explanations,
        }],
        files: vec![
            file(capture_json, "text/plain", "complaint evidence"),
            file(reference_png, "image/png", "complaint evidence"),
            file(listing_png, "image/png", "listing image"),
        ],
        complaint,
        audit: audit.clone(),
        chain_head: audit.last().map(|r| ChainHead {
            seq: r.seq + 3,
            hash: "cd".repeat(32),
        }),
    }
}

fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut problems = Vec::new();
    let files = read_entries(bytes, &mut problems).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    files
}

/// Rewrites the manifest's entry for `path` to match its new bytes, so that
/// only the check behind the manifest can catch the change.
fn reseal(files: &mut BTreeMap<String, Vec<u8>>, path: &str) {
    let mut m: Manifest = serde_json::from_slice(&files[MANIFEST_PATH]).unwrap();
    let bytes = &files[path];
    for f in &mut m.files {
        if f.path == path {
            f.sha256 = sha256_hex(bytes);
            f.size = bytes.len() as u64;
        }
    }
    files.insert(MANIFEST_PATH.into(), serde_json::to_vec_pretty(&m).unwrap());
}

fn dossier() -> Vec<u8> {
    package(&demo_input(), b"%PDF-1.7\n% test stand-in, not rendered\n").unwrap()
}

fn problems_after(change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<Problem> {
    let mut files = unzip(&dossier());
    change(&mut files);
    let report = verify(&write_zip(&files).unwrap());
    assert!(!report.ok(), "the change was not detected");
    report.problems
}

fn evidence_path_of(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .keys()
        .find(|k| k.starts_with(EVIDENCE_DIR) && k.ends_with(".png"))
        .unwrap()
        .clone()
}

#[test]
fn an_untouched_dossier_verifies() {
    let report = verify(&dossier());
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.complaint.as_deref(), Some("c-1"));
    // PDF, case, audit, three evidence files.
    assert_eq!(report.files_ok, 6);
    assert_eq!(report.evidence_files, 3);
    assert_eq!(report.audit_records_ok, 3);
    assert_eq!(report.audit_links_checked, 2);
    // `RG_DOSSIER_SEED_OUT=DIR` writes it as a fuzz seed (fuzz/corpus/dossier_verify).
    if let Ok(dir) = std::env::var("RG_DOSSIER_SEED_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("valid.zip"), dossier()).unwrap();
    }
}

#[test]
fn packaging_is_deterministic() {
    assert_eq!(dossier(), dossier());
}

#[test]
fn a_changed_pdf_is_detected() {
    let p = problems_after(|f| {
        let pdf = f.get_mut(PDF_PATH).unwrap();
        let n = pdf.len() - 2;
        pdf[n] ^= 1;
    });
    assert!(
        matches!(&p[..], [Problem::HashMismatch { path, .. }] if path == PDF_PATH),
        "{p:?}"
    );
}

#[test]
fn a_changed_evidence_file_is_detected() {
    let mut path = String::new();
    let p = problems_after(|f| {
        path = evidence_path_of(f);
        f.get_mut(&path).unwrap().push(0);
    });
    assert!(
        p.iter()
            .any(|x| matches!(x, Problem::HashMismatch { path: q, .. } if *q == path))
    );
    assert!(p.iter().any(|x| matches!(x, Problem::SizeMismatch { .. })));
}

#[test]
fn an_evidence_file_swapped_and_resealed_is_caught_by_its_name() {
    let p = problems_after(|f| {
        let path = evidence_path_of(f);
        f.insert(path.clone(), png(99));
        reseal(f, &path);
    });
    assert!(matches!(&p[..], [Problem::EvidenceName { .. }]), "{p:?}");
}

#[test]
fn a_changed_manifest_is_detected() {
    // A hash in it.
    let p = problems_after(|f| {
        let mut m: Manifest = serde_json::from_slice(&f[MANIFEST_PATH]).unwrap();
        m.files[0].sha256 = "0".repeat(64);
        f.insert(MANIFEST_PATH.into(), serde_json::to_vec(&m).unwrap());
    });
    assert!(matches!(&p[..], [Problem::HashMismatch { .. }]), "{p:?}");
    // Its date.
    let p = problems_after(|f| {
        let mut m: Manifest = serde_json::from_slice(&f[MANIFEST_PATH]).unwrap();
        m.generated_at = "2027-01-01T00:00:00Z".parse().unwrap();
        f.insert(MANIFEST_PATH.into(), serde_json::to_vec(&m).unwrap());
    });
    assert!(matches!(&p[..], [Problem::Case(_)]), "{p:?}");
    // Its audit summary.
    let p = problems_after(|f| {
        let mut m: Manifest = serde_json::from_slice(&f[MANIFEST_PATH]).unwrap();
        m.audit.records += 1;
        f.insert(MANIFEST_PATH.into(), serde_json::to_vec(&m).unwrap());
    });
    assert!(matches!(&p[..], [Problem::AuditSummary(_)]), "{p:?}");
    // Not JSON at all.
    let p = problems_after(|f| {
        f.get_mut(MANIFEST_PATH).unwrap().insert(0, b'x');
    });
    assert!(matches!(&p[..], [Problem::ManifestInvalid(_)]), "{p:?}");
}

#[test]
fn an_edited_audit_record_is_detected() {
    // Edited in place: the record no longer gives its hash.
    let p = problems_after(|f| {
        let text = String::from_utf8(f[AUDIT_PATH].clone()).unwrap();
        f.insert(
            AUDIT_PATH.into(),
            text.replacen("item_upheld", "item_rejected", 1)
                .into_bytes(),
        );
        reseal(f, AUDIT_PATH);
    });
    assert!(
        matches!(&p[..], [Problem::AuditHash { seq: 8, .. }]),
        "{p:?}"
    );
    // Edited and rehashed: the next record no longer links to it.
    let p = problems_after(|f| {
        let text = String::from_utf8(f[AUDIT_PATH].clone()).unwrap();
        let mut recs: Vec<ChainRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        recs[0].event = recs[0].event.replace("counterfeit", "copyright");
        recs[0].hash = recs[0].recomputed_hash();
        let out: String = recs
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        f.insert(AUDIT_PATH.into(), out.into_bytes());
        reseal(f, AUDIT_PATH);
    });
    assert!(
        matches!(&p[..], [Problem::AuditLink { seq: 8, .. }]),
        "{p:?}"
    );
    // Edited without resealing: the manifest catches it first.
    let p = problems_after(|f| {
        f.get_mut(AUDIT_PATH).unwrap().push(b'\n');
    });
    assert!(
        p.iter()
            .any(|x| matches!(x, Problem::HashMismatch { path, .. } if path == AUDIT_PATH))
    );
}

#[test]
fn an_added_file_is_detected() {
    let p = problems_after(|f| {
        f.insert("evidence/extra.txt".into(), b"planted".to_vec());
    });
    assert!(
        p.contains(&Problem::Extra("evidence/extra.txt".into())),
        "{p:?}"
    );
}

#[test]
fn a_removed_file_is_detected() {
    let mut path = String::new();
    let p = problems_after(|f| {
        path = evidence_path_of(f);
        f.remove(&path);
    });
    assert!(p.contains(&Problem::Missing(path.clone())), "{p:?}");
    let p = problems_after(|f| {
        f.remove(MANIFEST_PATH);
    });
    assert_eq!(p, vec![Problem::ManifestMissing]);
}

#[test]
fn garbage_is_not_a_dossier() {
    let r = verify(b"PK\x03\x04 not really");
    assert!(
        matches!(&r.problems[..], [Problem::NotAZip(_)]),
        "{:?}",
        r.problems
    );
    let r = verify(&[]);
    assert!(!r.ok());
}

#[test]
fn every_problem_says_what_is_wrong() {
    let p = problems_after(|f| {
        f.remove(PDF_PATH);
    });
    let text: Vec<String> = p.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("dossier.pdf") && t.contains("missing")),
        "{text:?}"
    );
}

#[cfg(feature = "pdf")]
#[test]
fn the_pdf_renders_and_embeds_a_font_subset() {
    let input = demo_input();
    let (pdf, zip) = crate::pdf::build(&input).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // A subset, not the 5 MB font.
    assert!(pdf.len() < 600_000, "PDF is {} bytes", pdf.len());
    let report = verify(&zip);
    assert!(report.ok(), "{:?}", report.problems);
    if let Ok(dir) = std::env::var("RG_DOSSIER_PDF_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("test-dossier.pdf"), &pdf).unwrap();
    }
}

#[test]
fn a_proceeding_document_path_is_one_safe_folder_and_file() {
    let sha = Sha256::from_bytes([0xab; 32]);
    let p = crate::proceeding_document_path(
        Route::Lawsuit,
        "(2026) Zhe 0192 Min Chu 17",
        "../../court judgment",
        &sha,
        "application/pdf",
    );
    assert_eq!(
        p,
        "proceedings/lawsuit-2026_Zhe_0192_Min_Chu_17/court_judgment-abababab.pdf"
    );
    let p =
        crate::proceeding_document_path(Route::CustomsRecordal, "///", "判决书", &sha, "image/png");
    assert_eq!(p, "proceedings/customs_recordal-case/判决书-abababab.png");
}
