#!/usr/bin/env bash
# Builds zhengshu and serves it on http://127.0.0.1:8080 with the demo data
# on the embedded SQLite database in ./data. Installs the fonts documents
# are set in (Debian/Ubuntu packages) when they are missing.
# Extra arguments go to `zhengshu serve` (e.g. --addr 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

need_packages fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
  fonts-hanazono:/usr/share/fonts/truetype/hanazono/HanaMinB.ttf
cargo build --release --locked -p zhengshu --bin zhengshu
exec "${CARGO_TARGET_DIR:-target}/release/zhengshu" serve --demo "$@"
