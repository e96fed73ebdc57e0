#!/usr/bin/env bash
# Stops what scripts/infra/up.sh brought up (Kafka always stops; the machine's PostgreSQL and Redis
# only if up.sh had to start them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

case "${1:-}" in -h | --help)
  cat <<'EOF'
Usage: scripts/infra/down.sh [postgres] [redis] [kafka]
  (default: what up.sh brought up, or all three when that is not known)

Runs '<service>.sh down' for each. Kafka stops; PostgreSQL and Redis stop only if these scripts
started them (otherwise they are the machine's shared servers and stay up). Safe to run twice.
EOF
  exit 0 ;;
esac

list=../../.cache/infra/up.services
services=("$@")
if ((${#services[@]} == 0)); then
  if [[ -s "$list" ]]; then mapfile -t services <"$list"; else services=(postgres redis kafka); fi
fi
status=0
for ((i = ${#services[@]} - 1; i >= 0; i--)); do  # reverse order of up
  s="${services[i]}"
  [[ "$s" =~ ^(postgres|redis|kafka)$ ]] || { echo "down.sh: unknown service '$s' (postgres, redis, kafka)" >&2; exit 2; }
  if "./$s.sh" down; then
    [[ -f "$list" ]] && sed -i "/^$s\$/d" "$list"
  else
    status=1
  fi
done
exit "$status"
