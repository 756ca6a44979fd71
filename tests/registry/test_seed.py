"""`acc registry seed`: the official plugins built, signed by the official publisher key
and published; a second run publishes nothing; their pages show their READMEs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from registry.config import RegistryConfig
from registry.seed import OFFICIAL_PUBLISHER, official_sources, seed
from tests.helpers import TEST_CACHE

pytestmark = pytest.mark.slow
OFFICIAL = ["code-quality", "deps", "docs", "files", "format", "git", "github", "profile", "project-stats", "testing"]


def test_seed_publishes_every_official_plugin_once(registry_config: RegistryConfig, client: FlaskClient) -> None:
    lines: list[str] = []
    first = seed(registry_config, TEST_CACHE / "builds", progress=lines.append)
    assert sorted(r.name for r in first) == OFFICIAL
    assert all(r.created for r in first)
    assert sum(line.startswith("published:") for line in lines) == len(OFFICIAL)

    again = seed(registry_config, TEST_CACHE / "builds", progress=lambda _: None)
    assert [r.created for r in again] == [False] * len(OFFICIAL)

    listed = client.get("/api/v1/plugins?per_page=50").get_json()
    assert sorted(p["name"] for p in listed["plugins"]) == OFFICIAL
    assert {p["owner"] for p in listed["plugins"]} == {OFFICIAL_PUBLISHER}
    # The operator's own publisher is verified by the operator when the seed makes it.
    assert [p["owner_verified"]["how"] for p in listed["plugins"]] == ["operator"] * len(OFFICIAL)
    for name in OFFICIAL:
        detail = client.get(f"/api/v1/plugins/{name}").get_json()
        assert detail["versions"][0]["version"] == detail["latest_version"]
        assert detail["readme"].startswith("#"), f"{name} has no README heading"
        page = client.get(f"/plugins/{name}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        for capability, info in detail["capability_details"].items():
            assert str(escape(info["reason"])) in html, (name, capability)


def test_official_sources_put_dependencies_first() -> None:
    names = [path.name for path in official_sources()]
    assert sorted(names) == [
        "code_quality", "deps", "docs", "example", "files", "format", "git", "github", "profile", "testing"
    ]  # fmt: skip
    assert names.index("git") < names.index("docs"), "docs depends on git"
    assert names.index("files") < names.index("format"), "format depends on files"
