//! PDQ, Meta's 256-bit perceptual hash, computed the way the C++ reference does.
//!
//! The pipeline is fixed by the reference and we follow it step for step, in
//! `f32` and in the same summation order, so that our bits agree with Meta's
//! hasher rather than merely resembling them:
//!
//! 1. luma `Y = 0.299 R + 0.587 G + 0.114 B` per pixel;
//! 2. a Jarosz filter: two passes of a box filter along rows then columns,
//!    window `ceil(dim / 128)`, which approximates a tent filter;
//! 3. decimation to 64×64 by sampling the pixel at each cell's centre;
//! 4. the quality score from the 64×64 gradients (0–100);
//! 5. the 16×16 low-frequency block of the 2-D DCT-II (skipping the DC row and
//!    column) as `D · A · Dᵀ` with a precomputed 16×64 matrix;
//! 6. one bit per coefficient: set when above the median of the 256.
//!
//! The eight dihedral hashes (rotations and flips of the image) come from the
//! same DCT block by transposition and sign changes, so they cost almost
//! nothing extra and need no second pass over the pixels.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Images smaller than this on either side get the all-zero hash and quality
/// 0, as in the reference.
pub const MIN_HASHABLE_DIM: usize = 5;

/// A 256-bit PDQ hash.
///
/// Bit `k` is coefficient `(k / 16, k % 16)` of the 16×16 DCT block; limb
/// `k / 64` holds it. The text form is the reference's: 64 hex digits, most
/// significant (bit 255) first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PdqHash(pub [u64; 4]);

impl PdqHash {
    /// Number of differing bits, 0..=256: the PDQ distance.
    #[inline]
    pub fn distance(&self, other: &PdqHash) -> u32 {
        (self.0[0] ^ other.0[0]).count_ones()
            + (self.0[1] ^ other.0[1]).count_ones()
            + (self.0[2] ^ other.0[2]).count_ones()
            + (self.0[3] ^ other.0[3]).count_ones()
    }

    /// Whether bit `k` (0..256) is set.
    pub fn bit(&self, k: usize) -> bool {
        (self.0[(k >> 6) & 3] >> (k & 63)) & 1 == 1
    }

    fn set_bit(&mut self, k: usize) {
        self.0[(k >> 6) & 3] |= 1 << (k & 63);
    }

    /// Number of set bits (a PDQ hash from a real image has about 128).
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|l| l.count_ones()).sum()
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:016x}{:016x}{:016x}{:016x}",
            self.0[3], self.0[2], self.0[1], self.0[0]
        )
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({self})")
    }
}

/// Why a text is not a PDQ hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a PDQ hash is 64 hexadecimal digits, got {0:?}")]
pub struct ParseHashError(pub String);

impl FromStr for PdqHash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseHashError(s.chars().take(80).collect()));
        }
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let start = (3 - i) * 16;
            *limb = u64::from_str_radix(&s[start..start + 16], 16)
                .map_err(|_| ParseHashError(s.to_owned()))?;
        }
        Ok(PdqHash(limbs))
    }
}

impl Serialize for PdqHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PdqHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The eight symmetries of a rectangle, named as in the reference hasher.
///
/// `Dihedral::X.apply_to_dct` turns the DCT block of an image into the DCT
/// block of that image transformed by `X`, so a mirrored or rotated copy of a
/// reference is found by comparing against the reference's eight hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dihedral {
    /// The image as it is.
    Original,
    /// Rotated a quarter turn.
    Rotate90,
    /// Rotated half a turn.
    Rotate180,
    /// Rotated three quarter turns.
    Rotate270,
    /// Mirrored top to bottom.
    FlipX,
    /// Mirrored left to right.
    FlipY,
    /// Mirrored about the main diagonal (transposed).
    FlipPlus1,
    /// Mirrored about the anti-diagonal.
    FlipMinus1,
}

