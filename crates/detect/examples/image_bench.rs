//! Benchmarks of the image engine, driven by `bench/image/run.sh`, which
//! runs the Python baselines on the same inputs and prints the ratios.
//!
//! * `image_bench hash DIR REPS`: hashes every `*.rgb` file of DIR (raw
//!   8-bit RGB, named `NAME_WxH.rgb`, decoded by Pillow for all contenders)
//!   REPS times; prints JSON with the time per image.
//! * `image_bench index N QUERIES SEED OUTDIR`: makes N random hashes with
//!   near duplicates planted for half of QUERIES queries, writes them to
//!   OUTDIR (`haystack.bin`, `queries.bin`: 32 bytes a hash, for faiss), then
//!   times the naive scan, the batched scan and the multi-index; prints JSON
//!   with times, build time, memory and result counts (which must agree).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::Instant;

use rightsguard_detect::image::PdqHash;
use rightsguard_detect::image::index::{HammingIndex, batched_scan, naive_search};
use rightsguard_detect::image::pdq::{LumaImage, hash_luma};
use rightsguard_detect::image::testset::SplitMix;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("hash") => bench_hash(&args[2], args[3].parse().unwrap()),
        Some("index") => bench_index(
            args[2].parse().unwrap(),
            args[3].parse().unwrap(),
            args[4].parse().unwrap(),
            &args[5],
        ),
        _ => eprintln!("usage: image_bench hash DIR REPS | index N QUERIES SEED OUTDIR"),
    }
}

fn bench_hash(dir: &str, reps: usize) {
    let mut images = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Some((_, dims)) = name.rsplit_once('_') else {
            continue;
        };
        let Some((w, h)) = dims.split_once('x') else {
            continue;
        };
        let (w, h): (usize, usize) = (w.parse().unwrap(), h.parse().unwrap());
        images.push((name, w, h, std::fs::read(&path).unwrap()));
    }
    let pixels: usize = images.iter().map(|(_, w, h, _)| w * h).sum();
    let mut sink = 0u32;
    let start = Instant::now();
    for _ in 0..reps {
        for (_, w, h, rgb) in &images {
            // Luma conversion included: the C++ wrapper also starts from RGB.
            let luma = LumaImage::from_rgb8(*w, *h, rgb).unwrap();
            sink ^= hash_luma(&luma).hash.count_ones();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = images.len() * reps;
    println!(
        "{{\"images\":{},\"reps\":{reps},\"megapixels\":{:.2},\"seconds\":{secs:.4},\"ms_per_image\":{:.4},\"sink\":{sink}}}",
        images.len(),
        pixels as f64 / 1e6,
        secs * 1e3 / n as f64
    );
}

fn random_hash(rng: &mut SplitMix) -> PdqHash {
    PdqHash([
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
    ])
}

/// `h` with `bits` distinct bits flipped.
fn near(h: PdqHash, bits: u32, rng: &mut SplitMix) -> PdqHash {
    let mut positions: Vec<usize> = (0..256).collect();
    for i in (1..256).rev() {
        positions.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut out = h;
    for &k in &positions[..bits as usize] {
        out.0[k >> 6] ^= 1 << (k & 63);
    }
    out
}

fn write_hashes(path: &str, hashes: &[PdqHash]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for h in hashes {
        for limb in h.0 {
            f.write_all(&limb.to_le_bytes()).unwrap();
        }
    }
}

fn bench_index(n: usize, queries: usize, seed: u64, outdir: &str) {
    let mut rng = SplitMix(seed);
    let mut hashes: Vec<PdqHash> = (0..n).map(|_| random_hash(&mut rng)).collect();
    let mut qs = Vec::with_capacity(queries);
    for i in 0..queries {
        let q = random_hash(&mut rng);
        if i % 2 == 0 {
            // Plant 1-4 near duplicates at distances 0..=31 at random places.
            for _ in 0..1 + rng.below(4) {
                let pos = rng.below(n as u64) as usize;
                hashes[pos] = near(q, rng.below(32) as u32, &mut rng);
            }
        }
        qs.push(q);
    }
    std::fs::create_dir_all(outdir).unwrap();
    write_hashes(&format!("{outdir}/haystack.bin"), &hashes);
    write_hashes(&format!("{outdir}/queries.bin"), &qs);
    let radius = 31;

    let t = Instant::now();
    let naive: Vec<usize> = qs
        .iter()
        .map(|q| naive_search(&hashes, q, radius).len())
        .collect();
    let naive_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let batched: Vec<usize> = batched_scan(&hashes, &qs, radius)
        .iter()
        .map(Vec::len)
        .collect();
    let batched_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let index = HammingIndex::build(hashes).unwrap();
    let build_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mih: Vec<usize> = qs.iter().map(|q| index.search(q, radius).len()).collect();
    let mih_s = t.elapsed().as_secs_f64();

    assert_eq!(naive, batched, "batched scan disagrees with the naive scan");
    assert_eq!(naive, mih, "multi-index disagrees with the naive scan");
    let found: usize = naive.iter().sum();
    println!(
        "{{\"n\":{n},\"queries\":{queries},\"radius\":{radius},\"found\":{found},\"naive_s\":{naive_s:.4},\"batched_s\":{batched_s:.4},\"mih_build_s\":{build_s:.4},\"mih_s\":{mih_s:.5},\"mih_bytes\":{},\"hash_bytes\":{}}}",
        index.memory_bytes(),
        n * 32
    );
}
