"""plugin.toml parsing: valid manifests load; every invalid one names its problem."""

from __future__ import annotations

import pytest

from sdk.errors import ManifestError
from sdk.manifest import load_manifest
from sdk.names import confusable_key

VALID = """
name = "demo"
version = "1.2.0"
description = "A demo."
api = ">=1.0,<2"

[capabilities.process]
programs = ["git"]
reason = "Reads history."

[capabilities.fs]
access = "read-write"
reason = "Writes reports."

[limits]
memory_mb = 64
timeout_seconds = 5

[dependencies]
git = ">=1.0"

[[commands]]
name = "hello"
description = "Greets."
[commands.input]
type = "object"
properties.name = { type = "string" }
"""


def test_a_valid_manifest_loads_with_its_capabilities_and_limits() -> None:
    manifest = load_manifest(VALID)
    assert manifest.name == "demo" and str(manifest.version) == "1.2.0"
    assert manifest.capabilities["process"].programs == ("git",)
    assert manifest.capabilities["fs"].writable is True
    assert manifest.limits.memory_mb == 64 and manifest.limits.timeout_seconds == 5.0
    assert str(manifest.dependencies["git"]) == ">=1.0"
    assert manifest.command("hello") is not None and manifest.module == "demo"
    assert manifest.archive_name == "demo-1.2.0.plugin"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name = "demo"', 'name = "Demo"'), "invalid plugin name"),
        (('name = "demo"', 'name = "de--mo"'), "invalid plugin name"),
        (('version = "1.2.0"', 'version = "one"'), "not a valid version"),
        (('api = ">=1.0,<2"', 'api = "bogus"'), "not a version specifier"),
        (('description = "A demo."', 'descripton = "typo"'), "unknown field 'descripton'"),
        (("[capabilities.fs]", "[capabilities.network]"), "unknown capability 'network'"),
        (('reason = "Reads history."', 'reason = ""'), "has no reason"),
        (('programs = ["git"]', 'programs = ["/bin/sh"]'), "bare program name"),
        (('programs = ["git"]', "programs = []"), "at least one"),
        (('programs = ["git"]', 'programs = ["git"]\nshell = true'), "unknown field 'shell'"),
        (('access = "read-write"', 'access = "all"'), 'access must be "read" or "read-write"'),
        (("memory_mb = 64", "memory_mb = 100000"), "memory_mb must be"),
        (('git = ">=1.0"', 'git = ">>1"'), "not a specifier"),
        (('type = "object"', 'type = "array"'), "must describe an object"),
        (('properties.name = { type = "string" }', 'properties.name = { type = "strang" }'), "not a valid JSON Schema"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_an_invalid_manifest_is_refused_with_a_clear_message(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in VALID
    with pytest.raises(ManifestError) as error:
        load_manifest(VALID.replace(old, new, 1))
    assert message in error.value.message


def test_a_command_may_declare_the_schema_of_its_result() -> None:
    output = '\n[commands.output]\ntype = "object"\nproperties.greeting = { type = "string" }\n'
    manifest = load_manifest(VALID + output)
    command = manifest.command("hello")
    assert command is not None and command.output_schema == {
        "type": "object",
        "properties": {"greeting": {"type": "string"}},
    }
    assert manifest.command("hello") is not None and load_manifest(VALID).commands[0].output_schema is None


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ('type = "array"', "output schema must describe an object"),
        ('type = "object"\nproperties.x = { type = "strang" }', "output is not a valid JSON Schema"),
    ],
)
def test_an_output_schema_that_is_no_object_schema_is_refused(output: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        load_manifest(VALID + f"\n[commands.output]\n{output}\n")


def test_a_manifest_without_commands_is_refused() -> None:
    text = VALID.split("[[commands]]")[0]
    with pytest.raises(ManifestError, match="at least one"):
        load_manifest(text)


def test_duplicate_commands_are_refused() -> None:
    extra = '\n[[commands]]\nname = "hello"\n'
    with pytest.raises(ManifestError, match="declared twice"):
        load_manifest(VALID + extra)


def test_malformed_toml_and_oversized_manifests_are_refused() -> None:
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest("name = ")
    with pytest.raises(ManifestError, match="larger than"):
        load_manifest(b"#" * (300 * 1024))
    with pytest.raises(ManifestError, match="not UTF-8"):
        load_manifest(b"\xff\xfe")


def test_look_alike_names_share_a_confusable_key() -> None:
    assert confusable_key("g1t") == confusable_key("git") == confusable_key("gi-t")
    assert confusable_key("rnodern") == confusable_key("modem")
    assert confusable_key("docs") != confusable_key("dogs")


@pytest.mark.parametrize("host", ["*", "*.com", "api.github.com/path", "user@api.github.com", "host:0", "http://a b"])
def test_http_hosts_the_capability_could_not_enforce_are_refused(host: str) -> None:
    text = VALID.replace(
        "[capabilities.fs]", f'[capabilities.http]\nhosts = ["{host}"]\nreason = "r"\n\n[capabilities.fs]'
    )
    with pytest.raises(ManifestError, match=r"\[capabilities\.http\]"):
        load_manifest(text)


def test_valid_http_hosts_are_accepted() -> None:
    text = VALID.replace(
        "[capabilities.fs]",
        '[capabilities.http]\nhosts = ["api.github.com", "*.example.org",'
        ' "http://127.0.0.1:8080"]\nreason = "r"\n\n[capabilities.fs]',
    )
    assert load_manifest(text).capabilities["http"].hosts == (
        "api.github.com",
        "*.example.org",
        "http://127.0.0.1:8080",
    )
