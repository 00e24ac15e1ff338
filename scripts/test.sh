#!/usr/bin/env bash
# Installs what the tests need and runs every test: formatting, lints, the
# dependency policy (deny.toml), the storage story suite on SQLite and on
# PostgreSQL, then every crate's tests (PDF validators, headless Chromium,
# Schemathesis against the API's OpenAPI document). PostgreSQL comes from
# ZHENGSHU_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export ZHENGSHU_TEST_PG_URL=${ZHENGSHU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

banner() { printf '\n==== %s ====\n' "$*"; }

banner "packages"
need_packages \
  poppler-utils:pdfsig qpdf:qpdf libnss3-tools:certutil time:/usr/bin/time zbar-tools:zbarimg \
  chromium:chromium chromium-driver:chromedriver postgresql-client:psql oathtool:oathtool \
  fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
  fonts-hanazono:/usr/share/fonts/truetype/hanazono/HanaMinB.ttf \
  fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
  unicode-data:/usr/share/unicode/Unihan_Readings.txt.bz2
# The metrics test scrapes with a real Prometheus; its recommended
# exporters are not needed.
NO_RECOMMENDS=1 need_packages prometheus:prometheus
psql "$ZHENGSHU_TEST_PG_URL" -qAtc 'select 1' >/dev/null || {
  echo "PostgreSQL is not reachable at $ZHENGSHU_TEST_PG_URL; start it or set ZHENGSHU_TEST_PG_URL" >&2
  exit 1
}

banner "Python test tools"
# The identity tests send one-time codes through a real SMTP server.
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --user --quiet 'aiosmtpd==1.4.6'
# The API schema test runs Schemathesis against a server of its own
# (crates/zhengshu/tests/api_schema.rs names the same version).
python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --user --quiet 'schemathesis==4.32.5'

banner "Node.js test tools"
# The platform log-in tests run a real OpenID Connect provider
# (oidc-provider from the npm registry, pinned by its lockfile).
need_packages nodejs:node npm:npm
(cd crates/zhengshu-web/tests/oidc && npm ci --no-audit --no-fund --loglevel=error)

banner "format and lints"
cargo fmt --all --check
cargo clippy --locked --all-targets -- -D warnings

banner "dependency policy (deny.toml)"
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny@0.20.2
cargo deny --locked check licenses bans sources

banner "PDF validators"
bash crates/zhengshu-document/tests/setup.sh

banner "storage story suite on SQLite"
cargo test --locked -p zhengshu-storage-sqlite --test story
banner "storage story suite on PostgreSQL ($ZHENGSHU_TEST_PG_URL)"
cargo test --locked -p zhengshu-storage-postgres --test story

banner "all tests"
cargo test --locked --workspace
banner "all tests passed"
