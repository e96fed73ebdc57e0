#!/usr/bin/env bash
# The machine's Redis on 127.0.0.1:6379 (keeps nothing on disk). Starts it if stopped, installs it
# from Debian's packages if missing; `down` stops it only if this script started it.
set -euo pipefail
REDIS_PORT="${REDIS_PORT:-6379}"
NAME=redis && [[ "$REDIS_PORT" == 6379 ]] || NAME="redis-$REDIS_PORT"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

URL="redis://127.0.0.1:$REDIS_PORT"

usage() {
  cat <<EOF
Usage: scripts/infra/redis.sh up|down|status|url

  up      make sure Redis answers PONG on 127.0.0.1:$REDIS_PORT
          (starts redis-server if stopped; installs Debian's redis-server if missing)
  down    stop Redis, but only if 'up' started it (the machine's shared server stays up)
  status  say whether it answers (exit 0) or not (exit 3)
  url     print $URL

Environment: REDIS_PORT (default 6379; another port gets a server of its own).
EOF
}

ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

up() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
  fi
  if ready; then
    log "already up on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  local logfile=/var/log/redis/ci.log
  [[ "$REDIS_PORT" == 6379 ]] || logfile="/var/log/redis/ci-$REDIS_PORT.log"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT (log: $logfile)"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile "$logfile" >&2 || die "redis-server did not start (see $logfile)"
  mark_ours
  wait_for 15 "redis-cli -h 127.0.0.1 ping" ready
  log "up on 127.0.0.1:$REDIS_PORT"
}

down() {
  if ! ready; then
    unmark_ours
    log "already down"
  elif ! is_ours; then
    log "leaving the machine's Redis running (this script did not start it)"
  else
    log "stopping redis on 127.0.0.1:$REDIS_PORT (this script started it)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    wait_for 15 "redis shutdown" eval '! ready'
    unmark_ours
    log "down"
  fi
}

status() { report_status "127.0.0.1:$REDIS_PORT"; }

dispatch "$@"
