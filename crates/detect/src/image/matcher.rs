//! Robust matching of listing images against rights holders' reference images.
//!
//! A single global PDQ hash survives re-encoding, resizing, blur and colour
//! changes, but not geometry: a logo cropped by 6 % or turned by 5 degrees
//! moves 40–70 bits away. Rather than a heavier descriptor, we spend the
//! work once, on the reference side, where images are few:
//!
//! * every image is first **normalised to its content box**: the uniform
//!   background around the mark is trimmed, so padding, canvas size and
//!   position stop mattering; a full-width **banner** touching the top or
//!   bottom edge (the "SALE -50 %" strip sellers add) is cut off first;
//! * each reference is hashed as it is, trimmed, **rotated** by small angles
//!   and **cropped** by a few percent on each side, and in its 8 dihedral
//!   forms (mirrored copies);
//! * a listing image is hashed only as it is, trimmed, and banner-stripped:
//!   three hashes, so checking a listing costs three index look-ups.
//!
//! All reference hashes go into one [`HammingIndex`]; a hit within the radius
//! (PDQ's advised 31) names the right, the reference image, the variant that
//! matched and the distance. Hashes of quality under 50 are ignored on both
//! sides, as ThreatExchange advises: flat images collide.

use serde::Serialize;

use super::ImageError;
use super::decode::{Limits, decode_luma};
use super::index::{HammingIndex, IndexError};
use super::pdq::{Dihedral, LumaImage, PdqHash, hash_luma};

/// How one hash of an image was derived from the image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Transform {
    /// Rotation or mirror of the whole image.
    pub dihedral: Dihedral,
    /// Whether the uniform background was trimmed to the content box.
    pub trimmed: bool,
    /// Whether a banner touching the top or bottom edge was cut off.
    pub banner_removed: bool,
    /// Small rotation applied, in degrees (counter-clockwise).
    pub rotation_deg: f32,
    /// Fractions cut from the left, top, right and bottom of the content box.
    pub crop: [f32; 4],
}

impl Transform {
    /// The image as it is.
    pub const IDENTITY: Transform = Transform {
        dihedral: Dihedral::Original,
        trimmed: false,
        banner_removed: false,
        rotation_deg: 0.0,
        crop: [0.0; 4],
    };
}

/// One hash of an image with its quality and how it was derived.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HashVariant {
    /// The PDQ hash.
    pub hash: PdqHash,
    /// PDQ quality, 0–100.
    pub quality: u8,
    /// How the hashed pixels were derived from the image.
    pub transform: Transform,
}

/// All hashes kept for one image: the plain PDQ hash first, then variants.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageHashes {
    /// `variants[0]` is the image as it is.
    pub variants: Vec<HashVariant>,
}

impl ImageHashes {
    /// The plain PDQ hash and quality of the image.
    pub fn primary(&self) -> Option<&HashVariant> {
        self.variants.first()
    }
}

/// Which variants to hash for a reference image.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustConfig {
    /// Small rotations (degrees) of the trimmed reference.
    pub rotations: Vec<f32>,
    /// Fraction cut from one side, or two opposite sides, of the content box.
    pub crops: Vec<f32>,
    /// Whether to add the 8 dihedral hashes (mirrored copies).
    pub dihedral: bool,
}

impl Default for RobustConfig {
    /// Rotations ±2°, ±4°, ±6°; crops of 4 % and 8 % per side; dihedral on.
    fn default() -> Self {
        RobustConfig {
            rotations: vec![-6.0, -4.0, -2.0, 2.0, 4.0, 6.0],
            crops: vec![0.04, 0.08],
            dihedral: true,
        }
    }
}

/// Matching thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchConfig {
    /// Largest PDQ distance that counts as a match (ThreatExchange: 31).
    pub max_distance: u32,
    /// Hashes below this quality are not used (ThreatExchange: 50).
    pub min_quality: u8,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            max_distance: 31,
            min_quality: 50,
        }
    }
}

fn variant(image: &LumaImage, transform: Transform) -> HashVariant {
    let out = hash_luma(image);
    HashVariant {
        hash: out.hash,
        quality: out.quality,
        transform,
    }
}

