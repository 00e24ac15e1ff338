#!/usr/bin/env bash
# Soak: serves the demo on a fresh SQLite database with the release build
# (two in-serve workers; the annotation limit, the log-in throttles, which
# count log-ins under way, and the verification rate limits lifted so that
# six threads of one holder keep logging in, generating documents and
# checking them), runs scripts/soak-load.py (WORKERS holders and verifiers on
# keep-alive connections, default 6) for DURATION seconds (default 70),
# samples the server's resident memory every second, and prints the
# requests, the errors, the RSS at the 10th and the 60th second and the
# growth between them. Exits 1 on any error or a growth of 10 % or more.
# Usage: scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
duration=${DURATION:-70}
workers=${WORKERS:-6}
need_packages fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

cargo build --release -q -p zhengshu --bin zhengshu
target=${CARGO_TARGET_DIR:-target}
bin=$(realpath "$target/release/zhengshu")
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ZHENGSHU_ANNOTATION__MAX_IN_WINDOW=60000 \
ZHENGSHU_THROTTLE__LOGIN_FAILURES_PER_ACCOUNT_CLIENT=1000000 \
ZHENGSHU_THROTTLE__LOGIN_FAILURES_PER_ACCOUNT=1000000 ZHENGSHU_THROTTLE__LOGIN_FAILURES_PER_CLIENT=1000000 \
ZHENGSHU_VERIFY__PER_ADDRESS_PER_MINUTE=100000000 ZHENGSHU_VERIFY__GLOBAL_PER_SECOND=100000000 \
ZHENGSHU_LOG__FILTER=warn,zhengshu::serve=info \
  "$bin" --data-dir "$work/data" serve --demo --addr 127.0.0.1:0 > "$work/serve.log" 2>&1 &
pid=$!
addr=
for _ in $(seq 600); do
  addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }

python3 scripts/soak-load.py "http://$addr" "$work/stop" "$workers" > "$work/load.json" &
load=$!
: > "$work/rss"
for s in $(seq "$duration"); do
  sleep 1
  kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  echo "$s $kb" >> "$work/rss"
done
touch "$work/stop"
wait "$load"
kill -0 "$pid" 2>/dev/null || { echo "the server died:" >&2; tail -20 "$work/serve.log" >&2; exit 1; }

python3 - "$work/load.json" "$work/rss" "$duration" "$workers" <<'PY'
import json, sys
load = json.load(open(sys.argv[1]))
rss = dict(tuple(map(int, l.split())) for l in open(sys.argv[2]))
duration, workers = int(sys.argv[3]), int(sys.argv[4])
at10, at60 = rss[10], rss[min(60, duration)]
growth = 100.0 * (at60 - at10) / at10
print(f"soak: {duration} s, {workers} load threads, {load['requests']:,} requests "
      f"({load['requests'] / duration:,.0f}/s), {load['errors']} errors")
for e in load["first_errors"]:
    print("  error:", e)
print(f"RSS: {at10 / 1024:.1f} MiB at 10 s, {at60 / 1024:.1f} MiB at 60 s, "
      f"growth {growth:+.1f} % (target < 10 %); peak {max(rss.values()) / 1024:.1f} MiB")
sys.exit(0 if load["errors"] == 0 and growth < 10 else 1)
PY
