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
# Two workers on CI's two cores. worksteal: each worker starts on its own half of the files (so
# module fixtures are mostly set up once) and takes tests from the other when it runs dry, so one
# long file (the agent journeys) does not hold up the run. ACC_TEST_WORKERS=0 runs in one process.
python -m pytest -n "${ACC_TEST_WORKERS:-auto}" --dist worksteal "$@"
