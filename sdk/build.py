"""`acc plugin build`: turn a plugin's source directory into a signed-ready archive.

Steps: read plugin.toml, check the source in CPython (`sdk.precheck`: syntax, commands),
vendor its declared pure-Python packages (`sdk.vendor`: wheels only, hashes recorded
in the archive), generate the plugin's WIT world from its capabilities
(`sdk.world`), generate the component's entry module (the SDK's `guest` export plus
the author's module, with a check that the registered commands are exactly the
manifest's), run componentize-py, check the result is a component, pack the archive.
The component is cached by a hash of everything that goes into it, so rebuilding an
unchanged plugin takes milliseconds instead of seconds.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sdk.abi import GUEST_HELPER_DIR, WIT_DIR
from sdk.archive import archive_bytes, check_component_header
from sdk.atomic import atomic_write_bytes, file_lock
from sdk.errors import BuildError
from sdk.manifest import Manifest, load_manifest
from sdk.python_packages import BundledWheel, record_bytes
from sdk.readme_checks import ReadmeFinding, check_readme
from sdk.world import WORLD_NAME, declared_interfaces, world_wit

BUILD_TIMEOUT_SECONDS = 600
_SKIP_DIRS = {"__pycache__", "tests", "build", "dist", ".venv", ".acc-build", "node_modules"}
_SKIP_SUFFIXES = {".plugin", ".sig", ".wasm", ".cwasm", ".pyc"}
_BUILD_ERROR_MARK = "ACC-BUILD-ERROR:"
_APP_MODULE = "acc_plugin_app"


@dataclass(frozen=True)
class BuildResult:
    archive: Path
    manifest: Manifest
    source_hash: str
    cached: bool
    #: What builds but serves readers badly: the scaffold's README, or one whose capabilities
    #: contradict plugin.toml (sdk.readme_checks; the registry refuses the first).
    warnings: tuple[ReadmeFinding, ...] = ()


def build_plugin(
    source: Path,
    out_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    precheck: bool = True,
    compress: bool = True,
) -> BuildResult:
    """Build the plugin in `source` into `out_dir/NAME-VERSION.plugin` (default: `source`).

    First, in about a second, `sdk.precheck` reads the source: a syntax error (file:line) or
    a command plugin.toml does not match stops the build before componentize-py's minute.
    `precheck=False` skips it (for syntax newer than this Python). `compress=False` stores
    the archive's entries, for an archive that is read once on this machine and deleted."""
    source = source.resolve()
    if not source.is_dir():
        raise BuildError(f"{source} is not a directory", hint="give the directory that holds plugin.toml")
    manifest_path = source / "plugin.toml"
    if not manifest_path.is_file():
        raise BuildError(
            f"{source} has no plugin.toml",
            hint="run `acc plugin new NAME` to start a plugin, or point at its directory",
        )
    manifest_text = manifest_path.read_text(encoding="utf-8")
    manifest = load_manifest(manifest_text, source=str(manifest_path))
    readme_path = source / "README.md"
    if not readme_path.is_file():
        raise BuildError(
            f"{source} has no README.md",
            hint="every plugin ships a README: what its commands do and why it needs its capabilities",
        )
    if not ((source / f"{manifest.module}.py").is_file() or (source / manifest.module / "__init__.py").is_file()):
        raise BuildError(
            f"{source} has no module {manifest.module}.py",
            hint='the guest code lives in MODULE.py (set module = "..." in plugin.toml to use another name)',
        )
    readme = readme_path.read_text(encoding="utf-8")
    warnings = tuple(check_readme(readme, manifest.capabilities))
    license_path = source / "LICENSE"
    if precheck:
        from sdk.precheck import precheck as check_source

        check_source(source, manifest)

    world = world_wit(manifest)
    app = _app_module(manifest)
    with tempfile.TemporaryDirectory(prefix="acc-wheels-") as scratch:
        wheels = _fetch_wheels(manifest, cache_dir, Path(scratch))
        source_hash = _source_hash(source, world, app, [bundled.sha256 for _, bundled in wheels])
        wheel_paths = [wheel for wheel, _ in wheels]
        if cache_dir is None:
            wasm, cached = _componentize(source, world, app, wheel_paths), False
        else:
            wasm, cached = _cached_componentize(source, world, app, wheel_paths, cache_dir / f"{source_hash}.wasm")
    check_component_header(wasm)
    data = archive_bytes(
        manifest_text,
        wasm,
        readme,
        license_path.read_text(encoding="utf-8") if license_path.is_file() else None,
        record_bytes([bundled for _, bundled in wheels]) if wheels else None,
        compress=compress,
    )
    out = (out_dir or source).resolve() / manifest.archive_name
    atomic_write_bytes(out, data)
    return BuildResult(archive=out, manifest=manifest, source_hash=source_hash, cached=cached, warnings=warnings)


