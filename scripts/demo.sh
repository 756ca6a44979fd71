#!/usr/bin/env bash
# The main job, on a fresh machine: set up, build the example plugin, sign it with a
# demo key, trust that key, install the plugin and run it on this repository.
# Everything it makes lives in ACC_DEMO_DIR (default ~/.cache/acc-demo), outside the
# repository: acc refuses to run a plugin on a project that holds its own ACC_HOME,
# trusted keys or compiled cache. Running it again reuses what it made.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

DEMO="${ACC_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/acc-demo}"
export ACC_HOME="$DEMO/home"
unset ACC_CACHE_DIR  # the cache goes with this home, outside the repository too
mkdir -p "$DEMO"

echo "== build the example plugin (official_plugins/example)"
acc plugin build official_plugins/example -o "$DEMO"
ARCHIVE="$DEMO/project-stats-1.0.0.plugin"

echo "== sign it with a demo publisher key, and trust that key"
[ -f "$DEMO/publisher.key" ] || acc plugin keygen --out "$DEMO/publisher.key"
acc plugin sign "$ARCHIVE" --key "$DEMO/publisher.key"
acc trust add "$DEMO/publisher.key.pub" --label demo-publisher
acc plugin verify "$ARCHIVE"

echo "== install it (the consent answers come from --yes)"
acc plugin install "$ARCHIVE" --yes --reinstall
acc plugin list

echo "== which OS sandbox confines the programs it runs (git)"
acc doctor

echo "== run it on this repository"
acc plugin run project-stats summary --input '{"path": "."}' --project "$ROOT" --quiet
acc plugin run project-stats git-info --project "$ROOT" --quiet
echo "done: ACC_HOME=$ACC_HOME holds the installed plugin; try: ACC_HOME=$ACC_HOME .venv/bin/acc plugin info project-stats"
