//! Robust matching of listing images against rights holders' reference images.
//!
//! A single global PDQ hash survives re-encoding, resizing, blur and colour
//! changes, but not geometry: a logo cropped by 6 % or turned by 5 degrees
//! moves 40–80 bits away. Rather than a heavier descriptor, we spend the
//! work once, on the reference side, where images are few, and keep the
//! listing side to three hashes (three index look-ups):
//!
//! * **Normal form.** Every image is trimmed to its **content box** (the
//!   uniform background around the mark goes), resampled to 64×64 with an
//!   area filter, softened, and its difference from the background weighed
//!   by a fixed asymmetric ramp before PDQ's DCT. Trimming makes padding,
//!   canvas size and position irrelevant; area resampling makes the input
//!   size irrelevant; the ramp keeps symmetric marks (half of all logos)
//!   from having half their bits decided by noise (see `weigh`).
//! * **Listing side**: the plain PDQ hash (exact re-uploads of photos), the
//!   normal form, and the normal form after cutting off a full-width
//!   **banner** at the top or bottom edge.
//! * **Reference side**: the plain hash; the normal form and its 8 dihedral
//!   forms (mirrored copies); the normal form of the mark **rotated** every
//!   1.5° up to ±7.5°; **cut** by 2.5 % or 5 % on every combination of sides
//!   and by 7.5–15 % at the top or bottom (under a banner); and shrunk to
//!   thumbnail sizes — 109 hashes per reference image.
//!
//! All reference hashes go into one [`HammingIndex`]; a hit within the radius
//! (PDQ's advised 31) names the right, the reference image, the variant that
//! matched and the distance. Hashes of quality under 50 are ignored on both
//! sides, as ThreatExchange advises: flat images collide. The normal-form
//! hashes are PDQ's DCT and median bits on our own 64×64 input, so they are
//! compared only with each other; the plain hash stays true PDQ.

use serde::{Deserialize, Serialize};

use super::ImageError;
use super::decode::{Limits, decode_luma};
use super::index::{HammingIndex, IndexError};
use super::pdq::{Dihedral, LumaImage, PdqHash, hash_luma};

/// How one hash of an image was derived from the image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Scale applied before normalising (under 1 for thumbnails).
    pub scale: f32,
}

impl Transform {
    /// The image as it is.
    pub const IDENTITY: Transform = Transform {
        dihedral: Dihedral::Original,
        trimmed: false,
        banner_removed: false,
        rotation_deg: 0.0,
        crop: [0.0; 4],
        scale: 1.0,
    };
}

/// One hash of an image with its quality and how it was derived.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HashVariant {
    /// The PDQ hash.
    pub hash: PdqHash,
    /// PDQ quality, 0–100.
    pub quality: u8,
    /// How the hashed pixels were derived from the image.
    pub transform: Transform,
}

/// All hashes kept for one image: the plain PDQ hash first, then variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Fractions that may be cut from each side of the content box: every
    /// combination over the four sides (with 0) is hashed.
    pub crop_steps: Vec<f32>,
    /// Deeper cuts of the top or the bottom alone, where banners go.
    pub band_cuts: Vec<f32>,
    /// Longest sides (pixels) the content is shrunk to before normalising,
    /// so that thumbnails' blur is matched too.
    pub small_sides: Vec<usize>,
    /// Whether to add the 8 dihedral hashes (mirrored copies).
    pub dihedral: bool,
}

