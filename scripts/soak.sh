#!/usr/bin/env bash
# Usage: SOAK_MINUTES=30 scripts/soak.sh [build/linli]
#
# A steady mixed workload (reads across the whole case history, resident/case/deed
# writes, ledger checks) on loopback against a generated city of realistic size
# (SOAK_RESIDENTS, SOAK_CASES: a database several times larger than SQLite's memory
# budget, as a city's is) for SOAK_MINUTES, then stops by itself. Reports the
# server's RSS after a warm-up and at the end, and the non-2xx answers. The warm-up
# lasts until SQLite's caches have filled (their budget is SOAK_SQLITE_MB,
# passed as --sqlite-memory-mb): until then RSS grows by design, as the caches take
# in the file. See the warm-up loop below for when it ends. Fails when RSS grew by 5% or
# more after the warm-up or any answer was not 2xx. `make soak`; not part of CI.
set -euo pipefail
bin=${1:-build/linli}
minutes=${SOAK_MINUTES:-30}
port=${SOAK_PORT:-18230}
conns=${SOAK_CONNECTIONS:-4}
residents=${SOAK_RESIDENTS:-50000}
cases=${SOAK_CASES:-200000}
budget_mb=${SOAK_SQLITE_MB:-32}
export SOAK_DELAY_MS=${SOAK_DELAY_MS:-10}
for tool in wrk sqlite3 jq; do
  command -v $tool >/dev/null || { echo "soak: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/linli-soak.XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
base=http://127.0.0.1:$port
echo "==> generating $residents residents and $cases cases in $dir"
db="sqlite:$dir/linli.db"
"$bin" gen --db "$db" --residents "$residents" --cases "$cases" --years 2 --seed 1 \
  --accounts-json "$dir/accounts.json" >/dev/null 2>"$dir/gen.log"
community=$(jq -r '.[] | select(.username == "_sample") | .community' "$dir/accounts.json")
district=$(sqlite3 "$dir/linli.db" 'SELECT id FROM nodes WHERE parent_id IS NULL ORDER BY id LIMIT 1')
export SOAK_CASE_MAX=$(sqlite3 "$dir/linli.db" 'SELECT max(id) FROM cases')
export LINLI_FAST_HASH=1  # the soak's own accounts; logins are not what it measures
"$bin" user add soakstaff --password Linli@2026 --role "community_staff@node:$community" --db "$db" >/dev/null
"$bin" user add soakcity --password Linli@2026 --role "street_center@node:$district" --db "$db" >/dev/null
echo "==> database $(($(stat -c %s "$dir/linli.db") / 1048576)) MB"
# SOAK_WRAP runs the server under a tool, e.g. SOAK_WRAP="heaptrack -o /tmp/soak"
# (the tool's report is written when the soak stops the server).
${SOAK_WRAP:-} "$bin" serve --db "$db" --listen "127.0.0.1:$port" --web /nonexistent \
  --sqlite-memory-mb "$budget_mb" ${SOAK_SERVE_FLAGS:-} 2>"$dir/server.log" &
pid=$!
for _ in $(seq 300); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.2; done
# Under a wrapper the server is the wrapper's newest child process.
[[ -z ${SOAK_WRAP:-} ]] || pid=$(pgrep -n -f "$bin serve --db sqlite:$dir/linli.db")
login() {
  curl -fs -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"Linli@2026\"}" \
    "$base/api/v1/auth/login" | grep -o '"token":"[^"]*"' | cut -d'"' -f4
}
export SOAK_STAFF_TOKEN=$(login soakstaff) SOAK_CITY_TOKEN=$(login soakcity)
h() { curl -fs -H "authorization: Bearer $SOAK_STAFF_TOKEN" "$base$1"; }
export SOAK_HOUSEHOLDS=$(h '/api/v1/households?limit=200' | grep -o '"id":[0-9]*' | cut -d: -f2 | tr '\n' ,)
export SOAK_CATEGORY=$(h /api/v1/case-categories | grep -o '{[^{}]*"code":"env.garbage"[^{}]*}' |
  grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
export SOAK_RESIDENT=$(h "/api/v1/residents?limit=1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
export SOAK_DAY=$(TZ=Asia/Shanghai date +%F)
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
# Beside RSS: what SQLite holds (page caches, statements) and the heap's live and
# free bytes, so growth can be put down to caches, fragmentation or live objects.
metric() { curl -fs "$base/metrics" | awk -v m="$1" '$1 == m {printf "%d", $2 / 1024}'; }
( for ((m = 1; m <= minutes; m++)); do
    sleep 60
    echo "  minute $m: RSS $(rss) kB, anon $(awk '/RssAnon/{print $2}' "/proc/$pid/status") kB," \
      "sqlite $(metric linli_store_cache_bytes) kB, heap live $(metric linli_heap_in_use_bytes) kB," \
      "heap free $(metric linli_heap_free_bytes) kB, db $(($(stat -c %s "$dir/linli.db") / 1024)) kB"
  done ) >"$dir/rss.log" 2>/dev/null &
sampler=$!
# Warm-up: until SQLite's memory has set no new high (by 1 %) for 3 minutes
# (the writer's cache filled; readers' caches empty and refill with every commit),
# at least 2 minutes, at most a third of the run.
warm_s=0 high=0 high_at=0
while ((warm_s < secs / 3)) && ((warm_s < 120 || warm_s - high_at < 180)); do
  sleep 10
  warm_s=$((warm_s + 10))
  now_kb=$(metric linli_store_cache_bytes)
  if ((now_kb * 100 > high * 101)); then high=$now_kb high_at=$warm_s; fi
done
rss_warm=$(rss)
echo "==> warm-up ended after ${warm_s} s: SQLite holds $(metric linli_store_cache_bytes) kB (high ${high} kB) of its ${budget_mb} MB budget; RSS ${rss_warm} kB"
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
echo "SOAK RESULT minutes=$minutes warmup_s=$warm_s rss_start_kb=$rss_start rss_after_warmup_kb=$rss_warm rss_end_kb=$rss_end growth_pct=$growth non2xx=$non2xx socket_errors=$sockerr"
awk -v g="$growth" 'BEGIN{exit !(g < 5)}' || { echo "soak: RSS grew ${growth}% (limit 5%)"; exit 1; }
[[ ${non2xx:-1} -eq 0 && ${sockerr:-1} -eq 0 ]] || { echo "soak: error answers"; exit 1; }
echo "soak: passed"
