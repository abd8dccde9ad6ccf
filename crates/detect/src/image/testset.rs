//! The logo test set: listing-like copies of a logo, to measure robust
//! matching.
//!
//! Counterfeit listings show a brand's logo re-encoded, resized, cropped,
//! turned, blurred, with a seller's banner. This module makes such copies
//! from an SVG logo (the test set uses npm `simple-icons`, whose logos are
//! their owners' trademarks: the images are generated on the fly into
//! memory or a scratch directory and never committed). It is deterministic:
//! the same logo and seed give the same bytes. It does no I/O.
//!
//! A listing copy starts from the logo drawn in black on a white square
//! canvas, filling it but for a 2 % margin, so that a crop really cuts the
//! mark. The variants, one per [`VariantKind`]:
//!
//! * resize: to a random side of 96–320 pixels;
//! * crop: 6 % of the width and 6 % of the height cut, split at random
//!   between the two sides;
//! * rotate by +5° and by −5°, on a white background;
//! * blur (Gaussian, σ 1.5–2.5) and contrast change (−40 % … +40 %);
//! * banner: a red band with white text over the bottom 16 % of a canvas
//!   with a 10 % margin, so it covers part of the mark;
//! * JPEG at a random quality in 45–75.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, imageops};

use super::decode::{ImageError, Limits};
use super::matcher::{
    ImageHashes, MatchConfig, ReferenceSet, RobustConfig, query_hashes_from_bytes,
    reference_hashes_from_bytes,
};

/// What was done to the logo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VariantKind {
    /// Scaled to another size.
    Resize,
    /// 6 % of each dimension cut away.
    Crop6,
    /// Turned 5° counter-clockwise.
    RotatePlus5,
    /// Turned 5° clockwise.
    RotateMinus5,
    /// Blurred and contrast changed.
    BlurContrast,
    /// A text banner over the bottom.
    Banner,
    /// Re-encoded as JPEG at quality 45–75.
    Jpeg,
}

impl VariantKind {
    /// All kinds, in a fixed order.
    pub const ALL: [VariantKind; 7] = [
        VariantKind::Resize,
        VariantKind::Crop6,
        VariantKind::RotatePlus5,
        VariantKind::RotateMinus5,
        VariantKind::BlurContrast,
        VariantKind::Banner,
        VariantKind::Jpeg,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            VariantKind::Resize => "resize",
            VariantKind::Crop6 => "crop6",
            VariantKind::RotatePlus5 => "rotate+5",
            VariantKind::RotateMinus5 => "rotate-5",
            VariantKind::BlurContrast => "blur+contrast",
            VariantKind::Banner => "banner",
            VariantKind::Jpeg => "jpeg45-75",
        }
    }
}

/// One generated listing image.
#[derive(Debug, Clone, PartialEq)]
pub struct LogoVariant {
    /// What was done.
    pub kind: VariantKind,
    /// The encoded image (PNG, or JPEG for [`VariantKind::Jpeg`]).
    pub bytes: Vec<u8>,
}

/// Side of the canvas the variants start from.
pub const CANVAS: u32 = 480;

