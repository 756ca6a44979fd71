"""One marketplace for the end-to-end session: a registry server with alice publishing.

Starting a registry (init, an account, keys, a token: five `acc` runs) and a server, then
publishing through the real CLI, costs tens of seconds; the install, update and dependency
journeys share one. Everything they install is published once, up front (all variants of
project-stats, so one compiled component):

    project-stats  1.0.0, 1.1.0 (same capabilities)
    stats-next     1.1.0; 1.2.0 adds kv
    stats-rekey    1.0.0; 1.1.0 signed by alice's second key (same account, another key)
    stats-broken   1.0.0; 1.1.0 crashes as it starts (a component that traps)
    dep-base       1.0.0, 2.0.0
    dep-middle     1.0.0 needs dep-base<2;  2.0.0 needs dep-base>=2
    dep-top        1.0.0 needs dep-middle<2
    dep-needy      1.0.0 needs dep-base>=3 (no such version)
    ring-one       1.0.0;  2.0.0 needs ring-two
    ring-two       1.0.0 needs ring-one (published between them, so the registry accepts both)

Tests that change the registry put it back as they found it (a yank is undone, a
tampered blob restored, in `finally`); tests that need a registry of their own (renewing
its keys, the official seed, TUF attacks on its storage) build one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.server_kit import Marketplace, shared_marketplace


@pytest.fixture(scope="session")
def marketplace(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]
) -> Iterator[Marketplace]:
    """The session's registry server, everything above published by alice."""
    with shared_marketplace(tmp_path_factory.mktemp("marketplace"), built_archives("project-stats")) as market:
        yield market
