"""The publish pipeline through the JSON API: what is accepted, and each refusal."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from sdk.archive import PluginArchive
from tests.registry_kit import Publisher, error_code, publish, sign, variant

pytestmark = pytest.mark.usefixtures("database_url")


def test_publish_makes_the_plugin_searchable_and_detailed(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    response = publish(client, alice, variant(example_archive, version="1.0.0"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] is True

    found = client.get("/api/v1/plugins?q=stats").get_json()
    assert [p["name"] for p in found["plugins"]] == ["project-stats"]
    detail = client.get("/api/v1/plugins/project-stats").get_json()
    assert detail["owner"] == "alice"
    assert detail["capability_details"]["process"]["scope"] == "run programs: git"
    assert [v["version"] for v in detail["versions"]] == ["1.0.0"]


def test_republishing_the_same_bytes_is_an_idempotent_success(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    data = variant(example_archive, version="1.0.0")
    assert publish(client, alice, data).status_code == 201
    again = publish(client, alice, data)
    assert again.status_code == 200
    assert again.get_json()["created"] is False


def test_a_published_version_cannot_be_replaced(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    assert publish(client, alice, variant(example_archive, version="1.0.0")).status_code == 201
    changed = variant(example_archive, version="1.0.0", description="something else")
    response = publish(client, alice, changed)
    assert response.status_code == 409
    assert error_code(response) == "version_exists"


def test_a_signature_from_a_key_not_on_the_account_is_refused(
    client: FlaskClient, alice: Publisher, bob: Publisher, example_archive: PluginArchive
) -> None:
    data = variant(example_archive)
    response = publish(client, alice, data, signature=sign(data, bob.key))
    assert response.status_code == 400
    assert error_code(response) == "bad_signature"
    assert "not trusted" in response.get_json()["error"]["message"]
