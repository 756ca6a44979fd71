#!/usr/bin/env bash
# The main job, on a fresh machine: set up, create the local marketplace in registry-data/
# (SQLite and files, the embedded default), build, sign and publish the official plugins
# into it, then serve it on http://127.0.0.1:8080/ until Ctrl-C.
# Running it again reuses the registry and publishes only what changed.
#   PORT=9000 bash scripts/marketplace.sh      another port
#   REGISTRY_DATA_DIR=/srv/acc bash ...        another data directory
#   SERVE=0 bash scripts/marketplace.sh        set up and seed, do not serve
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

DATA="${REGISTRY_DATA_DIR:-$ROOT/registry-data}"
# Plugin builds are cached beside the registry unless the caller chose a cache.
export ACC_CACHE_DIR="${ACC_CACHE_DIR:-$DATA/cache}"

if [ ! -f "$DATA/keys/root.pem" ]; then
  echo "== create the marketplace in $DATA"
  acc registry init --data "$DATA"
fi
echo "== build, sign and publish the official plugins (cached after the first run)"
acc registry seed --data "$DATA"
if [ "${SERVE:-1}" = "0" ]; then
  echo "seeded; serve it with: acc registry serve --data $DATA"
  exit 0
fi
echo "== serving on http://127.0.0.1:${PORT:-8080}/  (browse it; Ctrl-C stops)"
exec acc registry serve --data "$DATA" --port "${PORT:-8080}"