/// Hashes a listing image: as it is, trimmed, and with a banner cut off.
pub fn query_hashes(image: &LumaImage) -> ImageHashes {
    let mut variants = vec![variant(image, Transform::IDENTITY)];
    let bg = background(image);
    if let Some(trimmed) = content_box(image, bg).map(|b| crop_to(image, b)) {
        variants.push(variant(
            &trimmed,
            Transform {
                trimmed: true,
                ..Transform::IDENTITY
            },
        ));
    }
    if let Some(stripped) = strip_banner(image, bg) {
        let trimmed = content_box(&stripped, bg)
            .map(|b| crop_to(&stripped, b))
            .unwrap_or(stripped);
        variants.push(variant(
            &trimmed,
            Transform {
                trimmed: true,
                banner_removed: true,
                ..Transform::IDENTITY
            },
        ));
    }
    ImageHashes { variants }
}

/// Hashes a reference image with the variants of `config`.
pub fn reference_hashes(image: &LumaImage, config: &RobustConfig) -> ImageHashes {
    let first = hash_luma(image);
    let mut variants = vec![HashVariant {
        hash: first.hash,
        quality: first.quality,
        transform: Transform::IDENTITY,
    }];
    let bg = background(image);
    let base = content_box(image, bg).map(|b| crop_to(image, b));
    let trimmed_flag = base.is_some();
    let base = base.unwrap_or_else(|| image.clone());
    let trimmed = Transform {
        trimmed: trimmed_flag,
        ..Transform::IDENTITY
    };
    let base_out = hash_luma(&base);
    if trimmed_flag {
        variants.push(HashVariant {
            hash: base_out.hash,
            quality: base_out.quality,
            transform: trimmed,
        });
    }
    if config.dihedral {
        for d in Dihedral::ALL.into_iter().skip(1) {
            variants.push(HashVariant {
                hash: base_out.dihedral(d),
                quality: base_out.quality,
                transform: Transform {
                    dihedral: d,
                    ..trimmed
                },
            });
        }
    }
    for &deg in &config.rotations {
        let rotated = rotate(&base, deg, bg);
        let rotated = content_box(&rotated, bg)
            .map(|b| crop_to(&rotated, b))
            .unwrap_or(rotated);
        variants.push(variant(
            &rotated,
            Transform {
                rotation_deg: deg,
                ..trimmed
            },
        ));
    }
    for &f in &config.crops {
        let sides: [[f32; 4]; 6] = [
            [f, 0.0, 0.0, 0.0],
            [0.0, f, 0.0, 0.0],
            [0.0, 0.0, f, 0.0],
            [0.0, 0.0, 0.0, f],
            [f / 2.0, f / 2.0, f / 2.0, f / 2.0],
            [f, f, f, f],
        ];
        for crop in sides {
            let (w, h) = (base.width() as f32, base.height() as f32);
            let b = BoxPx {
                x0: (crop[0] * w) as usize,
                y0: (crop[1] * h) as usize,
                x1: base.width() - (crop[2] * w) as usize,
                y1: base.height() - (crop[3] * h) as usize,
            };
            if b.x1 <= b.x0 + 4 || b.y1 <= b.y0 + 4 {
                continue;
            }
            variants.push(variant(&crop_to(&base, b), Transform { crop, ..trimmed }));
        }
    }
    ImageHashes { variants }
}

/// Decodes and hashes a listing image (see [`query_hashes`]).
pub fn query_hashes_from_bytes(bytes: &[u8], limits: &Limits) -> Result<ImageHashes, ImageError> {
    Ok(query_hashes(&decode_luma(bytes, limits)?))
}

/// Decodes and hashes a reference image (see [`reference_hashes`]).
pub fn reference_hashes_from_bytes(
    bytes: &[u8],
    limits: &Limits,
    config: &RobustConfig,
) -> Result<ImageHashes, ImageError> {
    Ok(reference_hashes(&decode_luma(bytes, limits)?, config))
}

/// Where a stored reference hash came from.
#[derive(Debug, Clone, PartialEq)]
struct Origin {
    right: usize,
    reference: u32,
    transform: Transform,
}

