#!/usr/bin/env bash
# Usage: SOAK_MINUTES=30 scripts/soak.sh [build/linli]
#
# A steady mixed workload (reads, resident/case/deed writes, ledger checks) on
# loopback against a fresh demo city for SOAK_MINUTES, then stops by itself.
# Reports the server's RSS after a warm-up (a tenth of the run, ≥ 1 min, when caches
# have filled) and at the end, and the non-2xx answers. Fails when RSS grew by
# 5% or more or any answer was not 2xx. `make soak`; not part of CI.
set -euo pipefail
bin=${1:-build/linli}
minutes=${SOAK_MINUTES:-30}
port=${SOAK_PORT:-18230}
conns=${SOAK_CONNECTIONS:-4}
export SOAK_DELAY_MS=${SOAK_DELAY_MS:-40}
command -v wrk >/dev/null || { echo "soak: wrk is missing (scripts/install-deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/linli-soak.XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
base=http://127.0.0.1:$port
echo "==> demo city in $dir"
LINLI_FAST_HASH=1 "$bin" demo --db "sqlite:$dir/linli.db" >/dev/null 2>&1
"$bin" serve --db "sqlite:$dir/linli.db" --listen "127.0.0.1:$port" --web /nonexistent 2>"$dir/server.log" &
pid=$!
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.2; done
login() {
  curl -fs -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"Linli@2026\"}" \
    "$base/api/v1/auth/login" | grep -o '"token":"[^"]*"' | cut -d'"' -f4
}
export SOAK_STAFF_TOKEN=$(login community1)
h() { curl -fs -H "authorization: Bearer $SOAK_STAFF_TOKEN" "$base$1"; }
export SOAK_HOUSEHOLDS=$(h '/api/v1/households?limit=200' | grep -o '"id":[0-9]*' | cut -d: -f2 | tr '\n' ,)
export SOAK_CATEGORY=$(h /api/v1/case-categories | grep -o '{[^{}]*"code":"env.garbage"[^{}]*}' |
  grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
export SOAK_RESIDENT=$(h "/api/v1/residents?limit=1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
export SOAK_DAY=$(TZ=Asia/Shanghai date +%F)
community=$(h /api/v1/auth/me | grep -o '"node_id":[0-9]*' | head -1 | cut -d: -f2)
curl -fs -X PUT -H "authorization: Bearer $SOAK_STAFF_TOKEN" -H 'content-type: application/json' \
  -d '{"code":"soak","name":"浸泡测试","kind":"positive","points":1,"automatic":true,"recorders":"community_staff"}' \
  "$base/api/v1/points/rules?community=$community" >/dev/null
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
rss_start=$(rss)
echo "==> ${minutes} min, $conns connections, ${SOAK_DELAY_MS} ms pause each; RSS at start ${rss_start} kB"
secs=$((minutes * 60))
wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s -s scripts/soak.lua "$base" >"$dir/wrk.out" 2>"$dir/wrk.err" &
wrk_pid=$!
# RSS once a minute, to tell a cache filling up (levels off) from a leak (keeps rising).
( for ((m = 1; m <= minutes; m++)); do sleep 60; echo "  minute $m: RSS $(rss) kB, anon $(awk '/RssAnon/{print $2}' "/proc/$pid/status") kB"; done ) >"$dir/rss.log" 2>/dev/null &
sampler=$!
sleep $((secs / 10 > 60 ? secs / 10 : 60))  # warm-up: a tenth of the run, at least a minute
rss_warm=$(rss)
wait "$wrk_pid"
rss_end=$(rss)
kill "$sampler" 2>/dev/null || true
cat "$dir/rss.log"
cat "$dir/wrk.out"
head -5 "$dir/wrk.err"
kill -0 "$pid" || { echo "soak: the server died"; tail "$dir/server.log"; exit 1; }
growth=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN{printf "%.2f", (b-a)*100/a}')
non2xx=$(grep -o 'non2xx=[0-9]*' "$dir/wrk.out" | cut -d= -f2)
sockerr=$(grep -o 'socket_errors=[0-9]*' "$dir/wrk.out" | cut -d= -f2)
echo "SOAK RESULT minutes=$minutes rss_start_kb=$rss_start rss_after_warmup_kb=$rss_warm rss_end_kb=$rss_end growth_pct=$growth non2xx=$non2xx socket_errors=$sockerr"
awk -v g="$growth" 'BEGIN{exit !(g < 5)}' || { echo "soak: RSS grew ${growth}% (limit 5%)"; exit 1; }
[[ ${non2xx:-1} -eq 0 && ${sockerr:-1} -eq 0 ]] || { echo "soak: error answers"; exit 1; }
echo "soak: passed"
