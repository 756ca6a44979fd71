"""plugin.toml: parsing and validating a plugin's manifest.

The manifest is the contract a user consents to: its `[capabilities]` become the
component's imports (`sdk.world`), the host's grants (`host.consent`) and what the
consent prompt shows. Parsing is strict: an unknown field is an error, because a
misspelled capability scope that was silently ignored would widen or narrow a grant
without the author noticing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from sdk.abi import ABI_VERSION
from sdk.capabilities import Capability, parse_capability
from sdk.errors import ManifestError
from sdk.names import check_name, module_name
from sdk.python_packages import PythonPackage, parse_packages
from sdk.schema_patterns import check_schema_patterns
from sdk.terminal_text import refuse_unsafe_text

MAX_MANIFEST_BYTES = 256 * 1024
MAX_COMMANDS = 128
_VERDICT_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_SECONDS = 30.0
#: The largest `[limits] fuel` a manifest may ask for (wasmtime's fuel is a u64).
MAX_FUEL = 10**15


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    input_schema: Mapping[str, Any]
    #: The top-level boolean field of the command's result that says whether what it
    #: checked passed (`verdict = "passed"`); `acc plugin run` exits 1 when it is false.
    #: None: the command is not a check, and its exit status says only that it ran.
    verdict: str | None = None
    #: The JSON Schema of the command's result (`[commands.output]`), when the author
    #: declares one: MCP clients get it as the tool's output schema. An object schema.
    output_schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Limits:
    """What a plugin asks of the host's limits; the host's policy caps each of them."""

    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    #: Instructions (wasmtime fuel) per call; None: not metered unless the host's policy is.
    fuel: int | None = None


@dataclass(frozen=True)
class Manifest:
    name: str
    version: Version
    description: str
    api: SpecifierSet
    license: str = ""
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    homepage: str = ""
    #: Where the plugin's source lives (a URL), as `homepage` is where its documentation is.
    repository: str = ""
    module: str = ""
    capabilities: Mapping[str, Capability] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    dependencies: Mapping[str, SpecifierSet] = field(default_factory=dict)
    commands: tuple[Command, ...] = ()
    #: Pure-Python packages from PyPI bundled into the component (`[python] packages`).
    python_packages: tuple[PythonPackage, ...] = ()

    def command(self, name: str) -> Command | None:
        return next((c for c in self.commands if c.name == name), None)

    @property
    def archive_name(self) -> str:
        return f"{self.name}-{self.version}.plugin"

    def supports_abi(self, abi: Version = ABI_VERSION) -> bool:
        return self.api.contains(abi, prereleases=True)


_TOP_LEVEL = {
    "name",
    "version",
    "description",
    "license",
    "authors",
    "keywords",
    "categories",
    "homepage",
    "repository",
    "api",
    "module",
    "capabilities",
    "limits",
    "dependencies",
    "commands",
    "python",
}


def load_manifest(text: str | bytes, *, source: str = "plugin.toml", check_schemas: bool = True) -> Manifest:
    """Parse and validate a manifest; raise `ManifestError` naming the first problem.

    `check_schemas=False` skips the JSON-Schema meta-check of each command's input
    schema (about 0.7 ms a command): only for manifests already checked at install.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{source} is larger than {MAX_MANIFEST_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ManifestError(f"{source} is not UTF-8 text") from e
    if len(text) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{source} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{source} is not valid TOML: {e}") from e
    return manifest_from_mapping(data, source=source, check_schemas=check_schemas)


def manifest_from_mapping(
    data: Mapping[str, Any], *, source: str = "plugin.toml", check_schemas: bool = True
) -> Manifest:
    _reject_unknown(data, _TOP_LEVEL, source)
    refuse_unsafe_text(dict(data), source)
    name = check_name(_require_str(data, "name", source))
    try:
        version = Version(_require_str(data, "version", source))
    except InvalidVersion as e:
        raise ManifestError(
            f"{source}: version {data['version']!r} is not a valid version",
            hint='use a PEP 440 version such as "1.2.0"',
        ) from e
    try:
        api = SpecifierSet(_optional_str(data, "api", source) or f">={ABI_VERSION.major}.0,<{ABI_VERSION.major + 1}")
    except InvalidSpecifier as e:
        raise ManifestError(
            f"{source}: api {data['api']!r} is not a version specifier", hint='e.g. api = ">=1.0,<2"'
        ) from e
    module = _optional_str(data, "module", source) or module_name(name)
    if not module.isidentifier():
        raise ManifestError(f"{source}: module {module!r} is not a Python module name")
    return Manifest(
        name=name,
        version=version,
        description=_require_str(data, "description", source),
        api=api,
        license=_optional_str(data, "license", source),
        authors=_str_list(data, "authors", source),
        keywords=_str_list(data, "keywords", source),
        categories=_str_list(data, "categories", source),
        homepage=_optional_str(data, "homepage", source),
        repository=_optional_str(data, "repository", source),
        module=module,
        capabilities=_capabilities(data.get("capabilities", {}), source),
        limits=_limits(data.get("limits", {}), source),
        dependencies=_dependencies(data.get("dependencies", {}), source),
        commands=_commands(data.get("commands", []), source, check_schemas),
        python_packages=parse_packages(data["python"], source) if "python" in data else (),
    )


def _capabilities(raw: Any, source: str) -> dict[str, Capability]:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{source}: [capabilities] must be a table")
    return {kind: parse_capability(kind, table, source) for kind, table in raw.items()}


def _limits(raw: Any, source: str) -> Limits:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{source}: [limits] must be a table")
    _reject_unknown(raw, {"memory_mb", "timeout_seconds", "fuel"}, f"{source}: [limits]")
    memory = raw.get("memory_mb", DEFAULT_MEMORY_MB)
    timeout = raw.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
    fuel = raw.get("fuel")
    if not isinstance(memory, int) or isinstance(memory, bool) or not 16 <= memory <= 4096:
        raise ManifestError(f"{source}: [limits] memory_mb must be an integer from 16 to 4096")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 < timeout <= 3600:
        raise ManifestError(f"{source}: [limits] timeout_seconds must be a number from 0 to 3600")
    if fuel is not None and (not isinstance(fuel, int) or isinstance(fuel, bool) or not 0 < fuel <= MAX_FUEL):
        raise ManifestError(
            f"{source}: [limits] fuel must be an integer from 1 to {MAX_FUEL}",
            hint="fuel counts wasm instructions per call; leave it out to be limited by time alone",
        )
    return Limits(memory_mb=memory, timeout_seconds=float(timeout), fuel=fuel)


def _dependencies(raw: Any, source: str) -> dict[str, SpecifierSet]:
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{source}: [dependencies] must be a table of name = specifier")
    deps: dict[str, SpecifierSet] = {}
    for name, spec in raw.items():
        check_name(name)
        if not isinstance(spec, str):
            raise ManifestError(f"{source}: dependency {name} must be a specifier string")
        try:
            deps[name] = SpecifierSet(spec)
        except InvalidSpecifier as e:
            raise ManifestError(f"{source}: dependency {name}: {spec!r} is not a specifier") from e
    return deps


def _commands(raw: Any, source: str, check_schemas: bool) -> tuple[Command, ...]:
    if not isinstance(raw, list) or not raw:
        raise ManifestError(
            f"{source}: a plugin needs at least one [[commands]] entry",
            hint='add [[commands]] with name = "..." and an input schema',
        )
    if len(raw) > MAX_COMMANDS:
        raise ManifestError(f"{source}: more than {MAX_COMMANDS} commands")
    commands: list[Command] = []
    for table in raw:
        if not isinstance(table, Mapping):
            raise ManifestError(f"{source}: each [[commands]] entry must be a table")
        _reject_unknown(table, {"name", "description", "input", "output", "verdict"}, f"{source}: [[commands]]")
        name = _require_str(table, "name", f"{source}: [[commands]]")
        if not name.replace("-", "").replace("_", "").isalnum() or not name[0].isalpha():
            raise ManifestError(f"{source}: command name {name!r} must be letters, digits, - and _")
        schema = table.get("input", {"type": "object"})
        if not isinstance(schema, Mapping):
            raise ManifestError(f"{source}: command {name}: input must be a JSON Schema table")
        output = table.get("output")
        if output is not None and not isinstance(output, Mapping):
            raise ManifestError(f"{source}: command {name}: output must be a JSON Schema table")
        if check_schemas:
            _check_schema(schema, f"{source}: command {name}")
            if output is not None:
                _check_schema(output, f"{source}: command {name}", "output")
        if any(c.name == name for c in commands):
            raise ManifestError(f"{source}: command {name!r} is declared twice")
        verdict = table.get("verdict")
        if verdict is not None and (not isinstance(verdict, str) or not _VERDICT_FIELD.fullmatch(verdict)):
            raise ManifestError(
                f'{source}: command {name}: verdict must name a field of the result, such as "passed"',
                hint="the field holds true (passed), false (failed) or null (nothing was checked)",
            )
        commands.append(
            Command(
                name,
                _optional_str(table, "description", source),
                dict(schema),
                verdict=verdict,
                output_schema=dict(output) if output is not None else None,
            )
        )
    return tuple(commands)


def _check_schema(schema: Mapping[str, Any], where: str, which: str = "input") -> None:
    # Imported here: jsonschema is only needed when a manifest is actually validated.
    import jsonschema

    # An input is a tool's arguments and an output its structured content: both objects.
    if schema.get("type", "object") != "object":
        raise ManifestError(f'{where}: {which} schema must describe an object (type = "object")')
    try:
        jsonschema.Draft202012Validator.check_schema(dict(schema))
    except jsonschema.SchemaError as e:
        raise ManifestError(f"{where}: {which} is not a valid JSON Schema: {e.message}") from e
    check_schema_patterns(schema, where)


def _reject_unknown(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown field {unknown[0]!r}", hint="known fields: " + ", ".join(sorted(known)))


def _require_str(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: {key} is required and must be a non-empty string")
    return value


def _optional_str(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ManifestError(f"{where}: {key} must be a string")
    return value


def _str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}: {key} must be a list of strings")
    return tuple(value)
