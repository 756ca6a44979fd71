"""`acc marketplace add/list/remove`; `acc plugin search`, `update`, `rollback`, `lock`; marketplace and
locked installs for `acc plugin install`.

Each command imports the marketplace modules (and through them tuf and urllib3) only when
it runs, so registering them costs `acc --help` nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from host.paths import host_paths
from host.progress import terminal_progress
from sdk.errors import AccError

if TYPE_CHECKING:
    from host.store import InstalledPlugin


@click.group()
def marketplace() -> None:
    """Add, list and remove the marketplaces plugins are installed from."""


@marketplace.command("add")
@click.argument("url")
@click.option("--name", help="A short name for it (default: the URL's host and port).")
@click.option(
    "--root-sha256",
    "root_sha256",
    metavar="HEX",
    help="The sha256 of the marketplace's 1.root.json, from its operator. Without it, "
    "the fingerprint is shown and you are asked to confirm it (on a terminal only).",
)
def add(url: str, name: str | None, root_sha256: str | None) -> None:
    """Add the marketplace at URL, pinning its first TUF root."""
    from host.errors import MarketplaceError, MarketplaceUntrusted
    from host.marketplace.config import (
        MarketplaceConfig,
        check_name,
        check_root,
        check_sha256,
        default_name,
        fetch_first_root,
        normalize_url,
        root_fingerprint,
    )

    base = normalize_url(url)
    market_name = check_name(name if name is not None else default_name(base))
    pin = check_sha256(root_sha256) if root_sha256 is not None else None
    root = fetch_first_root(base)
    fingerprint = root_fingerprint(root)
    if pin is not None and fingerprint != pin:
        raise MarketplaceUntrusted(
            f"the root served by {base} has sha256 {fingerprint}, not the pinned {pin}: refused",
            hint="check the hash with the marketplace operator; a different root means a different "
            "(or an impostor) marketplace",
        )
    check_root(root, f"{base}/tuf/metadata/1.root.json")
    if pin is None:
        if not sys.stdin.isatty():
            raise MarketplaceError(
                f"not adding {base} without a pinned root: its 1.root.json has sha256 {fingerprint}",
                hint="compare it with the one the marketplace operator publishes, then pass "
                f"--root-sha256 {fingerprint}",
            )
        click.echo(f"The marketplace at {base} serves a root with sha256\n  {fingerprint}")
        click.echo(
            "Compare it with the one its operator publishes: every install from it is trusted through this root."
        )
        if not click.confirm("Trust this root?", default=False):
            click.echo("not added")
            sys.exit(1)
    added, new = MarketplaceConfig(host_paths()).add(market_name, base, root)
    if new:
        click.echo(f"added marketplace {added.name} ({added.url}), root sha256 {added.root_sha256}")
    else:
        click.echo(f"marketplace {added.name} ({added.url}) is already added")


@marketplace.command("list")
def list_marketplaces() -> None:
    """List the added marketplaces."""
    from host.marketplace.config import MarketplaceConfig

    markets = MarketplaceConfig(host_paths()).list()
    if not markets:
        click.echo("no marketplaces added (add one with `acc marketplace add URL --root-sha256 HEX`)")
        return
    width = max(len(m.name) for m in markets)
    for m in markets:
        click.echo(f"{m.name:<{width}}  {m.url}  root sha256 {m.root_sha256[:16]}…  added {m.added_at}")


@marketplace.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove marketplace NAME (installed plugins stay installed)."""
    from host.marketplace.config import MarketplaceConfig

    removed = MarketplaceConfig(host_paths()).remove(name)
    click.echo(f"removed marketplace {removed.name} ({removed.url})")


