#!/usr/bin/env bash
# Import benchmark: generates a valid CSV of ROWS rows (default 1,000,000),
# imports it with the release `zhengshu import` into a fresh SQLite database
# and a fresh PostgreSQL database, and prints rows/s and the peak resident
# memory of each import next to a bare reference of the same run: the same
# rows written into a table with the same columns and indexes by the
# engine's fastest plain path (SQLite: prepared multi-row inserts of 1,000
# rows in one transaction, `examples/bare-insert.rs`; PostgreSQL: `psql`'s
# `\copy` of the rows as `COPY` text), with the import's share of it.
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
command -v psql >/dev/null || {
  echo "needs psql: apt-get install postgresql-client" >&2; exit 2; }

cargo build --release -q -p zhengshu --bin zhengshu -p zhengshu-import --example gen-csv \
  -p zhengshu-storage-sqlite --example bare-insert
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

mb() { bc <<<"scale=1; $(tail -1 "$1")/1024"; }

# One import: prepares the database (migrations and reference data, not
# timed), then imports under GNU time; sets $rate and $rss.
run() {
  local db=$1
  "$bin" --data-dir "$work/data" --db "$db" demo >/dev/null 2>&1
  /usr/bin/time -f "%M" -o "$work/rss" \
    "$bin" --data-dir "$work/data" --db "$db" import --body pharmacist_center \
    "$work/certificates.csv" > "$work/out" 2>/dev/null
  local summary
  summary=$(tail -1 "$work/out")
  grep -q "^imported: $rows rows read, $rows inserted" <<<"$summary" || {
    echo "unexpected outcome: $summary" >&2; exit 1; }
  rate=$(sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p' <<<"$summary")
  rss=$(mb "$work/rss")
}

report() { # backend import-rate import-rss bare-rate bare-rss
  printf '%-10s import %9s rows/s  peak RSS %6s MB | bare %9s rows/s  peak RSS %6s MB | %s %%\n' \
    "$1" "$2" "$3" "$4" "$5" "$(bc <<<"scale=1; 100*$2/$4")"
}

psql "$server" -qc "CREATE DATABASE $pgdb" >/dev/null
echo "importing $rows rows (one run each; peak RSS of the importing process)"

run "sqlite://$work/data/bench.db"
/usr/bin/time -f "%M" -o "$work/rss" \
  "$target/release/examples/bare-insert" "$work/data/bench.db" "$work/bare.db" > "$work/out"
bare_rate=$(sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p' "$work/out")
report sqlite "$rate" "$rss" "$bare_rate" "$(mb "$work/rss")"

pg="$base/$pgdb"
run "$pg"
cols="number, management_number, name, sex, birth_date, id_type, id_cipher, id_index, \
qualification_code, category, specialty, level, approval_date, issue_date, photo, \
created_at_ms, updated_at_ms, import_batch"
psql "$pg" -qc "\\copy (SELECT $cols FROM certificates WHERE import_batch IS NOT NULL) TO '$work/rows.copy'"
psql "$pg" -qc "CREATE SCHEMA bare; CREATE TABLE bare.certificates (LIKE public.certificates INCLUDING ALL)"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/rss" \
  psql "$pg" -qc "\\copy bare.certificates ($cols) FROM '$work/rows.copy'"
end=$(date +%s.%N)
bare_rate=$(bc <<<"$rows/($end-$start)")
report postgresql "$rate" "$rss" "$bare_rate" "$(mb "$work/rss")"