/// Draws an SVG logo in its own colours (black by default) on a white
/// `side`-pixel square, scaled to leave `margin` (a fraction of the side)
/// around it and centred.
pub fn render_logo(svg: &[u8], side: u32, margin: f32) -> Result<RgbImage, ImageError> {
    let tree = resvg::usvg::Tree::from_data(svg, &resvg::usvg::Options::default())
        .map_err(|e| ImageError::Svg(e.to_string()))?;
    let size = tree.size();
    let inner = side as f32 * (1.0 - 2.0 * margin);
    let scale = inner / size.width().max(size.height());
    let (w, h) = (size.width() * scale, size.height() * scale);
    let (dx, dy) = ((side as f32 - w) / 2.0, (side as f32 - h) / 2.0);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(side, side)
        .ok_or_else(|| ImageError::Svg(format!("cannot allocate {side}x{side}")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let transform = resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, dx, dy);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    RgbImage::from_raw(side, side, rgb)
        .ok_or_else(|| ImageError::Svg("pixel buffer of the wrong size".into()))
}

/// The listing copies of one logo, one per [`VariantKind`], in that order.
pub fn variants(svg: &[u8], seed: u64) -> Result<Vec<LogoVariant>, ImageError> {
    let mut rng = SplitMix(seed);
    let base = render_logo(svg, CANVAS, 0.02)?;
    let mut out = Vec::with_capacity(VariantKind::ALL.len());
    for kind in VariantKind::ALL {
        let image = match kind {
            VariantKind::Resize => {
                let side = 96 + rng.below(225) as u32;
                imageops::resize(&base, side, side, imageops::FilterType::Triangle)
            }
            VariantKind::Crop6 => crop6(&base, &mut rng),
            VariantKind::RotatePlus5 => rotate_white(&base, 5.0),
            VariantKind::RotateMinus5 => rotate_white(&base, -5.0),
            VariantKind::BlurContrast => {
                let sigma = 1.5 + rng.unit() as f32;
                let contrast = -40.0 + 80.0 * rng.unit() as f32;
                imageops::contrast(&imageops::blur(&base, sigma), contrast)
            }
            VariantKind::Banner => banner(&render_logo(svg, CANVAS, 0.10)?),
            VariantKind::Jpeg => base.clone(),
        };
        let bytes = if kind == VariantKind::Jpeg {
            let quality = 45 + rng.below(31) as u8;
            encode_jpeg(&image, quality)?
        } else {
            encode_png(&image)?
        };
        out.push(LogoVariant { kind, bytes });
    }
    Ok(out)
}

/// Cuts 6 % of the width and of the height, split at random between sides.
fn crop6(base: &RgbImage, rng: &mut SplitMix) -> RgbImage {
    let (w, h) = base.dimensions();
    let (cut_w, cut_h) = (
        (w as f64 * 0.06).round() as u32,
        (h as f64 * 0.06).round() as u32,
    );
    let left = (cut_w as f64 * rng.unit()).round() as u32;
    let top = (cut_h as f64 * rng.unit()).round() as u32;
    imageops::crop_imm(base, left, top, w - cut_w, h - cut_h).to_image()
}

/// Rotates about the centre by `deg` degrees (counter-clockwise) on the same
/// canvas, bilinear, white where nothing maps.
fn rotate_white(base: &RgbImage, deg: f64) -> RgbImage {
    let (w, h) = base.dimensions();
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f64 - cx, y as f64 - cy);
        let sx = c * dx - s * dy + cx;
        let sy = s * dx + c * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f64 || sy > (h - 1) as f64 {
            return Rgb([255, 255, 255]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
        let mix = |ch: usize| {
            let p = |x, y| f64::from(base.get_pixel(x, y).0[ch]);
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
        };
        Rgb([mix(0), mix(1), mix(2)])
    })
}

/// A red band over the bottom 16 % with "SALE -50% OFF" in white blocks.
fn banner(base: &RgbImage) -> RgbImage {
    let mut img = base.clone();
    let (w, h) = img.dimensions();
    let band = (h as f32 * 0.16).round() as u32;
    let top = h - band;
    for y in top..h {
        for x in 0..w {
            img.put_pixel(x, y, Rgb([200, 30, 40]));
        }
    }
    let text = "SALE -50% OFF";
    let scale = (band / 10).min(w * 9 / 10 / (text.len() as u32 * 6)).max(1);
    let text_w = text.len() as u32 * 6 * scale;
    let x0 = w.saturating_sub(text_w) / 2;
    let y0 = top + (band.saturating_sub(7 * scale)) / 2;
    for (i, ch) in text.chars().enumerate() {
        let rows = glyph(ch);
        for (gy, row) in rows.iter().enumerate() {
            for gx in 0..5u32 {
                if row >> (4 - gx) & 1 == 1 {
                    for sy in 0..scale {
                        for sx in 0..scale {
                            let x = x0 + (i as u32 * 6 + gx) * scale + sx;
                            let y = y0 + gy as u32 * scale + sy;
                            if x < w && y < h {
                                img.put_pixel(x, y, Rgb([255, 255, 255]));
                            }
                        }
                    }
                }
            }
        }
    }
    img
}

/// 5×7 bitmaps for the banner's characters (one row per byte, bit 4 left).
fn glyph(c: char) -> [u8; 7] {
    match c {
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        _ => [0; 7],
    }
}

