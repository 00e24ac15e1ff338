#!/usr/bin/env bash
# Annotation latency benchmark: serves a fresh SQLite database (demo data
# plus N certificates of N holders, default 100) with the release build and
# its in-serve workers; N holders apply for an annotation at once and poll
# every 20 ms. Prints the latency from application to `ready` (p50, p99,
# max), the time until all are ready and documents/s.
# Usage: scripts/bench-annotations.sh [N]
#   ZHENGSHU_WORKER__IN_SERVE   workers inside the server (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
n=${1:-100}

need_packages fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
  fonts-hanazono:/usr/share/fonts/truetype/hanazono/HanaMinB.ttf
# Two invocations: the client's dev-dependencies (and their test-only
# features) stay out of the server binary.
cargo build --release -q -p zhengshu --bin zhengshu
cargo build --release -q -p zhengshu --example annotation-latency
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/zhengshu
client=$target/release/examples/annotation-latency
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

data=$work/data
echo "loading the demo data and $n certificates…"
"$bin" --data-dir "$data" demo > "$work/demo.out" 2>&1 || { cat "$work/demo.out" >&2; exit 1; }
"$client" prepare "$work/holders.csv" "$n"
"$bin" --data-dir "$data" import --body pharmacist_center "$work/holders.csv" > "$work/import.out" 2>&1 || {
  cat "$work/import.out" >&2; exit 1; }

# The server takes a port the system picks and logs it ("listening on").
# Each simulated holder comes from an address of its own (X-Forwarded-For),
# as behind a proxy: the per-address registration limit sees N people.
ZHENGSHU_WEB__TRUST_FORWARDED_FOR=true \
ZHENGSHU_LOG__FILTER=warn,zhengshu::serve=info "$bin" --data-dir "$data" serve --addr 127.0.0.1:0 \
  > "$work/serve.log" 2>&1 &
server_pid=$!
addr=$("$client" wait "$work/serve.log") || { cat "$work/serve.log" >&2; exit 1; }

"$client" run "$addr" "$n" || {
  echo "--- server log ---" >&2; tail -50 "$work/serve.log" >&2; exit 1; }
