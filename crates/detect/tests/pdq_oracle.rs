//! PDQ against Meta's C++ hasher run live (PyPI `pdqhash`, a wrapper of the
//! C++ code), on every image of `shared/data/pdq` and on images in every
//! colour mode generated here by Pillow (grey, palette, 16-bit, alpha,
//! CMYK JPEG, GIF, WebP, EXIF-rotated). Pillow decodes for the oracle, our
//! `image`-crate decoders for us, so the bound covers decoder differences
//! too: within 10 bits at quality >= 80, ThreatExchange's bar.
//!
//! Needs `RG_PYTHON` (a python with pdqhash, numpy, pillow): `scripts/test`
//! provides it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rightsguard_detect::image::{Limits, PdqHash, hash_bytes};

const ORACLE: &str = r#"
import sys, glob, os
import numpy as np
from PIL import Image, ImageOps
import pdqhash

data, out = sys.argv[1], sys.argv[2]
base = Image.open(os.path.join(data, "labelme/q0122.jpg")).convert("RGB")
made = []
def save(name, im, **kw):
    p = os.path.join(out, name); im.save(p, **kw); made.append(p)
save("grey.png", base.convert("L"))
save("palette.png", base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64))
save("grey16.png", Image.fromarray((np.asarray(base.convert("L")).astype(np.uint16) * 257)))
rgb16 = (np.asarray(base).astype(np.uint16) * 257)
rgba = base.convert("RGBA"); a = np.asarray(rgba).copy(); a[:, : a.shape[1] // 3, 3] = 90
save("rgba.png", Image.fromarray(a, "RGBA"))
save("la.png", Image.fromarray(a, "RGBA").convert("LA"))
save("cmyk.jpg", base.convert("CMYK"), quality=92)
save("grey.jpg", base.convert("L"), quality=90)
save("anim.gif", base.convert("P", palette=Image.Palette.ADAPTIVE))
save("lossy.webp", base, quality=80)
save("lossless.webp", rgba, lossless=True)
exif = Image.Exif(); exif[0x0112] = 6
save("exif6.jpg", base, quality=90, exif=exif)
files = sorted(glob.glob(os.path.join(data, "*/*.jpg")) + glob.glob(os.path.join(data, "*/*.png"))) + made
for p in files:
    im = ImageOps.exif_transpose(Image.open(p))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA"); bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    if im.mode == "I;16":
        im = Image.fromarray((np.asarray(im) >> 8).astype(np.uint8))
    v, q = pdqhash.compute(np.ascontiguousarray(np.asarray(im.convert("RGB"))))
    bits = "".join("1" if b else "0" for b in v)
    print(p, "%064x" % int(bits, 2), q)
"#;

fn data_dir() -> PathBuf {
    match std::env::var_os("RG_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir).join("pdq"),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/pdq"
        )),
    }
}

fn python() -> String {
    std::env::var("RG_PYTHON").unwrap_or_else(|_| {
        panic!("RG_PYTHON is not set: run scripts/test, which provides a python with pdqhash")
    })
}

#[test]
fn within_10_bits_of_the_live_cpp_hasher_on_every_image_and_colour_mode() {
    let out = std::env::temp_dir().join(format!("rg-pdq-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let run = Command::new(python())
        .args(["-c", ORACLE])
        .arg(data_dir())
        .arg(&out)
        .output()
        .expect("run the pdqhash oracle");
    assert!(
        run.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut worst = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (path, want, cpp_quality) = (Path::new(f[0]), f[1].parse::<PdqHash>().unwrap(), f[2]);
        let got = hash_bytes(&std::fs::read(path).unwrap(), &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let d = got.hash.distance(&want);
        eprintln!(
            "{}: distance {d}, quality {} (C++ {cpp_quality})",
            path.display(),
            got.quality
        );
        if got.quality >= 80 {
            worst = worst.max(d);
            if d > 10 {
                failures.push(format!("{}: distance {d}", path.display()));
            }
        }
        checked += 1;
    }
    std::fs::remove_dir_all(&out).ok();
    assert!(checked >= 40, "only {checked} images checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{checked} images, worst distance at quality >= 80: {worst}");
}
