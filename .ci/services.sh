#!/usr/bin/env bash
# Installs (Debian packages) and starts PostgreSQL and Redis on loopback for the tests that run
# against real servers, then prints the variables those tests read. Use:
#   eval "$(.ci/services.sh)"
# Idempotent: servers already running are reused. Needs root (apt-get) to install.
set -euo pipefail
log() { echo "services: $*" >&2; }

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "cannot install ${need[*]} (not root or no apt-get); those tests will be skipped"
    exit 0
  fi
  log "installing ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: Debian's default cluster listens on localhost only.
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main >&2
  pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -h 127.0.0.1" && break
  sleep 0.5
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='addin'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE addin LOGIN PASSWORD 'addin' CREATEDB\"" >&2
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='addin_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O addin addin_test" >&2

# Redis: no persistence, loopback only.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --logfile /tmp/addin-test-redis.log >&2
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

echo "export PG_TEST_URL=postgresql+psycopg://addin:addin@127.0.0.1:5432/addin_test"
echo "export REDIS_TEST_URL=redis://127.0.0.1:6379/15"