@click.command()
@click.argument("query", default="")
@click.option("--marketplace", "market_name", metavar="NAME", help="Search only this marketplace.")
def search(query: str, market_name: str | None) -> None:
    """Search the added marketplaces for plugins."""
    from host.errors import MarketplaceError
    from host.marketplace.config import MarketplaceConfig
    from host.marketplace.search import SearchHit
    from host.marketplace.search import search as search_marketplace

    config = MarketplaceConfig(host_paths())
    markets = [config.get(market_name)] if market_name else config.list()
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    hits: list[SearchHit] = []
    failures: list[MarketplaceError] = []
    for market in markets:
        try:
            hits.extend(search_marketplace(market, query))
        except MarketplaceError as e:
            failures.append(e)
    if failures and len(failures) == len(markets):
        raise failures[0]
    for failure in failures:
        click.echo(f"warning: {failure.message}", err=True)
    if not hits:
        click.echo(f"no plugins match {query!r}" if query else "no plugins published yet")
        return
    show_market = len(markets) > 1
    header: tuple[str, ...] = ("NAME", "LATEST", "RATING", "DOWNLOADS", "CAPABILITIES")
    rows = [header + (("MARKETPLACE",) if show_market else ())]
    for hit in hits:
        rating = f"{hit.rating:.1f} ({hit.rating_count})" if hit.rating is not None else "-"
        row: tuple[str, ...] = (
            hit.name + (" (deprecated)" if hit.deprecated else ""),
            hit.latest_version,
            rating,
            str(hit.downloads),
            ", ".join(hit.capabilities) or "none",
        )
        rows.append(row + ((hit.marketplace,) if show_market else ()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def install_from_marketplace(
    requirement: str,
    *,
    marketplace: str | None,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    yes: bool,
    reinstall: bool,
    ask: Callable[..., bool] | None,
) -> None:
    """`acc plugin install NAME[@MARKETPLACE][SPEC]` (host.cli.install dispatches here)."""
    from host.install import InstallRequest
    from host.marketplace.install import install_requirement

    request = InstallRequest(archive=Path(), grant=grants, deny=denies, yes=yes, reinstall=reinstall)
    result = install_requirement(
        host_paths(),
        requirement,
        request,
        marketplace=marketplace,
        ask=ask,
        progress=terminal_progress(),
        announce=lambda line: click.echo(line, err=line.startswith("WARNING")),
    )
    for dependency in result.dependencies:
        _report_installed(
            dependency.installed, result.marketplace, f" (needed by {' and '.join(dependency.needed_by)})"
        )
    installed = result.installed
    if result.already_installed:
        if result.warning:
            click.echo(f"WARNING: {result.warning}", err=True)
        click.echo(f"{installed.name} {installed.version} is already installed (from {result.marketplace})")
        return
    _report_installed(installed, result.marketplace, "")


def _report_installed(installed: InstalledPlugin, marketplace: str, why: str) -> None:
    click.echo(f"installed {installed.name} {installed.version} from {marketplace}{why}")
    click.echo(f"  the signing key is trusted through {marketplace}'s signed metadata (no `acc trust add` needed)")
    manifest = installed.manifest()
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "denied"
        click.echo(f"  {mark:8} {kind}: {capability.scope_summary()}")


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _offline(
    error: Exception,
    hint: str = "update and rollback check the marketplace's current signed index "
    "first; installed plugins keep working offline (`acc plugin list`, `acc plugin run`)",
    *,
    changed: bool = True,
) -> Exception:
    """An unreachable marketplace, said with what still works offline; other errors unchanged."""
    from host.errors import MarketplaceUnreachable

    if isinstance(error, MarketplaceUnreachable):
        return MarketplaceUnreachable(f"{error.message}: nothing was changed" if changed else error.message, hint=hint)
    return error


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--check", is_flag=True, help="Only report what an update would change.")
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Accept updates that ask for more capabilities or are signed by another key (for scripts).",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    metavar="CAP",
    help="Grant what a new version newly asks of this capability kind (repeatable).",
)
@click.option(
    "--deny",
    "denies",
    multiple=True,
    metavar="CAP",
    help="Apply an update without granting what it newly asks of this capability kind (repeatable).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    envvar="ACC_KEEP_VERSIONS",
    help="How many previous versions to keep for rollback (env ACC_KEEP_VERSIONS).",
)
def update(
    names: tuple[str, ...], check: bool, yes: bool, grants: tuple[str, ...], denies: tuple[str, ...], keep: int
) -> None:
    """Update marketplace-installed plugins (all of them when no NAME is given)."""
    from host.cli import ask_on_terminal
    from host.consent import Answers
    from host.marketplace.update import (
        apply_update,
        check_update,
        dependents_first,
        marketplace_plugins,
        session,
    )
    from host.store import LocalStore

    consent = Answers(
        yes=yes,
        ask=ask_on_terminal if sys.stdin.isatty() and not yes else None,
        announce=click.echo,
        grant=frozenset(grants),
        deny=frozenset(denies),
    )
    paths = host_paths()
    plugins = dependents_first(marketplace_plugins(paths, names))
    if not plugins:
        click.echo("no plugins installed from a marketplace")
        return
    failed = False
    with session(paths, terminal_progress()) as current:
        try:
            checks = [check_update(current, p) for p in plugins]
        except AccError as e:
            raise _offline(e) from e
        if check:
            rows: list[tuple[str, ...]] = [("NAME", "INSTALLED", "AVAILABLE", "CHANGES")]
            for c in checks:
                target = c.choice.target
                if c.choice.status == "update":
                    assert target is not None
                    rows.append((c.name, c.installed.version, target.version, c.describe_changes()))
                elif c.choice.status == "current":
                    rows.append(
                        (
                            c.name,
                            c.installed.version,
                            "-",
                            "up to date" + (f" ({c.choice.note})" if c.choice.note else ""),
                        )
                    )
                else:
                    rows.append((c.name, c.installed.version, "-", c.choice.note))
            _table(rows)
            return
        for c in checks:
            if c.installed != LocalStore(paths).find(c.name):
                # An update before this one changed it (a dependency moved for its dependent).
                try:
                    c = check_update(current, LocalStore(paths).get(c.name))
                except AccError as e:
                    click.echo(f"error: {e.diagnostics()}", err=True)
                    failed = True
                    continue
            name, version, target = c.name, c.installed.version, c.choice.target
            if c.choice.status == "update":
                assert target is not None
                try:
                    updated = apply_update(current, c, consent, keep=keep)
                except AccError as e:
                    click.echo(f"error: {e.diagnostics()}", err=True)
                    failed = True
                    continue
                for dependency, needed_by in updated.dependencies:
                    click.echo(
                        f"installed {dependency.name} {dependency.version} from {dependency.marketplace} "
                        f"(needed by {' and '.join(needed_by)})"
                    )
                click.echo(f"updated {name} {version} -> {updated.current.version}")
            elif c.choice.status == "current":
                click.echo(f"{name} {version} is up to date" + (f" ({c.choice.note})" if c.choice.note else ""))
            elif c.choice.status == "held" and target is not None:
                click.echo(f"{c.choice.note}: not replacing {version} with an older version by itself", err=True)
                how = (
                    f"acc plugin rollback {name} --to {target.version}"
                    if target.version in c.installed.versions
                    else f"acc plugin install {name}=={target.version}"
                )
                click.echo(f"  to switch to {target.version}: `{how}`", err=True)
            else:
                click.echo(f"{name} {version}: {c.choice.note}", err=True)
    if failed:
        sys.exit(1)


@click.command()
@click.argument("name")
@click.option(
    "--to",
    "to",
    metavar="VERSION",
    help="The kept version to switch to (default: the newest earlier one "
    "the marketplace still lists and has not yanked).",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Accept a version that asks for more capabilities; confirm a yanked or unlisted --to VERSION.",
)
def rollback(name: str, to: str | None, yes: bool) -> None:
    """Switch NAME back to an earlier installed version the marketplace still vouches for."""
    from host.cli import ask_on_terminal
    from host.consent import Answers
    from host.marketplace.update import rollback as rollback_plugin
    from host.marketplace.update import session

    interactive = sys.stdin.isatty() and not yes
    consent = Answers(yes=yes, ask=ask_on_terminal if interactive else None, announce=click.echo)

    def confirm(question: str) -> bool:
        if yes:
            click.echo(f"{question} yes (--yes)")
            return True
        return interactive and click.confirm(question, default=False)

    with session(host_paths(), terminal_progress()) as current:
        try:
            result = rollback_plugin(current, name, to, consent, confirm if yes or interactive else None)
        except AccError as e:
            raise _offline(e) from e
    click.echo(f"rolled back {name} {result.previous.version} -> {result.current.version}")


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default="acc.lock",
    show_default=True,
    help="Where to write the lock file.",
)
def lock(output: Path) -> None:
    """Write the installed marketplace plugins (versions, hashes, grants) to a lock file."""
    from host.marketplace.lock import write_lock
    from host.store import LocalStore

    paths = host_paths()
    written = write_lock(paths, output)
    for plugin in LocalStore(paths).list():
        if not plugin.marketplace:
            click.echo(f"warning: {plugin.name} was installed from an archive file: not in the lock", err=True)
    count = len(written.plugins)
    click.echo(
        f"wrote {output}: {count} plugin{'s' if count != 1 else ''} from "
        f"{', '.join(m.name for m in written.marketplaces) or 'no marketplace'}"
    )


