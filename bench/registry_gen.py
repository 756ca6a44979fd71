"""Fill a registry with many plugins quickly, for benchmarks (never for a real registry).

Running the publish pipeline 10,000 times would compile-check 10,000 archives and sign
10,000 snapshots. This writes the rows a publish writes (plugin, version, index blob)
and signs the TUF metadata with the registry's own `TufRepository.update_targets`, once
per batch: each batch is one write transaction under the repository lock, so the result
is a registry whose metadata a real TUF client verifies, with the same bins, snapshot
and index targets a one-by-one history would produce (only the role versions are lower).

Archives and signatures are not stored: their targets carry made-up hashes and lengths,
which is all the metadata needs; only index targets are fetched by the benchmarks.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tuf.api.metadata import TargetFile

from registry import listing
from registry.context import Registry
from registry.index import build_index
from registry.models import Plugin, User, Version, utcnow
from sdk.archive import PluginArchive
from sdk.index_format import archive_path, index_path, signature_path
from sdk.names import confusable_key

#: Search words: every plugin gets three keywords, so one word matches about 3% of plugins.
_WORDS = (
    "git diff commit branch merge rebase blame log tag stash lint format style complexity coverage test pytest "
    "junit fixture mock snapshot benchmark profile trace debug docs docstring readme changelog markdown api "
    "openapi schema json yaml toml csv sql sqlite postgres migration http rest graphql webhook github gitlab "
    "issue review release version semver license secret token scan audit security dependency vulnerability "
    "docker container kubernetes helm terraform cloud deploy build make cmake cargo npm pip wheel package "
    "python rust golang javascript typescript java kotlin swift shell bash regex search index grep refactor "
    "rename translate spell grammar summary todo metrics statistics chart report"
)
KEYWORDS = tuple(_WORDS.split())
CATEGORIES = (
    "analysis",
    "testing",
    "documentation",
    "vcs",
    "security",
    "data",
    "devops",
    "languages",
    "writing",
    "productivity",
)


@dataclass(frozen=True)
class Generated:
    names: list[str]
    batches: int
    seconds: float


def plugin_name(i: int) -> str:
    return f"bench-{i:05d}"


def generate(
    registry: Registry, owner_name: str, template: PluginArchive, count: int, *, batch: int = 1000, seed: int = 458
) -> Generated:
    """Add `count` plugins with one version each, owned by `owner_name`, `batch` per transaction."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    with registry.db.read() as session:
        owner = session.execute(select(User).where(User.name == owner_name)).scalar_one()
        key = owner.keys[0]
        signer = {"kind": "ed25519", "key_id": key.key_id, "public_key": key.public_key}
    capabilities = {
        kind: {"scope": cap.scope_summary(), "reason": cap.reason}
        for kind, cap in template.manifest.capabilities.items()
    }
    names: list[str] = []
    batches = 0
    for chunk in _chunks(range(count), batch):
        now = utcnow()
        with registry.metadata_transaction() as session:
            user = session.get(User, owner.id)
            assert user is not None
            changes: dict[str, TargetFile | None] = {}
            for i in chunk:
                plugin = _plugin(
                    user, plugin_name(i), rng, template, capabilities, signer, now - timedelta(seconds=count - i)
                )
                session.add(plugin)
                names.append(plugin.name)
                changes.update(_targets(registry, plugin))
            session.flush()
            registry.tuf.update_targets(session, changes, now)
        batches += 1
    return Generated(names=names, batches=batches, seconds=time.perf_counter() - started)


def _plugin(
    user: User,
    name: str,
    rng: random.Random,
    template: PluginArchive,
    capabilities: dict[str, Any],
    signer: dict[str, Any],
    when: Any,
) -> Plugin:
    keywords = rng.sample(KEYWORDS, 3)
    category = rng.choice(CATEGORIES)
    description = f"{keywords[0].capitalize()} and {keywords[1]} helpers for {category} work, with {keywords[2]}."
    kinds = sorted(capabilities)
    plugin = Plugin(
        name=name,
        confusable_key=confusable_key(name),
        owner=user,
        description=description,
        keywords=keywords,
        categories=[category],
        capability_kinds=kinds,
        latest_version="1.0.0",
        search_text=listing.search_text(name, description, keywords, [category]),
        filter_tokens=listing.filter_tokens([category], kinds),
        downloads=rng.randrange(0, 50_000),
        created_at=when,
        updated_at=when,
    )
    manifest = re.sub(r'^name = ".*"$', f'name = "{name}"', template.manifest_text, count=1, flags=re.M)
    manifest = re.sub(r'^description = ".*"$', f'description = "{description}"', manifest, count=1, flags=re.M)
    archive_length = len(template.wasm) + rng.randrange(1_000, 400_000)
    Version(
        plugin=plugin,
        version="1.0.0",
        archive_sha256=_fake_hash(name, "archive"),
        archive_length=archive_length,
        signature_sha256=_fake_hash(name, "signature"),
        signature_length=rng.randrange(180, 220),
        signature_kind="ed25519",
        signer=signer,
        publisher=user,
        manifest_text=manifest,
        readme=f"# {name}\n\n{description}\n",
        description=description,
        abi=str(template.manifest.api),
        capabilities=capabilities,
        dependencies={},
        published_at=when,
    )
    return plugin


def _targets(registry: Registry, plugin: Plugin) -> dict[str, TargetFile | None]:
    """What `publish` + `write_index` add for a plugin's first version."""
    v = plugin.versions[0]
    index = build_index(plugin)
    digest = _put_blob(registry, index)
    archive = archive_path(plugin.name, v.version)
    signature = signature_path(plugin.name, v.version, v.signature_kind)
    return {
        archive: TargetFile(v.archive_length, {"sha256": v.archive_sha256}, archive),
        signature: TargetFile(v.signature_length, {"sha256": v.signature_sha256}, signature),
        index_path(plugin.name): TargetFile(len(index), {"sha256": digest}, index_path(plugin.name)),
    }


def _put_blob(registry: Registry, data: bytes) -> str:
    """`BlobStore.put` without its two fsyncs (20 s per 2,000 blobs here): a benchmark's
    registry need not survive a crash."""
    digest = hashlib.sha256(data).hexdigest()
    path = registry.blobs.path(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def _fake_hash(name: str, what: str) -> str:
    return hashlib.sha256(f"bench {what} of {name}".encode()).hexdigest()


def _chunks(items: range, size: int) -> Iterator[range]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
