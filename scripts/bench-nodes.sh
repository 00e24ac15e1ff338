#!/usr/bin/env bash
# Several processes on one PostgreSQL database: a release `serve` without
# workers of its own and a separate `zhengshu worker` process. The demo
# holder applies N times (default 50) one after the other; the pickup delay
# of each job is the time from the client sending the application to the
# worker process logging "generating annotation" for it (both on this
# machine's clock). Prints p50/p99/max next to the target (< 100 ms, with
# LISTEN/NOTIFY) and next to the same run with announcements unheard, the
# worker finding jobs by polling only (worker.poll_ms, 500 ms by default).
# Then the authenticated read ratio: GET /api/v1/me/certificates with a
# bearer token against /healthz, wrk, 32 connections, DURATION seconds each
# (target >= 35 %), and the same reads from a server on the same database
# that does not cache them (web.cache_reads = false), for reference. Last,
# the 100-at-once figure: scripts/bench-annotations.sh 100.
# Usage: scripts/bench-nodes.sh [N]
#   ZHENGSHU_BENCH_PG_URL   PostgreSQL server (default
#                           postgres://postgres@127.0.0.1:5432/test; the
#                           benchmark creates and drops databases of its own)
#   DURATION                seconds of load per route (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
n=${1:-50}
duration=${DURATION:-10}
server=${ZHENGSHU_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
need_packages wrk:wrk postgresql-client:psql \
  fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

cargo build --release -q -p zhengshu --bin zhengshu
target=${CARGO_TARGET_DIR:-target}
bin=$(realpath "$target/release/zhengshu")
work=$(mktemp -d)
base=${server%/*}
pids=()
dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${dbs[@]}"; do psql "$server" -qc "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# One run: a fresh database, serve + worker; prints the delays (ms), one
# per line, to $work/$1.delays. $2: the worker's poll interval (ms);
# $3: 1 for a worker that does not listen to announcements.
run() {
  local name=$1 poll=$2 deaf=$3
  local db="zhengshu_bench_nodes_${name}_$$"
  dbs+=("$db")
  psql "$server" -qc "CREATE DATABASE \"$db\""
  local url="$base/$db" data="$work/$name"
  export ZHENGSHU_ANNOTATION__MAX_IN_WINDOW=60000
  ZHENGSHU_WORKER__IN_SERVE=0 ZHENGSHU_LOG__FILTER=warn,zhengshu::serve=info \
    "$bin" --data-dir "$data" --db "$url" serve --demo --addr 127.0.0.1:0 > "$work/$name.serve.log" 2>&1 &
  pids+=($!)
  local addr=
  for _ in $(seq 600); do
    addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/$name.serve.log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$work/$name.serve.log" >&2; exit 1; }
  # The reference worker does not listen (worker.listen = false): it
  # finds each job at its next poll.
  ZHENGSHU_WORKER__POLL_MS=$poll ZHENGSHU_WORKER__LISTEN=$([ "$deaf" = 1 ] && echo false || echo true) \
    ZHENGSHU_LOG__FILTER=warn,zhengshu_worker=info,zhengshu::serve=info \
    "$bin" --data-dir "$data" --db "$url" worker --concurrency 2 > "$work/$name.worker.log" 2>&1 &
  pids+=($!)
  sleep 2
  python3 - "$addr" "$n" "$work/$name.worker.log" > "$work/$name.delays" <<'PY'
import json, re, sys, time, urllib.request
from datetime import datetime
addr, n, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ansi = re.compile(r"\x1b\[[0-9;]*m")
def log_text():
    return ansi.sub("", open(log).read())
def call(method, path, token=None, body=None):
    req = urllib.request.Request(f"http://{addr}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None
token = call("POST", "/api/v1/sessions", body={"username": "demo", "password": "Demo-2024-zhengshu"})["token"]
call("POST", "/api/v1/terms/accept", token)
cert = next(c["id"] for c in call("GET", "/api/v1/me/certificates", token) if c["number"] == "ZY20230315001")
sent = {}
for _ in range(n):
    t = time.time()
    a = call("POST", f"/api/v1/me/certificates/{cert}/annotations", token, {"scenario": "self_use", "days": 30})
    sent[a["id"]] = t
    # One at a time: the next application after this one has started.
    deadline = time.time() + 30
    while time.time() < deadline:
        if re.search(rf"generating annotation.*annotation_id={a['id']}\b", log_text()):
            break
        time.sleep(0.002)
    else:
        sys.exit(f"annotation {a['id']} not picked up within 30 s")
started = {}
for line in log_text().splitlines():
    m = re.match(r"(\S+)\s+INFO .*generating annotation.*annotation_id=(\d+)", line)
    if m and int(m.group(2)) in sent and int(m.group(2)) not in started:
        ts = datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
        started[int(m.group(2))] = ts
for i, t in sent.items():
    print(f"{(started[i] - t) * 1000:.1f}")
PY
  echo "$addr" > "$work/$name.addr"
}

stats() {
  sort -n "$1" | awk '{v[NR]=$1} END {
    p50=v[int((NR+1)*0.5)]; p99=v[int(NR*0.99)>0?int(NR*0.99):1];
    printf "p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d jobs)\n", p50, p99, v[NR], NR }'
}

echo "pickup delay, apply on serve → generation start in a worker process ($n jobs, one at a time):"
run listen 500 0
printf '  LISTEN/NOTIFY     '; stats "$work/listen.delays"
run poll 500 1
printf '  polling only      '; stats "$work/poll.delays"
echo "  target: < 100 ms with LISTEN/NOTIFY"

addr=$(cat "$work/listen.addr")
token=$(python3 -c '
import json, sys, urllib.request
req = urllib.request.Request(f"http://{sys.argv[1]}/api/v1/sessions", method="POST",
    data=json.dumps({"username": "demo", "password": "Demo-2024-zhengshu"}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])' "$addr")
rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }
# wrk's answer for one route; fails unless every answer was 2xx (a 401 or
# 403 would be cheap and meaningless).
load() {
  local out
  out=$(wrk -t2 -c32 -d"${duration}s" "$@")
  if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  rps <<<"$out"
}
# The same database served with the hot reads not cached, for reference.
data=$work/listen
ZHENGSHU_WEB__CACHE_READS=false ZHENGSHU_WORKER__IN_SERVE=0 ZHENGSHU_LOG__FILTER=warn,zhengshu::serve=info \
  "$bin" --data-dir "$data" --db "$base/zhengshu_bench_nodes_listen_$$" serve --addr 127.0.0.1:0 \
  > "$work/uncached.serve.log" 2>&1 &
pids+=($!)
uncached=
for _ in $(seq 600); do
  uncached=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/uncached.serve.log" | head -1)
  [ -n "$uncached" ] && break
  sleep 0.1
done
[ -n "$uncached" ] || { cat "$work/uncached.serve.log" >&2; exit 1; }
health=$(load "http://$addr/healthz")
reads=$(load -H "Authorization: Bearer $token" "http://$addr/api/v1/me/certificates")
plain=$(load -H "Authorization: Bearer $token" "http://$uncached/api/v1/me/certificates")
pct() { echo "$1 $2" | awk '{printf "%.1f", 100*$1/$2}'; }
echo "authenticated reads (wrk, 32 connections, ${duration} s each):"
printf '  GET /healthz                                  %10.0f req/s\n' "$health"
printf '  GET /api/v1/me/certificates                   %10.0f req/s  %5.1f %% of /healthz (target >= 35 %%)\n' \
  "$reads" "$(pct "$reads" "$health")"
printf '  the same, web.cache_reads = false (reference) %10.0f req/s  %5.1f %% of /healthz\n' \
  "$plain" "$(pct "$plain" "$health")"

echo "100 applications at once (scripts/bench-annotations.sh, SQLite, two in-serve workers):"
bash scripts/bench-annotations.sh 100 | sed 's/^/  /'
echo "  target: all ready within 0.8 s"