/// A listing image matched to a reference image of a right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageHit {
    /// The right whose reference image matched.
    pub right_id: String,
    /// Which of that right's reference images (position in its list).
    pub reference: u32,
    /// The smallest PDQ distance over the hashes compared.
    pub distance: u32,
    /// The reference variant that gave that distance.
    pub transform: Transform,
    /// Quality of the listing hash that matched.
    pub quality: u8,
}

/// The reference images of every right, indexed for matching.
#[derive(Debug)]
pub struct ReferenceSet {
    rights: Vec<String>,
    origins: Vec<Origin>,
    index: HammingIndex,
    config: MatchConfig,
}

impl ReferenceSet {
    /// Indexes the hashes of each right's reference images (from
    /// [`reference_hashes`]); variants under `config.min_quality` are left out.
    pub fn build(
        rights: Vec<(String, Vec<ImageHashes>)>,
        config: MatchConfig,
    ) -> Result<Self, IndexError> {
        let mut names = Vec::with_capacity(rights.len());
        let mut origins = Vec::new();
        let mut hashes = Vec::new();
        for (r, (right_id, images)) in rights.into_iter().enumerate() {
            names.push(right_id);
            for (i, image) in images.iter().enumerate() {
                for v in &image.variants {
                    if v.quality < config.min_quality {
                        continue;
                    }
                    hashes.push(v.hash);
                    origins.push(Origin {
                        right: r,
                        reference: i as u32,
                        transform: v.transform,
                    });
                }
            }
        }
        Ok(ReferenceSet {
            rights: names,
            origins,
            index: HammingIndex::build(hashes)?,
            config,
        })
    }

    /// Number of indexed reference hashes.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no reference hash is indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The reference images within the radius of any usable hash of the
    /// listing image: one hit per (right, reference), the closest, sorted
    /// by distance.
    pub fn match_image(&self, query: &ImageHashes) -> Vec<ImageHit> {
        let mut best: Vec<ImageHit> = Vec::new();
        let mut keys: Vec<(usize, u32)> = Vec::new();
        for q in &query.variants {
            if q.quality < self.config.min_quality {
                continue;
            }
            for hit in self.index.search(&q.hash, self.config.max_distance) {
                let origin = &self.origins[hit.id as usize];
                let key = (origin.right, origin.reference);
                let candidate = ImageHit {
                    right_id: self.rights[origin.right].clone(),
                    reference: origin.reference,
                    distance: hit.distance,
                    transform: origin.transform,
                    quality: q.quality,
                };
                match keys.iter().position(|k| *k == key) {
                    Some(p) if best[p].distance <= hit.distance => {}
                    Some(p) => best[p] = candidate,
                    None => {
                        keys.push(key);
                        best.push(candidate);
                    }
                }
            }
        }
        best.sort_by(|a, b| {
            (a.distance, &a.right_id, a.reference).cmp(&(b.distance, &b.right_id, b.reference))
        });
        best
    }
}

/// A pixel rectangle, `x0..x1` × `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxPx {
    /// First column.
    pub x0: usize,
    /// First row.
    pub y0: usize,
    /// One past the last column.
    pub x1: usize,
    /// One past the last row.
    pub y1: usize,
}

/// Luma difference from the background that counts as content (above JPEG
/// noise, below any visible mark).
const CONTENT_DELTA: f32 = 28.0;

/// The background level: the median of the border pixels.
pub fn background(image: &LumaImage) -> f32 {
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 {
        return 255.0;
    }
    let mut border: Vec<f32> = (0..w)
        .flat_map(|x| [image.get(x, 0), image.get(x, h - 1)])
        .chain((0..h).flat_map(|y| [image.get(0, y), image.get(w - 1, y)]))
        .collect();
    let mid = border.len() / 2;
    let (_, m, _) = border.select_nth_unstable_by(mid, f32::total_cmp);
    *m
}