fn encode_png(image: &RgbImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|source| ImageError::Decode {
            format: "PNG",
            source,
        })?;
    Ok(out.into_inner())
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&DynamicImage::ImageRgb8(image.clone()))
        .map_err(|source| ImageError::Decode {
            format: "JPEG",
            source,
        })?;
    Ok(out)
}

/// Recall and false matches of one variant kind at one threshold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindScore {
    /// Listing copies generated.
    pub queries: usize,
    /// Copies whose own logo was matched.
    pub recalled: usize,
    /// Copies matched to another logo.
    pub false_matches: usize,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Logos indexed as references.
    pub references: usize,
    /// Reference hashes in the index.
    pub reference_hashes: usize,
    /// Per variant kind, at the configured match distance.
    pub by_kind: Vec<(VariantKind, KindScore)>,
    /// `(threshold, recalled, false matches)` for thresholds 16, 20, ..., 64.
    pub sweep: Vec<(u32, usize, usize)>,
    /// Listing copies in all.
    pub queries: usize,
    /// Logos that could not be generated or hashed, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Copies not matched to their logo: logo, kind, and the distance to
    /// their own logo if within the sweep.
    pub missed: Vec<(String, VariantKind, Option<u32>)>,
}

impl Evaluation {
    /// Recalled copies over all copies.
    pub fn recall(&self) -> f64 {
        let recalled: usize = self.by_kind.iter().map(|(_, s)| s.recalled).sum();
        recalled as f64 / self.queries.max(1) as f64
    }

    /// Copies matched to a logo other than their own.
    pub fn false_matches(&self) -> usize {
        self.by_kind.iter().map(|(_, s)| s.false_matches).sum()
    }
}

/// Indexes every logo of `references` (name, SVG bytes) as a right's
/// reference image, then matches the listing copies ([`variants`]) of each
/// logo of `targets` (which must be among the references) and counts, per
/// kind, the copies matched to their own logo and those matched to another.
pub fn evaluate(
    references: &[(String, Vec<u8>)],
    targets: &[(String, Vec<u8>)],
    robust: &RobustConfig,
    matching: MatchConfig,
    seed: u64,
) -> Result<Evaluation, super::index::IndexError> {
    let limits = Limits::default();
    let mut eval = Evaluation::default();
    let mut rights: Vec<(String, Vec<ImageHashes>)> = Vec::new();
    for (name, svg) in references {
        match reference_hashes_from_bytes(svg, &limits, robust) {
            Ok(h) => rights.push((name.clone(), vec![h])),
            Err(e) => eval.skipped.push((name.clone(), e.to_string())),
        }
    }
    eval.references = rights.len();
    // Index with a wide radius so one pass also gives the threshold sweep.
    let wide = MatchConfig {
        max_distance: matching.max_distance.max(64),
        ..matching
    };
    let set = ReferenceSet::build(rights, wide)?;
    eval.reference_hashes = set.len();
    let mut by_kind: Vec<(VariantKind, KindScore)> = VariantKind::ALL
        .iter()
        .map(|&k| (k, KindScore::default()))
        .collect();
    let mut sweep: Vec<(u32, usize, usize)> = (16..=64).step_by(4).map(|t| (t, 0, 0)).collect();
    for (i, (name, svg)) in targets.iter().enumerate() {
        let copies = match variants(svg, seed ^ (i as u64).wrapping_mul(0x9E37)) {
            Ok(c) => c,
            Err(e) => {
                eval.skipped.push((name.clone(), e.to_string()));
                continue;
            }
        };
        for copy in copies {
            eval.queries += 1;
            let hits = query_hashes_from_bytes(&copy.bytes, &limits)
                .map(|q| set.match_image(&q))
                .unwrap_or_default();
            let own = hits
                .iter()
                .filter(|h| &h.right_id == name)
                .map(|h| h.distance)
                .min();
            let other = hits
                .iter()
                .filter(|h| &h.right_id != name)
                .map(|h| h.distance)
                .min();
            let score = &mut by_kind[VariantKind::ALL
                .iter()
                .position(|&k| k == copy.kind)
                .unwrap_or(0)]
            .1;
            score.queries += 1;
            if own.is_some_and(|d| d <= matching.max_distance) {
                score.recalled += 1;
            } else {
                eval.missed.push((name.clone(), copy.kind, own));
            }
            if other.is_some_and(|d| d <= matching.max_distance) {
                score.false_matches += 1;
            }
            for (t, recalled, false_matches) in &mut sweep {
                if own.is_some_and(|d| d <= *t) {
                    *recalled += 1;
                }
                if other.is_some_and(|d| d <= *t) {
                    *false_matches += 1;
                }
            }
        }
    }
    eval.by_kind = by_kind;
    eval.sweep = sweep;
    Ok(eval)
}