def install_locked(lock_file: Path) -> None:
    """`acc plugin install --locked [LOCK]` (host.cli.install dispatches here)."""
    from host.marketplace.lock import install_locked as install_from_lock

    results = install_from_lock(
        host_paths(),
        lock_file,
        progress=terminal_progress(),
        announce=lambda line: click.echo(line, err=line.startswith("WARNING")),
    )
    for result in results:
        installed = result.installed
        if result.already_installed:
            click.echo(f"{installed.name} {installed.version} is already installed (from {installed.marketplace})")
            continue
        click.echo(
            f"installed {installed.name} {installed.version} from {installed.marketplace} "
            f"(archive sha256 {installed.archive_sha256})"
        )
        for kind, capability in sorted(installed.manifest().capabilities.items()):
            mark = "granted" if kind in installed.granted else "denied"
            click.echo(f"  {mark:8} {kind}: {capability.scope_summary()}  (as the lock records)")


def offer_rollback(name: str, error: AccError) -> None:
    """`name` failed while starting. If an earlier version is kept (it was updated), offer to
    roll back to it: on a terminal, ask; otherwise say how in the error's hint. Returns only
    when there is nothing to offer (the caller re-raises the error)."""
    from host.cli import ask_on_terminal
    from host.consent import Answers
    from host.marketplace.update import rollback as rollback_plugin
    from host.marketplace.update import session
    from host.store import LocalStore

    installed = LocalStore(host_paths()).find(name)
    if installed is None or not installed.marketplace or len(installed.versions) < 2:
        return
    how = f"`acc plugin rollback {name}` switches back to the version kept from before"
    if not sys.stdin.isatty():
        error.hint = f"{name} {installed.version} fails to start; {how}"
        return
    click.echo(f"error: {error.diagnostics()}", err=True)
    click.echo(
        f"{name} {installed.version} fails to start; earlier versions are kept: "
        f"{', '.join(v for v in installed.versions if v != installed.version)}",
        err=True,
    )
    if not click.confirm(
        f"Roll {name} back to the newest earlier version the marketplace still vouches for?", default=False, err=True
    ):
        sys.exit(1)
    consent = Answers(ask=ask_on_terminal, announce=click.echo)
    with session(host_paths(), terminal_progress()) as current:
        try:
            result = rollback_plugin(current, name, None, consent, None)
        except AccError as e:
            raise _offline(e) from e
    click.echo(f"rolled back {name} {result.previous.version} -> {result.current.version}; run the command again")
    sys.exit(1)


