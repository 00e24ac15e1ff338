#!/usr/bin/env bash
# Prepares what the document tests need beyond cargo: the PDF tools from
# Debian (poppler-utils, qpdf, libnss3-tools, fonts) and pyHanko in a
# virtualenv at $ZHENGSHU_PYHANKO (default: <workspace>/target/pyvenv).
# Usage: tests/setup.sh            (idempotent; apt-get needs root)
set -euo pipefail
crate=$(cd "$(dirname "$0")/.." && pwd)
venv=${ZHENGSHU_PYHANKO:-$crate/../../target/pyvenv}

need=()
for tool in pdfsig:poppler-utils pdftotext:poppler-utils qpdf:qpdf certutil:libnss3-tools; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
[ -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || need+=(fonts-hanazono)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi

if [ ! -x "$venv/bin/pyhanko" ]; then
  echo "creating pyHanko virtualenv in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check pyhanko pyhanko-cli
fi
"$venv/bin/pyhanko" --version
