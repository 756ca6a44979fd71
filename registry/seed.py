"""`acc registry seed`: build the official plugins, sign them with the marketplace's official
publisher key and publish them, idempotently.

The official publisher is an ordinary account (`acc-official`) whose Ed25519 key lives in
the data directory's keys/ beside the TUF keys (a development key, like them; an operator
of a public marketplace signs elsewhere and publishes with a token). Running seed again
publishes nothing new unless a plugin's source changed, and a changed source under an
already-published version is refused with a hint to bump the version, because versions
are immutable.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from registry.accounts import add_key, create_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import ApiError, SeedError
from registry.models import User, utcnow
from registry.publish import Upload, publish_as
from sdk.publisher_mark import HOW_OPERATOR

OFFICIAL_PUBLISHER = "acc-official"
OFFICIAL_EMAIL = "official@acc.invalid"
OFFICIAL_PLUGINS_DIR = Path(__file__).resolve().parent.parent / "official_plugins"


@dataclass(frozen=True)
class SeedResult:
    name: str
    version: str
    created: bool


def official_sources(root: Path = OFFICIAL_PLUGINS_DIR) -> list[Path]:
    """Every plugin source under official_plugins/, dependencies before their dependents."""
    sources = {}
    for manifest in sorted(root.glob("*/plugin.toml")):
        data = tomllib.loads(manifest.read_text())
        sources[str(data["name"])] = (manifest.parent, set(data.get("dependencies", {})))
    ordered: list[Path] = []
    done: set[str] = set()
    while len(done) < len(sources):
        ready = [n for n, (_, deps) in sorted(sources.items()) if n not in done and deps <= done]
        if not ready:
            raise SeedError(
                "the official plugins' dependencies form a cycle or name a plugin that is not there: "
                + ", ".join(sorted(set(sources) - done))
            )
        for name in ready:
            ordered.append(sources[name][0])
            done.add(name)
    return ordered


def seed(config: RegistryConfig, build_cache: Path, progress: Callable[[str], None] = print) -> list[SeedResult]:
    from sdk.build import build_plugin
    from sdk.signing import generate_keypair, sign_archive

    key = config.keys_dir / "official-publisher.key"
    if not key.exists():
        generate_keypair(key)
    registry = Registry.open(config)
    try:
        user_id = _official_account(registry, key.with_name(key.name + ".pub"))
        out_dir = config.data_dir / "seed"
        results = []
        for source in official_sources():
            progress(f"building {source.name} ...")
            built = build_plugin(source, out_dir, cache_dir=build_cache)
            signature = sign_archive(built.archive, key)
            upload = Upload(
                archive=built.archive.read_bytes(), signature=signature.read_bytes(), signature_kind="ed25519"
            )
            try:
                result = publish_as(registry, user_id, upload, "local")
            except ApiError as e:
                if e.code == "version_exists":
                    raise SeedError(
                        f"official plugin {built.manifest.name} {built.manifest.version} changed since "
                        "it was published",
                        hint=f"bump the version in {source / 'plugin.toml'}",
                    ) from e
                raise SeedError(f"publishing {built.manifest.name} failed: {e.message}", hint=e.hint) from e
            state = "published" if result.created else "already published"
            progress(f"{state}: {result.name} {result.version}")
            results.append(SeedResult(result.name, result.version, result.created))
        return results
    finally:
        registry.db.dispose()


def _official_account(registry: Registry, public_key: Path) -> int:
    with registry.db.write() as session:
        user = session.execute(select(User).where(User.name == OFFICIAL_PUBLISHER)).scalar_one_or_none()
        if user is None:
            user = create_user(session, OFFICIAL_PUBLISHER, OFFICIAL_EMAIL)
            audit(session, "operator", "create_user", OFFICIAL_PUBLISHER, "local")
            # The operator's own publisher: verified by the operator when made (only then, so
            # a later `acc registry user unverify` is not undone by the next seed).
            user.verified_by, user.verified_at = HOW_OPERATOR, utcnow()
            audit(session, "operator", "verify_publisher", OFFICIAL_PUBLISHER, "local", how=HOW_OPERATOR, before=None)
        add_key(session, user, public_key.read_bytes())
        return user.id
