#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Runs CMD with a throwaway PostgreSQL 15 cluster listening on 127.0.0.1:$LINLI_PG_PORT
# (default 25432: below the ephemeral range, so a test server that took a free port
# cannot hold it), trust auth, superuser role `linli`, and
# LINLI_TEST_PG_URL=postgresql://linli@127.0.0.1:PORT/postgres exported. The cluster lives
# in a fresh temp dir, runs with fsync=off (test data only), and is stopped and removed
# when CMD ends, whatever its status; the script exits with CMD's status. It never touches
# the Debian `main` cluster, running or not.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

port=${LINLI_PG_PORT:-25432}
bin=/usr/lib/postgresql/15/bin

if [[ ! -x $bin/initdb ]]; then
  echo "with-postgres: installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q postgresql >&2
fi

# initdb refuses to run as root: the cluster belongs to the postgres user then.
# (cd first: the caller's directory may be closed to that user.)
if [[ $(id -u) -eq 0 ]]; then
  as_owner() { (cd "$dir" && runuser -u postgres -- "$@"); }
else
  as_owner() { "$@"; }
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/linli-pg.XXXXXX")
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"

cleanup() {
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "with-postgres: port $port is already in use; set LINLI_PG_PORT" >&2
  exit 1
fi

as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir"
opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
if ! as_owner "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start \
  >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi

"$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE linli LOGIN SUPERUSER" >/dev/null

export LINLI_TEST_PG_URL="postgresql://linli@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
set -e
exit "$status"
