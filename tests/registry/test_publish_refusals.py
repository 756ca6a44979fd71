"""Every way a publish can be refused: each with its own status, stable code and message,
and nothing stored (no version row, no new TUF metadata) when it is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from wasmtime import wat2wasm

from registry.config import RegistryConfig
from registry.models import TufMetadata, Version
from registry.operator import create_token_command
from sdk.archive import PluginArchive, archive_bytes
from sdk.scaffold import scaffold_readme
from tests.helpers import TEST_FIXTURES
from tests.registry_kit import Publisher, error_code, make_publisher, publish, sign, variant

pytestmark = pytest.mark.usefixtures("database_url")


def _raw_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _state(app: Flask) -> tuple[int, int]:
    """(published versions, TUF metadata rows): what a refused publish must leave unchanged."""
    with app.extensions["acc_registry"].db.read() as session:
        versions = session.execute(select(func.count(Version.id))).scalar_one()
        metadata = session.execute(select(func.count(TufMetadata.id))).scalar_one()
    return versions, metadata


def _refused(
    app: Flask,
    client: FlaskClient,
    publisher: Publisher,
    data: bytes,
    status: int,
    code: str,
    signature: bytes | None = None,
    kind: str = "ed25519",
) -> str:
    before = _state(app)
    response = publish(client, publisher, data, signature=signature, kind=kind)
    assert response.status_code == status, response.get_json()
    assert error_code(response) == code
    assert _state(app) == before
    return str(response.get_json()["error"]["message"])


def test_a_zip_bomb_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    bomb = _raw_zip(
        {
            "plugin.toml": example_archive.manifest_text.encode(),
            "README.md": b"x",
            "plugin.wasm": b"\0asm" + bytes(40 * 1024 * 1024),
        }
    )
    assert "zip bomb" in _refused(app, client, alice, bomb, 400, "invalid_archive")


def test_a_path_escaping_entry_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    escaping = _raw_zip(
        {
            "plugin.toml": example_archive.manifest_text.encode(),
            "README.md": b"x",
            "plugin.wasm": example_archive.wasm,
            "../../etc/cron.d/evil": b"* * * * * root sh",
        }
    )
    assert "escapes the archive" in _refused(app, client, alice, escaping, 400, "invalid_archive")


def test_garbage_instead_of_an_archive_is_refused(app: Flask, client: FlaskClient, alice: Publisher) -> None:
    assert "not a valid plugin archive" in _refused(app, client, alice, b"not a zip", 400, "invalid_archive")


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(
    registry_config: RegistryConfig, alice: Publisher, example_archive: PluginArchive
) -> None:
    from registry.app import create_app
    from tests.registry_kit import config_for

    app = create_app(config_for(registry_config.data_dir, registry_config.database_url, max_upload_bytes=1024 * 1024))
    response = publish(app.test_client(), alice, variant(example_archive))
    assert response.status_code == 413
    assert error_code(response) == "request_entity_too_large"
    assert "size limit" in response.get_json()["error"]["hint"]
    app.extensions["acc_registry"].db.dispose()


def test_a_manifest_that_hides_a_capability_its_component_imports_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    lying = variant(example_archive, drop_capability="process")
    message = _refused(app, client, alice, lying, 400, "invalid_component")
    assert "acc:plugin/process" in message and "does not declare" in message


def test_a_component_importing_a_foreign_interface_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    wasm = bytes(wat2wasm('(component (import "evil:pkg/thing@1.0.0" (instance)))'))
    foreign = archive_bytes(example_archive.manifest_text, wasm, "# evil\n")
    message = _refused(app, client, alice, foreign, 400, "invalid_component")
    assert "evil:pkg/thing@1.0.0" in message


def test_a_signature_over_other_bytes_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    data = variant(example_archive)
    other = variant(example_archive, version="9.9.9")
    message = _refused(app, client, alice, data, 400, "bad_signature", signature=sign(other, alice.key))
    assert "another archive" in message


def test_a_malformed_signature_file_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    _refused(app, client, alice, variant(example_archive), 400, "bad_signature", signature=b"{not json")


def test_a_publisher_without_registered_keys_is_told_to_register_one(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, tmp_path: Path, example_archive: PluginArchive
) -> None:
    dave = make_publisher(registry_config, "dave", tmp_path / "keys", register_key=False)
    message = _refused(app, client, dave, variant(example_archive), 400, "bad_signature")
    assert "no registered signing keys" in message


def test_a_name_owned_by_someone_else_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, bob: Publisher, example_archive: PluginArchive
) -> None:
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    message = _refused(app, client, bob, variant(example_archive, version="2.0.0"), 403, "forbidden")
    assert "belongs to alice" in message


@pytest.mark.parametrize(
    ("taken", "imitation", "code"),
    [
        ("project-stats", "pr0ject-stats", "confusable_name"),
        ("project-stats", "projectstats", "confusable_name"),
        ("project-stats", "project-stat", "typosquat_name"),
        ("project-stats", "porject-stats", "typosquat_name"),
        ("git", "gitt", "typosquat_name"),
        ("git", "gti", "typosquat_name"),
        ("git", "git2", "typosquat_name"),
    ],
)
def test_look_alike_names_of_another_publishers_plugin_are_refused(
    app: Flask,
    client: FlaskClient,
    alice: Publisher,
    bob: Publisher,
    example_archive: PluginArchive,
    taken: str,
    imitation: str,
    code: str,
) -> None:
    assert publish(client, alice, variant(example_archive, name=taken)).status_code == 201
    message = _refused(app, client, bob, variant(example_archive, name=imitation), 409, code)
    assert taken in message


def test_an_unknown_dependency_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    data = variant(example_archive, extra_toml='[dependencies]\nghost = ">=1"\n')
    assert "ghost" in _refused(app, client, alice, data, 400, "unknown_dependency")


def test_a_token_scoped_to_another_plugin_cannot_publish(
    app: Flask, client: FlaskClient, alice: Publisher, registry_config: RegistryConfig, example_archive: PluginArchive
) -> None:
    scoped = Publisher(
        name="alice",
        token=create_token_command(registry_config, "alice", ["other"], 30, ""),
        key=alice.key,
        keys_dir=alice.keys_dir,
    )
    message = _refused(app, client, scoped, variant(example_archive), 403, "insufficient_scope")
    assert "limited to other, not plugin project-stats" in message


def test_missing_files_in_the_upload_are_refused(client: FlaskClient, alice: Publisher) -> None:
    response = client.post("/api/v1/plugins", headers=alice.auth, data={"signature_kind": "ed25519"})
    assert response.status_code == 400
    assert "archive and signature" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("kind", ["", "ED25519", "pgp", "sigstore.json"])
def test_a_signature_of_an_unknown_kind_is_refused(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive, kind: str
) -> None:
    message = _refused(app, client, alice, variant(example_archive), 400, "invalid_request", kind=kind)
    assert f"unknown signature kind {kind!r}" in message


def test_an_oversized_form_field_is_refused(client: FlaskClient, alice: Publisher) -> None:
    response = client.post(
        "/api/v1/plugins",
        headers=alice.auth,
        content_type="multipart/form-data",
        data={"signature_kind": "x" * (600 * 1024)},
    )
    assert response.status_code == 413
    assert error_code(response) == "request_entity_too_large"


SIGSTORE = TEST_FIXTURES / "sigstore"


@pytest.mark.parametrize("staging", [False, True])
def test_a_sigstore_bundle_over_other_bytes_is_refused(
    registry_config: RegistryConfig, alice: Publisher, example_archive: PluginArchive, staging: bool
) -> None:
    """A real Sigstore bundle (for another artifact) from a registered identity does not
    vouch for this archive, on either Sigstore instance."""
    from registry.accounts import add_identity, get_user
    from registry.app import create_app
    from tests.registry_kit import config_for

    app = create_app(config_for(registry_config.data_dir, registry_config.database_url, sigstore_staging=staging))
    registry = app.extensions["acc_registry"]
    with registry.db.write() as session:
        add_identity(session, get_user(session, "alice"), "william@yossarian.net", "https://github.com/login/oauth")
    bundle = (SIGSTORE / "bundle_v3_alt.txt.sigstore").read_bytes()
    response = publish(app.test_client(), alice, variant(example_archive), signature=bundle, kind="sigstore")
    assert response.status_code == 400
    assert error_code(response) == "bad_signature"
    assert "Sigstore" in response.get_json()["error"]["message"]
    registry.db.dispose()


def test_a_sigstore_bundle_needs_a_registered_identity(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    bundle = (SIGSTORE / "bundle_v3_alt.txt.sigstore").read_bytes()
    before = _state(app)
    response = publish(client, alice, variant(example_archive), signature=bundle, kind="sigstore")
    assert response.status_code == 400 and error_code(response) == "bad_signature"
    assert "no registered Sigstore identities" in response.get_json()["error"]["message"]
    assert _state(app) == before


@pytest.mark.parametrize("name", ["project-stats", "my-plugin"])
def test_the_scaffolds_readme_is_refused_whatever_name_it_was_made_for(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive, name: str
) -> None:
    scaffold = variant(example_archive, readme="\n" + scaffold_readme(name).replace("\n\n", "\n \n\n"))
    response = publish(client, alice, scaffold)
    assert response.status_code == 400 and error_code(response) == "scaffold_readme"
    error = response.get_json()["error"]
    assert error["message"] == "README.md is still the one `acc plugin new` wrote"
    assert error["hint"].startswith("describe what this plugin does, its commands, and why it needs each capability")
    assert _refused(app, client, alice, scaffold, 400, "scaffold_readme")


def test_a_readme_contradicting_the_manifest_is_published_with_the_contradiction_in_the_answer(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    response = publish(client, alice, variant(example_archive, readme="# project-stats\n\nCapabilities: none\n"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["warnings"] == [
        {
            "code": "readme_capabilities",
            "message": "README.md says the plugin asks for no capabilities, but plugin.toml asks for fs, process",
            "hint": "in README.md, list each capability plugin.toml asks for under a `## Capabilities` heading, "
            "one line each: - `kind`: why the plugin needs it",
        }
    ]
    honest = publish(client, alice, variant(example_archive, version="9.0.0"))
    assert honest.status_code == 201 and honest.get_json()["warnings"] == []
