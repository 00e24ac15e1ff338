#!/usr/bin/env bash
# Import under holder load: on each backend, `zhengshu serve --demo` runs
# while scripts/holder-load.py acts as holders (log in, list certificates,
# apply for annotations) and the release `zhengshu import` loads ROWS rows
# (default 1,000,000); prints the import's rows/s and the holders' p50/p99,
# maximum and errors during the import. Not a test: figures for the README.
# Usage: scripts/bench-import-load.sh [ROWS] [WORKERS]
#   ZHENGSHU_BENCH_PG_URL   PostgreSQL server (default
#                           postgres://postgres@127.0.0.1:5432/test; the
#                           benchmark creates and drops a database of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
workers=${2:-4}
server=${ZHENGSHU_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v psql >/dev/null || {
  echo "needs psql: apt-get install postgresql-client" >&2; exit 2; }

cargo build --release -q -p zhengshu --bin zhengshu -p zhengshu-import --example gen-csv
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/zhengshu
work=$(mktemp -d)
pgdb="zhengshu_bench_load_$$"
base=${server%/*}
served=""
cleanup() {
  [ -n "$served" ] && kill "$served" 2>/dev/null && wait "$served" 2>/dev/null || true
  rm -rf "$work"
  psql "$server" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "generating $rows rows…"
"$target/release/examples/gen-csv" "$rows" > "$work/certificates.csv"

run() {
  local backend=$1 db=$2 data="$work/data-$1"
  RUST_LOG=info "$bin" --data-dir "$data" --db "$db" serve --demo --addr 127.0.0.1:0 \
    > "$work/serve.log" 2>&1 &
  served=$!
  local url=""
  for _ in $(seq 600); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | head -1 | sed 's/listening on //') || true
    [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "$backend: serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
  rm -f "$work/stop"
  python3 scripts/holder-load.py "$url" "$work/load-$backend" "$work/stop" "$workers" &
  local load=$!
  sleep 3
  local start end
  start=$(date +%s.%N)
  "$bin" --data-dir "$data" --db "$db" import --body pharmacist_center \
    "$work/certificates.csv" > "$work/out" 2>/dev/null
  end=$(date +%s.%N)
  sleep 1
  touch "$work/stop"
  wait "$load"
  kill "$served"; wait "$served" 2>/dev/null || true; served=""
  echo "$backend: $(tail -1 "$work/out")"
  echo "$backend: $(python3 scripts/holder-load.py --report "$work/load-$backend" "$start" "$end")"
}

psql "$server" -qc "CREATE DATABASE $pgdb" >/dev/null
echo "importing $rows rows under the load of $workers holder connections"
run sqlite "sqlite://$work/data-sqlite/zhengshu.db"
run postgresql "$base/$pgdb"