def marketplace_info(requirement: str, *, marketplace: str | None, as_json: bool) -> None:
    """`acc plugin info NAME` for a plugin that is not installed (or with --available):
    what the marketplace's TUF-verified index lists."""
    import json
    import shutil
    import tempfile

    from host.abi import SUPPORTED_ABI_VERSIONS
    from host.marketplace.config import MarketplaceConfig
    from host.marketplace.index import signer_changes
    from host.marketplace.install import find_plugin
    from host.marketplace.plan import version_order
    from host.marketplace.resolve import admits_abi, parse_requirement, select_version

    paths = host_paths()
    parsed = parse_requirement(requirement)
    paths.downloads.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=paths.downloads, prefix="info-"))
    try:
        client, index = find_plugin(paths, MarketplaceConfig(paths), parsed, parsed.marketplace or marketplace, work)
    except AccError as e:
        raise _offline(
            e,
            "`acc plugin info NAME` works offline for installed plugins (`acc plugin list`); "
            "others need the marketplace",
            changed=False,
        ) from e
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        newest = select_version(index, parsed, SUPPORTED_ABI_VERSIONS).entry
    except AccError:
        newest = None
    ordered = sorted(index.versions, key=lambda e: version_order(e.version), reverse=True)
    new_signers = signer_changes(index)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": index.name,
                    "marketplace": client.marketplace.name,
                    "owner": index.owner,
                    "deprecated": index.deprecated or None,
                    "latest": newest.version if newest else None,
                    "versions": [
                        {
                            "version": e.version,
                            "yanked": e.yanked,
                            "yank_reason": e.yank_reason or None,
                            "abi": e.abi,
                            "runs_here": admits_abi(e, SUPPORTED_ABI_VERSIONS),
                            "signer": e.signer.describe(),
                            "signer_changed_from": new_signers.get(e.version),
                            "publisher": e.publisher or index.owner,
                            "capabilities": e.capabilities,
                            "dependencies": e.dependencies,
                            "sha256": e.sha256,
                            "length": e.length,
                        }
                        for e in ordered
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"{index.name} on {client.marketplace.name} (owner {index.owner}), verified by its signed index")
    if index.deprecated:
        click.echo(f"  DEPRECATED: {index.deprecated}")
    click.echo("versions:")
    for entry in ordered:
        notes = []
        if newest is not None and entry.version == newest.version:
            notes.append("newest for this host")
        if entry.yanked:
            notes.append(f"YANKED: {entry.yank_reason or 'no reason given'}")
        if not admits_abi(entry, SUPPORTED_ABI_VERSIONS):
            notes.append(f"needs plugin ABI {entry.abi}")
        if entry.version in new_signers:
            notes.append(f"NEW SIGNER {entry.signer.describe()} (before: {new_signers[entry.version]})")
        click.echo(f"  {entry.version:<12} {'; '.join(notes)}".rstrip())
    shown = newest or (ordered[0] if ordered else None)
    if shown is None:
        return
    click.echo(f"{shown.version}: signed by {shown.signer.describe()}, published by {shown.publisher or index.owner}")
    click.echo("  capabilities:" if shown.capabilities else "  capabilities: none")
    for kind, summary in sorted(shown.capabilities.items()):
        scope = summary.get("scope", "") if isinstance(summary, dict) else ""
        reason = summary.get("reason", "") if isinstance(summary, dict) else ""
        click.echo(f"    {kind}: {scope}\n        why: {reason}")
    if shown.dependencies:
        click.echo("  needs: " + ", ".join(f"{dep}{spec}" for dep, spec in sorted(shown.dependencies.items())))
    click.echo(f"install: acc plugin install {index.name}")
