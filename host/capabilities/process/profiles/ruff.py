"""The host's profile of `ruff`: lint and format the project's Python, reporting, never writing.

Ruff reads the project's files and its own configuration (`ruff.toml`, `.ruff.toml`,
`[tool.ruff]` in pyproject.toml), none of which can run code. What a plugin must not
get through it is a write (ruff rewrites files with `format`, `check --fix`,
`--add-noqa`; it keeps a cache and writes `--output-file`), configuration of the
plugin's choosing (`--config FILE` or `--config KEY=VALUE`), or a file outside the
project. So the arguments are an allowlist:

- `ruff format --diff|--check [OPTIONS] [PATHS]`: the changes formatting would make, as
  a unified diff, or only whether there are any;
- `ruff check [OPTIONS] [PATHS]`, with `--fix` only together with `--diff` (the fixes as
  a diff, nothing written);
- `ruff version`;
- options: rule selection (`--select`, `--ignore`, ... with rule codes), `--line-length`,
  `--target-version`, `--preview`, `--output-format`, `--exclude` patterns, and a few
  report flags; every path inside the project (lexically and resolved).

The OS sandbox shows ruff the project read-only (no call of this profile writes).
acc adds `--no-cache` (ruff would write `.ruff_cache/` into the project), puts the paths
after `--` (a file named `--fix` is a file), and, when the project has no ruff
configuration of its own while a directory above it does, `--isolated`: ruff otherwise
walks up out of the project and uses whatever configuration it finds there. The plugin
applies changes, if at all, through its own grants (the format plugin asks the files
plugin to apply ruff's diff).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from host.capabilities.errors import Denied, Invalid
from host.capabilities.process.engine import ProgramProfile
from host.capabilities.process.engine import inside as _inside
from host.capabilities.process.profiles.python import interpreter_paths

__all__ = ["PROFILE", "check_ruff_args"]

SUBCOMMANDS = frozenset({"check", "format", "version"})

_COMMON_FLAGS = frozenset({"--preview", "--no-preview", "--force-exclude", "--respect-gitignore", "-q", "--quiet"})
_FLAGS = {
    "format": _COMMON_FLAGS | {"--check", "--diff", "--exit-non-zero-on-format"},
    "check": _COMMON_FLAGS
    | {
        "--fix", "--no-fix", "--unsafe-fixes", "--no-unsafe-fixes", "--show-fixes", "--no-show-fixes", "--diff",
        "--statistics", "-e", "--exit-zero", "--exit-non-zero-on-fix", "--ignore-noqa",
    },
}  # fmt: skip

_CODES = re.compile(r"(?:ALL|[A-Z]{1,4}[0-9]{0,4})(?:,(?:ALL|[A-Z]{1,4}[0-9]{0,4}))*")
_OUTPUT_FORMATS = frozenset(
    {"concise", "full", "json", "json-lines", "junit", "grouped", "github", "gitlab", "pylint", "rdjson", "sarif"}
)
_VALUED_COMMON = {
    "--line-length": re.compile(r"[1-9][0-9]{0,2}"),
    "--target-version": re.compile(r"py3[0-9]{1,2}"),
    "--exclude": None,
    "--extend-exclude": None,
    "--output-format": None,
}
_VALUED = {
    "format": _VALUED_COMMON,
    "check": {
        **_VALUED_COMMON,
        **{name: _CODES for name in ("--select", "--ignore", "--extend-select", "--fixable", "--unfixable",
                                     "--extend-fixable")},
    },
}  # fmt: skip

_REFUSED = {
    "--config": "ruff reads only the project's own configuration",
    "--cache-dir": "acc runs ruff without a cache (it would be written into the project)",
    "--no-cache": "acc adds it itself",
    "-n": "acc adds --no-cache itself",
    "--isolated": "acc decides which configuration ruff reads",
    "-o": "it writes a file",
    "--output-file": "it writes a file",
    "--stdin-filename": "acc gives ruff the project's files, not stdin",
    "-w": "it runs until stopped",
    "--watch": "it runs until stopped",
    "--fix-only": "it writes the project's files; ask for --fix --diff and apply the diff yourself",
    "--add-noqa": "it writes the project's files",
    "--add-ignore": "it writes the project's files",
    "--show-settings": "not needed",
    "--show-files": "not needed",
}

_CONFIG_FILES = ("ruff.toml", ".ruff.toml", "pyproject.toml")
_MAX_CONFIG_BYTES = 1024 * 1024


def check_ruff_args(args: list[str], project_dir: Path) -> list[str]:
    """Validate a plugin's ruff arguments; return the argv tail acc runs (see the module docstring)."""
    if not args or args[0] not in SUBCOMMANDS:
        first = args[0] if args else "(nothing)"
        raise Denied(f"acc runs ruff only as ruff check, ruff format --diff/--check or ruff version, not {first!r}")
    subcommand, rest = args[0], args[1:]
    if subcommand == "version":
        if rest:
            raise Denied("ruff version takes no arguments here")
        return ["version"]
    options: list[str] = []
    paths: list[str] = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if token.startswith("@") or token == "--":
            raise Denied(f"ruff argument {token!r} is not allowed: give options, then paths inside the project")
        if not token.startswith("-"):
            if not _inside(token, project_dir):
                raise Denied(f"ruff path {token!r} is outside the project")
            paths.append(token)
            index += 1
            continue
        name, has_value, value = token.partition("=")
        if name in _REFUSED:
            raise Denied(f"ruff option {name} is not allowed: {_REFUSED[name]}")
        if name in _FLAGS[subcommand] and not has_value:
            options.append(name)
            index += 1
            continue
        if name not in _VALUED[subcommand]:
            raise Denied(f"ruff {subcommand} option {name} is not allowed; acc allows: {_allowed(subcommand)}")
        if not has_value:
            if index + 1 >= len(rest):
                raise Invalid(f"ruff option {name} needs a value")
            value = rest[index + 1]
            index += 1
        _check_value(name, value, _VALUED[subcommand][name])
        options.append(f"{name}={value}")
        index += 1
    _check_writes_nothing(subcommand, options)
    pinned = ["--no-cache"]
    if not _has_ruff_config(project_dir) and _config_above(project_dir):
        pinned.append("--isolated")
    return [subcommand, *pinned, *options, "--", *paths]


