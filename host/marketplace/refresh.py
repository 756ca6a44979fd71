"""`acc marketplace update`: refresh each marketplace's TUF metadata and say what changed.

A refresh is what every install and update starts with (`MarketplaceClient.refresh`:
root, timestamp, snapshot, targets, each verified by python-tuf); here it is done on its
own, so a user can see that a marketplace is reachable and current, and what moved since
the last time: a new root (a key rotation), newer snapshot and targets versions (plugins
published, yanked or updated), a new expiry. The versions are read from the trusted
metadata ngclient keeps in the marketplace's metadata directory, before and after; those
files were verified when ngclient wrote them, and are only read here to report on them.

It also says which installed plugins from that marketplace now have a newer version
(what `acc plugin update --check` would list), looking up their signed indexes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from host.errors import MarketplaceError
from host.marketplace.config import Marketplace, MarketplaceConfig
from host.paths import HostPaths
from host.store import LocalStore
from sdk.errors import AccError

ROLES = ("root", "timestamp", "snapshot", "targets")
_MAX_METADATA_BYTES = 4_000_000  # the client's own cap for snapshot and targets


@dataclass(frozen=True)
class RoleState:
    """One top-level role's trusted metadata: its version and when it expires."""

    version: int
    expires: str


@dataclass(frozen=True)
class RefreshReport:
    """What one `marketplace update` found for one marketplace."""

    marketplace: Marketplace
    #: Role -> state before the refresh (absent: never refreshed) and after it.
    before: dict[str, RoleState]
    after: dict[str, RoleState]
    #: (plugin, installed version, newer version) for installed plugins an update would move.
    updates: list[tuple[str, str, str]]

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def changes(self) -> list[str]:
        """`snapshot 3 -> 5` for each role whose version moved, oldest role first."""
        moved = []
        for role in ROLES:
            old, new = self.before.get(role), self.after.get(role)
            if new is not None and (old is None or old.version != new.version):
                moved.append(f"{role} {old.version if old else 'none'} -> {new.version}")
        return moved


@dataclass(frozen=True)
class RefreshFailure:
    """A marketplace that could not be refreshed, and why (nothing of it changed)."""

    marketplace: Marketplace
    error: MarketplaceError


def trusted_state(marketplace: Marketplace) -> dict[str, RoleState]:
    """The versions and expiry dates of the top-level metadata this host trusts now."""
    state = {}
    for role in ROLES:
        path = marketplace.metadata_dir / f"{role}.json"
        try:
            with open(path, "rb") as f:
                document: Any = json.loads(f.read(_MAX_METADATA_BYTES))
            signed = document["signed"]
            state[role] = RoleState(int(signed["version"]), str(signed["expires"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # never refreshed, or not ngclient's file: reported as "none"
    return state


def refresh_marketplaces(paths: HostPaths, names: Sequence[str] = ()) -> list[RefreshReport | RefreshFailure]:
    """Refresh the named marketplaces (all when none are named), each on its own: one that
    fails is reported as its error beside the others' reports."""
    from host.marketplace.update import check_update, session

    config = MarketplaceConfig(paths)
    markets = [config.get(name) for name in names] if names else config.list()
    if not markets:
        raise MarketplaceError(
            "no marketplace has been added", hint="add one with `acc marketplace add URL --root-sha256 HEX`"
        )
    installed = LocalStore(paths).list()
    results: list[RefreshReport | RefreshFailure] = []
    with session(paths) as current:
        for market in markets:
            before = trusted_state(market)
            try:
                current.client(market.name).refresh()
                updates = []
                for plugin in installed:
                    if plugin.marketplace != market.name:
                        continue
                    try:
                        check = check_update(current, plugin)
                    except AccError as e:
                        if isinstance(e, MarketplaceError):
                            raise  # the marketplace failed: reported as its failure
                        continue  # no longer published, say: `acc plugin update --check` says why
                    if check.choice.status == "update" and check.choice.target is not None:
                        updates.append((plugin.name, plugin.version, check.choice.target.version))
            except MarketplaceError as e:
                results.append(RefreshFailure(market, e))
                continue
            results.append(RefreshReport(market, before, trusted_state(market), updates))
    return results
