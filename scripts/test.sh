#!/usr/bin/env bash
# Set up and run every check: ruff, mypy, then the test suite (real wasmtime, real
# componentize-py builds). Plugin builds and compiled components are cached in
# .acc-test-cache/ by content hash, so a second run skips them.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

echo "== ruff (lint and format)"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== pytest"
python -m pytest "$@"
