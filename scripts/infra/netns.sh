#!/usr/bin/env bash
# Network namespaces for the test hosts (test-support/hosts.ts): installs iproute2 when `ip` is
# missing, says whether namespaces work on this machine, and sweeps what a killed test run left.
set -euo pipefail
NAME=netns
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# test-support/hosts.ts names its bridge <id>br with this alias, its veths <id>v<n>, namespaces <id>-<host>
ALIAS_PREFIX="cschat-test-hosts pid="

usage() {
  cat <<EOF
Usage: scripts/infra/netns.sh ensure|check|sweep

  ensure  install Debian's iproute2 when the 'ip' command is missing (nothing to do otherwise)
  check   say whether network namespaces, veth pairs and bridges work here: exit 0 if they do;
          exit 3 and print the exact error if not (the test hosts then fall back to 127.0.x.y)
  sweep   remove the namespaces, veths and bridges of test-host runs whose process is gone
          (a run killed with SIGKILL cannot clean up after itself); live runs are left alone
EOF
}

ensure() {
  if command -v ip >/dev/null; then
    log "iproute2 present ($(ip -V 2>&1 | head -n 1))"
  else
    apt_install iproute2
    command -v ip >/dev/null || die "iproute2 installed, but 'ip' is still not on the PATH"
  fi
}

check() {
  command -v ip >/dev/null || { echo "netns: no 'ip' command (run: scripts/infra/netns.sh ensure)"; return 3; }
  local id="cschk$$" out
  # each step's own error is the answer; undo whatever was made, whichever step failed
  if ! out=$({ ip netns add "$id" &&
    ip link add "${id}v" type veth peer name eth0 netns "$id" &&
    ip link add name "${id}b" type bridge &&
    ip link set "${id}v" master "${id}b" &&
    ip -n "$id" route add blackhole 10.255.255.1/32; } 2>&1); then
    ip link del "${id}b" 2>/dev/null || true
    ip link del "${id}v" 2>/dev/null || true
    ip netns del "$id" 2>/dev/null || true
    echo "netns: network namespaces do not work here: $out"
    return 3
  fi
  ip link del "${id}b"
  ip link del "${id}v"
  ip netns del "$id"
  echo "netns: network namespaces, veth pairs, bridges and blackhole routes work here"
}

sweep() {
  command -v ip >/dev/null || { log "no 'ip' command: nothing to sweep"; return 0; }
  local line bridge pid id ns link swept=0
  while IFS= read -r line; do
    [[ "$line" == *"alias $ALIAS_PREFIX"* ]] || continue
    bridge=$(awk -F': ' '{print $2}' <<<"$line")
    bridge=${bridge%%@*}
    pid=${line##*"$ALIAS_PREFIX"}
    pid=${pid%%[!0-9]*}
    [[ -n "$pid" && -d "/proc/$pid" ]] && continue # its run is still alive
    id=${bridge%br}
    for ns in $(ip netns list | awk '{print $1}' | grep "^$id-" || true); do
      # the processes of a dead run's host (a server it started), which keep the namespace alive
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns del "$ns" || true
    done
    for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^${id}v" || true); do
      ip link del "$link" 2>/dev/null || true
    done
    ip link del "$bridge" || true
    log "removed test hosts $id (pid $pid is gone)"
    swept=$((swept + 1))
  done < <(ip -o link show type bridge)
  log "swept $swept dead run(s)"
}

case "${1:-}" in
  ensure | check | sweep) "$1" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
