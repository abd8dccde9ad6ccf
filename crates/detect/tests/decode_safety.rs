//! Hostile and unusual inputs: each becomes a clear error or a hash, never a
//! panic, and oversized images are refused from their header, before any
//! pixel buffer exists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rightsguard_detect::image::{ImageError, Limits, decode_luma, hash_bytes};

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
}

/// A PNG with the given header and zlib data.
fn png(width: u32, height: u32, bit_depth: u8, colour: u8, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Bits packed least-significant first, as deflate wants.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u64, len: u32) {
        let reversed = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.put(reversed, len);
    }
}

/// A zlib stream that inflates to `n` zero bytes in about `n / 160` bytes:
/// one literal zero, then back-references of 258 bytes at distance 1, with
/// the fixed Huffman code.
fn zeros_zlib(n: u64) -> Vec<u8> {
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    bits.code(0x30, 8); // literal 0
    let mut left = n - 1;
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length code 285 = 258 bytes
        bits.code(0, 5); // distance code 0 = distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // flush
    let mut out = bits.out;
    let b = (n % 65521) as u32;
    out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    out
}

#[test]
fn a_50000_by_50000_png_is_refused_from_its_header() {
    let bytes = png(50_000, 50_000, 8, 2, &zeros_zlib(1000));
    assert!(bytes.len() < 2000);
    let err = hash_bytes(&bytes, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::TooManyPixels {
                width: 50_000,
                height: 50_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("50000x50000"), "{err}");
}

#[test]
fn a_decompression_bomb_is_refused_before_inflating() {
    // 10,000 x 10,000 one-bit grey: 80 KB of file, 12.5 MB of zlib data,
    // 100 megapixels (400 MB as RGBA) once decoded.
    let (w, h) = (10_000u32, 10_000u32);
    let raw = u64::from(h) * (1 + u64::from(w).div_ceil(8));
    let bytes = png(w, h, 1, 0, &zeros_zlib(raw));
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let err = hash_bytes(&bytes, &Limits::default()).unwrap_err();
    assert!(matches!(err, ImageError::TooManyPixels { .. }), "{err}");
    // With limits that admit it, the same stream is a valid all-black image:
    // the refusal above is about size, not a broken file.
    let small = png(400, 300, 1, 0, &zeros_zlib(300 * (1 + 50)));
    let out = hash_bytes(&small, &Limits::default()).unwrap();
    assert_eq!(out.quality, 0);
}

#[test]
fn an_allocation_cap_stops_a_decoder_within_the_pixel_limit() {
    let (w, h) = (4000u32, 4000u32);
    let bytes = png(
        w,
        h,
        8,
        6,
        &zeros_zlib(u64::from(h) * (1 + 4 * u64::from(w))),
    );
    let limits = Limits {
        max_alloc: 16 << 20,
        ..Limits::default()
    };
    let err = hash_bytes(&bytes, &limits).unwrap_err();
    assert!(matches!(err, ImageError::TooMuchMemory { .. }), "{err}");
}

#[test]
fn input_over_the_byte_limit_is_refused_unread() {
    let limits = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let err = hash_bytes(&[0u8; 101], &limits).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::TooManyBytes {
                size: 101,
                limit: 100
            }
        ),
        "{err}"
    );
}

#[test]
fn garbage_truncated_and_unknown_inputs_are_errors() {
    assert!(matches!(
        hash_bytes(b"hello world", &Limits::default()),
        Err(ImageError::UnknownFormat)
    ));
    assert!(hash_bytes(&[], &Limits::default()).is_err());
    let jpeg = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/pdq/labelme/q0291.jpg"
    ))
    .or_else(|_| {
        std::fs::read(
            std::env::var("RG_SHARED_DATA").unwrap_or_default() + "/pdq/labelme/q0291.jpg",
        )
    })
    .unwrap();
    for cut in [4, 20, 200, jpeg.len() / 3] {
        // Truncated JPEGs may decode partially or fail; neither may panic.
        let _ = hash_bytes(&jpeg[..cut], &Limits::default());
    }
    let mut flipped = jpeg.clone();
    for i in (600..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    let _ = hash_bytes(&flipped, &Limits::default());
    let bad_png = png(10, 10, 8, 2, b"not zlib");
    assert!(matches!(
        hash_bytes(&bad_png, &Limits::default()),
        Err(ImageError::Decode { .. })
    ));
}

const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2 L22 20 H2 Z M12 7 L7 17 H17 Z"/><circle cx="12" cy="14" r="2"/></svg>"##;

#[test]
fn svg_logos_render_on_white_and_hash_with_good_quality() {
    let luma = decode_luma(LOGO_SVG.as_bytes(), &Limits::default()).unwrap();
    assert_eq!((luma.width(), luma.height()), (512, 512));
    assert_eq!(luma.get(0, 0), 255.0, "background is white");
    assert!(luma.get(256, 100) < 50.0, "the mark is dark");
    let out = hash_bytes(LOGO_SVG.as_bytes(), &Limits::default()).unwrap();
    assert!(out.quality >= 50, "quality {}", out.quality);
    let with_decl = format!("\u{feff}<?xml version=\"1.0\"?>\n{LOGO_SVG}");
    assert_eq!(
        hash_bytes(with_decl.as_bytes(), &Limits::default())
            .unwrap()
            .hash,
        out.hash
    );
}

#[test]
fn svg_external_and_embedded_images_are_not_loaded() {
    let dir = std::env::temp_dir().join(format!("rg-svg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("black.png");
    let mut black = png(8, 8, 8, 0, &zeros_zlib(8 * 9));
    std::fs::write(&target, &black).unwrap();
    black.truncate(0);
    let plain = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect x="10" y="10" width="30" height="80"/></svg>"#;
    let with_file = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100"><rect x="10" y="10" width="30" height="80"/><image x="50" y="0" width="50" height="100" xlink:href="{}"/><image x="50" y="0" width="50" height="100" href="file://{}"/></svg>"#,
        target.display(),
        target.display()
    );
    let a = decode_luma(plain.as_bytes(), &Limits::default()).unwrap();
    let b = decode_luma(with_file.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(a, b, "the referenced file was drawn");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hostile_svgs_are_errors_or_bounded_renders() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>&g;</title></svg>"#;
    let _ = hash_bytes(laughs.as_bytes(), &Limits::default());
    let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="1000000" height="1000000"><rect width="10" height="10"/></svg>"#;
    let luma = decode_luma(huge.as_bytes(), &Limits::default()).unwrap();
    assert!(luma.width() <= 512 && luma.height() <= 512);
    let broken = r#"<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L"#;
    assert!(hash_bytes(broken.as_bytes(), &Limits::default()).is_err());
    let limits = Limits {
        max_svg_bytes: 64,
        ..Limits::default()
    };
    assert!(matches!(
        hash_bytes(LOGO_SVG.as_bytes(), &limits),
        Err(ImageError::TooManyBytes { .. })
    ));
}