def _app_module(manifest: Manifest) -> str:
    expected = sorted(c.name for c in manifest.commands)
    # componentize-py bundles only the modules imported while it pre-initializes this
    # module, so the world's bindings are imported here, once, for acc_plugin to find.
    bindings = ", ".join(["log", "types", *declared_interfaces(manifest)])
    return f'''# Generated by `acc plugin build`: the component's entry module.
from wit_world.imports import {bindings}  # noqa: F401
import {manifest.module}  # registers the commands
from acc_plugin import _registry
from acc_plugin._export import Guest  # noqa: F401  (componentize-py looks it up by name)

_expected = set({expected!r})
_found = set(_registry._commands)
if _found != _expected:
    raise RuntimeError(
        "{_BUILD_ERROR_MARK} plugin.toml declares commands "
        + repr(sorted(_expected)) + " but {manifest.module} registers " + repr(sorted(_found))
        + ": every [[commands]] entry needs an @acc_plugin.command function and vice versa"
    )
'''


def _fetch_wheels(manifest: Manifest, cache_dir: Path | None, scratch: Path) -> list[tuple[Path, BundledWheel]]:
    """The declared Python packages' wheels, from the build cache's wheels/ (or a scratch dir)."""
    if not manifest.python_packages:
        return []
    from sdk.vendor import fetch_wheels

    return fetch_wheels(manifest.python_packages, (cache_dir / "wheels") if cache_dir else scratch)


def _cached_componentize(
    source: Path, world: str, app: str, wheels: list[Path], cached_path: Path
) -> tuple[bytes, bool]:
    """The component from the cache, or built and cached. Builds of one source wait for each
    other (two terminals, or parallel test workers): the second finds the first's result."""
    if cached_path.is_file():
        return cached_path.read_bytes(), True
    with file_lock(cached_path.with_suffix(".lock")):
        if cached_path.is_file():
            return cached_path.read_bytes(), True
        wasm = _componentize(source, world, app, wheels)
        atomic_write_bytes(cached_path, wasm)
        return wasm, False


def _source_hash(source: Path, world: str, app: str, wheel_hashes: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(b"acc-build-v1\0")
    digest.update(importlib.metadata.version("componentize-py").encode() + b"\0")
    digest.update(world.encode() + b"\0" + app.encode() + b"\0")
    for wheel_hash in wheel_hashes:  # none for most plugins: their hashes stay as they were
        digest.update(b"wheel\0" + wheel_hash.encode() + b"\0")
    for root in (source, GUEST_HELPER_DIR, WIT_DIR):
        for path in sorted(_source_files(root)):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _source_files(root: Path) -> list[Path]:
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix not in _SKIP_SUFFIXES:
            files.append(path)
    return files


def _componentize(source: Path, world: str, app: str, wheels: list[Path]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="acc-build-") as tmp:
        work = Path(tmp)
        vendor = work / "vendor"
        if wheels:
            from sdk.vendor import unpack_wheels

            unpack_wheels(wheels, vendor)
        wit = work / "wit"
        wit.mkdir()
        shutil.copy(WIT_DIR / "plugin.wit", wit / "plugin.wit")
        (wit / "world.wit").write_text(world, encoding="utf-8")
        app_dir = work / "app"
        app_dir.mkdir()
        (app_dir / f"{_APP_MODULE}.py").write_text(app, encoding="utf-8")
        out = work / "plugin.wasm"
        command = [
            sys.executable,
            "-c",
            "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())",
            "-d",
            str(wit),
            "-w",
            WORLD_NAME,
            "componentize",
            _APP_MODULE,
            "-p",
            str(app_dir),
            "-p",
            str(source),
            "-p",
            str(GUEST_HELPER_DIR),
            *(["-p", str(vendor)] if wheels else []),
            "-o",
            str(out),
        ]
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, cwd=work, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise BuildError(f"componentize-py took longer than {BUILD_TIMEOUT_SECONDS} s") from e
        if proc.returncode != 0 or not out.is_file():
            raise BuildError(_explain_failure(proc.stdout + proc.stderr))
        return out.read_bytes()


def _explain_failure(output: str) -> str:
    for line in output.splitlines():
        if _BUILD_ERROR_MARK in line:
            return line.split(_BUILD_ERROR_MARK, 1)[1].strip().rstrip("')\"")
    tail = "\n".join(output.strip().splitlines()[-25:])
    return f"componentize-py failed:\n{tail}"
