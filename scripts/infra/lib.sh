# shellcheck shell=bash
# Helpers sourced by scripts/infra/*.sh (each sets NAME first). Not meant to be run.
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$INFRA_DIR/../.." && pwd)"
STATE_DIR="$ROOT/.cache/infra"   # <service>.ours exists while a service runs because we started it

log() { echo "$NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }

# wait_for SECONDS WHAT CMD...: retry CMD (quietly) every 0.2 s until it succeeds, or fail.
wait_for() {
  local secs=$1 what=$2 end=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what: no success within ${secs}s"
    sleep 0.2
  done
}

# apt_install PACKAGE...: install from Debian's packages.
apt_install() {
  [[ $(id -u) == 0 ]] || die "$* is not installed; run as root or: sudo apt-get install $*"
  log "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "$@"; } >&2 || die "apt-get install $* failed"
}

mark_ours() { mkdir -p "$STATE_DIR" && date -u +%FT%TZ >"$STATE_DIR/$NAME.ours"; }
is_ours() { [[ -f "$STATE_DIR/$NAME.ours" ]]; }
unmark_ours() { rm -f "$STATE_DIR/$NAME.ours"; }

# report_status ADDRESS: the `status` command of a service script that defines `ready`.
report_status() {
  if ready; then
    echo "$NAME: up on $1$(is_ours && echo ', started by this script')"
  else
    echo "$NAME: down"
    return 3
  fi
}

# dispatch "$@": the command line of a service script that defines up, down, usage and URL.
dispatch() {
  case "${1:-}" in
    up | down | status) "$1" ;;
    url) echo "$URL" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}
