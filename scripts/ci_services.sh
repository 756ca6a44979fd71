#!/usr/bin/env bash
# Sourced by .ci/run: install and start what the tests need beyond Python, from Debian's
# packages: a PostgreSQL server (the registry's API suite runs against it too),
# Chromium with ChromeDriver (the web pages are tested in a real headless browser), and
# bubblewrap with util-linux's prlimit (the OS sandbox around programs plugins run).
# Exports ACC_TEST_POSTGRES_URL for the tests. Safe to run again: it reuses what it finds.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ -x /usr/bin/bwrap ] || need+=(bubblewrap)
[ -x /usr/bin/prlimit ] || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
as_postgres() { (cd / && su postgres -c "$1"); }  # cd: postgres may not enter the caller's directory
for _ in $(seq 1 50); do
  as_postgres "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
as_postgres "psql -qtAc \"select 1 from pg_roles where rolname = 'acc'\"" | grep -q 1 \
  || as_postgres "psql -qc \"create role acc login createdb password 'acc'\"" >/dev/null
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
export ACC_TEST_POSTGRES_URL="postgresql+psycopg://acc:acc@127.0.0.1:${port}/postgres"
echo "== PostgreSQL $version on port $port"
