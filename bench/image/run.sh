#!/usr/bin/env bash
# Image benchmarks, ours side by side with the baselines, in one run:
# hashing (vs PyPI pdqhash = Meta's C++ PDQ, and imagehash pHash), search at
# 1M and 10M hashes (vs a naive popcount scan, faiss IndexBinaryFlat and
# IndexBinaryMultiHash), and logo-matching recall on npm simple-icons.
#
#   bench/image/run.sh
#
# Installs its own Python and npm dependencies under $RG_BENCH_DIR
# (default /var/tmp/rightsguard-bench-image). Everything runs on one thread.
# RG_BENCH_NATIVE=1 builds with RUSTFLAGS="-C target-cpu=native" (popcnt,
# AVX2) in a separate target dir; the default build is portable x86-64.
# Writes bench/out/image.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
work="${RG_BENCH_DIR:-/var/tmp/rightsguard-bench-image}"
mkdir -p "$work" bench/out
out="$root/bench/out"

venv="$work/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/image/requirements.txt
py="$venv/bin/python"
if [ ! -d "$work/npm/node_modules/simple-icons/icons" ]; then
  mkdir -p "$work/npm"
  npm install --silent --no-audit --no-fund --prefix "$work/npm" simple-icons@16.37.0 >/dev/null
fi
icons="$work/npm/node_modules/simple-icons/icons"

target="${CARGO_TARGET_DIR:-/var/tmp/rightsguard-target}"
if [ "${RG_BENCH_NATIVE:-0}" = 1 ]; then
  export RUSTFLAGS="-C target-cpu=native"
  target="$target-native"
fi
export CARGO_TARGET_DIR="$target"
cargo build --release --quiet -p rightsguard-detect --examples
bin="$target/release/examples"

shared="${RG_SHARED_DATA:-$root/../shared/data}"
"$py" bench/image/baselines.py decode "$shared/pdq" "$work/rgb" >/dev/null
"$bin/image_bench" hash "$work/rgb" 5 > "$out/hash_ours.json"
"$py" bench/image/baselines.py hash "$work/rgb" 5 > "$out/hash_py.json"

for spec in 1m:1000000:200 10m:10000000:100; do
  IFS=: read -r name n queries <<< "$spec"
  "$bin/image_bench" index "$n" "$queries" 1 "$work/idx$name" > "$out/index_${name}_ours.json"
  OMP_NUM_THREADS=1 "$py" bench/image/baselines.py index "$work/idx$name" 31 > "$out/index_${name}_faiss.json"
done

{
  echo "## Image engine benchmarks ($(uname -m), $(nproc) cores, build: ${RUSTFLAGS:-portable})"
  echo
  "$py" bench/image/baselines.py report "$out"
  echo "### Logo matching (npm simple-icons, 100 logos x 7 listing copies against 200 references)"
  echo
  "$bin/logo_recall" "$icons" 100 100 1
} > "$out/image.md"
cat "$out/image.md"
