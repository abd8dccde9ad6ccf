"""Python baselines for bench/image/run.sh, on the same inputs as ours.

  baselines.py decode SRC_DIR OUT_DIR   decode images with Pillow to raw RGB
  baselines.py hash OUT_DIR REPS        pdqhash (Meta's C++) and imagehash.phash
  baselines.py index DIR RADIUS         faiss IndexBinaryFlat and IndexBinaryMultiHash
  baselines.py report OUT_DIR           the markdown table from the JSON files

Each command prints one JSON object.
"""
import glob
import json
import os
import sys
import time

import numpy as np


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def decode(src, out):
    from PIL import Image

    os.makedirs(out, exist_ok=True)
    n = 0
    for i, p in enumerate(sorted(glob.glob(os.path.join(src, "*/*.jpg")) + glob.glob(os.path.join(src, "*/*.png")))):
        im = Image.open(p).convert("RGB")
        w, h = im.size
        np.asarray(im).tofile(os.path.join(out, "img%03d_%dx%d.rgb" % (i, w, h)))
        n += 1
    print(json.dumps({"decoded": n}))


def load_rgb(out):
    images = []
    for p in sorted(glob.glob(os.path.join(out, "*.rgb"))):
        w, h = map(int, p.rsplit("_", 1)[1][:-4].split("x"))
        images.append(np.fromfile(p, dtype=np.uint8).reshape(h, w, 3))
    return images


def hash_bench(out, reps):
    import imagehash
    import pdqhash
    from PIL import Image

    images = load_rgb(out)
    pil = [Image.fromarray(a) for a in images]
    t = time.perf_counter()
    for _ in range(reps):
        for a in images:
            pdqhash.compute(a)
    pdq_s = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(reps):
        for im in pil:
            imagehash.phash(im)
    phash_s = time.perf_counter() - t
    n = len(images) * reps
    print(json.dumps({"images": len(images), "reps": reps,
                      "pdqhash_ms": pdq_s * 1e3 / n, "phash_ms": phash_s * 1e3 / n}))


def index_bench(d, radius):
    import faiss

    faiss.omp_set_num_threads(1)
    xb = np.fromfile(os.path.join(d, "haystack.bin"), dtype=np.uint8).reshape(-1, 32)
    xq = np.fromfile(os.path.join(d, "queries.bin"), dtype=np.uint8).reshape(-1, 32)
    res = {"n": len(xb), "queries": len(xq)}
    # faiss range_search returns distances strictly below the radius.
    for name, make in [("flat", lambda: faiss.IndexBinaryFlat(256)),
                       ("multihash", lambda: faiss.IndexBinaryMultiHash(256, 16, 16))]:
        before = rss_bytes()
        t = time.perf_counter()
        index = make()
        index.add(xb)
        build = time.perf_counter() - t
        mem = rss_bytes() - before
        if name == "multihash":
            index.nflip = radius // 16
        t = time.perf_counter()
        lims, _, _ = index.range_search(xq, radius + 1)
        res[name + "_s"] = time.perf_counter() - t
        res[name + "_build_s"] = build
        res[name + "_bytes"] = mem
        res[name + "_found"] = int(lims[-1])
        del index
    print(json.dumps(res))


def report(out):
    def load(name):
        with open(os.path.join(out, name)) as f:
            return json.loads(f.read().strip().splitlines()[-1])

    ours_h, base_h = load("hash_ours.json"), load("hash_py.json")
    lines = ["### Hashing (same Pillow-decoded RGB, %d images, %.0f Mpx, 1 thread)" % (ours_h["images"], ours_h["megapixels"]),
             "", "| hasher | ms / image | ours is |", "|---|---|---|",
             "| rightsguard PDQ (Rust) | %.2f | 1.00x |" % ours_h["ms_per_image"],
             "| pdqhash (Meta's C++ PDQ) | %.2f | %.2fx faster |" % (base_h["pdqhash_ms"], base_h["pdqhash_ms"] / ours_h["ms_per_image"]),
             "| imagehash.phash (64-bit pHash, not PDQ) | %.2f | %.2fx |" % (base_h["phash_ms"], base_h["phash_ms"] / ours_h["ms_per_image"]),
             ""]
    for n in ("1m", "10m"):
        o, f = load("index_%s_ours.json" % n), load("index_%s_faiss.json" % n)
        q = o["queries"]
        per = lambda s: s * 1e3 / q
        assert o["found"] == f["flat_found"] == f["multihash_found"], (o, f)
        lines += ["### Search, radius %d, %s hashes, %d queries (half with planted near duplicates; %d hits), 1 thread" % (o["radius"], "{:,}".format(o["n"]), q, o["found"]),
                  "", "| index | ms / query | vs naive scan | build s | memory MB |", "|---|---|---|---|---|",
                  "| naive popcount scan (Rust) | %.3f | 1.0x | 0 | %.0f |" % (per(o["naive_s"]), o["hash_bytes"] / 1e6),
                  "| batched scan, 32 queries a pass (Rust) | %.3f | %.1fx | 0 | %.0f |" % (per(o["batched_s"]), o["naive_s"] / o["batched_s"], o["hash_bytes"] / 1e6),
                  "| **rightsguard multi-index** | %.3f | **%.1fx** | %.2f | %.0f |" % (per(o["mih_s"]), o["naive_s"] / o["mih_s"], o["mih_build_s"], o["mih_bytes"] / 1e6),
                  "| faiss IndexBinaryFlat | %.3f | %.1fx | %.2f | %.0f |" % (per(f["flat_s"]), o["naive_s"] / f["flat_s"], f["flat_build_s"], f["flat_bytes"] / 1e6),
                  "| faiss IndexBinaryMultiHash (16 x 16 bits, nflip 1) | %.3f | %.1fx | %.2f | %.0f |" % (per(f["multihash_s"]), o["naive_s"] / f["multihash_s"], f["multihash_build_s"], f["multihash_bytes"] / 1e6),
                  ""]
    print("\n".join(lines))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "decode":
        decode(sys.argv[2], sys.argv[3])
    elif cmd == "hash":
        hash_bench(sys.argv[2], int(sys.argv[3]))
    elif cmd == "index":
        index_bench(sys.argv[2], int(sys.argv[3]))
    elif cmd == "report":
        report(sys.argv[2])
