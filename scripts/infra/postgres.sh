#!/usr/bin/env bash
# The machine's PostgreSQL on 127.0.0.1:5432 (trust auth), with a test database. Starts it if stopped,
# installs it from Debian's packages if missing; `down` stops it only if this script started it.
set -euo pipefail
NAME=postgres
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_DB="${PG_DB:-cschat_test}"
URL="postgres://postgres@127.0.0.1:5432/$PG_DB"

usage() {
  cat <<EOF
Usage: scripts/infra/postgres.sh up|down|status|url

  up      make sure PostgreSQL answers on 127.0.0.1:5432 and database $PG_DB exists
          (starts the installed cluster if stopped; installs Debian's postgresql if missing)
  down    stop PostgreSQL, but only if 'up' started it (the machine's shared server stays up)
  status  say whether it answers (exit 0) or not (exit 3)
  url     print $URL

Environment: PG_DB (database name, default cschat_test).
EOF
}

ready() { pg_isready -q -h 127.0.0.1 -p 5432; }
cluster_version() { # shellcheck disable=SC2012
  ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -tA "$@"; }

trust_loopback() {  # a fresh Debian install wants passwords over TCP; tests expect trust on loopback
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' \
    "/etc/postgresql/$1/main/pg_hba.conf"
}

up() {
  if ready; then
    log "already up on 127.0.0.1:5432"
  else
    if ! command -v pg_ctlcluster >/dev/null; then
      apt_install postgresql
      [[ -n "$(cluster_version)" ]] && trust_loopback "$(cluster_version)"
      # the package may have started the cluster already: make it read the new pg_hba.conf
      if ready; then pg_ctlcluster --skip-systemctl-redirect "$(cluster_version)" main reload >&2; fi
    fi
    local v
    v="$(cluster_version)"
    [[ -n "$v" ]] || die "no cluster in /etc/postgresql (create one: pg_createcluster <version> main)"
    if ! ready; then
      log "starting cluster $v/main"
      pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || die "pg_ctlcluster $v main start failed"
    fi
    mark_ours
    wait_for 30 "pg_isready -h 127.0.0.1" ready
    log "up on 127.0.0.1:5432"
  fi
  if [[ "$(psql_q -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
    log "creating database $PG_DB"
    psql_q -c "CREATE DATABASE \"$PG_DB\"" >&2 || die "could not create database $PG_DB"
  fi
}

down() {
  if ! ready; then
    unmark_ours
    log "already down"
  elif ! is_ours; then
    log "leaving the machine's PostgreSQL running (this script did not start it)"
  else
    log "stopping cluster $(cluster_version)/main (this script started it)"
    pg_ctlcluster --skip-systemctl-redirect "$(cluster_version)" main stop >&2 || die "pg_ctlcluster stop failed"
    unmark_ours
    log "down"
  fi
}

status() { report_status "127.0.0.1:5432"; }

dispatch "$@"