/// The bounding box of the content: rows and columns where more than 0.5 %
/// of the pixels differ from `bg` by more than [`CONTENT_DELTA`]. `None` when
/// the image is uniform, or when the box is (nearly) the whole image.
pub fn content_box(image: &LumaImage, bg: f32) -> Option<BoxPx> {
    let (w, h) = (image.width(), image.height());
    if w < 8 || h < 8 {
        return None;
    }
    let mut rows = vec![0usize; h];
    let mut cols = vec![0usize; w];
    for (y, row) in image.data().chunks_exact(w).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            if (v - bg).abs() > CONTENT_DELTA {
                rows[y] += 1;
                cols[x] += 1;
            }
        }
    }
    let row_min = (w / 200).max(1);
    let col_min = (h / 200).max(1);
    let y0 = rows.iter().position(|&c| c >= row_min)?;
    let y1 = rows.iter().rposition(|&c| c >= row_min)? + 1;
    let x0 = cols.iter().position(|&c| c >= col_min)?;
    let x1 = cols.iter().rposition(|&c| c >= col_min)? + 1;
    if x1 - x0 < 8 || y1 - y0 < 8 {
        return None;
    }
    // A box that leaves under 2 % on every side is the image itself.
    let margin = |lo: usize, hi: usize, n: usize| lo.max(n - hi) * 50 >= n;
    if !margin(x0, x1, w) && !margin(y0, y1, h) {
        return None;
    }
    Some(BoxPx { x0, y0, x1, y1 })
}

/// Copies a rectangle out of `image`.
pub fn crop_to(image: &LumaImage, b: BoxPx) -> LumaImage {
    let w = image.width();
    let data: Vec<f32> = (b.y0..b.y1)
        .flat_map(|y| image.data()[y * w + b.x0..y * w + b.x1].iter().copied())
        .collect();
    LumaImage::new(b.x1 - b.x0, b.y1 - b.y0, data).unwrap_or_default()
}

/// Cuts off a band at the top or bottom edge whose rows are at least 85 %
/// non-background and that covers 5–35 % of the height: the banner sellers
/// paste over product images. `None` if there is no such band.
pub fn strip_banner(image: &LumaImage, bg: f32) -> Option<LumaImage> {
    let (w, h) = (image.width(), image.height());
    if w < 8 || h < 8 {
        return None;
    }
    let full = |y: usize| {
        let row = &image.data()[y * w..(y + 1) * w];
        row.iter()
            .filter(|&&v| (v - bg).abs() > CONTENT_DELTA)
            .count()
            * 100
            >= w * 85
    };
    let bottom = (0..h).rev().take_while(|&y| full(y)).count();
    let top = (0..h).take_while(|&y| full(y)).count();
    let ok = |n: usize| n * 20 >= h && n * 100 <= h * 35;
    let (y0, y1) = match (ok(top), ok(bottom)) {
        (_, true) => (0, h - bottom),
        (true, false) => (top, h),
        (false, false) => return None,
    };
    Some(crop_to(
        image,
        BoxPx {
            x0: 0,
            y0,
            x1: w,
            y1,
        },
    ))
}

