"""The publish pipeline: validate, scan, store, write rows, update TUF metadata, all or nothing.

Everything that can be checked without the database runs first (archive, manifest,
component imports, signature), so a bad upload never takes the repository lock. The
rows, the index target and the new TUF metadata are written in one transaction under
that lock; blobs are content-addressed and written before commit, so a crash leaves at
most an unreferenced blob and never a half-published version.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from packaging.version import Version as PkgVersion
from sqlalchemy import select
from sqlalchemy.orm import Session
from tuf.api.metadata import TargetFile

from registry import listing
from registry.accounts import may_publish
from registry.audit import audit
from registry.context import Registry
from registry.errors import ApiError, bad_request, conflict, forbidden, not_found
from registry.index import build_index
from registry.models import ApiToken, Plugin, User, Version, utcnow
from registry.names_policy import check_new_name
from registry.permissions import Permission, check
from registry.text import all_storable, is_storable
from sdk.archive import PluginArchive, read_archive_bytes
from sdk.errors import AccError, ArchiveError, ManifestError, SignatureError
from sdk.index_format import SIGNATURE_KINDS, archive_path, index_path, signature_path
from sdk.readme_checks import SCAFFOLD_README, ReadmeFinding, check_readme

MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class Upload:
    archive: bytes
    signature: bytes
    signature_kind: str


@dataclass(frozen=True)
class PublishResult:
    name: str
    version: str
    sha256: str
    created: bool  # False when the same archive was already published (an idempotent retry)
    #: What the publisher should fix in the README (sdk.readme_checks), said in the answer.
    warnings: tuple[ReadmeFinding, ...] = ()


def publish(registry: Registry, token_id: int, upload: Upload, remote_addr: str = "") -> PublishResult:
    """Publish with the API token `token_id`: as its account, within its permissions and plugins."""
    with registry.db.read() as session:
        token = session.get(ApiToken, token_id)
        assert token is not None
        user_id, granted, plugins = token.user_id, list(token.permissions), token.plugins

    def scope(name: str) -> None:
        check(granted, plugins, Permission.PUBLISH, name)

    return publish_as(registry, user_id, upload, remote_addr, scope=scope)


def publish_as(
    registry: Registry,
    user_id: int,
    upload: Upload,
    remote_addr: str = "",
    scope: Callable[[str], None] | None = None,
) -> PublishResult:
    """Publish as user `user_id`. `scope(name)` raises if the credential may not publish the
    plugin `name` (the operator's `acc registry seed` has no token, so no scope)."""
    archive = _read(upload)
    manifest = archive.manifest
    name, version = manifest.name, str(manifest.version)
    readme_findings = check_readme(archive.readme, manifest.capabilities)
    with registry.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        if scope is not None:
            scope(name)
        existing_plugin = session.execute(select(Plugin).where(Plugin.name == name)).scalar_one_or_none()
        # Before anything else, and before the idempotent "already published" answer: a name
        # that is not the caller's is refused the same way whatever the upload holds.
        if existing_plugin is not None and not may_publish(session, user, existing_plugin):
            raise _not_yours(existing_plugin)
        if existing_plugin is not None:
            refuse_if_taken_down(existing_plugin)
        signer = _verify_signature(session, user, archive, upload, registry.config.sigstore_staging)
        if existing_plugin is not None and _already_published(session, existing_plugin, version, archive.sha256):
            # A retry: skip the compile (and the README refusal: these bytes are published already).
            return PublishResult(name, version, archive.sha256, created=False, warnings=tuple(readme_findings))
    warnings = _readme_warnings(readme_findings)
    _compile_and_check(registry, archive)

    with registry.metadata_transaction() as session:
        publisher = session.get(User, user.id)
        assert publisher is not None
        user = publisher
        plugin = session.execute(select(Plugin).where(Plugin.name == name)).scalar_one_or_none()
        if plugin is None:
            plugin = Plugin(name=name, confusable_key=check_new_name(session, name), owner_id=user.id)
            session.add(plugin)
            session.flush()
        elif not may_publish(session, user, plugin):
            raise _not_yours(plugin)
        refuse_if_taken_down(plugin)
        existing = session.execute(
            select(Version).where(Version.plugin_id == plugin.id, Version.version == version)
        ).scalar_one_or_none()
        if existing is not None:
            if existing.archive_sha256 == archive.sha256:
                return PublishResult(name, version, archive.sha256, created=False, warnings=warnings)
            raise conflict(
                f"{name} {version} is already published, and versions are immutable",
                code="version_exists",
                hint="bump the version in plugin.toml and build again (a version is never reused, even after a yank)",
            )
        _check_dependencies(session, manifest.dependencies)
        sig_sha = registry.blobs.put(upload.signature)
        registry.blobs.put(upload.archive)
        row = Version(
            plugin_id=plugin.id,
            version=version,
            archive_sha256=archive.sha256,
            archive_length=len(upload.archive),
            signature_sha256=sig_sha,
            signature_length=len(upload.signature),
            signature_kind=upload.signature_kind,
            signer=signer,
            publisher_id=user.id,
            manifest_text=archive.manifest_text,
            readme=archive.readme,
            description=manifest.description,
            abi=str(manifest.api),
            capabilities={
                kind: {"scope": cap.scope_summary(), "reason": cap.reason}
                for kind, cap in manifest.capabilities.items()
            },
            dependencies={dep: str(spec) for dep, spec in manifest.dependencies.items()},
        )
        session.add(row)
        session.flush()
        session.refresh(plugin)
        _refresh_listing(plugin)
        changes: dict[str, TargetFile | None] = {
            archive_path(name, version): TargetFile(
                len(upload.archive), {"sha256": archive.sha256}, archive_path(name, version)
            ),
            signature_path(name, version, upload.signature_kind): TargetFile(
                len(upload.signature), {"sha256": sig_sha}, signature_path(name, version, upload.signature_kind)
            ),
        }
        write_index(registry, session, plugin, changes, utcnow())
        audit(session, user.name, "publish", f"{name} {version}", remote_addr, sha256=archive.sha256)
    return PublishResult(name, version, archive.sha256, created=True, warnings=warnings)


def set_yanked(
    registry: Registry, user_id: int, name: str, version: str, *, yanked: bool, reason: str, remote_addr: str = ""
) -> None:
    if yanked and not reason.strip():
        raise bad_request("a yank needs a reason", hint="say why users should not install this version")
    with registry.metadata_transaction() as session:
        user, plugin = _owned_plugin(session, user_id, name)
        row = next((v for v in plugin.versions if v.version == version), None)
        if row is None:
            raise not_found(f"{name} has no version {version}")
        row.yanked = yanked
        row.yank_reason = reason.strip()[:MAX_REASON_LENGTH] if yanked else None
        _refresh_listing(plugin)
        write_index(registry, session, plugin, {}, utcnow())
        audit(
            session, user.name, "yank" if yanked else "unyank", f"{name} {version}", remote_addr, reason=row.yank_reason
        )


def set_deprecated(registry: Registry, user_id: int, name: str, message: str | None, remote_addr: str = "") -> None:
    with registry.metadata_transaction() as session:
        user, plugin = _owned_plugin(session, user_id, name)
        plugin.deprecated = message.strip()[:MAX_REASON_LENGTH] if message and message.strip() else None
        write_index(registry, session, plugin, {}, utcnow())
        audit(
            session,
            user.name,
            "deprecate" if plugin.deprecated else "undeprecate",
            name,
            remote_addr,
            message=plugin.deprecated,
        )


def write_index(
    registry: Registry, session: Session, plugin: Plugin, changes: dict[str, TargetFile | None], now: datetime
) -> None:
    """Regenerate NAME/index.json and sign new TUF metadata for it and `changes`."""
    data = build_index(plugin)
    digest = registry.blobs.put(data)
    changes = {**changes, index_path(plugin.name): TargetFile(len(data), {"sha256": digest}, index_path(plugin.name))}
    registry.tuf.update_targets(session, changes, now)
    plugin.updated_at = now


def _owned_plugin(session: Session, user_id: int, name: str) -> tuple[User, Plugin]:
    user = session.get(User, user_id)
    plugin = session.execute(select(Plugin).where(Plugin.name == name)).scalar_one_or_none()
    if plugin is None or user is None:
        raise not_found(f"no plugin named {name!r}")
    if not may_publish(session, user, plugin):
        raise forbidden(f"only the owner and collaborators of {name} may change it")
    refuse_if_taken_down(plugin)
    return user, plugin


def refuse_if_taken_down(plugin: Plugin) -> None:
    """Raise `taken_down` (403) if moderators took `plugin` down (registry.takedown): until it
    is restored its owner may not publish to it, yank, un-yank or deprecate."""
    if plugin.taken_down_at is not None:
        raise ApiError(
            403,
            "taken_down",
            f"{plugin.name} was taken down by the registry's moderators: {plugin.takedown_reason}",
            hint="contact the registry's operators: nothing can be published to it or changed until they restore it",
        )


def _refresh_listing(plugin: Plugin) -> None:
    """Copy the newest non-yanked version's manifest fields onto the plugin row for listings."""
    candidates = [v for v in plugin.versions if not v.yanked] or list(plugin.versions)
    if not candidates:
        return
    latest = max(candidates, key=lambda v: PkgVersion(v.version))
    from sdk.manifest import load_manifest

    manifest = load_manifest(latest.manifest_text, check_schemas=False)
    plugin.latest_version = latest.version
    plugin.description = manifest.description
    plugin.keywords = list(manifest.keywords)
    plugin.categories = list(manifest.categories)
    plugin.capability_kinds = sorted(manifest.capabilities)
    plugin.search_text = listing.search_text(plugin.name, manifest.description, manifest.keywords, manifest.categories)
    plugin.filter_tokens = listing.filter_tokens(plugin.categories, plugin.capability_kinds)


def _read(upload: Upload) -> PluginArchive:
    if upload.signature_kind not in SIGNATURE_KINDS:
        raise bad_request(
            f"unknown signature kind {upload.signature_kind!r}", hint="use " + " or ".join(SIGNATURE_KINDS)
        )
    try:
        archive = read_archive_bytes(upload.archive, source="the uploaded archive")
    except (ArchiveError, ManifestError) as e:
        raise ApiError(400, "invalid_archive", e.message, hint=e.hint) from e
    # The registry stores the README and the manifest's strings as text, which cannot hold NUL
    # (TOML can spell one as "\u0000", so the parsed strings are checked, not only the file).
    if not is_storable(archive.readme) or not all_storable(tomllib.loads(archive.manifest_text)):
        raise ApiError(
            400,
            "invalid_archive",
            "plugin.toml or README.md contains a NUL character",
            hint="remove it and build again",
        )
    return archive


def _readme_warnings(findings: list[ReadmeFinding]) -> tuple[ReadmeFinding, ...]:
    """Refuse the scaffold's README (it describes the example, not the plugin: a reader can
    only be misled); return the rest to say in the answer.

    A README whose capabilities contradict plugin.toml is said, not refused: what the host
    enforces, the install prompt asks and the plugin page shows first is plugin.toml, never
    the README, and the check reads a convention an honest README may not follow."""
    for finding in findings:
        if finding.code == SCAFFOLD_README:
            raise ApiError(400, SCAFFOLD_README, finding.message, hint=finding.hint)
    return tuple(findings)


def _verify_signature(
    session: Session, user: User, archive: PluginArchive, upload: Upload, staging: bool = False
) -> dict[str, Any]:
    """Check the signature against the publisher's registered keys or identities; return the signer."""
    from sdk.signing import ArchiveSignature, PublicKey, verify_archive_signature, verify_sigstore_bundle

    try:
        if upload.signature_kind == "ed25519":
            signature = ArchiveSignature.from_json(upload.signature)
            keys = [PublicKey.from_bytes(k.public_key.encode()) for k in user.keys]
            if not keys:
                raise SignatureError(
                    f"{user.name} has no registered signing keys",
                    hint="register your public key: `acc registry key add` or the account page",
                )
            key = verify_archive_signature(archive.sha256, signature, keys)
            return {"kind": "ed25519", "key_id": key.key_id, "public_key": key.to_text()}
        if not user.identities:
            raise SignatureError(
                f"{user.name} has no registered Sigstore identities",
                hint="register the identity and issuer you sign with on the account page",
            )
        failures = []
        for ident in user.identities:
            try:
                verify_sigstore_bundle(
                    upload.archive, upload.signature, identity=ident.identity, issuer=ident.issuer, staging=staging
                )
            except SignatureError as e:
                failures.append(e.message)
                continue
            return {"kind": "sigstore", "identity": ident.identity, "issuer": ident.issuer}
        raise SignatureError(
            "the Sigstore bundle is not from any identity registered to " + user.name + ": " + "; ".join(failures)
        )
    except SignatureError as e:
        hint = e.hint
        if "not trusted" in e.message:
            hint = "sign with a key registered to your account, or register this key first"
        raise ApiError(400, "bad_signature", e.message, hint=hint) from e


def _already_published(session: Session, plugin: Plugin, version: str, sha256: str) -> bool:
    """Is this exactly the archive already published as this VERSION of `plugin`?"""
    row = session.execute(
        select(Version.archive_sha256).where(Version.plugin_id == plugin.id, Version.version == version)
    ).scalar_one_or_none()
    return row == sha256


def _not_yours(plugin: Plugin) -> ApiError:
    return forbidden(
        f"the plugin name {plugin.name!r} belongs to {plugin.owner.name}",
        hint="ask its owner to add you as a collaborator, or choose another name",
    )


def _compile_and_check(registry: Registry, archive: PluginArchive) -> None:
    """The host's own "compile and check" (cached by content): what an installer will run."""
    from host.components import compile_and_check

    try:
        # No wasm_sha256: the loader hashes these bytes itself, once.
        compile_and_check(archive.wasm, archive.manifest, registry.config.compiled_dir)
    except AccError as e:
        raise ApiError(400, "invalid_component", e.message, hint=e.hint) from e


def _check_dependencies(session: Session, dependencies: Any) -> None:
    for dep in dependencies:
        if session.execute(select(Plugin.id).where(Plugin.name == dep)).first() is None:
            raise bad_request(
                f"depends on {dep!r}, which is not published here",
                code="unknown_dependency",
                hint="publish the dependency first, or remove it from [dependencies]",
            )