impl Dihedral {
    /// All eight, `Original` first.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The DCT block of the transformed image, from the block of the image.
    ///
    /// Coefficient `(i, j)` holds frequency `(i + 1, j + 1)`: a mirror along
    /// an axis negates the coefficients whose frequency on that axis is odd
    /// (even index), a transposition swaps the axes.
    pub fn apply_to_dct(self, a: &Dct16) -> Dct16 {
        let mut b = [[0f32; 16]; 16];
        for (i, row) in a.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let odd_i = i & 1 == 1;
                let odd_j = j & 1 == 1;
                match self {
                    Dihedral::Original => b[i][j] = v,
                    Dihedral::Rotate90 => b[j][i] = if odd_j { v } else { -v },
                    Dihedral::Rotate180 => b[i][j] = if odd_i ^ odd_j { -v } else { v },
                    Dihedral::Rotate270 => b[j][i] = if odd_i { v } else { -v },
                    Dihedral::FlipX => b[i][j] = if odd_i { v } else { -v },
                    Dihedral::FlipY => b[i][j] = if odd_j { v } else { -v },
                    Dihedral::FlipPlus1 => b[j][i] = v,
                    Dihedral::FlipMinus1 => b[j][i] = if odd_i ^ odd_j { -v } else { v },
                }
            }
        }
        b
    }
}

/// The 16×16 low-frequency DCT block, row-major: `[row][column]`.
pub type Dct16 = [[f32; 16]; 16];

/// A greyscale image as `f32` luma, row-major: the hasher's input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LumaImage {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl LumaImage {
    /// Wraps `data` (`width * height` values, row-major); `None` if the
    /// length does not fit.
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Option<Self> {
        (width.checked_mul(height) == Some(data.len())).then_some(LumaImage {
            width,
            height,
            data,
        })
    }

    /// Luma of interleaved 8-bit RGB pixels with the reference's weights.
    pub fn from_rgb8(width: usize, height: usize, rgb: &[u8]) -> Option<Self> {
        if width.checked_mul(height)?.checked_mul(3)? != rgb.len() {
            return None;
        }
        let data = rgb
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect();
        Some(LumaImage {
            width,
            height,
            data,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The values, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Value at column `x`, row `y`.
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// The image rotated or mirrored by `d`, in pixels.
    pub fn transformed(&self, d: Dihedral) -> LumaImage {
        let img = self;
        let (w, h) = (img.width, img.height);
        let transposed = matches!(
            d,
            Dihedral::Rotate90 | Dihedral::Rotate270 | Dihedral::FlipPlus1 | Dihedral::FlipMinus1
        );
        let (nw, nh) = if transposed { (h, w) } else { (w, h) };
        let mut data = vec![0f32; w * h];
        for y in 0..nh {
            for x in 0..nw {
                // Source pixel of output (x, y).
                let (sx, sy) = match d {
                    Dihedral::Original => (x, y),
                    Dihedral::Rotate90 => (w - 1 - y, x),
                    Dihedral::Rotate180 => (w - 1 - x, h - 1 - y),
                    Dihedral::Rotate270 => (y, h - 1 - x),
                    Dihedral::FlipX => (x, h - 1 - y),
                    Dihedral::FlipY => (w - 1 - x, y),
                    Dihedral::FlipPlus1 => (y, x),
                    Dihedral::FlipMinus1 => (w - 1 - y, h - 1 - x),
                };
                data[y * nw + x] = img.get(sx, sy);
            }
        }
        LumaImage::new(nw, nh, data).unwrap_or_default()
    }
}

/// The reference's luma: `0.299 R + 0.587 G + 0.114 B`, in `f32`, summed left
/// to right.
#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> f32 {
    0.299f32 * f32::from(r) + 0.587f32 * f32::from(g) + 0.114f32 * f32::from(b)
}

/// What the hasher produces for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct PdqOutput {
    /// The hash of the image as it is.
    pub hash: PdqHash,
    /// 0–100: how much gradient (detail) the 64×64 downsample has. Hashes of
    /// quality under 50 are unreliable (flat or nearly flat images).
    pub quality: u8,
    /// The DCT block, from which [`PdqOutput::dihedral`] derives the others.
    pub dct: Dct16,
}

impl PdqOutput {
    /// The hash of the image transformed by `d`, without touching pixels.
    pub fn dihedral(&self, d: Dihedral) -> PdqHash {
        bits_from_dct(&d.apply_to_dct(&self.dct))
    }

