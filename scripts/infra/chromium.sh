#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; browsers are never downloaded).
# `up` installs the `chromium` package when /usr/bin/chromium is missing, and a small CJK font
# (fonts-wqy-microhei) so that Chinese text in screenshots is drawn, not boxes.
set -euo pipefail
NAME=chromium
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY=/usr/bin/chromium
CJK_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

cjk_font() {
  [[ -f "$CJK_FONT" ]] || (apt_install fonts-wqy-microhei) || log "no CJK font (screenshots show boxes for Chinese)"
}

usage() {
  cat <<EOF
Usage: scripts/infra/chromium.sh up|status|path

  up      make sure $BINARY exists (installs Debian's chromium package if missing)
  status  say whether it is there (exit 0) or not (exit 3)
  path    print $BINARY
EOF
}

case "${1:-}" in
  up)
    cjk_font
    if [[ -x "$BINARY" ]]; then
      log "already installed: $("$BINARY" --version 2>/dev/null || echo chromium)"
      exit 0
    fi
    apt_install chromium
    [[ -x "$BINARY" ]] || die "chromium was installed but $BINARY is missing"
    log "installed: $("$BINARY" --version 2>/dev/null || echo chromium)"
    ;;
  status)
    if [[ -x "$BINARY" ]]; then
      echo "chromium: $BINARY"
      exit 0
    fi
    echo "chromium: not installed"
    exit 3
    ;;
  path) echo "$BINARY" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
