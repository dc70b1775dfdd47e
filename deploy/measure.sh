#!/usr/bin/env bash
# Usage: deploy/measure.sh [SECONDS]   (default 10 per row)
#
# The figures in docs/SCALING.md, against a cluster that deploy/local-cluster.sh
# brought up: wrk straight at node 1 and through nginx (both nodes) for
# /healthz, a staff case list and case intake (POST), 64 connections; and the
# replication lag the primary reports (pg_stat_replication) while intake runs.
# Writes cases into the demo city. Prints one markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${LINLI_CLUSTER_DIR:-/tmp/linli-cluster}
secs=${1:-10}
[[ -f $DIR/env ]] || { echo "no cluster in $DIR: deploy/local-cluster.sh up" >&2; exit 1; }
# shellcheck disable=SC1091
source "$DIR/env"
read -r -a nodes <<<"$LINLI_CLUSTER_NODES"
lb=$LINLI_CLUSTER_URL
pg_port=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$LINLI_CLUSTER_PRIMARY")
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

token=$(curl -fsS "$lb/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"community1","password":"Linli@2026"}' | jq -r .token)
grid=$(curl -fsS "$lb/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"grid1","password":"Linli@2026"}' | jq -r .token)
household=$(curl -fsS "$lb/api/v1/households?limit=1" -H "authorization: Bearer $grid" | jq '.items[0].id')
category=$(curl -fsS "$lb/api/v1/case-categories" -H "authorization: Bearer $token" |
  jq '[.. | objects | select(.code? == "repair.light") | .id][0]')

lua=$(mktemp /tmp/linli-measure.XXXXXX.lua)
trap 'rm -f "$lua"' EXIT
cat >"$lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = '{"title":"压测路灯' .. n .. '","description":"小区门口路灯不亮，晚上出行不便",' ..
    '"category_id":$category,"household_id":$household,"channel":"hotline"}'
  return wrk.format("POST", "/api/v1/cases", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer $token"}, body)
end
LUA

# wrk → "req/s p50 p99 non2xx"
run() { # URL [wrk args...]
  local url=$1
  shift
  local out
  out=$(wrk -t2 -c64 -d"${secs}s" --latency "$@" "$url" 2>&1)
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$rps | $p50 | $p99 | ${bad:-0}"
}

echo "| scenario | target | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for scenario in healthz list intake; do
  for target in "${nodes[0]}" "$lb"; do
    name=$([[ $target == "$lb" ]] && echo "nginx → 2 nodes" || echo "node 1 direct")
    case $scenario in
      healthz) row=$(run "$target/healthz") ;;
      list) row=$(run "$target/api/v1/cases?limit=20" -H "Authorization: Bearer $token") ;;
      intake)
        lagfile=$(mktemp)
        (for _ in $(seq 1 "$secs"); do
          /usr/lib/postgresql/15/bin/psql -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
            -c "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0),
                       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication" \
            >>"$lagfile" 2>/dev/null || true
          sleep 1
        done) &
        sampler=$!
        row=$(run "$target/api/v1/cases" -s "$lua")
        wait "$sampler" || true
        lag=$(sort -t'|' -k1 -g "$lagfile" | awk -F'|' '{ms[NR]=$1; if ($2 > b) b = $2} END {
          if (NR) printf "replay lag median %.1f ms, max %.1f ms; at most %d bytes behind", ms[int((NR+1)/2)], ms[NR], b}')
        rm -f "$lagfile"
        ;;
    esac
    echo "| $scenario | $name | $row |"
    [[ $scenario == intake ]] && echo "|  | (replication during the row above) | ${lag:-n/a} | | | |"
  done
done
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