    /// The eight dihedral hashes, in [`Dihedral::ALL`] order.
    pub fn dihedral_all(&self) -> [(Dihedral, PdqHash); 8] {
        Dihedral::ALL.map(|d| (d, self.dihedral(d)))
    }
}

/// Hashes a luma image. Images under 5 pixels on a side get the zero hash
/// and quality 0, as in the reference.
pub fn hash_luma(image: &LumaImage) -> PdqOutput {
    let (w, h) = (image.width, image.height);
    if w < MIN_HASHABLE_DIM || h < MIN_HASHABLE_DIM {
        return PdqOutput {
            hash: PdqHash::default(),
            quality: 0,
            dct: [[0.0; 16]; 16],
        };
    }
    let small = if w == 64 && h == 64 {
        let mut a = [[0f32; 64]; 64];
        for (i, row) in a.iter_mut().enumerate() {
            row.copy_from_slice(&image.data[i * 64..(i + 1) * 64]);
        }
        a
    } else {
        let mut buf = image.data.clone();
        jarosz_filter(&mut buf, w, h);
        decimate(&buf, w, h)
    };
    let quality = quality_metric(&small);
    let dct = dct64_to_16(&small);
    PdqOutput {
        hash: bits_from_dct(&dct),
        quality,
        dct,
    }
}

