#!/usr/bin/env bash
# Browser tests: a real server with the demo city on a throwaway database,
# driven by playwright-core in Debian's chromium.
# Usage: scripts/e2e.sh path/to/linli
set -euo pipefail
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d -t linli-e2e.XXXXXX)
port=${LINLI_E2E_PORT:-18090}
export LINLI_FAST_HASH=1
"$bin" demo --db "sqlite:$dir/linli.db" --accounts-json "$dir/accounts.json" >/dev/null 2>&1
"$bin" serve --db "sqlite:$dir/linli.db" --listen "127.0.0.1:$port" --web "$root/web/dist" \
  2>"$dir/server.log" &
pid=$!
# LINLI_TEST_LOG_DIR: keep the server's log for scripts/scan-logs.sh.
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null
  [[ -n ${LINLI_TEST_LOG_DIR:-} ]] && mkdir -p "$LINLI_TEST_LOG_DIR" && cp "$dir/server.log" "$LINLI_TEST_LOG_DIR/e2e-server.log"
  rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
cd "$root/web"
LINLI_URL="http://127.0.0.1:$port" LINLI_ACCOUNTS="$dir/accounts.json" node --test e2e/
