#!/usr/bin/env bash
# HTTP load: listing writes with inline blocking, and complaint reads (a
# benchmark, not a test).
#
# Starts `rightsguard serve` (release build) on a fresh SQLite file — and on a
# fresh PostgreSQL database when a URL is given as $1 or in
# RG_TEST_POSTGRES_URL — then drives it from a second process with wrk:
#   healthz      GET /healthz                                  (HTTP floor)
#   create_empty POST /api/v1/listings, empty blocklist        (baseline)
#   create       POST /api/v1/listings, 10k block terms in force
#   reads        GET /api/v1/complaints/{id} over $COMPLAINTS seeded complaints
#   mixed        create and reads at once, from two wrk processes
#   create@cN, reads@cN   the same at N = 1, 2, 4 ... 64 connections: where
#                throughput stops growing is the saturation point
# The blocklist is seeded over the API (bench/http/seed.py): the brand names
# of npm simple-icons topped up with seeded strings to $TERMS, each requested
# by a rights holder and approved by an admin. One title in five carries a
# brand, so some writes are held. Complaints are seeded by
# bench/http/complaints.py. Prints p50/p99, requests/s and non-2xx answers per
# phase, the ratio to the empty-blocklist baseline, the saturation points,
# and the engine-only time per listing (crates/app/examples/blocklist_bench.rs).
#
# Usage: bench/http/listings.sh [postgres://user@host:port/admin_db]
#        TERMS=10000 DURATION=20s CONNS=8 SWEEP="1 2 4 8 16 32 64" SWEEP_DURATION=5s bench/http/listings.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work="${RG_BENCH_DIR:-/var/tmp/rg-bench-http}"
terms_n="${TERMS:-10000}"
duration="${DURATION:-20s}"
conns="${CONNS:-8}"
port="${PORT:-18787}"
sweep="${SWEEP:-1 2 4 8 16 32 64}"
sweep_duration="${SWEEP_DURATION:-5s}"
complaints_n="${COMPLAINTS:-300}"
pg_admin="${1:-${RG_TEST_POSTGRES_URL:-}}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rightsguard-target}"
mkdir -p "$work"

# Dependencies, outside the clone: simple-icons (as scripts/test) and wrk.
npm_dir="${RG_NPM_DIR:-/var/tmp/rightsguard-npm}"
icons="$npm_dir/node_modules/simple-icons/data/simple-icons.json"
if [ ! -f "$icons" ]; then
  mkdir -p "$npm_dir"
  npm install --silent --no-audit --no-fund --prefix "$npm_dir" simple-icons@16.37.0 >/dev/null
fi
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
cargo build --quiet --release -p rightsguard-cli --bin rightsguard
cargo build --quiet --release -p rightsguard-app --example blocklist_bench
bin="$CARGO_TARGET_DIR/release/rightsguard"
engine="$CARGO_TARGET_DIR/release/examples/blocklist_bench"

terms="$work/terms-$terms_n.txt"
python3 bench/http/terms.py --icons "$icons" --words crates/detect/data/words.txt --n "$terms_n" > "$terms"
# Brands the load generator puts into titles: real simple-icons names.
awk 'NR <= 3000 && /^[A-Za-z0-9 ]+$/ && n++ < 500' "$terms" > "$work/brands.txt"

echo "machine: $(nproc) cores, $(uname -m); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
echo "engine only: $("$engine" "$terms" 20000)"

server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap stop_server EXIT

token() { "$bin" token issue --db "$1" --user "$2" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }

# load PHASE CMD...: runs wrk, prints one line: p50, p99, requests/s, non-2xx.
load() {
  local phase=$1
  shift
  "$@" > "$work/wrk-$phase.out"
  python3 bench/http/wrk_summary.py "$phase" < "$work/wrk-$phase.out" | tee -a "$work/summary.txt"
}

