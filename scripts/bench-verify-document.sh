#!/usr/bin/env bash
# File-check benchmark: zhengshu's checker (release build) checks signed
# annotated e-certificates (two seals each) one after another on one core;
# then pyHanko validates both signatures of the same files, with the same
# root as its only trust anchor, in one Python process on the same core.
# Prints documents/s of each side by side with the ratio.
# Usage: scripts/bench-verify-document.sh [N]   (default 2000 ours; pyHanko
#        validates each of the 20 files 3 times)
#   ZHENGSHU_PYHANKO  pyHanko's virtualenv (default target/pyvenv, made by
#                     crates/zhengshu-document/tests/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
core=${BENCH_CORE:-0}
venv=${ZHENGSHU_PYHANKO:-target/pyvenv}
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 2; }
[ -x "$venv/bin/python" ] || { echo "pyHanko not found in $venv: run crates/zhengshu-document/tests/setup.sh" >&2; exit 2; }

cargo build --release -q -p zhengshu-document --example bench-verify
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ours=$(taskset -c "$core" "$target/release/examples/bench-verify" -n "$n" -d 20 --out "$work")
theirs=$(taskset -c "$core" "$venv/bin/python" - "$work" <<'PY'
import glob, statistics, sys, time
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

work = sys.argv[1]
root = load_cert_from_pemder(f"{work}/ca.pem")
files = sorted(glob.glob(f"{work}/doc-*.pdf"))
times = []
for _ in range(3):
    for f in files:
        t = time.perf_counter()
        with open(f, "rb") as fh:
            reader = PdfFileReader(fh)
            sigs = reader.embedded_signatures
            assert len(sigs) == 2, f
            for s in sigs:
                status = validate_pdf_signature(s, ValidationContext(trust_roots=[root]))
                assert status.bottom_line, (f, status.pretty_print_details())
        times.append(time.perf_counter() - t)
times.sort()
median = times[len(times) // 2]
print(f"pyhanko n={len(times)} signatures=2")
print(f"check_ms median={median * 1e3:.3f} docs_per_s={1 / median:.1f}")
PY
)
echo "$ours"
echo "--- pyHanko (same files, same root) ---"
echo "$theirs"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; }
our_rate=$(field docs_per_s "$ours")
peer_rate=$(field docs_per_s "$theirs")
echo "--- one core, same run ---"
printf '%-10s %10s docs/s\n' zhengshu "$our_rate"
printf '%-10s %10s docs/s\n' pyHanko "$peer_rate"
printf 'ratio      %10s x\n' "$(awk -v a="$our_rate" -v b="$peer_rate" 'BEGIN { printf "%.1f", a / b }')"
