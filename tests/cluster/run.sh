#!/usr/bin/env bash
# Usage: tests/cluster/run.sh [BINARY]   (make test-cluster)
#
# Brings up the loopback cluster (deploy/local-cluster.sh), runs the cluster
# tests against it (node --test tests/cluster/), and takes it down again
# whatever happened. Ports: deploy/local-cluster.sh's defaults unless
# overridden; the state lives in a fresh directory under /tmp.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LINLI_BIN=${1:-${LINLI_BIN:-build/linli}}
export LINLI_CLUSTER_DIR=${LINLI_CLUSTER_DIR:-/tmp/linli-cluster-test-$$}
export LINLI_FAST_HASH=${LINLI_FAST_HASH:-1}
start=$(date +%s)
trap 'deploy/local-cluster.sh down || true' EXIT
deploy/local-cluster.sh up
echo "==> cluster up in $(($(date +%s) - start)) s"
status=0
node --test --test-concurrency=1 --test-reporter=spec tests/cluster/cluster.test.mjs || status=$?
if ((status)); then
  for f in "$LINLI_CLUSTER_DIR"/node*.log "$LINLI_CLUSTER_DIR"/nginx/error.log; do
    [[ -f $f ]] && { echo "--- $f (last 30 lines)"; tail -30 "$f"; }
  done
fi
echo "==> cluster tests finished in $(($(date +%s) - start)) s"
exit $status
