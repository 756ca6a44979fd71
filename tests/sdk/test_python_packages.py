"""Bundled Python packages: plugin.toml pins them, the build takes pure-Python wheels only
(a wheel with native code, a platform wheel, an undeclared dependency are refused clearly),
and the archive records each wheel's sha256, which must name exactly what is declared.

Wheels are made here; pip runs for real, offline, against a local directory of them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from sdk.archive import archive_bytes, read_archive_bytes
from sdk.errors import ArchiveError, BuildError, ManifestError
from sdk.manifest import load_manifest
from sdk.python_packages import BundledWheel, PythonPackage, record_bytes
from sdk.vendor import fetch_wheels, unpack_wheels
from tests.helpers import traps_on_start_wasm

MANIFEST = 'name = "probe"\nversion = "1.0.0"\ndescription = "x"\n[[commands]]\nname = "go"\n'


def wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any", **extra: str) -> Path:
    """A wheel of `name` with a module, its METADATA, and `extra` files (path -> text)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-{tag}.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(f"{name}/__init__.py", f"VERSION = {version!r}\n")
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + extra.pop("requires", "")
        zf.writestr(f"{name}-{version}.dist-info/METADATA", metadata)
        purelib = "true" if tag.endswith("none-any") else "false"
        wheel_file = f"Wheel-Version: 1.0\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
        zf.writestr(f"{name}-{version}.dist-info/WHEEL", wheel_file)
        for relative, text in extra.items():
            zf.writestr(relative, text)
    path.write_bytes(buffer.getvalue())
    return path


def test_packages_are_pinned_to_one_version_and_normalized() -> None:
    manifest = load_manifest(MANIFEST + '[python]\npackages = ["Py_Flakes==3.4.0", "mccabe==0.7.0"]\n')
    assert manifest.python_packages == (PythonPackage("py-flakes", "3.4.0"), PythonPackage("mccabe", "0.7.0"))
    for entry, message in [
        ("pyflakes>=3", "is not pinned to one version"),
        ("pyflakes==3.*", "is not pinned to one version"),
        ("pyflakes", "is not pinned to one version"),
        ("pyflakes[extra]==3.4.0", "no URLs, markers or extras"),
        ('pyflakes==3.4.0; python_version < "3"', "no URLs, markers or extras"),
        ("not a requirement!", "is not a requirement"),
    ]:
        with pytest.raises(ManifestError, match=message.replace("[", r"\[")):
            load_manifest(MANIFEST + f"[python]\npackages = [{json.dumps(entry)}]\n")
    with pytest.raises(ManifestError, match="listed twice"):
        load_manifest(MANIFEST + '[python]\npackages = ["a==1", "A==2"]\n')
    with pytest.raises(ManifestError, match="unknown field 'requires'"):
        load_manifest(MANIFEST + "[python]\nrequires = []\n")


def test_a_pure_wheel_is_fetched_checked_hashed_and_unpacked_without_its_metadata(tmp_path: Path) -> None:
    cache = tmp_path / "wheels"
    made = wheel(cache / "purepkg" / "1.0", "purepkg", "1.0", **{"purepkg/data.txt": "d"})
    fetched = fetch_wheels((PythonPackage("purepkg", "1.0"),), cache)
    sha = hashlib.sha256(made.read_bytes()).hexdigest()
    assert fetched == [(made, BundledWheel("purepkg", "1.0", made.name, sha))]
    unpack_wheels([made], tmp_path / "vendor")
    found = sorted(p.relative_to(tmp_path / "vendor").as_posix() for p in (tmp_path / "vendor").rglob("*.*"))
    assert found == ["purepkg/__init__.py", "purepkg/data.txt"]


@pytest.mark.parametrize(
    ("tag", "extra", "message"),
    [
        ("py3-none-any", {"purepkg/_speedups.cpython-314-wasm32-wasi.so": "\0"}, "ships native code"),
        ("cp314-cp314-manylinux_2_17_x86_64", {}, "is not a pure-Python wheel of purepkg==1.0"),
        ("py3-none-any", {"requires": "Requires-Dist: colorama>=0.4\n"}, "needs colorama, which .python. packages"),
    ],
    ids=["native-extension", "platform-wheel", "undeclared-dependency"],
)
def test_what_cannot_run_in_a_plugin_is_refused_with_the_reason(
    tmp_path: Path, tag: str, extra: dict[str, str], message: str
) -> None:
    wheel(tmp_path / "wheels" / "purepkg" / "1.0", "purepkg", "1.0", tag=tag, **extra)
    with pytest.raises(BuildError, match=message):
        fetch_wheels((PythonPackage("purepkg", "1.0"),), tmp_path / "wheels")


