#!/usr/bin/env bash
# Import benchmark: generates a valid CSV of ROWS rows (default 1,000,000),
# imports it with the release `zhengshu import` into a fresh SQLite database
# and a fresh PostgreSQL database, and prints rows/s and the peak resident
# memory of each import.
# Usage: scripts/bench-import.sh [ROWS]
#   ZHENGSHU_BENCH_PG_URL   PostgreSQL server (default
#                           postgres://postgres@127.0.0.1:5432/test; the
#                           benchmark creates and drops a database of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
server=${ZHENGSHU_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v /usr/bin/time >/dev/null || {
  echo "needs GNU time: apt-get install time" >&2; exit 2; }

cargo build --release -q -p zhengshu --bin zhengshu -p zhengshu-import --example gen-csv
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/zhengshu
work=$(mktemp -d)
pgdb="zhengshu_bench_$$"
base=${server%/*}
cleanup() {
  rm -rf "$work"
  psql "$server" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "generating $rows rows…"
"$target/release/examples/gen-csv" "$rows" > "$work/certificates.csv"
echo "file: $(du -h "$work/certificates.csv" | cut -f1)"

# One import: prepares the database (migrations and reference data, not
# timed), then imports under GNU time; prints "backend rows/s peak-RSS".
run() {
  local backend=$1 db=$2
  "$bin" --data-dir "$work/data" --db "$db" demo >/dev/null 2>&1
  /usr/bin/time -f "%M" -o "$work/rss" \
    "$bin" --data-dir "$work/data" --db "$db" import --body pharmacist_center \
    "$work/certificates.csv" > "$work/out" 2>/dev/null
  local summary rate rss
  summary=$(tail -1 "$work/out")
  rate=$(sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p' <<<"$summary")
  rss=$(tail -1 "$work/rss")
  grep -q "^imported: $rows rows read, $rows inserted" <<<"$summary" || {
    echo "$backend: unexpected outcome: $summary" >&2; exit 1; }
  printf '%-10s %12s rows/s   peak RSS %6.1f MB\n' "$backend" "$rate" "$(bc <<<"scale=1; $rss/1024")"
}

psql "$server" -qc "CREATE DATABASE $pgdb" >/dev/null
echo "importing $rows rows (one run each; peak RSS of the import process)"
run sqlite "sqlite://$work/data/bench.db"
run postgresql "$base/$pgdb"
