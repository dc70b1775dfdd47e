#!/usr/bin/env bash
# Usage: deploy/local-cluster.sh up|down|status|restart-node N
#
# A whole linli cluster on loopback, to try and test what docs/SCALING.md
# describes:  nginx → two linli nodes → a PostgreSQL 15 primary and one
# streaming replica (pg_basebackup -R, a physical replication slot).
#
# Everything lives under $LINLI_CLUSTER_DIR (default /tmp/linli-cluster);
# `down` stops every process it started and removes that directory. Ports
# (defaults in brackets) can be overridden:
#   LINLI_CLUSTER_PG_PORT       primary   [25450]
#   LINLI_CLUSTER_REPLICA_PORT  replica   [25451]
#   LINLI_CLUSTER_NODE_PORTS    the nodes ["18301 18302"]
#   LINLI_CLUSTER_NGINX_PORT    nginx     [18380]
#   LINLI_BIN (build/linli), LINLI_WEB (web/dist; the API alone when absent)
# As root (CI), PostgreSQL runs as the `postgres` OS user, as
# scripts/with-postgres.sh does. Demo accounts land in $DIR/accounts.json.
set -euo pipefail

cd "$(dirname "$0")/.."
DIR=${LINLI_CLUSTER_DIR:-/tmp/linli-cluster}
PG_PORT=${LINLI_CLUSTER_PG_PORT:-25450}
REPLICA_PORT=${LINLI_CLUSTER_REPLICA_PORT:-25451}
read -r -a NODE_PORTS <<<"${LINLI_CLUSTER_NODE_PORTS:-18301 18302}"
NGINX_PORT=${LINLI_CLUSTER_NGINX_PORT:-18380}
LINLI=$(realpath -m "${LINLI_BIN:-build/linli}")
WEB=$(realpath -m "${LINLI_WEB:-web/dist}")
PGBIN=/usr/lib/postgresql/15/bin
SLOT=linli_replica

PRIMARY_URL="postgresql://linli@127.0.0.1:$PG_PORT/linli"
REPLICA_URL="postgresql://linli@127.0.0.1:$REPLICA_PORT/linli"

say() { echo "==> $*" >&2; }
die() {
  echo "local-cluster: $*" >&2
  exit 1
}

if [[ $(id -u) -eq 0 ]]; then
  as_pg() { (cd "$DIR" && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd "$DIR" && "$@"); }
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

