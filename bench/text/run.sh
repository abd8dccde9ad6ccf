#!/usr/bin/env bash
# Text-detection benchmark, side by side in one run (a benchmark, not a test):
#   1. `rightsguard scan` against a Python pyahocorasick pipeline (NFKC + case
#      folding), whole process, same input files, findings written to files;
#   2. the engine's match loop against plain aho-corasick on lowercased bytes
#      (the ceiling), one core;
#   3. the inline check of one title against 10k marks against PostgreSQL
#      pg_trgm (`mark <% title`, GIN trigram index).
# Inputs are generated from a seed (bench/text/gen.py): marks from npm
# simple-icons (3,470 brands) topped up with seeded pronounceable strings,
# listings from English words. Everything generated goes under $RG_BENCH_DIR.
#
# Usage: bench/text/run.sh            (1M listings, 10k and 100k marks)
#        LISTINGS=100000 bench/text/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work="${RG_BENCH_DIR:-/var/tmp/rg-bench-text}"
seed="${SEED:-42}"
listings="${LISTINGS:-1000000}"
marks="${MARKS:-10000,100000}"
engine_limit="${ENGINE_LISTINGS:-200000}"
repeat="${REPEAT:-2}"   # whole-process runs are repeated; the fastest counts
pg_dsn="${PG_DSN:-postgresql://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rightsguard-target}"
mkdir -p "$work/out"

# Dependencies, outside the clone.
if [ ! -f "$work/npm/node_modules/simple-icons/data/simple-icons.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$work/npm" simple-icons@16.37.0
fi
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r bench/text/requirements.txt
py="$work/venv/bin/python"

# Inputs.
data="$work/data-s$seed-n$listings"
if [ ! -f "$data/listings.jsonl" ]; then
  echo "generating $listings listings and $marks marks (seed $seed) in $data" >&2
  "$py" bench/text/gen.py --seed "$seed" --listings "$listings" --marks "$marks" \
    --icons "$work/npm/node_modules/simple-icons/data/simple-icons.json" \
    --words crates/detect/data/words.txt --out "$data.tmp"
  rm -rf "$data" && mv "$data.tmp" "$data"
fi
cargo build --quiet --release -p rightsguard-cli --bin rightsguard
cargo build --quiet --release -p rightsguard-detect --example text_bench
bin="$CARGO_TARGET_DIR/release/rightsguard"
ex="$CARGO_TARGET_DIR/release/examples/text_bench"
log="$work/out/log.txt"
: > "$log"
cores=$(nproc)
echo "machine: $cores cores, $(uname -m); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); listings file $(du -h "$data/listings.jsonl" | cut -f1)" | tee -a "$log"

timed() { # timed NAME CMD... : runs CMD $repeat times, stdout to out/NAME.jsonl; keeps the fastest
  local name=$1; shift
  local best=""
  for _ in $(seq "$repeat"); do
    /usr/bin/time -f "$name wall_s %e max_rss_kb %M" -o "$work/out/$name.try" "$@" \
      > "$work/out/$name.jsonl" 2> "$work/out/$name.err"
    local wall
    wall=$(awk '{print $3}' "$work/out/$name.try")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then
      best=$wall
      cp "$work/out/$name.try" "$work/out/$name.time"
      tail -1 "$work/out/$name.err" > "$work/out/$name.summary"
    fi
  done
  echo "$(cat "$work/out/$name.time") findings $(wc -l < "$work/out/$name.jsonl")" | tee -a "$log"
  tee -a "$log" < "$work/out/$name.summary"
}

IFS=, read -ra sizes <<< "$marks"
for m in "${sizes[@]}"; do
  timed "scan_$m" "$bin" scan --no-progress --rights "$data/rights_$m.jsonl" \
    --listings "$data/listings.jsonl" --categories "$data/categories.json"
  timed "baseline_$m" "$py" bench/text/baseline.py "$data/rights_$m.jsonl" \
    "$data/listings.jsonl" "$data/categories.json"
done
# Growth with listings: a quarter of the file.
quarter=$((listings / 4))
head -n "$quarter" "$data/listings.jsonl" > "$work/out/quarter.jsonl"
timed "scan_${sizes[0]}_quarter" "$bin" scan --no-progress --rights "$data/rights_${sizes[0]}.jsonl" \
  --listings "$work/out/quarter.jsonl" --categories "$data/categories.json"
rm -f "$work/out/quarter.jsonl"

for m in "${sizes[@]}"; do
  echo "engine vs ceiling, $m marks, $engine_limit listings:" | tee -a "$log"
  "$ex" --rights "$data/rights_$m.jsonl" --listings "$data/listings.jsonl" \
    --categories "$data/categories.json" --limit "$engine_limit" | tee -a "$log"
done

echo "pg_trgm, ${sizes[0]} marks:" | tee -a "$log"
"$py" bench/text/pg_trgm.py "$pg_dsn" "$data/rights_${sizes[0]}.jsonl" "$data/listings.jsonl" 1000 | tee -a "$log"

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
"$py" bench/text/summary.py "$log" "$cores" | tee "$work/out/summary.md"
