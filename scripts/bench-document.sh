#!/usr/bin/env bash
# Document benchmark: renders and double-signs annotated e-certificates on
# one core with zhengshu's release build, then runs the Python peer
# (reportlab + pyHanko, two signatures) on the same core, and prints both
# side by side with the ratio of documents/s.
# Usage: scripts/bench-document.sh [N]   (default 200 ours, 100 the peer's)
#   ZHENGSHU_PEER   the peer's runner script
#                   (default ../shared/peers/run_python_peer.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
peer=${ZHENGSHU_PEER:-../shared/peers/run_python_peer.sh}
core=${BENCH_CORE:-0}
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 2; }
[ -x "$peer" ] || [ -f "$peer" ] || { echo "peer not found: $peer (set ZHENGSHU_PEER)" >&2; exit 2; }

cargo build --release -q -p zhengshu-document --example bench
target=${CARGO_TARGET_DIR:-target}
ours=$(taskset -c "$core" "$target/release/examples/bench" -n "$n")
theirs=$(taskset -c "$core" bash "$peer" -n 100)
echo "$ours"
echo "--- peer (reportlab + pyHanko) ---"
echo "$theirs"

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; }
our_rate=$(field docs_per_s "$ours")
peer_rate=$(field docs_per_s "$theirs")
our_size=$(field median "$(grep size_signed <<<"$ours")")
peer_size=$(field size_signed "$theirs")
echo "--- one core, same run ---"
printf '%-10s %10s docs/s   median file %7s bytes\n' zhengshu "$our_rate" "$our_size"
printf '%-10s %10s docs/s   median file %7s bytes\n' peer "$peer_rate" "$peer_size"
printf 'ratio      %10s x\n' "$(bc <<<"scale=1; $our_rate / $peer_rate")"
