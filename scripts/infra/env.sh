#!/usr/bin/env bash
# Prints `export VAR=value` lines for the test services (starts nothing): eval "$(scripts/infra/env.sh)"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

case "${1:-}" in -h | --help)
  cat <<EOF
Usage: scripts/infra/env.sh [postgres] [redis] [kafka]   (default: all three)

Prints, without starting anything:
  export DATABASE_URL=$(./postgres.sh url)
  export REDIS_URL=$(./redis.sh url)
  export KAFKA_BROKERS=$(./kafka.sh url)
Use: eval "\$(scripts/infra/env.sh)"
EOF
  exit 0 ;;
esac

services=("$@")
((${#services[@]})) || services=(postgres redis kafka)
for s in "${services[@]}"; do
  case "$s" in
    postgres) var=DATABASE_URL ;;
    redis) var=REDIS_URL ;;
    kafka) var=KAFKA_BROKERS ;;
    *) echo "env.sh: unknown service '$s' (postgres, redis, kafka)" >&2; exit 2 ;;
  esac
  url="$("./$s.sh" url)"
  printf 'export %s=%q\n' "$var" "$url"
done
