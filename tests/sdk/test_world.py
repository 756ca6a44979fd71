"""The manifest is the world: generated WIT imports exactly the declared capabilities."""

from __future__ import annotations

import pytest

from host.components import check_imports
from host.errors import LoadError
from sdk.manifest import load_manifest
from sdk.world import world_wit

BASE = """name = "w"
version = "1.0.0"
description = "W."
[[commands]]
name = "c"
"""


def _manifest(capabilities: str = ""):  # type: ignore[no-untyped-def]
    return load_manifest(BASE.replace("[[commands]]", capabilities + "\n[[commands]]"))


def test_a_plugin_without_capabilities_gets_the_base_world_only() -> None:
    wit = world_wit(_manifest())
    assert "include base;" in wit and "import" not in wit.replace("include", "")


def test_each_declared_capability_becomes_one_import_and_fs_none() -> None:
    manifest = _manifest(
        '[capabilities.kv]\nreason = "r"\n[capabilities.fs]\nreason = "r"\n'
        '[capabilities.process]\nprograms = ["git"]\nreason = "r"\n'
    )
    wit = world_wit(manifest)
    assert "import kv;" in wit and "import process;" in wit
    assert "fs" not in wit and "http" not in wit


WASI = ["wasi:cli/environment@0.2.9", "wasi:filesystem/types@0.2.9", "wasi:io/streams@0.2.9"]


def test_imports_within_the_manifest_pass_the_check() -> None:
    manifest = _manifest('[capabilities.process]\nprograms = ["git"]\nreason = "r"\n')
    check_imports([*WASI, "acc:plugin/types@1.0.0", "acc:plugin/log@1.0.0", "acc:plugin/process@1.0.0"], manifest)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("acc:plugin/http@1.0.0", "does not declare"),
        ("acc:plugin/log@2.0.0", "needs ABI 2.0.0"),
        ("wasi:http/outgoing-handler@0.2.9", "acc does not provide"),
        ("evil:backdoor/api", "acc does not provide"),
    ],
)
def test_undeclared_or_unknown_imports_are_refused(name: str, message: str) -> None:
    with pytest.raises(LoadError, match=message):
        check_imports([*WASI, "acc:plugin/log@1.0.0", name], _manifest())
