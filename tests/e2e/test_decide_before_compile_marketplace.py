"""Marketplace installs, updates and rollbacks decide before they compile, against a real
registry server: without a terminal to ask, an update that asks for more, a new publisher
key, a dependency new to this machine and a switch back to a kept version that asks for more
are refused with nothing compiled; a plugin compiles only after its own questions.

The session's marketplace (tests/e2e/conftest.py) publishes what these need, all variants
of project-stats (one component):
    stats-next   1.1.0;  1.2.0 adds kv
    stats-rekey  1.0.0;  1.1.0 signed by another key of the same publisher
    dep-middle   1.0.0 needs dep-base<2;  2.0.0 needs dep-base>=2 (dep-base has no dependencies)
"""

from __future__ import annotations

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
from tests.helpers import TEST_CACHE
from tests.server_kit import Marketplace

pytestmark = pytest.mark.slow


@pytest.fixture
def paths(tmp_path: Path, marketplace: Marketplace) -> HostPaths:
    paths = HostPaths(home=tmp_path / "home", cache=TEST_CACHE)
    root, _ = fetch_root_to_pin(marketplace.url, marketplace.root_sha256)
    MarketplaceConfig(paths).add("local", marketplace.url, root)
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
        _install(paths, "stats-next==1.1.0")
    assert compiles == []


def test_a_dependency_nobody_can_answer_for_compiles_nothing(paths: HostPaths, compiles: list[str]) -> None:
    with pytest.raises(ConsentRequired, match="dep-base 1.0.0"):
        _install(paths, "dep-middle==1.0.0", grant=("fs", "process"))
    assert compiles == []
    assert LocalStore(paths).list() == []


def test_each_plugin_of_an_install_compiles_after_its_own_questions(paths: HostPaths, compiles: list[str]) -> None:
    events: list[str] = compiles  # one timeline: questions and compiles

    def ask(question: Question) -> bool:
        events.append(f"ask {question.kind}")
        return True

    install_requirement(paths, "dep-middle==1.0.0", InstallRequest(archive=Path()), ask=ask)
    # dep-base is decided, then compiled in the background while dep-middle downloads and asks:
    # its compile may land before or after needy's questions, never before its own.
    asks = [i for i, event in enumerate(events) if event.startswith("ask ")]
    assert len(asks) == 4 and len(events) == 6
    assert events.index("dep-base 1.0.0") > asks[1]
    assert events[-1] == "dep-middle 1.0.0"
    assert sorted(p.name for p in LocalStore(paths).list()) == ["dep-base", "dep-middle"]


def test_an_update_asking_for_more_without_a_terminal_compiles_nothing(paths: HostPaths, compiles: list[str]) -> None:
    _install(paths, "stats-next==1.1.0", yes=True)
    compiles.clear()
    with pytest.raises(ConsentRequired, match="asks for more than stats-next 1.1.0 was granted"):
        _update(paths, "stats-next", Answers())
    assert compiles == []
    assert LocalStore(paths).get("stats-next").version == "1.1.0"


def test_an_update_signed_by_a_new_key_without_a_terminal_compiles_nothing(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "stats-rekey==1.0.0", yes=True)
    compiles.clear()
    with pytest.raises(ConsentRequired, match="signed by another publisher key"):
        _update(paths, "stats-rekey", Answers())
    assert compiles == []


def test_an_update_needing_a_new_dependency_nobody_answers_for_compiles_nothing(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "dep-middle==1.0.0", yes=True)
    LocalStore(paths).remove("dep-base", force=True)  # dep-middle 2.0.0's dependency is new here
    compiles.clear()
    with pytest.raises(ConsentRequired, match="installing dep-base 2.0.0"):
        _update(paths, "dep-middle", Answers())
    assert compiles == []
    assert [p.name for p in LocalStore(paths).list()] == ["dep-middle"]


def test_switching_back_to_a_kept_version_that_asks_for_more_compiles_nothing_when_refused(
    paths: HostPaths, compiles: list[str]
) -> None:
    _install(paths, "stats-next==1.1.0", yes=True)
    _update(paths, "stats-next", Answers(yes=True))
    with session(paths) as current:
        rollback(current, "stats-next", None, Answers(), None)  # narrower: nothing to ask
    compiles.clear()
    with pytest.raises(ConsentRequired, match="asks for more"):
        _update(paths, "stats-next", Answers())  # 1.2.0 is kept: a switch, asked again
    assert compiles == []
    _update(paths, "stats-next", Answers(yes=True))
    assert compiles == ["stats-next 1.2.0"]  # the kept version is checked as compiled after the yes
