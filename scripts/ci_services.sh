#!/usr/bin/env bash
# Sourced by .ci/run: install and start what the tests need beyond Python, from Debian's
# packages: a PostgreSQL server (the registry's API suite runs against it too),
# Chromium with ChromeDriver (the web pages are tested in a real headless browser), and
# bubblewrap with util-linux's prlimit (the OS sandbox around programs plugins run); and
# from the npm registry the MCP Inspector, the second MCP client `acc mcp serve` is tested
# with. Exports ACC_TEST_POSTGRES_URL and ACC_TEST_MCP_INSPECTOR for the tests. Safe to
# run again: it reuses what it finds.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
[ -x /usr/bin/bwrap ] || need+=(bubblewrap)
[ -x /usr/bin/prlimit ] || need+=(util-linux)
command -v npm >/dev/null || need+=(nodejs npm)
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
# Tests drop their databases WITH (FORCE); that must be able to end any session still on
# one (an autovacuum worker's included), which needs pg_signal_backend.
as_postgres "psql -qc \"set client_min_messages = warning; grant pg_signal_backend to acc\"" >/dev/null
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
export ACC_TEST_POSTGRES_URL="postgresql+psycopg://acc:acc@127.0.0.1:${port}/postgres"
echo "== PostgreSQL $version on port $port"

# The MCP Inspector's CLI, into a cache outside the repository (node_modules never enter
# git). 0.15.0 is the last release that runs on Node 20; later ones need Node 22.
inspector_version=0.15.0
inspector_dir="${ACC_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acc-ci/npm}/inspector-$inspector_version"
if [ ! -x "$inspector_dir/node_modules/.bin/mcp-inspector" ]; then
  echo "== npm install @modelcontextprotocol/inspector@$inspector_version"
  npm install --prefix "$inspector_dir" --no-audit --no-fund --loglevel=error \
    "@modelcontextprotocol/inspector@$inspector_version" >/dev/null
fi
export ACC_TEST_MCP_INSPECTOR="$inspector_dir/node_modules/.bin/mcp-inspector"
echo "== MCP Inspector $inspector_version in $inspector_dir"
