"""What `acc plugin build` checks in CPython before componentize-py runs: a second, not a minute.

componentize-py reports a syntax error after about a minute, as a Rust backtrace without
the line, and a command missing from plugin.toml only once its build is done. Both are
found here by reading the source, without running any of it (a plugin's code runs only
inside its component):

- every module the plugin's module imports from its own directory (and the module itself)
  must parse: a syntax error is reported as `file:line:column`, with the line;
- the commands registered with `@acc_plugin.command(...)` in those modules must be exactly
  the `[[commands]]` of plugin.toml.

The check reads what it can be sure of: a command registered in a way the source does not
spell out (a name computed at run time, a registration outside a decorator) leaves the
command comparison to the generated entry module, which makes the same comparison inside
the build. Syntax is checked by this Python; the component runs a newer one
(`GUEST_PYTHON`), so code using syntax newer than this Python can be built with the
check skipped.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sdk.errors import BuildError
from sdk.manifest import Manifest

#: The CPython that componentize-py 0.25 embeds in every component.
GUEST_PYTHON = (3, 14)
_MAX_SOURCE_BYTES = 8 * 1024 * 1024


@dataclass
class Registrations:
    """The commands the source registers, and where it registers them in a way that cannot be
    read without running it (a computed name, `command` passed around)."""

    commands: dict[str, str] = field(default_factory=dict)  # command -> "file:line"
    unreadable: list[str] = field(default_factory=list)  # "file:line"

    @property
    def certain(self) -> bool:
        return not self.unreadable


def precheck(source: Path, manifest: Manifest) -> Registrations:
    """Raise `BuildError` for a syntax error or a command plugin.toml does not match."""
    registrations = read_registrations(source, manifest.module)
    if registrations.certain:
        _compare(manifest, registrations)
    return registrations


def read_registrations(source: Path, module: str) -> Registrations:
    """The commands that `module` and the modules it imports from `source` register, read from
    their syntax trees (`acc plugin build` and `acc plugin validate` alike). Raises
    `BuildError` at the first file that does not parse."""
    registrations = Registrations()
    for path, tree in _reachable_modules(source, module).items():
        _collect(tree, path.relative_to(source).as_posix(), registrations)
    return registrations


def _parse(path: Path, source: Path) -> ast.Module:
    relative = path.relative_to(source).as_posix()
    data = path.read_bytes()
    if len(data) > _MAX_SOURCE_BYTES:
        raise BuildError(f"{relative} is larger than {_MAX_SOURCE_BYTES} bytes")
    try:
        return ast.parse(data, filename=relative)
    except SyntaxError as e:
        raise _syntax_error(relative, e) from None
    except ValueError as e:  # NUL bytes, an encoding Python does not know
        raise BuildError(f"{relative}: {e}", hint="fix the file and build again") from None


def _syntax_error(relative: str, error: SyntaxError) -> BuildError:
    where = f"{relative}:{error.lineno or 1}:{error.offset or 1}"
    text = (error.text or "").rstrip("\n")
    excerpt = ""
    if text.strip():
        indent = len(text) - len(text.lstrip())
        caret = " " * max((error.offset or 1) - 1 - indent, 0) + "^"
        excerpt = f"\n    {text.strip()}\n    {caret}"
    this = sys.version_info[:2]
    hint = "fix it and build again"
    if this < GUEST_PYTHON:
        guest = ".".join(map(str, GUEST_PYTHON))
        hint += (
            f" (checked by Python {this[0]}.{this[1]}; plugins run Python {guest}: if this is newer syntax, "
            "build with --skip-precheck)"
        )
    return BuildError(f"{where}: syntax error: {error.msg}{excerpt}", hint=hint)


# -- which modules the plugin's module imports from its own directory -------------------------


def _reachable_modules(source: Path, module: str) -> dict[Path, ast.Module]:
    """The plugin's module and, transitively, the modules it imports that live in `source`."""
    found: dict[Path, ast.Module] = {}
    pending = [module]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(source, name)
        if path is None or path in found:
            continue
        tree = _parse(path, source)
        found[path] = tree
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        pending += _imported_names(tree, package)
    return found


def _module_file(source: Path, name: str) -> Path | None:
    base = source.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.Module, package: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names += [".".join(parts[: i + 1]) for i in range(len(parts))]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, package)
            if base is None:
                continue
            if base:
                parts = base.split(".")
                names += [".".join(parts[: i + 1]) for i in range(len(parts))]
            names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*"]
    return names


def _absolute(module: str, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


# -- which commands the modules register -------------------------------------------------------


def _collect(tree: ast.Module, relative: str, found: Registrations) -> None:
    """Add the commands `tree` registers; mark the result uncertain where the source is not plain."""
    module_aliases, function_aliases = _acc_plugin_names(tree)
    if not module_aliases and not function_aliases:
        return

    def is_command(func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in function_aliases
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "command"
            and isinstance(func.value, ast.Name)
            and func.value.id in module_aliases
        )

    callees: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and is_command(decorator.func)):
                continue
            callees.add(id(decorator.func))
            name = _command_name(decorator, node.name)
            if name is None:
                found.unreadable.append(f"{relative}:{node.lineno}")
                continue
            found.commands.setdefault(name, f"{relative}:{node.lineno}")
    for node in ast.walk(tree):  # `command` used any other way: registrations we cannot read
        if isinstance(node, ast.Name | ast.Attribute) and is_command(node) and id(node) not in callees:
            found.unreadable.append(f"{relative}:{node.lineno}")


def _acc_plugin_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the acc_plugin module, and to its `command` function."""
    modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "acc_plugin"}
        elif isinstance(node, ast.ImportFrom) and node.module == "acc_plugin" and node.level == 0:
            functions |= {alias.asname or alias.name for alias in node.names if alias.name == "command"}
    return modules, functions


def _command_name(call: ast.Call, function: str) -> str | None:
    arguments = [*call.args, *(k.value for k in call.keywords if k.arg == "name")]
    if len(arguments) > 1 or any(k.arg not in (None, "name") for k in call.keywords):
        return None
    if not arguments:
        return function.replace("_", "-")
    value = arguments[0]
    if isinstance(value, ast.Constant) and value.value is None:
        return function.replace("_", "-")
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _compare(manifest: Manifest, found: Registrations) -> None:
    declared = {c.name for c in manifest.commands}
    missing = sorted(declared - set(found.commands))
    extra = sorted(set(found.commands) - declared)
    if not missing and not extra:
        return
    problems = []
    if missing:
        problems.append(
            f"plugin.toml declares {', '.join(missing)} but {manifest.module} registers no such command"
            + ("s" if len(missing) > 1 else "")
        )
    if extra:
        problems += [f"{found.commands[name]} registers {name!r}, which plugin.toml does not declare" for name in extra]
    raise BuildError(
        "; ".join(problems),
        hint="every [[commands]] entry needs an @acc_plugin.command function and vice versa",
    )
