//! Hostile evidence uploads: at least 60 files built here — oversize, empty,
//! executables and archives, wrong magic bytes, HTML/SVG/XML with script,
//! PDF with JavaScript, polyglots (GIF/JS, JPEG/HTML, PNG/HTML, PDF/HTML),
//! pixel bombs (PNG/GIF/JPEG headers claiming enormous images), NUL bytes,
//! UTF-16, right-to-left overrides, CRLF — each is either refused with a
//! stable code, or stored and only ever served back as an inert attachment:
//! the sniffed type (never HTML, SVG or script), `nosniff`, a sandboxing
//! CSP with no sources, `Content-Disposition: attachment` with a name the
//! server made. Hostile paths and parameters get 404/422, never a file.
//!
//! Nothing is decoded on upload (evidence is kept as bytes), so a pixel
//! bomb costs its size and no more; the image decoder's own limits are
//! tested in `crates/detect/tests/decode_safety.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test crate

use rightsguard_testkit::{Backend, EVIDENCE_LIMIT, spawn_app};

/// A hostile file: a name for the report and its bytes.
struct Case {
    name: String,
    bytes: Vec<u8>,
}

fn case(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Case {
    Case {
        name: name.into(),
        bytes: bytes.into(),
    }
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    b.extend_from_slice(&[0, 0, 0, 0]); // CRC (wrong on purpose)
    b
}

fn gif_header(width: u16, height: u16) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    b.extend_from_slice(&width.to_le_bytes());
    b.extend_from_slice(&height.to_le_bytes());
    b.extend_from_slice(&[0xf7, 0, 0]);
    b
}

fn jpeg_sof(width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xff, 0xc0, 0, 17, 8]);
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b
}

