"""Which files of a project are tests, and which directories are not the project's own."""

from __future__ import annotations

import os

#: Directories that hold no source of the project's own (hidden ones are skipped too).
SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})


def is_test_file(path: str) -> bool:
    """test_*.py, *_test.py, conftest.py, or any file under a tests/ or test/ directory."""
    parts = path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in ("tests", "test") for part in parts[:-1])
    )


def skip_directory(parent: str, name: str) -> bool:
    return (
        name.startswith(".")
        or name in SKIP_DIRS
        or name.endswith(".egg-info")
        or os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))  # a virtualenv
    )
