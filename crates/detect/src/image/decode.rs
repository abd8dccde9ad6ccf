//! Safe decoding: bytes in, a luma plane out, or a clear refusal.
//!
//! Listing images come from strangers, so every size is checked before any
//! pixel buffer is allocated: the byte length first, then the dimensions
//! read from the header (a 50,000 × 50,000 PNG is refused after reading a
//! few dozen bytes), and the decoders themselves run under an allocation cap
//! (`image::Limits`) so that no malformed stream makes them allocate more.
//! Formats: JPEG (including CMYK), PNG (grey, palette, 16-bit, alpha), WebP,
//! GIF (first frame) through the `image` crate; SVG through `resvg`, with
//! every external or embedded raster reference refused and the drawing
//! rendered at a bounded size. EXIF orientation is applied. Transparent
//! pixels are composited over white, since logos usually come as dark marks
//! on a transparent background that marketplaces show on white.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use super::pdq::{LumaImage, luma};

/// Caps applied to every image before and during decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Most memory a decoder may allocate, in bytes.
    pub max_alloc: u64,
    /// Largest accepted SVG document, in bytes.
    pub max_svg_bytes: usize,
    /// SVGs are rendered to fit in a square of this side (PDQ looks at a
    /// 64 × 64 downsample, so more detail buys nothing).
    pub svg_render_side: u32,
}

impl Default for Limits {
    /// 64 MiB of input, 16,384 pixels a side, 64 megapixels, 1 GiB of
    /// decoder allocations, 2 MiB of SVG rendered at 512 pixels.
    fn default() -> Self {
        Limits {
            max_bytes: 64 << 20,
            max_side: 16_384,
            max_pixels: 64_000_000,
            max_alloc: 1 << 30,
            max_svg_bytes: 2 << 20,
            svg_render_side: 512,
        }
    }
}

/// Why an image could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The input is larger than [`Limits::max_bytes`] (or `max_svg_bytes`).
    #[error("image file too large: {size} bytes, limit {limit}")]
    TooManyBytes {
        /// Input size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The header declares more pixels than the limits allow.
    #[error(
        "image too large: {width}x{height} pixels, limit {max_side} a side and {max_pixels} in all"
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The side limit.
        max_side: u32,
        /// The pixel-count limit.
        max_pixels: u64,
    },
    /// Decoding and hashing would need more memory than
    /// [`Limits::max_alloc`].
    #[error("image needs {needed} bytes to decode and hash, limit {limit}")]
    TooMuchMemory {
        /// Estimated bytes: decoded samples, an RGBA copy and three `f32`
        /// planes for the hasher.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// Neither a supported raster format nor SVG.
    #[error("unrecognised image format (supported: JPEG, PNG, WebP, GIF, SVG)")]
    UnknownFormat,
    /// The decoder refused the data (corrupt, truncated, unsupported variant,
    /// or over its allocation cap).
    #[error("cannot decode {format} image: {source}")]
    Decode {
        /// The format the bytes claimed to be.
        format: &'static str,
        /// The decoder's own error.
        #[source]
        source: image::ImageError,
    },
    /// The SVG could not be parsed or has no drawable size.
    #[error("cannot render SVG: {0}")]
    Svg(String),
    /// A decoder panicked on this input (a bug in it, caught so that one
    /// hostile file cannot stop a scan).
    #[error("the image decoder crashed on this file")]
    DecoderPanic,
}

/// Decodes `bytes` (JPEG, PNG, WebP, GIF or SVG) into a luma plane, applying
/// EXIF orientation and compositing transparency over white. A panic inside
/// a decoder is caught and reported as [`ImageError::DecoderPanic`].
pub fn decode_luma(bytes: &[u8], limits: &Limits) -> Result<LumaImage, ImageError> {
    std::panic::catch_unwind(|| decode_luma_inner(bytes, limits))
        .unwrap_or(Err(ImageError::DecoderPanic))
}

fn decode_luma_inner(bytes: &[u8], limits: &Limits) -> Result<LumaImage, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooManyBytes {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if looks_like_svg(bytes) {
        return render_svg(bytes, limits);
    }
    let image = decode_raster(bytes, limits)?;
    Ok(luma_over_white(&image))
}

