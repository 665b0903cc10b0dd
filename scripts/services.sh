#!/usr/bin/env bash
# Real Redis and PostgreSQL servers for the tests, on 127.0.0.1, free ports, data in a temp dir.
#
#   eval "$(bash scripts/services.sh up)"   # installs what is missing, starts both, prints the exports
#   bash scripts/services.sh down           # stops what `up` started (by PID) and removes its temp dir
#
# stdout carries only the export lines (so `eval` is safe); every log line goes to stderr.
# Both commands are idempotent: `up` with servers still running prints the same exports again,
# `down` without a state file does nothing. The state file (PIDs, ports, dir) is keyed on this
# checkout's path, so two checkouts on one machine do not stop each other's servers.
set -Eeuo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state_id=$(printf '%s' "$repo" | cksum | cut -d' ' -f1)
state="${QWED_SERVICES_STATE:-${TMPDIR:-/tmp}/qwed-services-${state_id}.state}"

log () { printf 'services: %s\n' "$*" >&2; }

# As root (CI), PostgreSQL refuses to run: its commands run as the `postgres` user instead.
as_pg () {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bindir () {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then printf '%s\n' "$dir"; return 0; fi
  dir=$(command -v initdb 2>/dev/null || true)
  if [ -n "$dir" ]; then dirname "$dir"; return 0; fi
  return 1
}

install_missing () {
  local wanted=()
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || wanted+=(redis-server)
  pg_bindir >/dev/null || wanted+=(postgresql)
  [ "${#wanted[@]}" -eq 0 ] && return 0
  log "installing ${wanted[*]} (apt-get)"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  # The packages' own services may try to start; policy-rc.d refuses that in containers, which is fine.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${wanted[@]}" >&2
}

free_port () {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

alive () { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

print_exports () {
  printf 'export REDIS_URL=%q\n' "redis://127.0.0.1:${REDIS_PORT}"
  printf 'export DATABASE_URL=%q\n' "postgres://qwed:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/qwed"
  # Tests that start a private server of their own (to stop or restart it) find the binaries here.
  printf 'export QWED_PG_BINDIR=%q\n' "${PG_BINDIR}"
  printf 'export QWED_REDIS_SERVER=%q\n' "$(command -v redis-server)"
}

# Stops a PID and waits for it to go: `signal` first, SIGKILL after ~20 s.
stop_pid () {
  local pid=$1 signal=$2 i
  alive "$pid" || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for i in $(seq 1 200); do alive "$pid" || return 0; sleep 0.1; done
  log "pid $pid did not stop on SIG$signal; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

down () {
  if [ ! -f "$state" ]; then log "nothing to stop (no state file)"; return 0; fi
  # shellcheck disable=SC1090
  . "$state"
  stop_pid "${REDIS_PID:-}" TERM
  # SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is left to recover.
  stop_pid "${PG_PID:-}" INT
  case "${DIR:-}" in
    "${TMPDIR:-/tmp}"/qwed-services.*) rm -rf -- "$DIR" ;;
    *) [ -z "${DIR:-}" ] || log "not removing unexpected dir $DIR" ;;
  esac
  rm -f -- "$state"
  log "stopped"
}

up () {
  if [ -f "$state" ]; then
    # shellcheck disable=SC1090
    . "$state"
    if alive "${REDIS_PID:-}" && alive "${PG_PID:-}"; then
      log "already running (redis pid $REDIS_PID, postgres pid $PG_PID)"
      print_exports
      return 0
    fi
    log "a previous run is half gone; cleaning it up"
    down
  fi
  install_missing
  PG_BINDIR=$(pg_bindir) || { log "PostgreSQL binaries not found after install"; exit 1; }
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/qwed-services.XXXXXX")
  chmod 755 "$DIR"
  REDIS_PORT=$(free_port)
  PG_PORT=$(free_port)
  PG_PASSWORD=$(node -e "process.stdout.write(require('node:crypto').randomBytes(12).toString('hex'))")
  REDIS_PID=''
  PG_PID=''
  write_state () {
    {
      printf 'DIR=%q\nREDIS_PORT=%q\nPG_PORT=%q\nPG_PASSWORD=%q\nPG_BINDIR=%q\n' "$DIR" "$REDIS_PORT" "$PG_PORT" "$PG_PASSWORD" "$PG_BINDIR"
      printf 'REDIS_PID=%q\nPG_PID=%q\n' "$REDIS_PID" "$PG_PID"
    } > "$state"
    chmod 600 "$state"
  }
  write_state
  # From here a failure stops whatever did start.
  trap 'log "start failed; stopping what started"; down' ERR

  mkdir -p "$DIR/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" --save '' --appendonly no \
    --daemonize yes --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log" >&2
  local i
  for i in $(seq 1 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" = PONG ] && break
    sleep 0.1
  done
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" = PONG ] || { log "redis did not answer"; cat "$DIR/redis/redis.log" >&2 || true; false; }
  REDIS_PID=$(cat "$DIR/redis/redis.pid")
  write_state
  log "redis $(redis-server --version | sed -nE 's/.*v=([0-9.]+).*/\1/p') on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID)"

  mkdir -p "$DIR/pg"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR/pg"
  printf '%s\n' "$PG_PASSWORD" > "$DIR/pg/pwfile"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR/pg/pwfile"
  # Password (SCRAM) for TCP on loopback, peer/trust only on the private socket inside the temp dir.
  as_pg "$PG_BINDIR/initdb" -D "$DIR/pg/data" -U qwed --pwfile="$DIR/pg/pwfile" -E UTF8 --locale=C \
    --auth-host=scram-sha-256 --auth-local=trust --no-sync >/dev/null
  rm -f "$DIR/pg/pwfile"
  as_pg "$PG_BINDIR/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
  PG_PID=$(head -n 1 "$DIR/pg/data/postmaster.pid")
  write_state
  for i in $(seq 1 100); do
    "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.1
  done
  "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || { log "postgres did not answer"; false; }
  as_pg "$PG_BINDIR/createdb" -h "$DIR/pg" -p "$PG_PORT" -U qwed qwed
  log "postgres $("$PG_BINDIR/postgres" --version | sed -nE 's/.* ([0-9.]+).*/\1/p') on 127.0.0.1:$PG_PORT (pid $PG_PID)"
  trap - ERR
  print_exports
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
