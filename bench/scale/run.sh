#!/usr/bin/env bash
# Monitoring throughput, end to end, side by side in one run (a benchmark,
# not a test), on the same seeded listings:
#   1. the engine's raw throughput: `rightsguard scan` on a file export;
#   2. single node: a rescan in-process on SQLite (`rightsguard rescan --now`);
#   3. PostgreSQL + NATS JetStream: `serve --nats` (relay) and 1, then 2
#      `rightsguard worker` processes; a rescan from the request to the
#      record's end (every finding stored);
#   4. lag under a steady feed: `simulate-feed` through the API at a fixed
#      rate into serve --nats + 2 workers; lag = finding stored minus
#      listing written (the listings' first revisions).
# Listings per second = listings / seconds; ratios are against (1). The
# full rescan of 1M listings is extrapolated from the measured size (the
# rescan walks listings in id-range partitions: its time grows linearly).
#
# Usage: bench/scale/run.sh                 (50k listings, 50 marks)
#        LISTINGS=200000 bench/scale/run.sh
#        FEED_RATE=200 FEED_SECONDS=60 bench/scale/run.sh
# Needs PostgreSQL and NATS (scripts/services starts them). Everything it
# makes goes under $RG_BENCH_DIR; writes bench/out/scale.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work="${RG_BENCH_DIR:-/var/tmp/rg-bench-scale}"
n="${LISTINGS:-50000}"
k="${MARKS:-50}"
seed="${SEED:-42}"
pct="${INFRINGING:-5}"
feed_rate="${FEED_RATE:-100}"
feed_secs="${FEED_SECONDS:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rightsguard-target}"
mkdir -p "$work" bench/out
rm -rf "${work:?}"/run
mkdir -p "$work/run"

# RG_BIN: a binary to use instead of building the release one.
if [ -z "${RG_BIN:-}" ]; then
  cargo build --release --quiet -p rightsguard-cli
fi
rg="${RG_BIN:-$CARGO_TARGET_DIR/release/rightsguard}"
eval "$(scripts/services)"
pg_admin="${RG_TEST_POSTGRES_URL:?PostgreSQL is needed (scripts/services)}"
nats="${RG_TEST_NATS_URL:?NATS is needed (scripts/services)}"
pg_base="${pg_admin%/*}"
stream="rgbench$$"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
rate() { python3 -c "print(f'{$1 / max($2, 1e-9):.0f}')"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== generating $n listings, $k marks (seed $seed, $pct% infringing)" >&2
data="$work/data-$n-$k-$seed-$pct"
if [ ! -f "$data/listings.tsv" ]; then
  python3 bench/scale/gen.py "$data" "$n" "$k" "$seed" "$pct" >&2
fi

# Accounts, rights (through the API), listings (bulk-loaded into the table:
# loading them through the API would take longer than the benchmark; their
# creation audit trail is not under test).
setup_db() { # URL
  local url=$1
  "$rg" migrate --db "$url" >/dev/null
  "$rg" org add --db "$url" --id platform --kind platform --name Platform >/dev/null
  "$rg" org add --db "$url" --id acme --kind rights-holder --name Acme >/dev/null
  "$rg" org add --db "$url" --id shop1 --kind seller --name Shop >/dev/null
  "$rg" user add --db "$url" --id adam --org platform --role admin --name adam >/dev/null
  "$rg" user add --db "$url" --id rita --org platform --role reviewer --name rita >/dev/null
  "$rg" user add --db "$url" --id alice --org acme --role rights-holder --name alice >/dev/null
  tok() { "$rg" token issue --db "$url" --user "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
  admin_token=$(tok adam)
  local alice rita
  alice=$(tok alice)
  rita=$(tok rita)
  start_serve "$url" setup
  python3 bench/scale/setup.py "$base" "$alice" "$rita" "$data/marks.txt" >&2
  stop_serve
}

# Runs SQL on the database at URL.
sql() { # URL SQL
  case "$1" in
    sqlite:*) sqlite3 "${1#sqlite:}" "$2" ;;
    *) psql -qAt "$1" -c "$2" ;;
  esac
}

load_listings() { # URL
  case "$1" in
    sqlite:*) python3 - "${1#sqlite:}" "$data/listings.tsv" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2]) as f:
    rows = (line.rstrip("\n").split("\t") for line in f)
    db.executemany("INSERT INTO listings (id, seller, state, body, version, updated_at) VALUES (?,?,?,?,?,?)",
                   ((a, b, c, d.replace("\\\\", "\\"), int(e), int(g)) for a, b, c, d, e, g in rows))
db.commit()
PY
    ;;
    *) psql -qAt "$1" -c "\\copy listings (id, seller, state, body, version, updated_at) FROM '$data/listings.tsv'" ;;
  esac
  # The setup's rescans (one per verified right, over no listings) are done.
  sql "$1" "UPDATE jobs SET done_at = 0 WHERE done_at IS NULL" >/dev/null
}

start_serve() { # URL NAME [extra...]
  local url=$1 name=$2
  shift 2
  local log="$work/run/serve-$name.log"
  "$rg" serve --db "$url" --listen 127.0.0.1:0 --jobs-every 1 --write-rate 0 \
    --evidence-dir "$work/run/evidence" "$@" 2>"$log" &
  serve_pid=$!
  pids+=("$serve_pid")
  for _ in $(seq 1 100); do
    if grep -q "listening on http://" "$log"; then break; fi
    sleep 0.1
  done
  base=$(grep -o "http://[0-9.:]*" "$log" | head -n 1)
}
stop_serve() { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; }