/// Decodes a raster image with the limits, EXIF orientation applied.
pub fn decode_raster(bytes: &[u8], limits: &Limits) -> Result<DynamicImage, ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::UnknownFormat)?;
    let name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        _ => return Err(ImageError::UnknownFormat),
    };
    let decode_err = |source| ImageError::Decode {
        format: name,
        source,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    decoder_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => too_many_pixels_from_error(bytes, limits),
        e => decode_err(e),
    })?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let needed = decoder
        .total_bytes()
        .saturating_add(u64::from(width) * u64::from(height) * (4 + 3 * 4));
    if needed > limits.max_alloc {
        return Err(ImageError::TooMuchMemory {
            needed,
            limit: limits.max_alloc,
        });
    }
    let orientation = decoder.orientation().map_err(decode_err)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Some decoders (PNG) check the side limit while reading the header and
/// report a generic limit error: report the dimensions they refused.
fn too_many_pixels_from_error(bytes: &[u8], limits: &Limits) -> ImageError {
    let (width, height) = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok())
        .unwrap_or((0, 0));
    ImageError::TooManyPixels {
        width,
        height,
        max_side: limits.max_side,
        max_pixels: limits.max_pixels,
    }
}

fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max_side: limits.max_side,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Luma of any colour mode, alpha composited over white. RGB8 and grey
/// images are read in place; others (16-bit, CMYK converted by the decoder,
/// alpha) go through 8-bit RGBA first, as the reference sees 8-bit samples.
pub fn luma_over_white(image: &DynamicImage) -> LumaImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let data: Vec<f32> = match image {
        DynamicImage::ImageRgb8(buf) => buf
            .as_raw()
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        DynamicImage::ImageLuma8(buf) => buf.as_raw().iter().map(|&v| f32::from(v)).collect(),
        other => other
            .to_rgba8()
            .as_raw()
            .chunks_exact(4)
            .map(|p| {
                let a = u16::from(p[3]);
                let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
                luma(over(p[0]), over(p[1]), over(p[2]))
            })
            .collect(),
    };
    // `data` has exactly one value per pixel, so `new` cannot refuse it.
    LumaImage::new(w, h, data).unwrap_or_default()
}

/// SVG sniffing: after an optional BOM and whitespace, an XML declaration,
/// a comment, a doctype or the `<svg` element itself.
pub fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"<svg") {
        return true;
    }
    (head.starts_with(b"<?xml") || head.starts_with(b"<!--") || head.starts_with(b"<!DOCTYPE"))
        && head.windows(4).any(|w| w == b"<svg")
}

/// Margin around a rendered SVG, as a fraction of the render side.
const SVG_MARGIN: f32 = 0.02;

/// Renders an SVG to fit a `svg_render_side` square, on white, with a
/// margin. External
/// files and embedded rasters are refused (the resolvers answer nothing), and
/// fonts are not loaded: text in a logo is drawn only if it was converted to
/// paths, which logo files normally do.
pub fn render_svg(bytes: &[u8], limits: &Limits) -> Result<LumaImage, ImageError> {
    if bytes.len() > limits.max_svg_bytes {
        return Err(ImageError::TooManyBytes {
            size: bytes.len(),
            limit: limits.max_svg_bytes,
        });
    }
    let options = resvg::usvg::Options {
        resources_dir: None,
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_data(bytes, &options)
        .map_err(|e| ImageError::Svg(e.to_string()))?;
    let size = tree.size();
    let side = limits.svg_render_side.max(1) as f32;
    // The drawing gets a white margin of SVG_MARGIN of the side: a logo that
    // fills its view box (a dark tile with a light mark) then shows on white
    // as it does in a listing, not as a light mark on a dark background.
    let scale = side * (1.0 - 2.0 * SVG_MARGIN) / size.width().max(size.height());
    let pad = side * SVG_MARGIN;
    let fit =
        |v: f32| ((v * scale + 2.0 * pad).round() as u32).clamp(1, limits.svg_render_side.max(1));
    let (width, height) = (fit(size.width()), fit(size.height()));
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| ImageError::Svg(format!("cannot allocate {width}x{height}")))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, pad, pad),
        &mut pixmap.as_mut(),
    );
    // tiny-skia stores premultiplied RGBA: over white is `c + (255 - a)`.
    let data = pixmap
        .data()
        .chunks_exact(4)
        .map(|p| {
            let bg = 255 - p[3];
            luma(
                p[0].saturating_add(bg),
                p[1].saturating_add(bg),
                p[2].saturating_add(bg),
            )
        })
        .collect();
    LumaImage::new(width as usize, height as usize, data)
        .ok_or_else(|| ImageError::Svg("pixel buffer of the wrong size".into()))
}
