#!/usr/bin/env bash
# Brings the test services up and prints their export lines on stdout (progress goes to stderr):
#   eval "$(scripts/infra/up.sh)"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

case "${1:-}" in -h | --help)
  cat <<'EOF'
Usage: scripts/infra/up.sh [postgres] [redis] [kafka]   (default: all three)

Makes sure iproute2 is installed (netns.sh ensure, for the test hosts' network namespaces),
runs '<service>.sh up' for each, then prints what env.sh prints:
  export DATABASE_URL=... / REDIS_URL=... / KAFKA_BROKERS=...
so that  eval "$(scripts/infra/up.sh)"  sets them. scripts/infra/down.sh stops them again.
EOF
  exit 0 ;;
esac

# on failure print `false`, so that  eval "$(scripts/infra/up.sh)"  fails too instead of eval'ing nothing
trap 'echo false' ERR

services=("$@")
((${#services[@]})) || services=(postgres redis kafka)
for s in "${services[@]}"; do
  [[ "$s" =~ ^(postgres|redis|kafka)$ ]] || { echo "up.sh: unknown service '$s' (postgres, redis, kafka)" >&2; exit 2; }
done
mkdir -p ../../.cache/infra
# iproute2 for the test hosts' network namespaces (test-support/hosts.ts); a no-op when `ip` is there
./netns.sh ensure >&2
for s in "${services[@]}"; do
  "./$s.sh" up >&2
  # remember what up.sh brought up, for down.sh
  grep -qx "$s" ../../.cache/infra/up.services 2>/dev/null || echo "$s" >>../../.cache/infra/up.services
done
./env.sh "${services[@]}"
