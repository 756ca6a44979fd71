"""Serving TUF metadata: the in-process cache of immutable (versioned) metadata."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import tuf_views


def test_a_full_metadata_cache_keeps_taking_the_newest_versions(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tuf_views, "_MAX_CACHED_METADATA", 2)
    cache = app.extensions["acc_registry"].cache
    cache.clear()
    for filename in ("1.root.json", "1.targets.json", "1.snapshot.json"):
        assert client.get(f"/tuf/metadata/{filename}").status_code == 200

    assert list(cache) == ["md:targets:1", "md:snapshot:1"]
    served = client.get("/tuf/metadata/1.snapshot.json")
    assert served.status_code == 200
    assert served.data == cache["md:snapshot:1"]
