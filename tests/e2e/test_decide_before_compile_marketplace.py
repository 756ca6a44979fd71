"""Marketplace installs, updates and rollbacks decide before they compile, against a real
registry server: without a terminal to ask, an update that asks for more, a new publisher
key, a dependency new to this machine and a switch back to a kept version that asks for more
are refused with nothing compiled; a plugin compiles only after its own questions.

The registry publishes variants of project-stats (one component):
    grow      1.0.0;  1.1.0 adds kv
    rekey     1.0.0;  1.1.0 signed by another key of the same publisher
    helper    1.0.0
    needy     1.0.0;  2.0.0 needs helper
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import host.components
from host.consent import Answers, Question
from host.errors import ConsentRequired
from host.install import InstallRequest
from host.marketplace.config import MarketplaceConfig, fetch_root_to_pin
from host.marketplace.install import install_requirement
from host.marketplace.update import apply_update, check_update, rollback, session
from host.paths import HostPaths
from host.store import LocalStore
from sdk.archive import read_archive
from sdk.signing import sign_archive
from tests.helpers import TEST_CACHE
from tests.registry_kit import variant
from tests.server_kit import registry_with_publisher, root_sha256, running_registry

pytestmark = pytest.mark.slow

KV = '[capabilities.kv]\nreason = "Remembers the last summary."\n'
PUBLISHED = [  # name, version, extra plugin.toml, signed by the second key
    ("grow", "1.0.0", "", False),
    ("grow", "1.1.0", KV, False),
    ("rekey", "1.0.0", "", False),
    ("rekey", "1.1.0", "", True),
    ("helper", "1.0.0", "", False),
    ("needy", "1.0.0", "", False),
    ("needy", "2.0.0", '[dependencies]\nhelper = ">=1"\n', False),
]


@dataclass
class Registry:
    url: str
    root_sha256: str


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Iterator[Registry]:
    setup = registry_with_publisher(tmp_path_factory.mktemp("decide-first"))
    second_key = setup.add_key("alice2")
    base = read_archive(built_archives("project-stats"))
    with running_registry(setup.data) as url:
        for name, version, extra, rekeyed in PUBLISHED:
            archive = setup.work / f"{name}-{version}.plugin"
            archive.write_bytes(variant(base, name=name, version=version, extra_toml=extra))
            sign_archive(archive, second_key if rekeyed else setup.key)
            setup.publish(url, archive)
        yield Registry(url=url, root_sha256=root_sha256(url))


@pytest.fixture
def paths(tmp_path: Path, registry: Registry) -> HostPaths:
    paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
    root, _ = fetch_root_to_pin(registry.url, registry.root_sha256)
    MarketplaceConfig(paths).add("local", registry.url, root)
    return paths


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each compile_and_check (the one door to compiling a component), as "NAME VERSION"."""
    calls: list[str] = []
    real = host.components.compile_and_check

    def counting(wasm: Any, manifest: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"{manifest.name} {manifest.version}")
        return real(wasm, manifest, *args, **kwargs)

    monkeypatch.setattr(host.components, "compile_and_check", counting)
    return calls


def _install(paths: HostPaths, requirement: str, **request: Any) -> None:
    install_requirement(paths, requirement, InstallRequest(archive=Path(), **request))


def _update(paths: HostPaths, name: str, answers: Answers) -> None:
    with session(paths) as current:
        apply_update(current, check_update(current, LocalStore(paths).get(name)), answers, keep=3)


def test_an_install_nobody_can_answer_compiles_nothing(paths: HostPaths, compiles: list[str]) -> None:
    with pytest.raises(ConsentRequired, match="no terminal to ask"):
        _install(paths, "grow==1.0.0")
    assert compiles == []


def test_a_dependency_nobody_can_answer_for_compiles_nothing(paths: HostPaths, compiles: list[str]) -> None:
    with pytest.raises(ConsentRequired, match="helper 1.0.0"):
        _install(paths, "needy==2.0.0", grant=("fs", "process"))
    assert compiles == []
    assert LocalStore(paths).list() == []


def test_each_plugin_of_an_install_compiles_after_its_own_questions(paths: HostPaths, compiles: list[str]) -> None:
    events: list[str] = compiles  # one timeline: questions and compiles

    def ask(question: Question) -> bool:
        events.append(f"ask {question.kind}")
        return True

    install_requirement(paths, "needy==2.0.0", InstallRequest(archive=Path()), ask=ask)
    # helper is decided, then compiled in the background while needy downloads and asks:
    # its compile may land before or after needy's questions, never before its own.
    asks = [i for i, event in enumerate(events) if event.startswith("ask ")]
    assert len(asks) == 4 and len(events) == 6
    assert events.index("helper 1.0.0") > asks[1]
    assert events[-1] == "needy 2.0.0"
    assert sorted(p.name for p in LocalStore(paths).list()) == ["helper", "needy"]


def test_an_update_asking_for_more_without_a_terminal_compiles_nothing(paths: HostPaths, compiles: list[str]) -> None:
    _install(paths, "grow==1.0.0", yes=True)
    compiles.clear()
    with pytest.raises(ConsentRequired, match="asks for more than grow 1.0.0 was granted"):
        _update(paths, "grow", Answers())
    assert compiles == []
    assert LocalStore(paths).get("grow").version == "1.0.0"


def test_an_update_signed_by_a_new_key_without_a_terminal_compiles_nothing(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "rekey==1.0.0", yes=True)
    compiles.clear()
    with pytest.raises(ConsentRequired, match="signed by another publisher key"):
        _update(paths, "rekey", Answers())
    assert compiles == []


def test_an_update_needing_a_new_dependency_nobody_answers_for_compiles_nothing(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "needy==1.0.0", yes=True)
    compiles.clear()
    with pytest.raises(ConsentRequired, match="installing helper 1.0.0"):
        _update(paths, "needy", Answers())
    assert compiles == []
    assert [p.name for p in LocalStore(paths).list()] == ["needy"]


def test_switching_back_to_a_kept_version_that_asks_for_more_compiles_nothing_when_refused(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "grow==1.0.0", yes=True)
    _update(paths, "grow", Answers(yes=True))
    with session(paths) as current:
        rollback(current, "grow", None, Answers(), None)  # narrower: nothing to ask
    compiles.clear()
    with pytest.raises(ConsentRequired, match="asks for more"):
        _update(paths, "grow", Answers())  # 1.1.0 is kept: a switch, asked again
    assert compiles == []
    _update(paths, "grow", Answers(yes=True))
    assert compiles == ["grow 1.1.0"]  # the kept version is checked as compiled after the yes