run() { # run LABEL DB_URL
  local label=$1 db=$2 base="http://127.0.0.1:$port"
  echo "== $label"
  "$bin" migrate --db "$db" >/dev/null
  "$bin" org add --db "$db" --id platform --kind platform --name Platform >/dev/null
  "$bin" org add --db "$db" --id acme --kind rights-holder --name Acme >/dev/null
  "$bin" org add --db "$db" --id shop1 --kind seller --name Shop >/dev/null
  "$bin" user add --db "$db" --id adam --org platform --role admin --name Adam >/dev/null
  "$bin" user add --db "$db" --id rita --org platform --role reviewer --name Rita >/dev/null
  "$bin" user add --db "$db" --id alice --org acme --role rights-holder --name Alice >/dev/null
  "$bin" user add --db "$db" --id sam --org shop1 --role seller --name Sam >/dev/null
  local admin reviewer holder seller
  admin=$(token "$db" adam); reviewer=$(token "$db" rita); holder=$(token "$db" alice); seller=$(token "$db" sam)
  RUST_LOG=warn "$bin" serve --db "$db" --listen "127.0.0.1:$port" --jobs-every 0 --write-rate 0 &
  server_pid=$!
  for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
  local w=(wrk -t "$conns" -c "$conns" -d "$duration" --latency)
  export TOKEN=$seller BRANDS="$work/brands.txt"
  load healthz "${w[@]}" "$base/healthz"
  load create_empty env PREFIX=e "${w[@]}" -s bench/http/listings.lua "$base"
  echo "seeding: $(python3 bench/http/seed.py "$base" "$admin" "$reviewer" "$holder" "$terms")"
  load create env PREFIX=c "${w[@]}" -s bench/http/listings.lua "$base"
  echo "seeding: $(python3 bench/http/complaints.py "$base" "$reviewer" "$holder" "$seller" "$complaints_n" "$work/complaint-ids.txt")"
  TOKEN=$reviewer IDS="$work/complaint-ids.txt" load reads "${w[@]}" -s bench/http/reads.lua "$base"
  # Writes and reads at once, half the connections each.
  local half=$(( conns > 1 ? conns / 2 : 1 ))
  local wh=(wrk -t "$half" -c "$half" -d "$duration" --latency)
  env PREFIX=m "${wh[@]}" -s bench/http/listings.lua "$base" > "$work/wrk-mixed_create.out" &
  local mixed_pid=$!
  TOKEN=$reviewer IDS="$work/complaint-ids.txt" "${wh[@]}" -s bench/http/reads.lua "$base" > "$work/wrk-mixed_reads.out"
  wait "$mixed_pid"
  python3 bench/http/wrk_summary.py mixed_create < "$work/wrk-mixed_create.out" | tee -a "$work/summary.txt"
  python3 bench/http/wrk_summary.py mixed_reads < "$work/wrk-mixed_reads.out" | tee -a "$work/summary.txt"
  # Saturation: the same loads at growing concurrency.
  local c
  for c in $sweep; do
    load "create@c$c" env PREFIX="s$c" wrk -t "$c" -c "$c" -d "$sweep_duration" --latency -s bench/http/listings.lua "$base"
  done
  for c in $sweep; do
    TOKEN=$reviewer IDS="$work/complaint-ids.txt" load "reads@c$c" wrk -t "$c" -c "$c" -d "$sweep_duration" --latency -s bench/http/reads.lua "$base"
  done
  local held
  held=$(curl -fs -H "Authorization: Bearer $admin" "$base/api/v1/listings?seller=shop1&after=c&limit=500" \
    | python3 -c 'import json,sys; l=json.load(sys.stdin); print(sum(x["state"]=="held" for x in l), "of", len(l))')
  echo "held among the first created listings: $held"
  stop_server
  python3 bench/http/saturation.py < "$work/summary.txt" | sed "s/^/$label: /"
  mv "$work/summary.txt" "$work/summary-$label.txt"
}

rm -f "$work/bench.sqlite"* "$work/summary"*.txt
run sqlite "sqlite:$work/bench.sqlite"
if [ -n "$pg_admin" ]; then
  name="rg_bench_$$"
  psql "$pg_admin" -qc "CREATE DATABASE $name" >/dev/null
  run postgres "${pg_admin%/*}/$name"
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
fi