psql_at() { # PORT SQL...
  local port=$1
  shift
  "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

wait_http() { # URL PID-FILE
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    if [[ -n ${2:-} ]] && ! kill -0 "$(cat "$2")" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

start_pg() { # DATA-DIR PORT LOG
  local opts="-c listen_addresses=127.0.0.1 -p $2 -c unix_socket_directories=$DIR/run"
  opts+=" -c max_connections=200 -c wal_level=replica -c max_wal_senders=5"
  opts+=" -c max_replication_slots=5 -c hot_standby=on -c wal_keep_size=256MB"
  as_pg "$PGBIN/pg_ctl" -D "$1" -o "$opts" -l "$3" -w -t 120 start >/dev/null ||
    { cat "$3" >&2; die "PostgreSQL on port $2 did not start"; }
}

# One linli node: NAME PORT. Runs as the caller (root in CI); its pid in $DIR/NAME.pid.
start_node() {
  local name=$1 port=$2
  local web_args=(--web "$WEB")
  [[ -d $WEB ]] || web_args=(--web /nonexistent)
  nohup "$LINLI" serve --db "$PRIMARY_URL?pool_size=16" --replica-url "$REPLICA_URL" \
    --key-file "$DIR/linli.key" --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 \
    "${web_args[@]}" >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  wait_http "http://127.0.0.1:$port/readyz" "$DIR/$name.pid" ||
    { tail -20 "$DIR/$name.log" >&2; die "linli $name on port $port did not become ready"; }
}

write_nginx_conf() {
  local user_line="" servers=""
  if [[ $(id -u) -eq 0 ]]; then
    user_line="user www-data;"
    id www-data >/dev/null 2>&1 || user_line="user nobody nogroup;"
  fi
  for p in "${NODE_PORTS[@]}"; do
    # Passive health checks: a node that refuses or drops a connection is left
    # out for 5 s, then tried again.
    servers+="    server 127.0.0.1:$p max_fails=1 fail_timeout=5s;"$'\n'
  done
  cat >"$DIR/nginx/nginx.conf" <<EOF
# Written by deploy/local-cluster.sh; see docs/SCALING.md.
$user_line
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path $DIR/nginx/tmp/body;
  proxy_temp_path $DIR/nginx/tmp/proxy;
  fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
  uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
  scgi_temp_path $DIR/nginx/tmp/scgi;

  upstream linli {
$servers    keepalive 32;
    keepalive_timeout 60s;   # below linli's 75 s idle timeout: never reuse a closing connection
  }

  server {
    listen 127.0.0.1:$NGINX_PORT;
    client_max_body_size 33m;          # linli's own limit for imports is 32 MiB

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$http_host;
    proxy_set_header X-Real-IP \$remote_addr;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_connect_timeout 2s;
    proxy_read_timeout 60s;
    # Try the other node only when this one could not be reached. nginx never
    # passes a POST/PATCH on once it was sent (no "non_idempotent" here), so a
    # write is never replayed: the client sees 502 and decides.
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;

    # Server-Sent Events: no buffering, a long read timeout (linli pings every 20 s).
    location = /api/v1/notifications/stream {
      proxy_pass http://linli;
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 1h;
    }
    location / {
      proxy_pass http://linli;
    }
  }
}
EOF
}

up() {
  [[ -x $LINLI ]] || die "$LINLI not found: build first (cmake --build build)"
  [[ -x $PGBIN/initdb ]] || die "PostgreSQL 15 is missing: scripts/install-deps.sh"
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || die "nginx is missing: scripts/install-deps.sh"
  [[ -e $DIR/state ]] && die "$DIR holds a cluster already: $0 down first"
  for p in "$PG_PORT" "$REPLICA_PORT" "${NODE_PORTS[@]}" "$NGINX_PORT"; do
    port_busy "$p" && die "port $p is in use"
  done
  mkdir -p "$DIR/run" "$DIR/nginx/tmp"
  echo up >"$DIR/state"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR" "$DIR/run"

  say "PostgreSQL primary on 127.0.0.1:$PG_PORT"
  as_pg "$PGBIN/initdb" -D "$DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  start_pg "$DIR/primary" "$PG_PORT" "$DIR/primary.log"
  psql_at "$PG_PORT" -c "CREATE ROLE linli LOGIN" -c "CREATE DATABASE linli OWNER linli" \
    -c "SELECT pg_create_physical_replication_slot('$SLOT')" >/dev/null

  say "streaming replica on 127.0.0.1:$REPLICA_PORT (pg_basebackup -R, slot $SLOT)"
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$DIR/replica" \
    -R -S "$SLOT" -X stream --checkpoint=fast >"$DIR/basebackup.log" 2>&1 ||
    { cat "$DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
  start_pg "$DIR/replica" "$REPLICA_PORT" "$DIR/replica.log"

  say "linli migrate + demo city on the primary ($(date +%T))"
  # One key for every node: created here once, before any node starts.
  "$LINLI" migrate --db "$PRIMARY_URL" --key-file "$DIR/linli.key" >"$DIR/migrate.log" 2>&1 ||
    { cat "$DIR/migrate.log" >&2; die "migrate failed"; }
  "$LINLI" demo --db "$PRIMARY_URL" --key-file "$DIR/linli.key" \
    --accounts-json "$DIR/accounts.json" >"$DIR/demo.log" 2>&1 ||
    { cat "$DIR/demo.log" >&2; die "demo load failed"; }

  local i=0
  for p in "${NODE_PORTS[@]}"; do
    i=$((i + 1))
    say "linli node$i on 127.0.0.1:$p"
    start_node "node$i" "$p"
  done

  say "nginx on 127.0.0.1:$NGINX_PORT ($(date +%T))"
  write_nginx_conf
  [[ $(id -u) -eq 0 ]] && chown -R "$(awk '/^user/ {print $2}' "$DIR/nginx/nginx.conf" | tr -d ';')" \
    "$DIR/nginx/tmp" 2>/dev/null || true
  nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" ||
    die "nginx did not start ($DIR/nginx/error.log)"
  wait_http "http://127.0.0.1:$NGINX_PORT/readyz" "" || die "nginx does not answer"
  cat >"$DIR/env" <<EOF
LINLI_CLUSTER_DIR=$DIR
LINLI_CLUSTER_URL=http://127.0.0.1:$NGINX_PORT
LINLI_CLUSTER_NODES="$(printf 'http://127.0.0.1:%s ' "${NODE_PORTS[@]}")"
LINLI_CLUSTER_PRIMARY=$PRIMARY_URL
LINLI_CLUSTER_REPLICA=$REPLICA_URL
EOF
  say "ready: http://127.0.0.1:$NGINX_PORT (accounts in $DIR/accounts.json)"
}

stop_pid() { # PID-FILE: TERM, then KILL after 10 s
  [[ -f $1 ]] || return 0
  local pid
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

down() {
  [[ -d $DIR ]] || return 0
  [[ -e $DIR/state ]] || die "$DIR was not made by this script; not touching it"
  stop_pid "$DIR/nginx/nginx.pid"
  for f in "$DIR"/node*.pid; do [[ -e $f ]] && stop_pid "$f"; done
  for d in replica primary; do
    if [[ -f $DIR/$d/postmaster.pid ]]; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/$d" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        as_pg "$PGBIN/pg_ctl" -D "$DIR/$d" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$DIR"
  say "cluster removed ($DIR)"
}

status() {
  [[ -e $DIR/state ]] || {
    echo "no cluster in $DIR"
    return 1
  }
  local bad=0
  for d in primary replica; do
    if as_pg "$PGBIN/pg_ctl" -D "$DIR/$d" status >/dev/null 2>&1; then
      echo "postgres $d: running"
    else
      echo "postgres $d: DOWN"
      bad=1
    fi
  done
  psql_at "$PG_PORT" -F ' ' -c "SELECT 'replication: ' || application_name, state,
      'replay lag', coalesce(replay_lag::text, '0'),
      'bytes behind', pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)
      FROM pg_stat_replication" 2>/dev/null || true
  local i=0
  for p in "${NODE_PORTS[@]}"; do
    i=$((i + 1))
    if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$p/readyz"; then
      echo "linli node$i :$p: ready (pid $(cat "$DIR/node$i.pid" 2>/dev/null))"
    else
      echo "linli node$i :$p: DOWN"
      bad=1
    fi
  done
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_PORT/readyz"; then
    echo "nginx :$NGINX_PORT: serving"
  else
    echo "nginx :$NGINX_PORT: DOWN"
    bad=1
  fi
  return $bad
}

# Starts node N again (after a crash or a kill), as `up` started it.
restart_node() {
  local n=${1:-}
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le ${#NODE_PORTS[@]} ]] || die "restart-node 1..${#NODE_PORTS[@]}"
  [[ -e $DIR/state ]] || die "no cluster in $DIR"
  stop_pid "$DIR/node$n.pid"
  start_node "node$n" "${NODE_PORTS[$((n - 1))]}"
  say "node$n ready on 127.0.0.1:${NODE_PORTS[$((n - 1))]}"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  restart-node) restart_node "${2:-}" ;;
  *)
    echo "usage: $0 up|down|status|restart-node N" >&2
    exit 2
    ;;
esac