def test_a_dependency_for_another_python_or_platform_need_not_be_declared(tmp_path: Path) -> None:
    requires = (
        'Requires-Dist: colorama; sys_platform == "win32"\nRequires-Dist: typing-extensions; python_version < "3.8"\n'
    )
    wheel(tmp_path / "wheels" / "purepkg" / "1.0", "purepkg", "1.0", requires=requires)
    assert len(fetch_wheels((PythonPackage("purepkg", "1.0"),), tmp_path / "wheels")) == 1


def test_pip_fetches_the_pure_wheel_and_says_when_there_is_only_native_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    wheel(index, "purepkg", "1.0")
    wheel(index, "nativepkg", "2.0", tag="cp314-cp314-manylinux_2_17_x86_64")
    # pip reads these like its own options: offline, from the local directory only.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    fetched = fetch_wheels((PythonPackage("purepkg", "1.0"),), tmp_path / "cache")
    assert fetched[0][0] == tmp_path / "cache" / "purepkg" / "1.0" / "purepkg-1.0-py3-none-any.whl"
    with pytest.raises(BuildError, match=r"nativepkg==2.0 has no pure-Python wheel on PyPI \(py3-none-any\)"):
        fetch_wheels((PythonPackage("nativepkg", "2.0"),), tmp_path / "cache")
    with pytest.raises(BuildError, match=r"purepkg==9.9: PyPI has no wheel of that version") as raised:
        fetch_wheels((PythonPackage("purepkg", "9.9"),), tmp_path / "cache")
    assert "exist for: 1.0" in (raised.value.hint or "")
    assert os.environ["PIP_NO_INDEX"] == "1"


def test_the_archive_records_the_wheels_and_they_must_be_the_declared_packages() -> None:
    text = MANIFEST + '[python]\npackages = ["purepkg==1.0"]\n'
    wasm = traps_on_start_wasm()
    record = record_bytes([BundledWheel("purepkg", "1.0", "purepkg-1.0-py3-none-any.whl", "a" * 64)])
    archive = read_archive_bytes(archive_bytes(text, wasm, "readme", python_packages=record))
    assert archive.python_packages == (BundledWheel("purepkg", "1.0", "purepkg-1.0-py3-none-any.whl", "a" * 64),)
    with pytest.raises(ArchiveError, match="declares Python packages but has no python-packages.json"):
        archive_bytes(text, wasm, "readme")
    other = record_bytes([BundledWheel("purepkg", "2.0", "purepkg-2.0-py3-none-any.whl", "a" * 64)])
    with pytest.raises(ArchiveError, match="lists purepkg==2.0 but plugin.toml declares purepkg==1.0"):
        archive_bytes(text, wasm, "readme", python_packages=other)
    with pytest.raises(ArchiveError, match="not a valid record"):
        archive_bytes(text, wasm, "readme", python_packages=b'{"format": 1, "packages": [{"name": "x"}]}')
    assert read_archive_bytes(archive_bytes(MANIFEST, wasm, "readme")).python_packages == ()


# -- the plain `name==version` form is read without packaging.requirements ---------------------

_PIN_NAMES = ["pyflakes", "Foo_Bar", "a", "a.b-c_d", "-lead", "trail-", "x y", "näme", "A9"]
_PIN_VERSIONS = [
    "3.4.0",
    "1",
    "1.0rc1",
    "1.0RC1",
    "2.0.post3",
    "1.0-1",
    "1.0.dev0",
    "1!2.0",
    "1.0+local.7",
    "1.0+",
    "v1.0",
    "1.*",
    "1.0.*",
    "01.02",
    "1..0",
    "1.0a",
    "1.0_1",
    "1.0.",
    "1_0",
    "1.0+Ab_c-1",
    "0",
    "1.0!",
]


def test_plain_pins_are_read_exactly_as_packaging_reads_them() -> None:
    """The fast path answers only what packaging would accept, with the same name and version
    (None leaves the entry to packaging, whose answer is then the one given)."""
    from sdk import python_packages

    answered = 0
    for name in _PIN_NAMES:
        for version in _PIN_VERSIONS:
            for separator in ("==", " == ", "==="):
                entry = f"{name}{separator}{version}"
                fast = python_packages._plain_pin(entry)
                if fast is None:
                    continue
                answered += 1
                assert fast == python_packages._parse_requirement(entry, "plugin.toml"), entry
    assert answered > 50  # the corpus exercises the fast path, not only the fallback


def test_the_plain_pin_path_is_taken_for_the_official_plugins_form() -> None:
    """`name==version` (the form every official plugin uses) never reaches packaging.requirements."""
    from sdk import python_packages

    assert python_packages._plain_pin("pyflakes==3.4.0") == PythonPackage("pyflakes", "3.4.0")
    assert python_packages._plain_pin("Foo_Bar==1.0") == PythonPackage("foo-bar", "1.0")
    assert python_packages._plain_pin("pyflakes>=3") is None