/// The reference's window: `ceil(old / (2 * new))`, half of a 64th per pass.
fn jarosz_window(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// Two passes of box filtering along rows then columns, in place.
fn jarosz_filter(buf: &mut [f32], w: usize, h: usize) {
    let win_rows = jarosz_window(w, 64);
    let win_cols = jarosz_window(h, 64);
    let mut tmp = vec![0f32; buf.len()];
    let mut sums = vec![0f32; w];
    for _ in 0..2 {
        for (src, dst) in buf.chunks_exact(w).zip(tmp.chunks_exact_mut(w)) {
            box_1d(src, dst, win_rows);
        }
        box_columns(&tmp, buf, w, h, win_cols, &mut sums);
    }
}

/// The four phases of the reference's running-sum box filter: the window is
/// `[i - (full - half), i + half - 1]`, clipped at the ends, and the sum is
/// kept running (add on the right, subtract on the left) so rounding matches.
fn box_1d(input: &[f32], out: &mut [f32], full: usize) {
    let n = input.len();
    let half = (full + 2) / 2;
    let phase1 = half - 1;
    let phase2 = full - half + 1;
    let phase3 = n.saturating_sub(full);
    let phase4 = half - 1;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0f32;
    let mut size = 0usize;
    for _ in 0..phase1 {
        sum += input[ri];
        size += 1;
        ri += 1;
    }
    for _ in 0..phase2 {
        sum += input[ri];
        size += 1;
        out[oi] = sum / size as f32;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase3 {
        sum += input[ri];
        sum -= input[li];
        out[oi] = sum / size as f32;
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase4 {
        sum -= input[li];
        size -= 1;
        out[oi] = sum / size as f32;
        li += 1;
        oi += 1;
    }
}

/// [`box_1d`] down every column at once: the same operations per column in
/// the same order, but walking rows so memory is read sequentially and the
/// inner loops vectorise.
fn box_columns(input: &[f32], out: &mut [f32], w: usize, h: usize, full: usize, sums: &mut [f32]) {
    let half = (full + 2) / 2;
    let phase1 = half - 1;
    let phase2 = full - half + 1;
    let phase3 = h.saturating_sub(full);
    let phase4 = half - 1;
    let row = |r: usize| &input[r * w..(r + 1) * w];
    sums.fill(0.0);
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut size = 0usize;
    for _ in 0..phase1 {
        for (s, v) in sums.iter_mut().zip(row(ri)) {
            *s += v;
        }
        size += 1;
        ri += 1;
    }
    for _ in 0..phase2 {
        size += 1;
        let d = size as f32;
        let dst = &mut out[oi * w..(oi + 1) * w];
        for ((s, v), o) in sums.iter_mut().zip(row(ri)).zip(dst) {
            *s += v;
            *o = *s / d;
        }
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase3 {
        let d = size as f32;
        let dst = &mut out[oi * w..(oi + 1) * w];
        for (((s, add), sub), o) in sums.iter_mut().zip(row(ri)).zip(row(li)).zip(dst) {
            *s += add;
            *s -= sub;
            *o = *s / d;
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..phase4 {
        size -= 1;
        let d = size as f32;
        let dst = &mut out[oi * w..(oi + 1) * w];
        for ((s, sub), o) in sums.iter_mut().zip(row(li)).zip(dst) {
            *s -= sub;
            *o = *s / d;
        }
        li += 1;
        oi += 1;
    }
}

/// Samples the filtered image at the centre of each of 64×64 cells.
fn decimate(buf: &[f32], w: usize, h: usize) -> [[f32; 64]; 64] {
    let mut out = [[0f32; 64]; 64];
    for (oi, row) in out.iter_mut().enumerate() {
        let ini = (((oi as f64 + 0.5) * h as f64) / 64.0) as usize;
        for (oj, v) in row.iter_mut().enumerate() {
            let inj = (((oj as f64 + 0.5) * w as f64) / 64.0) as usize;
            *v = buf[ini * w + inj];
        }
    }
    out
}

/// The reference's heuristic: quantised absolute gradients summed, `/ 90`,
/// capped at 100.
fn quality_metric(a: &[[f32; 64]; 64]) -> u8 {
    let mut sum: i64 = 0;
    let step = |u: f32, v: f32| (((u - v) * 100.0) / 255.0) as i64;
    for (upper, lower) in a.iter().zip(&a[1..]) {
        for (&u, &v) in upper.iter().zip(lower) {
            sum += step(u, v).abs();
        }
    }
    for row in a {
        for j in 0..63 {
            sum += step(row[j], row[j + 1]).abs();
        }
    }
    (sum / 90).min(100) as u8
}

/// The 16×64 DCT-II matrix for frequencies 1..=16, computed as the reference
/// does (scale factor rounded to `f32`, product in `f64`, stored as `f32`).
fn dct_matrix() -> &'static [[f32; 64]; 16] {
    static MATRIX: OnceLock<[[f32; 64]; 16]> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        let mut d = [[0f32; 64]; 16];
        for (i, row) in d.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let angle =
                    (std::f64::consts::PI / 2.0 / 64.0) * (i + 1) as f64 * (2 * j + 1) as f64;
                *v = (f64::from(scale) * angle.cos()) as f32;
            }
        }
        d
    })
}

/// `B = D · A · Dᵀ`, each sum accumulated in `f32` in increasing `k` as in
/// the reference (the loops are reordered so the inner one vectorises, which
/// keeps each element's order of additions).
fn dct64_to_16(a: &[[f32; 64]; 64]) -> Dct16 {
    let d = dct_matrix();
    let mut t = [[0f32; 64]; 16];
    for (trow, drow) in t.iter_mut().zip(d) {
        for (arow, &dk) in a.iter().zip(drow) {
            for (tv, &av) in trow.iter_mut().zip(arow) {
                *tv += dk * av;
            }
        }
    }
    let mut b = [[0f32; 16]; 16];
    for (brow, trow) in b.iter_mut().zip(&t) {
        for (bv, drow) in brow.iter_mut().zip(d) {
            let mut s = 0f32;
            for (tv, dv) in trow.iter().zip(drow) {
                s += tv * dv;
            }
            *bv = s;
        }
    }
    b
}

/// One bit per coefficient: set when strictly above the median, which is the
/// 128th smallest of the 256 (what the reference's Torben selection returns).
pub fn bits_from_dct(b: &Dct16) -> PdqHash {
    let mut flat = [0f32; 256];
    for (i, row) in b.iter().enumerate() {
        flat[i * 16..(i + 1) * 16].copy_from_slice(row);
    }
    let mut sorted = flat;
    let (_, median, _) = sorted.select_nth_unstable_by(127, f32::total_cmp);
    let median = *median;
    let mut hash = PdqHash::default();
    for (k, &v) in flat.iter().enumerate() {
        if v > median {
            hash.set_bit(k);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(w: usize, h: usize, cell: usize) -> LumaImage {
        let data = (0..w * h)
            .map(|k| {
                let (x, y) = (k % w, k / w);
                if (x / cell + y / cell) & 1 == 0 {
                    30.0
                } else {
                    220.0
                }
            })
            .collect();
        LumaImage::new(w, h, data).unwrap()
    }

    #[test]
    fn hex_round_trips_and_puts_bit_255_first() {
        let mut h = PdqHash::default();
        h.set_bit(255);
        h.set_bit(0);
        let text = h.to_string();
        assert_eq!(&text[..2], "80");
        assert_eq!(&text[62..], "01");
        assert_eq!(text.parse::<PdqHash>().unwrap(), h);
        assert!("xyz".parse::<PdqHash>().is_err());
        assert!("0".repeat(63).parse::<PdqHash>().is_err());
    }

    #[test]
    fn distance_counts_differing_bits() {
        let a = PdqHash([0, 0, 0, 0]);
        let b = PdqHash([1, 3, 0, u64::MAX]);
        assert_eq!(a.distance(&b), 1 + 2 + 64);
        assert_eq!(b.distance(&b), 0);
    }

    #[test]
    fn box_filter_matches_a_direct_windowed_mean() {
        let input: Vec<f32> = (0..37).map(|i| ((i * 7919) % 101) as f32).collect();
        for full in 1..9 {
            let mut out = vec![0f32; input.len()];
            box_1d(&input, &mut out, full);
            let half = (full + 2) / 2;
            for (i, &o) in out.iter().enumerate() {
                let lo = i.saturating_sub(full - half);
                let hi = (i + half - 1).min(input.len() - 1);
                let mean = input[lo..=hi].iter().sum::<f32>() / (hi - lo + 1) as f32;
                assert!((o - mean).abs() < 1e-3, "full {full} at {i}: {o} vs {mean}");
            }
        }
    }

    #[test]
    fn column_filter_equals_row_filter_on_the_transpose() {
        let (w, h) = (13, 29);
        let input: Vec<f32> = (0..w * h).map(|i| ((i * 31) % 97) as f32).collect();
        let mut by_cols = vec![0f32; w * h];
        box_columns(&input, &mut by_cols, w, h, 3, &mut vec![0f32; w]);
        for x in 0..w {
            let col: Vec<f32> = (0..h).map(|y| input[y * w + x]).collect();
            let mut out = vec![0f32; h];
            box_1d(&col, &mut out, 3);
            for y in 0..h {
                assert_eq!(out[y], by_cols[y * w + x]);
            }
        }
    }

    #[test]
    fn tiny_and_flat_images_have_quality_zero() {
        let tiny = LumaImage::new(4, 100, vec![0.0; 400]).unwrap();
        assert_eq!(hash_luma(&tiny).quality, 0);
        assert_eq!(hash_luma(&tiny).hash, PdqHash::default());
        let flat = LumaImage::new(100, 80, vec![128.0; 8000]).unwrap();
        assert_eq!(hash_luma(&flat).quality, 0);
    }

    #[test]
    fn a_detailed_image_has_half_its_bits_set_and_high_quality() {
        let out = hash_luma(&checker(300, 200, 17));
        assert!(out.quality >= 80, "quality {}", out.quality);
        assert!((100..=128).contains(&out.hash.count_ones()));
    }

    #[test]
    fn dihedral_hashes_equal_hashes_of_transformed_pixels() {
        // At 64x64 the hasher skips the filter, so transformed pixels give
        // exactly transformed coefficients (up to float rounding).
        let data: Vec<f32> = (0..64 * 64)
            .map(|k| {
                let (x, y) = ((k % 64) as f32, (k / 64) as f32);
                128.0
                    + 60.0 * (x / 5.0).sin() * (y / 11.0).cos()
                    + 50.0 * ((x + 2.0 * y) / 15.0).sin()
                    + x
            })
            .collect();
        let img = LumaImage::new(64, 64, data).unwrap();
        let out = hash_luma(&img);
        for d in Dihedral::ALL {
            let direct = hash_luma(&img.transformed(d)).hash;
            let derived = out.dihedral(d);
            assert!(
                direct.distance(&derived) <= 2,
                "{d:?}: {}",
                direct.distance(&derived)
            );
        }
    }
}
