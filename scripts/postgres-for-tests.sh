#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (issue 20): Debian's PostgreSQL (installed
# when missing), a cluster made by initdb in a temporary directory, on a free port of 127.0.0.1,
# run as an unprivileged user when this runs as root (PostgreSQL refuses to run as root).
#
#   eval "$(bash scripts/postgres-for-tests.sh start)"   # exports PLAYBOOK_TEST_POSTGRES, PLAYBOOK_TEST_PGDATA
#   bash scripts/postgres-for-tests.sh stop "$PLAYBOOK_TEST_PGDATA"
#
# Trust authentication on loopback only: the server holds test data and lives as long as the run.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
    fi
  done | sort -V | tail -n 1
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    bin="$(bin_dir)"
    if [ -z "$bin" ]; then
      echo "==> installing postgresql" >&2
      as_root apt-get update -qq >&2
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin="$(bin_dir)"
    fi
    data="$(mktemp -d /tmp/playbook-pg.XXXXXX)"
    chmod 755 "$data"
    if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$data"; fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/initdb" -D "$data/cluster" -U playbook --auth=trust -E UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
      || { cat "$data/initdb.log" >&2; exit 1; }
    # In the configuration file, so a plain `pg_ctl start` (a test restarting the server) finds
    # the same port and socket.
    cat >>"$data/cluster/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
max_connections = 400
shared_buffers = 64MB
CONF
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 start >&2 \
      || { cat "$data/server.log" >&2; exit 1; }
    echo "export PLAYBOOK_TEST_POSTGRES=postgres://playbook@127.0.0.1:$port/postgres"
    echo "export PLAYBOOK_TEST_PGDATA=$data"
    echo "export PLAYBOOK_TEST_PGBIN=$bin"
    ;;
  stop)
    data="${2:?usage: stop DATA_DIR}"
    bin="$(bin_dir)"
    if [ -d "$data/cluster" ]; then
      as_owner "$bin/pg_ctl" -D "$data/cluster" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$data"
    ;;
  *)
    echo "usage: $0 start | stop DATA_DIR" >&2
    exit 2
    ;;
esac