start_worker() { # URL NAME
  RUST_LOG=warn "$rg" worker --db "$1" --nats "$nats" --stream "$stream" --concurrency 2 \
    2>"$work/run/worker-$2.log" &
  pids+=("$!")
  worker_pids+=("$!")
  for _ in $(seq 1 100); do
    if grep -q "consuming" "$work/run/worker-$2.log"; then break; fi
    sleep 0.1
  done
}

# A rescan of acme requested now; waits for its record's end; prints seconds.
timed_rescan() { # URL
  local url=$1 t0 scan
  t0=$(now)
  scan=$("$rg" rescan --db "$url" --holder acme | python3 -c 'import json,sys; print(json.load(sys.stdin)["scan"])')
  until [ -n "$(sql "$url" "SELECT finished_at FROM scans WHERE id = '$scan' AND finished_at IS NOT NULL")" ]; do
    sleep 0.2
  done
  secs "$t0" "$(now)"
}

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
report="$root/bench/out/scale.md"

echo "== 1. engine: rightsguard scan on the file export" >&2
t0=$(now)
"$rg" scan --rights "$data/rights.jsonl" --listings "$data/listings.jsonl" \
  --categories "$data/categories.json" --no-progress >"$work/run/engine.jsonl"
engine_s=$(secs "$t0" "$(now)")
engine_findings=$(wc -l <"$work/run/engine.jsonl")
engine_rate=$(rate "$n" "$engine_s")

echo "== 2. single node: SQLite, rescan in-process" >&2
sqlite="sqlite:$work/run/single.sqlite"
setup_db "$sqlite"
load_listings "$sqlite"
t0=$(now)
"$rg" rescan --db "$sqlite" --holder acme --now >"$work/run/single.json"
single_s=$(secs "$t0" "$(now)")
single_findings=$(sql "$sqlite" "SELECT COUNT(*) FROM findings")
single_rate=$(rate "$n" "$single_s")

echo "== 3. PostgreSQL + NATS JetStream" >&2
pgdb="rg_bench_scale_$$"
psql -qAt "$pg_admin" -c "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb"
pg="$pg_base/$pgdb"
setup_db "$pg"
load_listings "$pg"
start_serve "$pg" nats --nats "$nats" --stream "$stream"
worker_pids=()
start_worker "$pg" 1
one_s=$(timed_rescan "$pg")
one_findings=$(sql "$pg" "SELECT COUNT(*) FROM findings")
one_rate=$(rate "$n" "$one_s")
sql "$pg" "DELETE FROM findings" >/dev/null
start_worker "$pg" 2
two_s=$(timed_rescan "$pg")
two_findings=$(sql "$pg" "SELECT COUNT(*) FROM findings")
two_rate=$(rate "$n" "$two_s")

echo "== 4. lag under a steady feed ($feed_rate/s for ${feed_secs}s, 2 workers)" >&2
count=$((feed_rate * feed_secs))
"$rg" simulate-feed --db "$pg" --api "$base" --token "$admin_token" --rate "$feed_rate" \
  --count "$count" --seed 9 --prefix feed- --infringing-percent 20 --quiet >"$work/run/feed.json"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["listings_infringing_now"])' "$work/run/feed.json")
achieved=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["summary"]["rate_achieved"]))' "$work/run/feed.json")
for _ in $(seq 1 600); do
  got=$(sql "$pg" "SELECT COUNT(DISTINCT listing_id) FROM findings WHERE listing_id LIKE 'feed-%' AND state = 'open'")
  [ "$got" -ge "$want" ] && break
  sleep 0.2
done
lag=$(sql "$pg" "SELECT (f.found_at - l.updated_at) / 1000 FROM findings f JOIN listings l ON l.id = f.listing_id WHERE l.id LIKE 'feed-%' AND l.version = 1" \
  | python3 -c '
import sys
v = sorted(float(x) for x in sys.stdin if x.strip())
q = lambda p: v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
mx = v[-1] if v else float("nan")
print(f"n={len(v)} p50={q(0.5):.0f} ms p95={q(0.95):.0f} ms max={mx:.0f} ms")')
cleanup
pids=()
psql -qAt "$pg_admin" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null || true

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
million() { python3 -c "s = 1e6 / $1; print(f'{s / 60:.1f} min')"; }
cat >"$report" <<EOF
# Monitoring at scale: $(date -u +%F), $machine

$n listings (category Shoes, $pct% naming one of $k marks of one rights
holder), seed $seed. Listings per second end to end (request to every
finding stored), side by side with the engine on the same listings.

| what | seconds | listings/s | vs engine | findings |
|---|---|---|---|---|
| engine: \`rightsguard scan\` on the file export | $engine_s | $engine_rate | 1.00 | $engine_findings |
| single node, SQLite, rescan in-process | $single_s | $single_rate | $(ratio "$single_rate" "$engine_rate") | $single_findings |
| PostgreSQL + NATS, 1 worker | $one_s | $one_rate | $(ratio "$one_rate" "$engine_rate") | $one_findings |
| PostgreSQL + NATS, 2 workers | $two_s | $two_rate | $(ratio "$two_rate" "$engine_rate") | $two_findings |

2 workers / 1 worker: $(ratio "$two_rate" "$one_rate")x.
Full rescan of 1M listings at these rates (extrapolated, linear): single
node $(million "$single_rate"), PostgreSQL + NATS 1 worker $(million "$one_rate"),
2 workers $(million "$two_rate").

Lag under a steady feed through the API ($feed_rate listings/s asked,
$achieved achieved, $count events, 20% naming a mark, 2 workers): $lag
(finding stored minus listing written, over the listings' first revisions).
EOF
cat "$report"
