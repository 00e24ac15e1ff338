#!/usr/bin/env bash
# Verification benchmark: N certificates (default 1,000,000), each with a
# ready annotation, on SQLite and on PostgreSQL; the release server with the
# verify rate limits lifted; one load generator (wrk, 32 connections, DURATION
# seconds per route, default 20) against GET /healthz, GET
# /api/v1/verify/{code} (random codes) and POST /api/v1/verify (random
# certificate number + name pairs). The routes take turns, ROUNDS times
# (default 4), each turn DURATION / ROUNDS seconds, so that a drift of the
# machine's speed during the run falls on the reference and the routes
# alike. Prints requests/s (the mean of the turns), p99 (the worst turn's)
# and each route's ratio to /healthz. Target: each verify route >= 50 % of
# /healthz, p99 < 20 ms.
# Usage: scripts/bench-verify.sh [N]
#   ZHENGSHU_BENCH_PG_URL   PostgreSQL server (default
#                           postgres://postgres@127.0.0.1:5432/test; the
#                           benchmark creates and drops a database of its own)
#   DURATION                seconds of load per route (default 20)
#   ROUNDS                  turns of the three routes (default 4)
#
# The certificates come from the import (the same generated file as
# bench-import.sh); the annotations are written straight into the database
# by the SQL below, since the service only makes them one at a time, with
# a signed document each. Their 查验码 are BENCH followed by the
# certificate's id in 15 digits with 0 and 1 written Z and Y (the code's
# alphabet has neither); they are predictable, which only a benchmark may be.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
n=${1:-1000000}
duration=${DURATION:-20}
rounds=${ROUNDS:-4}
turn=$(( (duration + rounds - 1) / rounds ))
server=${ZHENGSHU_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
need_packages wrk:wrk sqlite3:sqlite3 postgresql-client:psql

# Two invocations: the generator's dev-dependencies (and their features)
# stay out of the server binary.
cargo build --release -q -p zhengshu --bin zhengshu
cargo build --release -q -p zhengshu-import --example gen-csv
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/zhengshu
work=$(mktemp -d)
pgdb="zhengshu_bench_verify_$$"
base=${server%/*}
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
  psql "$server" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "generating $n certificates…"
"$target/release/examples/gen-csv" "$n" > "$work/certificates.csv"
# 20,000 random (number, name) pairs for POST /api/v1/verify.
tail -n +2 "$work/certificates.csv" | shuf -n 20000 --random-source=<(yes) | cut -d, -f1,2 \
  > "$work/pairs.txt"

today=$(TZ=Asia/Shanghai date +%F)
from=$(TZ=Asia/Shanghai date -d "$today -1 day" +%F)
until=$(TZ=Asia/Shanghai date -d "$from +89 days" +%F)
now_ms=$(($(date +%s) * 1000))
# The columns and values of one ready annotation per imported certificate;
# CODE and NUMBER are the engine's spelling of the code and 加注编号.
annotations_sql() {
  local code=$1 number=$2
  cat <<SQL
INSERT INTO annotations (certificate_id, holder_id, scenario, days, number,
  verification_code, state, applied_on, applied_at_ms, valid_from, valid_until, ready_at_ms)
SELECT c.id, (SELECT MIN(id) FROM holders), 'self_use', 90, $number, $code, 'ready',
  '$from', $now_ms, '$from', '$until', $now_ms
FROM certificates c WHERE c.number LIKE 'BM%';
SQL
}

cat > "$work/healthz.lua" <<'LUA'
wrk.method = "GET"
LUA
cat > "$work/code.lua" <<'LUA'
-- GET /api/v1/verify/{code} for a random annotated certificate id in
-- [lo, hi] (wrk ... -- LO HI). 100,000 requests are made up front, so that
-- the load generator spends its time sending, as it does for /healthz.
local requests = {}
function init(args)
  local lo, hi = tonumber(args[1]), tonumber(args[2])
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  for i = 1, 100000 do
    local id = string.format("%015d", math.random(lo, hi)):gsub("0", "Z"):gsub("1", "Y")
    requests[i] = wrk.format("GET", "/api/v1/verify/BENCH" .. id)
  end
end
function request()
  return requests[math.random(#requests)]
end
LUA
cat > "$work/number.lua" <<LUA
-- POST /api/v1/verify with a random (number, name) pair of the file.
local pairs_ = {}
function init(args)
  for line in io.lines("$work/pairs.txt") do
    local number, name = line:match("([^,]+),(.+)")
    pairs_[#pairs_ + 1] = wrk.format("POST", "/api/v1/verify",
      {["Content-Type"] = "application/json"},
      string.format('{"certificate_number":"%s","name":"%s"}', number, name))
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  return pairs_[math.random(#pairs_)]
end
LUA

# wrk's figure in milliseconds ("850.00us", "3.21ms", "1.02s").
to_ms() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
         else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
         else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
         else { sub(/s$/, "", v); print v * 1000 } }' <<<"$1"
}

# "mean-req/s worst-p99" of the turns' "req/s p99 req/s p99 …".
summary() {
  awk '{ for (i = 1; i < NF; i += 2) { r += $i; n++; if ($(i + 1) > w) w = $(i + 1) }
         printf "%.0f %.2f\n", r / n, w }' <<<"$1"
}

# One route under load: "requests/s p99-ms", checking every answer was 2xx.
load() {
  local script=$1 url=$2; shift 2
  local out
  out=$(wrk -t2 -c32 -d"${turn}s" --latency -s "$work/$script" "$url" -- "$@")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "$out" >&2; echo "non-2xx answers from $url" >&2; exit 1
  fi
  local rps p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  echo "  $script: $rps req/s, p99 $p99" >&2
  echo "$rps $(to_ms "$p99")"
}

# One backend: prepares the database (not timed), serves it, loads each route.
run() {
  local backend=$1 db=$2
  "$bin" --data-dir "$work/data" --db "$db" demo > "$work/demo.out" 2>&1 || {
    cat "$work/demo.out" >&2; exit 1; }
  echo "$backend: importing $n certificates…"
  "$bin" --data-dir "$work/data" --db "$db" import --body pharmacist_center \
    "$work/certificates.csv" > "$work/import.out" 2>&1 || { cat "$work/import.out" >&2; exit 1; }
  echo "$backend: writing $n annotations…"
  local lo hi
  case $backend in
    sqlite)
      local file=${db#sqlite://}
      annotations_sql \
        "'BENCH' || replace(replace(printf('%015d', c.id), '0', 'Z'), '1', 'Y')" \
        "'JZB' || printf('%013d', c.id)" | sqlite3 "$file"
      sqlite3 "$file" "ANALYZE;"
      read -r lo hi < <(sqlite3 -separator ' ' "$file" \
        "SELECT MIN(certificate_id), MAX(certificate_id) FROM annotations WHERE verification_code LIKE 'BENCH%'")
      ;;
    postgresql)
      annotations_sql \
        "'BENCH' || translate(lpad(c.id::text, 15, '0'), '01', 'ZY')" \
        "'JZB' || lpad(c.id::text, 13, '0')" | psql "$db" -q -v ON_ERROR_STOP=1
      psql "$db" -qc "ANALYZE" >/dev/null
      read -r lo hi < <(psql "$db" -At -F ' ' -c \
        "SELECT MIN(certificate_id), MAX(certificate_id) FROM annotations WHERE verification_code LIKE 'BENCH%'")
      ;;
  esac
  [ $((hi - lo + 1)) -eq "$n" ] || { echo "$backend: annotations $lo..$hi, not $n" >&2; exit 1; }

  ZHENGSHU_LOG__FILTER=warn,zhengshu::serve=info,zhengshu_storage_sql=info \
  ZHENGSHU_VERIFY__PER_ADDRESS_PER_MINUTE=4000000000 ZHENGSHU_VERIFY__GLOBAL_PER_SECOND=4000000000 \
    "$bin" --data-dir "$work/data" --db "$db" serve --addr 127.0.0.1:0 > "$work/serve.log" 2>&1 &
  server_pid=$!
  local addr=
  for _ in $(seq 600); do
    addr=$(sed -n 's|.*listening on http://\([0-9.:]*\).*|\1|p' "$work/serve.log" | head -1)
    [ -n "$addr" ] && curl -fs "http://$addr/healthz" >/dev/null && break
    addr=
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
  # Public verification's data is loaded into memory in the background
  # (web.verify_index); the load is measured, not the time before it.
  local loaded=
  for _ in $(seq 3000); do
    loaded=$(grep -m1 'verification index loaded' "$work/serve.log" || true)
    [ -n "$loaded" ] && break
    sleep 0.1
  done
  [ -n "$loaded" ] || { cat "$work/serve.log" >&2; echo "$backend: the index never loaded" >&2; exit 1; }
  local rss_kb
  rss_kb=$(ps -o rss= -p "$server_pid" | tr -d ' ')
  echo "$backend: $(sed -e 's/\x1b\[[0-9;]*m//g' -n -e 's/.*verification index loaded \(.*\)/\1/p' <<<"$loaded"); server RSS $((rss_kb / 1024)) MiB" \
    | tee -a "$work/results"
  # Every code the script makes verifies as valid, every pair as found.
  local probe
  probe=$(curl -fs "http://$addr/api/v1/verify/BENCH$(printf '%015d' "$lo" | tr 01 ZY)")
  grep -q '"result":"valid"' <<<"$probe" || { echo "$backend: $probe" >&2; exit 1; }
  local number name
  IFS=, read -r number name < "$work/pairs.txt"
  probe=$(curl -fs -H 'Content-Type: application/json' \
    -d "{\"certificate_number\":\"$number\",\"name\":\"$name\"}" "http://$addr/api/v1/verify")
  grep -q '"result":"valid"' <<<"$probe" || { echo "$backend: $probe" >&2; exit 1; }

  # What the preparation wrote reaches the disk before the first turn.
  sync
  local h= c= p= i
  for i in $(seq "$rounds"); do
    h+="$(load healthz.lua "http://$addr/healthz") "
    c+="$(load code.lua "http://$addr/api/v1/verify" "$lo" "$hi") "
    p+="$(load number.lua "http://$addr/api/v1/verify") "
  done
  stop_server
  # Each list holds "req/s p99" per turn: the mean of the rates, the worst p99.
  h=$(summary "$h"); c=$(summary "$c"); p=$(summary "$p")
  awk -v b="$backend" -v h="$h" -v c="$c" -v p="$p" 'BEGIN {
    split(h, H, " "); split(c, C, " "); split(p, P, " ")
    printf "%-10s %-24s %10.0f req/s   p99 %7.2f ms   %5.1f %% of /healthz\n", b, "GET /healthz", H[1], H[2], 100
    printf "%-10s %-24s %10.0f req/s   p99 %7.2f ms   %5.1f %% of /healthz\n", b, "GET /api/v1/verify/{code}", C[1], C[2], 100 * C[1] / H[1]
    printf "%-10s %-24s %10.0f req/s   p99 %7.2f ms   %5.1f %% of /healthz\n", b, "POST /api/v1/verify", P[1], P[2], 100 * P[1] / H[1]
  }' | tee -a "$work/results"
}

psql "$server" -qc "CREATE DATABASE $pgdb" >/dev/null
echo "$n certificates with annotations; wrk, 32 connections, ${duration} s per route in $rounds turns of ${turn} s"
run sqlite "sqlite://$work/data/bench.db"
rm -rf "$work/data"
run postgresql "$base/$pgdb"
echo
cat "$work/results"