/// Rotates about the centre by `deg` degrees (counter-clockwise), bilinear,
/// on a canvas grown to hold the whole rotated image; uncovered pixels are
/// set to `bg`.
pub fn rotate(image: &LumaImage, deg: f32, bg: f32) -> LumaImage {
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 {
        return image.clone();
    }
    let (s, c) = deg.to_radians().sin_cos();
    let nw = ((w as f32 * c.abs() + h as f32 * s.abs() - 1e-3).ceil() as usize).max(1);
    let nh = ((w as f32 * s.abs() + h as f32 * c.abs() - 1e-3).ceil() as usize).max(1);
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let (ncx, ncy) = ((nw as f32 - 1.0) / 2.0, (nh as f32 - 1.0) / 2.0);
    let mut data = vec![bg; nw * nh];
    for y in 0..nh {
        for x in 0..nw {
            let (dx, dy) = (x as f32 - ncx, y as f32 - ncy);
            // Inverse rotation: where the output pixel comes from.
            let sx = c * dx - s * dy + cx;
            let sy = s * dx + c * dy + cy;
            if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f32 || sy > (h - 1) as f32 {
                continue;
            }
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let top = image.get(x0, y0) * (1.0 - fx) + image.get(x1, y0) * fx;
            let bot = image.get(x0, y1) * (1.0 - fx) + image.get(x1, y1) * fx;
            data[y * nw + x] = top * (1.0 - fy) + bot * fy;
        }
    }
    LumaImage::new(nw, nh, data).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark blob shape on a white canvas with `pad` pixels around it.
    fn logo(w: usize, h: usize, pad: usize) -> LumaImage {
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if x < pad || y < pad || x >= w - pad || y >= h - pad {
                    return 255.0;
                }
                let (u, v) = (
                    (x - pad) as f32 / (w - 2 * pad) as f32,
                    (y - pad) as f32 / (h - 2 * pad) as f32,
                );
                let ring = ((u - 0.4).powi(2) + (v - 0.5).powi(2)).sqrt();
                if (0.2..0.35).contains(&ring)
                    || (u > 0.7 && v > 0.1 && v < 0.9 && u < 0.85)
                    || (v > 0.8 && u < 0.5)
                {
                    20.0
                } else {
                    255.0
                }
            })
            .collect();
        LumaImage::new(w, h, data).unwrap()
    }

    #[test]
    fn content_box_finds_the_mark_inside_the_padding() {
        let img = logo(200, 150, 30);
        let b = content_box(&img, background(&img)).unwrap();
        assert!(b.x0 >= 30 && b.x0 < 50, "{b:?}");
        assert!(b.y0 >= 30 && b.y0 < 50, "{b:?}");
        assert!(b.x1 <= 170 && b.y1 <= 120, "{b:?}");
    }

    #[test]
    fn trimmed_hashes_ignore_padding() {
        let a = query_hashes(&logo(300, 300, 20));
        let b = query_hashes(&logo(340, 340, 60));
        let ta = a.variants.iter().find(|v| v.transform.trimmed).unwrap();
        let tb = b.variants.iter().find(|v| v.transform.trimmed).unwrap();
        assert!(
            ta.hash.distance(&tb.hash) <= 16,
            "{}",
            ta.hash.distance(&tb.hash)
        );
    }

    #[test]
    fn a_banner_at_the_bottom_is_cut_off() {
        let mut img = logo(200, 200, 20);
        let w = img.width();
        let mut data = img.data().to_vec();
        for y in 170..200 {
            for x in 0..w {
                data[y * w + x] = if (x / 7 + y / 5) % 9 == 0 {
                    250.0
                } else {
                    90.0
                };
            }
        }
        img = LumaImage::new(200, 200, data).unwrap();
        let stripped = strip_banner(&img, background(&img)).unwrap();
        assert_eq!(stripped.height(), 170);
    }

    #[test]
    fn rotation_by_zero_is_identity_and_a_quarter_turn_swaps_sides() {
        let img = logo(64, 48, 5);
        assert_eq!(rotate(&img, 0.0, 255.0), img);
        let turned = rotate(&img, 90.0, 255.0);
        assert_eq!((turned.width(), turned.height()), (48, 64));
    }

    #[test]
    fn reference_set_finds_the_right_and_not_the_other() {
        let cfg = RobustConfig::default();
        let a = reference_hashes(&logo(256, 256, 16), &cfg);
        let other = LumaImage::new(
            256,
            256,
            (0..256 * 256)
                .map(|k| {
                    if ((k % 256) / 32 + (k / 256) / 32) % 2 == 0 {
                        0.0
                    } else {
                        255.0
                    }
                })
                .collect(),
        )
        .unwrap();
        let b = reference_hashes(&other, &cfg);
        let set = ReferenceSet::build(
            vec![("A".into(), vec![a]), ("B".into(), vec![b])],
            MatchConfig::default(),
        )
        .unwrap();
        let query = rotate(&logo(300, 300, 40), 2.0, 255.0);
        let q = query_hashes(&query);
        let hits = set.match_image(&q);
        assert_eq!(
            hits.first().map(|h| h.right_id.as_str()),
            Some("A"),
            "{hits:?}"
        );
        assert!(hits.iter().all(|h| h.right_id == "A"));
    }
}