/// SplitMix64: a tiny deterministic generator, enough to vary test images.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A PNG whose header claims `width`×`height` pixels (8-bit RGB) over one
/// empty data chunk, every chunk with its right CRC: a pixel bomb the
/// decoder must refuse from the header alone.
pub fn pixel_bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::decode::{Limits, decode_raster};

    const SVG: &[u8] = br#"<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M2 2h20v4H8v4h10v4H8v8H2z"/></svg>"#;

    fn decode(v: &LogoVariant) -> RgbImage {
        decode_raster(&v.bytes, &Limits::default())
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn one_variant_of_each_kind_in_order_and_deterministic() {
        let a = variants(SVG, 1).unwrap();
        let kinds: Vec<VariantKind> = a.iter().map(|v| v.kind).collect();
        assert_eq!(kinds, VariantKind::ALL);
        assert_eq!(a, variants(SVG, 1).unwrap());
        assert_ne!(a, variants(SVG, 2).unwrap(), "the seed matters");
    }

    #[test]
    fn the_logo_fills_the_canvas_but_for_the_margin() {
        let img = render_logo(SVG, 100, 0.10).unwrap();
        assert_eq!(img.get_pixel(5, 5).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(20, 20).0, [0, 0, 0], "top-left of the F");
        assert_eq!(img.get_pixel(95, 95).0, [255, 255, 255]);
    }

    #[test]
    fn each_variant_does_what_it_says() {
        let v = variants(SVG, 7).unwrap();
        let get = |k: VariantKind| v.iter().find(|x| x.kind == k).unwrap();
        let resized = decode(get(VariantKind::Resize));
        assert!((96..=320).contains(&resized.width()) && resized.width() != CANVAS);
        let cropped = decode(get(VariantKind::Crop6));
        assert_eq!(cropped.dimensions(), (451, 451), "480 less 6 % (29 pixels)");
        let turned = decode(get(VariantKind::RotatePlus5));
        assert_eq!(turned.dimensions(), (CANVAS, CANVAS));
        // Turning keeps the amount of ink but moves it.
        let base = render_logo(SVG, CANVAS, 0.02).unwrap();
        let dark = |img: &RgbImage| img.pixels().filter(|p| p.0[0] < 128).count() as f64;
        let ratio = dark(&turned) / dark(&base);
        assert!((0.95..1.05).contains(&ratio), "{ratio}");
        let moved = base
            .pixels()
            .zip(turned.pixels())
            .filter(|(a, b)| a.0[0].abs_diff(b.0[0]) > 128)
            .count();
        assert!(moved as f64 > 0.05 * dark(&base), "{moved}");
        let banner = decode(get(VariantKind::Banner));
        let p = banner.get_pixel(3, CANVAS - 3).0;
        assert!(p[0] > 150 && p[1] < 80, "red band at the bottom: {p:?}");
        let white_in_band = (0..CANVAS)
            .filter(|&x| banner.get_pixel(x, CANVAS - 38).0 == [255, 255, 255])
            .count();
        assert!(white_in_band > 20, "text in the band");
        let jpeg = get(VariantKind::Jpeg);
        assert_eq!(image::guess_format(&jpeg.bytes).unwrap(), ImageFormat::Jpeg);
        let blurred = decode(get(VariantKind::BlurContrast));
        let edge: Vec<u8> = (38..60).map(|x| blurred.get_pixel(x, 200).0[0]).collect();
        assert!(
            edge.iter().any(|&p| p > 20 && p < 235),
            "a soft edge: {edge:?}"
        );
    }
}