def _check_value(name: str, value: str, pattern: re.Pattern[str] | None) -> None:
    if value.startswith(("-", "@")) or not value or "\0" in value:
        raise Denied(f"the value of ruff option {name} must not be empty or start with '-' or '@' (got {value!r})")
    if name == "--output-format" and value not in _OUTPUT_FORMATS:
        raise Invalid(f"ruff option --output-format takes one of {', '.join(sorted(_OUTPUT_FORMATS))}")
    if pattern is not None and not pattern.fullmatch(value):
        raise Invalid(f"ruff option {name} does not take {value!r}")


def _check_writes_nothing(subcommand: str, options: list[str]) -> None:
    if subcommand == "format" and "--diff" not in options and "--check" not in options:
        raise Denied(
            "ruff format rewrites the project's files: acc runs it only with --diff (the changes as a diff) or "
            "--check; apply the diff through the plugin's own grants"
        )
    if subcommand == "check" and "--fix" in options and "--diff" not in options:
        raise Denied(
            "ruff check --fix rewrites the project's files: acc runs it only with --diff (the fixes as a diff); "
            "apply the diff through the plugin's own grants"
        )


def _allowed(subcommand: str) -> str:
    return ", ".join(sorted(_FLAGS[subcommand] | set(_VALUED[subcommand])))


def _has_ruff_config(directory: Path) -> bool:
    if (directory / "ruff.toml").is_file() or (directory / ".ruff.toml").is_file():
        return True
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        with open(pyproject, "rb") as file:
            data = file.read(_MAX_CONFIG_BYTES + 1)
        if len(data) > _MAX_CONFIG_BYTES:
            return True
        tool = tomllib.loads(data.decode("utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # ruff stops there with an error, inside the project
    return isinstance(tool, dict) and "ruff" in tool


def _config_above(project_dir: Path) -> bool:
    return any(os.path.lexists(parent / name) for parent in project_dir.parents for name in _CONFIG_FILES)


PROFILE = ProgramProfile(
    check_args=check_ruff_args,
    # ruff is a binary, often in the venv acc runs from: the sandbox shows that venv.
    read_only_paths=interpreter_paths,
    search_interpreter_dir=True,
    subcommands=SUBCOMMANDS,
    warning="reads the project's Python files and ruff configuration; acc lets it report changes, never write them",
)
