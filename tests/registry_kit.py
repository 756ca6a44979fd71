"""Helpers for registry tests: make registries, publishers and signed archive variants.

Archives are built from the real example plugin's component (one componentize-py build
and one compile per suite, both cached by content); variants change only plugin.toml
(name, version, capabilities), which is what the registry's checks are about.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from registry.config import RegistryConfig, load_config
from registry.operator import add_key_command, create_token_command, create_user_command
from registry.permissions import Permission
from registry.repository_admin import init_registry
from sdk.archive import PluginArchive, pack_entries
from sdk.signing import ArchiveSignature, PublicKey, generate_keypair, load_private_key, signed_message
from tests.helpers import TEST_CACHE


def config_for(data_dir: Path, database_url: str = "", **settings: Any) -> RegistryConfig:
    """The test configuration of the registry in `data_dir` (sharing the suite's compiled-component cache)."""
    mapping = {
        "data_dir": data_dir,
        "database_url": database_url,
        "compile_cache_dir": TEST_CACHE / "compiled",
        "bin_bits": 4,
        "testing": True,
        **settings,
    }
    return load_config(mapping, environ={})


def make_config(data_dir: Path, database_url: str = "", **settings: Any) -> RegistryConfig:
    """A fresh, initialized registry in `data_dir`."""
    config = config_for(data_dir, database_url, **settings)
    init_registry(config)
    return config


@dataclass
class Publisher:
    name: str
    token: str
    key: Path
    keys_dir: Path
    extra_keys: list[Path] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


#: Every permission a token can have: the test publishers' tokens may do anything a token
#: may, so tests about other things are not about scopes (tests/registry/test_token_scopes.py is).
ALL_PERMISSIONS = [p.value for p in Permission]


def make_publisher(
    config: RegistryConfig,
    name: str,
    keys_dir: Path,
    *,
    register_key: bool = True,
    plugins: list[str] | None = None,
    permissions: list[str] | None = None,
) -> Publisher:
    create_user_command(config, name, f"{name}@example.com", "correct horse battery")
    key = keys_dir / f"{name}-{uuid.uuid4().hex[:6]}.key"
    generate_keypair(key)
    if register_key:
        add_key_command(config, name, key.with_name(key.name + ".pub"))
    token = create_token_command(config, name, plugins or [], 30, "tests", permissions or ALL_PERMISSIONS)
    return Publisher(name=name, token=token, key=key, keys_dir=keys_dir)


_variants: dict[tuple[object, ...], bytes] = {}


def variant(
    base: PluginArchive,
    *,
    name: str | None = None,
    version: str | None = None,
    drop_capability: str | None = None,
    description: str | None = None,
    readme: str | None = None,
    extra_toml: str = "",
) -> bytes:
    """The base archive with plugin.toml edited; same component. Cached: packing 18 MB of
    wasm takes about a second, and many tests publish the same variants."""
    key = (base.sha256, name, version, drop_capability, description, readme, extra_toml)
    if key not in _variants:
        _variants[key] = _make_variant(base, name, version, drop_capability, description, readme, extra_toml)
    return _variants[key]


def _make_variant(
    base: PluginArchive,
    name: str | None,
    version: str | None,
    drop_capability: str | None,
    description: str | None,
    readme: str | None,
    extra_toml: str,
) -> bytes:
    text = base.manifest_text
    if name is not None:
        text = re.sub(r'^name = ".*"$', f'name = "{name}"', text, count=1, flags=re.M)
    if version is not None:
        text = re.sub(r'^version = ".*"$', f'version = "{version}"', text, count=1, flags=re.M)
    if description is not None:
        text = re.sub(
            r'^description = ".*"$', f"description = {description!r}".replace("'", '"'), text, count=1, flags=re.M
        )
    if drop_capability is not None:
        text = re.sub(rf"^\[capabilities\.{drop_capability}\]\n(?:[^\[\n].*\n)*\n?", "", text, flags=re.M)
    if extra_toml:
        text = text.replace("[limits]", extra_toml + "\n[limits]", 1)
    # Packed unchecked: tests send the registry archives our own packer would refuse.
    return pack_entries(text, base.wasm, readme if readme is not None else base.readme)


def sign(data: bytes, key: Path) -> bytes:
    private = load_private_key(key)
    from cryptography.hazmat.primitives import serialization

    public = PublicKey(private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    digest = hashlib.sha256(data).hexdigest()
    return ArchiveSignature(
        key_id=public.key_id, signature=private.sign(signed_message(digest)), sha256=digest
    ).to_json()


def publish(
    client: FlaskClient, publisher: Publisher, data: bytes, signature: bytes | None = None, kind: str = "ed25519"
) -> Any:
    import io

    sig = signature if signature is not None else sign(data, publisher.key)
    return client.post(
        "/api/v1/plugins",
        headers=publisher.auth,
        content_type="multipart/form-data",
        data={
            "archive": (io.BytesIO(data), "p.plugin"),
            "signature": (io.BytesIO(sig), "p.sig"),
            "signature_kind": kind,
        },
    )


def error_code(response: Any) -> str:
    body = response.get_json()
    assert isinstance(body, dict) and "error" in body, f"not an error response: {response.status} {body}"
    return str(body["error"]["code"])
