"""Vendoring a plugin's declared Python packages into its build (the IO shell of `sdk.python_packages`).

A component runs CPython compiled to WebAssembly: it can load pure Python, never a native
extension. So each declared `name==version` is fetched by pip as a wheel for any platform
and no ABI (`py3-none-any`), never as a source distribution (building one would run its
setup code on the author's machine); a wheel that still carries native code is refused;
and every wheel the package needs must be declared too (dependencies are not resolved
behind the author's back: the plugin's declared list is its complete lock). The wheels
are cached by name and version under the build cache; each build checks them again, hashes
them (the hashes go into the archive), and unpacks their files into one directory that
componentize-py puts on the guest's Python path.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from sdk.errors import BuildError
from sdk.python_packages import BundledWheel, PythonPackage, normalize

#: The guest's Python (componentize-py 0.25 embeds CPython 3.14): what the wheels must run on.
GUEST_PYTHON_VERSION = "3.14"
PIP_TIMEOUT_SECONDS = 300
MAX_WHEEL_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
_NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".a", ".lib")
_PURE_WHEEL = re.compile(
    r"(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl"
)


def fetch_wheels(packages: tuple[PythonPackage, ...], wheel_cache: Path) -> list[tuple[Path, BundledWheel]]:
    """Each declared package's wheel (cached, or downloaded now), checked and hashed."""
    declared = {p.name for p in packages}
    fetched = []
    for package in packages:
        wheel = _cached_or_downloaded(package, wheel_cache)
        _check_wheel(wheel, package, declared)
        fetched.append((wheel, BundledWheel(package.name, package.version, wheel.name, _sha256(wheel))))
    return fetched


def unpack_wheels(wheels: list[Path], target: Path) -> None:
    """Unpack the importable files of `wheels` into `target` (one directory on the guest's path)."""
    target.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        _unpack(wheel, target)


def _cached_or_downloaded(package: PythonPackage, wheel_cache: Path) -> Path:
    folder = wheel_cache / package.name / package.version
    cached = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    if len(cached) == 1:
        return cached[0]
    with tempfile.TemporaryDirectory(prefix="acc-wheel-") as tmp:
        _pip_download(package, Path(tmp))
        found = sorted(Path(tmp).glob("*.whl"))
        if len(found) != 1:
            raise BuildError(f"pip downloaded {len(found)} wheels for {package.requirement}, expected one")
        folder.mkdir(parents=True, exist_ok=True)
        # A part file of this download's own: two builds fetching the same wheel at once
        # (parallel tests, two terminals) each rename a whole copy into place.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f"{found[0].name}.", suffix=".part", delete=False) as part:
            pass
        try:
            shutil.copyfile(found[0], part.name)
            Path(part.name).replace(folder / found[0].name)
        finally:
            Path(part.name).unlink(missing_ok=True)
        return folder / found[0].name


def _pip_download(package: PythonPackage, destination: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--platform", "any", "--implementation", "py", "--abi", "none",
        "--python-version", GUEST_PYTHON_VERSION, "--disable-pip-version-check", "--quiet",
        "--dest", str(destination), package.requirement,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as e:
        raise BuildError(f"downloading {package.requirement} took longer than {PIP_TIMEOUT_SECONDS} s") from e
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    if "(from versions: none)" in output:
        raise BuildError(
            f"{package.requirement} has no pure-Python wheel on PyPI (py3-none-any): it is published with "
            "native code or as source only, and a plugin runs inside WebAssembly, which can load pure Python only",
            hint=f"remove {package.name} from [python] packages, or find a pure-Python package that does the same",
        )
    versions = re.search(r"\(from versions: ([^)]*)\)", output)
    if versions:
        raise BuildError(
            f"{package.requirement}: PyPI has no wheel of that version for any platform",
            hint=f"pure-Python wheels of {package.name} exist for: {versions.group(1)}",
        )
    last = output.strip().splitlines()[-1] if output.strip() else f"pip exited with {done.returncode}"
    raise BuildError(f"could not download {package.requirement}: {last}", hint="check the name and your network")


def _check_wheel(wheel: Path, package: PythonPackage, declared: set[str]) -> None:
    match = _PURE_WHEEL.fullmatch(wheel.name)
    if match is None:
        raise BuildError(f"{wheel.name} is not a wheel file name")
    from packaging.version import InvalidVersion, Version

    pure = match["abi"] == "none" and match["platform"] == "any" and "py3" in match["python"].split(".")
    try:
        same_version = Version(match["version"]) == Version(package.version)
    except InvalidVersion:
        same_version = False
    if not pure or normalize(match["name"]) != package.name or not same_version:
        raise BuildError(f"{wheel.name} is not a pure-Python wheel of {package.requirement}")
    if wheel.stat().st_size > MAX_WHEEL_BYTES:
        raise BuildError(f"{wheel.name} is larger than {MAX_WHEEL_BYTES} bytes")
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            metadata = next((n for n in names if n.endswith(".dist-info/METADATA") and n.count("/") == 1), None)
            requires = _requirements(zf.read(metadata).decode("utf-8", "replace")) if metadata else []
    except zipfile.BadZipFile as e:
        raise BuildError(f"{wheel.name} is not a valid wheel ({e})", hint=f"delete {wheel} and build again") from e
    native = [n for n in names if n.lower().endswith(_NATIVE_SUFFIXES)]
    if native:
        raise BuildError(
            f"{wheel.name} ships native code ({native[0]}): a plugin runs inside WebAssembly and can load pure "
            "Python only",
            hint=f"remove {package.name} from [python] packages",
        )
    missing = sorted({name for name in requires if name not in declared})
    if missing:
        raise BuildError(
            f"{package.requirement} needs {', '.join(missing)}, which [python] packages does not list",
            hint="declare every package the plugin bundles, each pinned: " + ", ".join(f'"{m}==..."' for m in missing),
        )


def _requirements(metadata: str) -> list[str]:
    """Names of the wheel's unconditional requirements (extras and markers that exclude the guest are skipped)."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    environment = {"python_version": GUEST_PYTHON_VERSION, "python_full_version": f"{GUEST_PYTHON_VERSION}.0",
                   "sys_platform": "wasi", "platform_system": "", "os_name": "posix",
                   "platform_machine": "wasm32", "implementation_name": "cpython", "extra": ""}  # fmt: skip
    for line in metadata.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        try:
            requirement = Requirement(line.removeprefix("Requires-Dist:").strip())
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate(environment):
            names.append(normalize(requirement.name))
    return names


def _unpack(wheel: Path, target: Path) -> None:
    total = 0
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir() or path.is_absolute() or ".." in path.parts or "\\" in info.filename:
                continue
            if path.parts[0].endswith((".dist-info", ".data")):
                continue  # metadata and install-time data: not importable code
            total += info.file_size
            if total > MAX_UNPACKED_BYTES:
                raise BuildError(f"{wheel.name} unpacks to more than {MAX_UNPACKED_BYTES} bytes")
            destination = target.joinpath(*path.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