impl Default for RobustConfig {
    /// Rotations every 1.5° up to ±7.5°; cuts of 2.5 % and 5 % on any
    /// combination of sides (80 crops); top or bottom cuts of 7.5–15 %;
    /// thumbnails of 96 and 160 pixels; dihedral on: 109 hashes a reference.
    fn default() -> Self {
        RobustConfig {
            rotations: vec![-7.5, -6.0, -4.5, -3.0, -1.5, 1.5, 3.0, 4.5, 6.0, 7.5],
            crop_steps: vec![0.025, 0.05],
            band_cuts: vec![0.075, 0.10, 0.125, 0.15],
            small_sides: vec![96, 160],
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

/// A rectangle in pixel coordinates with fractional edges.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

impl Rect {
    fn of_box(b: BoxPx) -> Rect {
        Rect {
            x0: b.x0 as f32,
            y0: b.y0 as f32,
            x1: b.x1 as f32,
            y1: b.y1 as f32,
        }
    }

    fn whole(image: &LumaImage) -> Rect {
        Rect {
            x0: 0.0,
            y0: 0.0,
            x1: image.width() as f32,
            y1: image.height() as f32,
        }
    }

    /// Cuts fractions of the width and height from the left, top, right and
    /// bottom.
    fn cut(self, crop: [f32; 4]) -> Rect {
        let (w, h) = (self.x1 - self.x0, self.y1 - self.y0);
        Rect {
            x0: self.x0 + crop[0] * w,
            y0: self.y0 + crop[1] * h,
            x1: self.x1 - crop[2] * w,
            y1: self.y1 - crop[3] * h,
        }
    }
}

/// Side of the normalised image hashed for trimmed variants.
const NORMAL: usize = 64;

/// For each of `n` output cells over `[a, b)`, the input indices and the
/// weights of their overlap with the cell (an area filter; a cell narrower
/// than a pixel takes the pixel under it).
fn area_weights(a: f32, b: f32, len: usize, n: usize) -> Vec<Vec<(usize, f32)>> {
    let step = (b - a) / n as f32;
    (0..n)
        .map(|i| {
            let lo = a + i as f32 * step;
            let hi = lo + step;
            let first = (lo.floor().max(0.0) as usize).min(len.saturating_sub(1));
            let last = (hi.ceil().max(1.0) as usize).min(len);
            let mut w: Vec<(usize, f32)> = (first..last.max(first + 1))
                .map(|k| {
                    let overlap = (hi.min(k as f32 + 1.0) - lo.max(k as f32)).max(0.0);
                    (k, overlap)
                })
                .filter(|&(_, o)| o > 0.0)
                .collect();
            if w.is_empty() {
                w.push((first, 1.0));
            }
            let total: f32 = w.iter().map(|&(_, o)| o).sum();
            w.iter_mut().for_each(|(_, o)| *o /= total);
            w
        })
        .collect()
}

/// Resamples a rectangle of `image` to [`NORMAL`]² with an area filter: the
/// normal form that makes trimmed hashes independent of the input's size.
fn normalise(image: &LumaImage, r: Rect, bg: f32) -> LumaImage {
    weigh(&normal_form(image, r), bg)
}

/// The resampled, softened rectangle, before [`weigh`].
fn normal_form(image: &LumaImage, r: Rect) -> LumaImage {
    let mut out = resample(image, r, NORMAL, NORMAL);
    if out.width() == NORMAL && out.height() == NORMAL {
        let mut data = out.data().to_vec();
        soften(&mut data);
        out = LumaImage::new(NORMAL, NORMAL, data).unwrap_or_default();
    }
    out
}

/// Weighs the difference from the background by a fixed asymmetric ramp
/// (1 at the top-left corner, 2 at the right, 1.5 at the bottom). A
/// symmetric mark has half its DCT coefficients at zero, and PDQ's bits for
/// them, taken against a median that sits among them, are noise: two copies
/// of one symmetric logo then differ by 40 bits. The ramp turns those
/// coefficients into deterministic functions of the mark, the same on both
/// sides of a comparison, while the background stays flat so unrelated
/// marks gain nothing in common.
fn weigh(normal: &LumaImage, bg: f32) -> LumaImage {
    let n = normal.width().max(1) as f32;
    let data = normal
        .data()
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let (x, y) = (
                (k % normal.width().max(1)) as f32,
                (k / normal.width().max(1)) as f32,
            );
            bg + (v - bg) * (1.0 + RAMP_X * x / n + RAMP_Y * y / n)
        })
        .collect();
    LumaImage::new(normal.width(), normal.height(), data).unwrap_or_default()
}

const RAMP_X: f32 = 1.0;
const RAMP_Y: f32 = 0.5;

/// Resamples a rectangle of `image` to `nw` × `nh` with an area filter.
fn resample(image: &LumaImage, r: Rect, nw: usize, nh: usize) -> LumaImage {
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 || nw == 0 || nh == 0 || r.x1 <= r.x0 || r.y1 <= r.y0 {
        return LumaImage::default();
    }
    let wx = area_weights(r.x0, r.x1, w, nw);
    let wy = area_weights(r.y0, r.y1, h, nh);
    // Rows first: only the rows some output cell reads.
    let mut rows: Vec<Option<Vec<f32>>> = vec![None; h];
    let mut out = vec![0f32; nw * nh];
    for (oy, ys) in wy.iter().enumerate() {
        for &(y, wyv) in ys {
            let row = rows[y].get_or_insert_with(|| {
                let src = &image.data()[y * w..(y + 1) * w];
                wx.iter()
                    .map(|xs| xs.iter().map(|&(x, wxv)| src[x] * wxv).sum())
                    .collect()
            });
            for (o, v) in out[oy * nw..(oy + 1) * nw].iter_mut().zip(row.iter()) {
                *o += wyv * v;
            }
        }
    }
    LumaImage::new(nw, nh, out).unwrap_or_default()
}

/// A binomial blur `[1 4 6 4 1] / 16` (σ ≈ 1 pixel) along rows and columns
/// of the normal form, edges clamped: it takes out the resampling noise
/// that moves DCT coefficients across the median on smooth, symmetric
/// marks.
fn soften(img: &mut [f32]) {
    const K: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
    let n = NORMAL as isize;
    let at = |i: isize| i.clamp(0, n - 1) as usize;
    let mut tmp = vec![0f32; img.len()];
    for y in 0..NORMAL {
        for x in 0..n {
            tmp[y * NORMAL + x as usize] = (0..5)
                .map(|k| K[k] * img[y * NORMAL + at(x + k as isize - 2)])
                .sum();
        }
    }
    for y in 0..n {
        for x in 0..NORMAL {
            img[y as usize * NORMAL + x] = (0..5)
                .map(|k| K[k] * tmp[at(y + k as isize - 2) * NORMAL + x])
                .sum();
        }
    }
}

/// The content box of `image` as a rectangle, or the whole image.
fn trimmed_rect(image: &LumaImage, bg: f32) -> Rect {
    content_box(image, bg).map_or_else(|| Rect::whole(image), Rect::of_box)
}

/// Hashes a listing image: as it is, normalised to its content box, and
/// with a banner cut off.
pub fn query_hashes(image: &LumaImage) -> ImageHashes {
    let mut variants = vec![variant(image, Transform::IDENTITY)];
    let bg = background(image);
    let trimmed = Transform {
        trimmed: true,
        ..Transform::IDENTITY
    };
    variants.push(variant(
        &normalise(image, trimmed_rect(image, bg), bg),
        trimmed,
    ));
    if let Some(stripped) = strip_banner(image, bg) {
        variants.push(variant(
            &normalise(&stripped, trimmed_rect(&stripped, bg), bg),
            Transform {
                banner_removed: true,
                ..trimmed
            },
        ));
    }
    ImageHashes { variants }
}

/// Hashes a reference image: as it is; normalised to its content box, with
/// its dihedral forms; rotated by each of `config.rotations`; and cut by
/// every combination of `config.crop_steps` on its four sides.
pub fn reference_hashes(image: &LumaImage, config: &RobustConfig) -> ImageHashes {
    let mut variants = vec![variant(image, Transform::IDENTITY)];
    let bg = background(image);
    let rect = trimmed_rect(image, bg);
    let trimmed = Transform {
        trimmed: true,
        ..Transform::IDENTITY
    };
    let normal = normal_form(image, rect);
    variants.push(variant(&weigh(&normal, bg), trimmed));
    if config.dihedral {
        // The ramp is not symmetric: mirror the pixels, then weigh.
        for d in Dihedral::ALL.into_iter().skip(1) {
            variants.push(variant(
                &weigh(&normal.transformed(d), bg),
                Transform {
                    dihedral: d,
                    ..trimmed
                },
            ));
        }
    }
    // Rotate the content with some room around it, then trim again.
    let pad = |v: f32, n: usize| v.clamp(0.0, n as f32);
    let room = BoxPx {
        x0: pad(rect.x0 - 2.0, image.width()) as usize,
        y0: pad(rect.y0 - 2.0, image.height()) as usize,
        x1: pad(rect.x1 + 2.0, image.width()) as usize,
        y1: pad(rect.y1 + 2.0, image.height()) as usize,
    };
    let content = crop_to(image, room);
    for &deg in &config.rotations {
        let rotated = rotate(&content, deg, bg);
        variants.push(variant(
            &normalise(&rotated, trimmed_rect(&rotated, bg), bg),
            Transform {
                rotation_deg: deg,
                ..trimmed
            },
        ));
    }
    let mut steps = vec![0.0];
    steps.extend(
        config
            .crop_steps
            .iter()
            .copied()
            .filter(|&f| f > 0.0 && f < 0.4),
    );
    for &l in &steps {
        for &t in &steps {
            for &r in &steps {
                for &b in &steps {
                    let crop = [l, t, r, b];
                    if crop == [0.0; 4] {
                        continue;
                    }
                    variants.push(variant(
                        &normalise(image, rect.cut(crop), bg),
                        Transform { crop, ..trimmed },
                    ));
                }
            }
        }
    }
    for &f in &config.band_cuts {
        for crop in [[0.0, f, 0.0, 0.0], [0.0, 0.0, 0.0, f]] {
            variants.push(variant(
                &normalise(image, rect.cut(crop), bg),
                Transform { crop, ..trimmed },
            ));
        }
    }
    for &side in &config.small_sides {
        let longest = (rect.x1 - rect.x0).max(rect.y1 - rect.y0);
        if longest <= side as f32 {
            continue;
        }
        let scale = side as f32 / longest;
        let small = resample(
            image,
            rect,
            ((rect.x1 - rect.x0) * scale).round().max(1.0) as usize,
            ((rect.y1 - rect.y0) * scale).round().max(1.0) as usize,
        );
        variants.push(variant(
            &normalise(&small, Rect::whole(&small), bg),
            Transform { scale, ..trimmed },
        ));
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
/// of the pixels differ from `bg` by more than 28 levels. `None` when
/// the image is uniform, or when the box is the whole image.
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
    if (x0, y0, x1, y1) == (0, 0, w, h) {
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

/// Cuts off a band at the top or bottom edge, the banner sellers paste over
/// product images: the edge row must be at least 85 % non-background, its
/// median is the band's colour, and the band goes on while at least 30 % of a
/// row has that colour (text on the band may take the rest). `None` unless
/// such a band covers 5–35 % of the height.
pub fn strip_banner(image: &LumaImage, bg: f32) -> Option<LumaImage> {
    let (w, h) = (image.width(), image.height());
    if w < 8 || h < 8 {
        return None;
    }
    let row = |y: usize| &image.data()[y * w..(y + 1) * w];
    let band_rows = |edge: usize, rows: &mut dyn Iterator<Item = usize>| -> usize {
        let first = row(edge);
        let far = first
            .iter()
            .filter(|&&v| (v - bg).abs() > CONTENT_DELTA)
            .count();
        if far * 100 < w * 85 {
            return 0;
        }
        let mut sorted = first.to_vec();
        let (_, band, _) = sorted.select_nth_unstable_by(w / 2, f32::total_cmp);
        let band = *band;
        rows.take_while(|&y| {
            row(y).iter().filter(|&&v| (v - band).abs() <= 20.0).count() * 100 >= w * 30
        })
        .count()
    };
    let bottom = band_rows(h - 1, &mut (0..h).rev());
    let top = band_rows(0, &mut (0..h));
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