const SCRIPT_HTML: &str = "<!DOCTYPE html><html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(t=>parent.postMessage(t,'*'))</script></body></html>";

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // Size.
    v.push(case("oversize text", vec![b'a'; EVIDENCE_LIMIT + 1]));
    v.push(case("oversize png", {
        let mut b = png_header(10, 10);
        b.resize(EVIDENCE_LIMIT + 4096, 0);
        b
    }));
    v.push(case("empty", Vec::new()));
    // Executables, archives and other types that are never evidence.
    v.push(case(
        "elf",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0".to_vec(),
    ));
    v.push(case(
        "windows exe",
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(),
    ));
    v.push(case("mach-o", b"\xcf\xfa\xed\xfe\x07\0\0\x01".to_vec()));
    v.push(case("zip", b"PK\x03\x04\x14\0\0\0\x08\0".to_vec()));
    v.push(case("zip bomb header", {
        let mut b = b"PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&[0; 64]);
        b
    }));
    v.push(case("gzip", b"\x1f\x8b\x08\0\0\0\0\0\0\x03".to_vec()));
    v.push(case("7z", b"7z\xbc\xaf\x27\x1c\0\x04".to_vec()));
    v.push(case("rar", b"Rar!\x1a\x07\x01\0".to_vec()));
    v.push(case("wasm", b"\0asm\x01\0\0\0".to_vec()));
    v.push(case("java class", b"\xca\xfe\xba\xbe\0\0\0\x34".to_vec()));
    v.push(case("sqlite", b"SQLite format 3\0\x10\0\x01\x01".to_vec()));
    v.push(case(
        "shebang script with NUL",
        b"#!/bin/sh\nrm -rf /\n\0".to_vec(),
    ));
    v.push(case(
        "ole2 office",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0".to_vec(),
    ));
    v.push(case("tiff", b"II*\0\x08\0\0\0".to_vec()));
    v.push(case("bmp", b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0".to_vec()));
    v.push(case("ico", b"\0\0\x01\0\x01\0\x10\x10".to_vec()));
    v.push(case("mp4", b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec()));
    v.push(case("flash swf", b"FWS\x0a\0\0\0\0".to_vec()));
    // Markup with script: refused, or stored as inert text.
    v.push(case("html with script", SCRIPT_HTML));
    v.push(case("html in utf-8 bom", format!("\u{feff}{SCRIPT_HTML}")));
    v.push(case(
        "svg with script",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.domain)</script></svg>",
    ));
    v.push(case(
        "svg with foreignObject",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject><iframe xmlns=\"http://www.w3.org/1999/xhtml\" src=\"javascript:alert(1)\"/></foreignObject></svg>",
    ));
    v.push(case(
        "svg with external reference",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><image xlink:href=\"http://169.254.169.254/latest/meta-data/\"/></svg>",
    ));
    v.push(case(
        "svg onload",
        "<?xml version=\"1.0\"?><svg onload=\"alert(1)\" xmlns=\"http://www.w3.org/2000/svg\"/>",
    ));
    v.push(case(
        "xml external entity",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
    ));
    v.push(case(
        "xhtml",
        "<html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>",
    ));
    v.push(case("javascript", "alert(document.cookie);//"));
    v.push(case("javascript url", "javascript:alert(1)"));
    v.push(case(
        "css expression",
        "body{background:url(javascript:alert(1))}",
    ));
    v.push(case(
        "utf-7 script",
        "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    ));
    // PDFs with active content: stored (a PDF is evidence) but only served inert.
    v.push(case(
        "pdf with javascript",
        "%PDF-1.7\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    ));
    v.push(case(
        "pdf with launch action",
        "%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/Launch/F(cmd.exe)>>>>endobj\n%%EOF\n",
    ));
    v.push(case(
        "pdf with embedded html",
        format!("%PDF-1.4\n{SCRIPT_HTML}\n%%EOF\n"),
    ));
    v.push(case("pdf header only", "%PDF-"));
    // Polyglots and wrong magic: served as what their first bytes say, nosniff.
    v.push(case("gif/js polyglot", {
        let mut b = b"GIF89a/*\x01\0\x01\0\0\0\0*/=alert(document.domain);//".to_vec();
        b.extend_from_slice(&[0x3b]);
        b
    }));
    v.push(case("gif/html polyglot", {
        let mut b = gif_header(1, 1);
        b.extend_from_slice(SCRIPT_HTML.as_bytes());
        b
    }));
    v.push(case("jpeg/html polyglot", {
        let mut b = jpeg_sof(1, 1);
        b.extend_from_slice(SCRIPT_HTML.as_bytes());
        b
    }));
    v.push(case("png/html polyglot", {
        let mut b = png_header(1, 1);
        b.extend_from_slice(SCRIPT_HTML.as_bytes());
        b
    }));
    v.push(case("png/zip polyglot", {
        let mut b = png_header(1, 1);
        b.extend_from_slice(b"PK\x03\x04\x14\0\0\0\x08\0");
        b
    }));
    v.push(case("webp/html polyglot", {
        let mut b = b"RIFF\x24\0\0\0WEBPVP8 ".to_vec();
        b.extend_from_slice(SCRIPT_HTML.as_bytes());
        b
    }));
    v.push(case("jpeg magic then text", {
        let mut b = vec![0xff, 0xd8, 0xff];
        b.extend_from_slice(b"this is not a jpeg at all");
        b
    }));
    v.push(case("png magic truncated", b"\x89PNG\r\n\x1a\n".to_vec()));
    v.push(case("gif magic truncated", b"GIF89a".to_vec()));
    // Pixel bombs: headers claiming huge images, stored as bytes, never decoded here.
    for (w, h) in [
        (65_535u32, 65_535u32),
        (1, 1_000_000),
        (1_000_000, 1),
        (u32::MAX, u32::MAX),
    ] {
        v.push(case(format!("png bomb {w}x{h}"), png_header(w, h)));
    }
    for (w, h) in [(65_535u16, 65_535u16), (1, 65_535)] {
        v.push(case(format!("gif bomb {w}x{h}"), gif_header(w, h)));
        v.push(case(format!("jpeg bomb {w}x{h}"), jpeg_sof(w, h)));
    }
    v.push(case("png bomb with zlib stream", {
        let mut b = png_header(30_000, 30_000);
        b.extend_from_slice(b"\0\0\x10\0IDAT\x78\x9c");
        b.extend_from_slice(&[0; 4096]);
        b
    }));
    // Text oddities.
    v.push(case("nul bytes in text", b"invoice\0number 42".to_vec()));
    v.push(case(
        "utf-16le text",
        b"\xff\xfei\0n\0v\0o\0i\0c\0e\0".to_vec(),
    ));
    v.push(case("invalid utf-8", b"invoice \xc3\x28 number".to_vec()));
    v.push(case(
        "escape sequences",
        "invoice \u{1b}[2J\u{1b}]0;pwned\u{7}",
    ));
    v.push(case(
        "right-to-left override",
        "invoice for \u{202e}fdp.exe",
    ));
    v.push(case(
        "crlf header injection text",
        "ok\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>",
    ));
    v.push(case(
        "bidi isolates",
        "\u{2066}order\u{2069} \u{2067}رقم\u{2069}",
    ));
    v.push(case("zero-width", "N\u{200b}i\u{200c}k\u{200d}e\u{feff}"));
    v.push(case("a long single line", "x".repeat(EVIDENCE_LIMIT)));
    v.push(case("control characters", "a\u{1}b\u{2}c\u{7f}"));
    v.push(case("path-like content", "../../../../etc/passwd"));
    v.push(case("php", "<?php system($_GET['c']); ?>"));
    v.push(case(
        "eicar",
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    ));
    v
}

/// What the server may answer to a hostile upload.
#[derive(Debug)]
enum Outcome {
    Refused(u16, String),
    Stored(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_are_refused_or_served_inert() {
    let app = spawn_app(Backend::Sqlite).await.unwrap().unwrap();
    let client = reqwest::Client::new();
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut stored = 0;
    for c in &cases {
        let resp = client
            .post(app.url("/api/v1/evidence"))
            .bearer_auth(&app.tokens.holder)
            // The claimed type is a lie on purpose: it must not matter.
            .header("content-type", "text/html")
            .body(c.bytes.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap();
        let outcome = match status {
            200 | 201 => Outcome::Stored(body["sha256"].as_str().unwrap().to_owned()),
            _ => Outcome::Refused(status, body["error"]["code"].as_str().unwrap().to_owned()),
        };
        match &outcome {
            Outcome::Refused(status, code) => {
                assert!(
                    matches!(
                        (status, code.as_str()),
                        (413, "evidence_too_large" | "body_too_large")
                            | (415, "evidence_type_not_accepted")
                            | (422, "evidence_empty")
                    ),
                    "{}: {outcome:?}",
                    c.name
                );
            }
            Outcome::Stored(sha) => {
                stored += 1;
                let resp = client
                    .get(app.url(&format!("/api/v1/evidence/{sha}")))
                    .bearer_auth(&app.tokens.holder)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{}", c.name);
                let h = resp.headers();
                let ct = h["content-type"].to_str().unwrap().to_owned();
                assert!(
                    [
                        "image/jpeg",
                        "image/png",
                        "image/webp",
                        "image/gif",
                        "application/pdf",
                        "text/plain; charset=utf-8"
                    ]
                    .contains(&ct.as_str()),
                    "{}: served as {ct}",
                    c.name
                );
                assert_eq!(h["x-content-type-options"], "nosniff", "{}", c.name);
                assert_eq!(
                    h["content-security-policy"], "sandbox; default-src 'none'",
                    "{}",
                    c.name
                );
                let disposition = h["content-disposition"].to_str().unwrap();
                assert!(
                    disposition.starts_with(&format!("attachment; filename=\"{sha}.")),
                    "{}: {disposition}",
                    c.name
                );
                assert_eq!(resp.bytes().await.unwrap().as_ref(), c.bytes.as_slice());
            }
        }
        eprintln!("{:<32} {outcome:?}", c.name);
    }
    assert!(
        stored > 10 && stored < cases.len(),
        "{stored} of {} stored",
        cases.len()
    );

    // Hostile paths and parameters never reach a file.
    for path in [
        "/api/v1/evidence/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/evidence/%2e%2e",
        "/api/v1/evidence/..",
        "/api/v1/evidence/0000000000000000000000000000000000000000000000000000000000000000",
        "/api/v1/evidence/ABCDEF",
        "/api/v1/evidence/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855%00",
    ] {
        let resp = client
            .get(app.url(path))
            .bearer_auth(&app.tokens.holder)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    for q in [
        "captured_at=2026-01-01T00:00:00Z%0d%0aSet-Cookie:%20x=1",
        "captured_at=..%2F..%2F",
        "captured_at=%00",
    ] {
        let resp = client
            .post(app.url(&format!("/api/v1/evidence?{q}")))
            .bearer_auth(&app.tokens.holder)
            .body("fine text")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{q}");
        assert!(resp.headers().get("set-cookie").is_none());
    }
    app.finish().await.unwrap();
}
