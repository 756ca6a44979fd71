"""Update, rollback and lock files against a real registry server: versions kept for
rollback, yanked versions, an update that asks for a new capability, a lock reproduced on
a fresh acc home (and one with a wrong hash refused), and the marketplace going away. The
registry is the session's shared marketplace (tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from tests.server_kit import ACC, Marketplace, acc, running_registry

pytestmark = pytest.mark.slow


@dataclass
class User:
    env: dict[str, str]
    cwd: Path
    home: Path

    def run(self, *args: str, ok: bool = True) -> tuple[str, str]:
        proc = acc(*args, env=self.env, cwd=self.cwd, ok=ok)
        return proc.stdout, proc.stderr

    def plugins(self) -> dict[str, tuple[str, list[str], list[str]]]:
        """name -> (current version, kept versions, grants)."""
        listed = json.loads(self.run("plugin", "list", "--json")[0])
        return {p["name"]: (p["version"], p["versions"], p["granted"]) for p in listed}


def _user(
    tmp_path: Path, marketplace: Marketplace, *, name: str = "home", url: str | None = None, add: bool = True
) -> User:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "a.py").write_text("x = 1\ny = 2\n")
    home = tmp_path / name
    user = User(env={**marketplace.env, "ACC_HOME": str(home)}, cwd=project, home=home)
    if add:
        user.run(
            "marketplace", "add", url or marketplace.url, "--name", "local", "--root-sha256", marketplace.root_sha256
        )
    return user


@contextmanager
def _yanked(marketplace: Marketplace, name: str, version: str, reason: str) -> Iterator[None]:
    acc(
        "plugin",
        "yank",
        name,
        version,
        "--reason",
        reason,
        "--registry",
        marketplace.url,
        "--token",
        marketplace.token,
        env=marketplace.env,
        cwd=marketplace.work,
    )
    try:
        yield
    finally:
        acc(
            "plugin",
            "unyank",
            name,
            version,
            "--registry",
            marketplace.url,
            "--token",
            marketplace.token,
            env=marketplace.env,
            cwd=marketplace.work,
        )


def test_update_check_reports_the_newer_version_without_changing_anything(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    user.run("plugin", "install", "stats-next==1.1.0", "--yes")
    out, _ = user.run("plugin", "update", "--check")
    assert out == (
        "NAME           INSTALLED  AVAILABLE  CHANGES\n"
        "project-stats  1.0.0      1.1.0      same capabilities\n"
        "stats-next     1.1.0      1.2.0      asks for more: new capability kv: store data (up to 1048576 bytes)\n"
    )
    assert user.plugins() == {
        "project-stats": ("1.0.0", ["1.0.0"], ["fs", "process"]),
        "stats-next": ("1.1.0", ["1.1.0"], ["fs", "process"]),
    }


def test_rollback_goes_to_the_kept_earlier_version_and_update_returns_to_the_newest(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    assert user.run("plugin", "update")[0] == "updated project-stats 1.0.0 -> 1.1.0\n"
    assert user.plugins() == {"project-stats": ("1.1.0", ["1.0.0", "1.1.0"], ["fs", "process"])}

    assert user.run("plugin", "rollback", "project-stats")[0] == "rolled back project-stats 1.1.0 -> 1.0.0\n"
    assert user.plugins() == {"project-stats": ("1.0.0", ["1.0.0", "1.1.0"], ["fs", "process"])}
    result = json.loads(user.run("plugin", "run", "project-stats", "summary", "-q")[0])
    assert (result["files"], result["lines"]) == (1, 2)

    assert user.run("plugin", "update", "project-stats")[0] == "updated project-stats 1.0.0 -> 1.1.0\n"
    assert user.plugins() == {"project-stats": ("1.1.0", ["1.0.0", "1.1.0"], ["fs", "process"])}
    _, err = user.run("plugin", "rollback", "project-stats", "--to", "1.1.0", ok=False)
    assert err == "error: project-stats 1.1.0 is already the current version\n"


def test_update_stays_on_the_installed_version_when_the_newer_one_is_yanked_and_says_why(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    with _yanked(marketplace, "project-stats", "1.1.0", "miscounts lines"):
        out, _ = user.run("plugin", "update")
        assert out == "project-stats 1.0.0 is up to date (1.1.0 is yanked: miscounts lines)\n"
        check, _ = user.run("plugin", "update", "--check")
        assert (
            check.splitlines()[1]
            == "project-stats  1.0.0      -          up to date (1.1.0 is yanked: miscounts lines)"
        )
    assert user.plugins()["project-stats"][0] == "1.0.0"


def test_an_installed_yanked_version_is_not_replaced_by_an_older_one_silently(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    user.run("plugin", "update")
    with _yanked(marketplace, "project-stats", "1.1.0", "miscounts lines"):
        out, err = user.run("plugin", "update")
        assert out == ""
        assert err == (
            "project-stats 1.1.0 is yanked: miscounts lines; the newest version that is not yanked is "
            "1.0.0: not replacing 1.1.0 with an older version by itself\n"
            "  to switch to 1.0.0: `acc plugin rollback project-stats --to 1.0.0`\n"
        )
        assert user.plugins()["project-stats"][0] == "1.1.0"
        assert user.run("plugin", "rollback", "project-stats")[0] == "rolled back project-stats 1.1.0 -> 1.0.0\n"


def test_rollback_refuses_a_yanked_version_unless_it_is_named_and_confirmed(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    user.run("plugin", "update")
    with _yanked(marketplace, "project-stats", "1.0.0", "wrong totals"):
        _, err = user.run("plugin", "rollback", "project-stats", ok=False)
        assert err == (
            "error: no kept earlier version of project-stats can be rolled back to: 1.0.0 is yanked: "
            "wrong totals\n  hint: name one with `acc plugin rollback project-stats --to VERSION` to "
            "confirm it anyway, or install another with `acc plugin install project-stats==VERSION`\n"
        )
        _, err = user.run("plugin", "rollback", "project-stats", "--to", "1.0.0", ok=False)
        assert err == (
            "error: not rolling back project-stats to 1.0.0: 1.0.0 is yanked: wrong totals\n"
            "  hint: to use it anyway, confirm on a terminal or pass --yes "
            "(`acc plugin rollback project-stats --to 1.0.0 --yes`)\n"
        )
        assert user.plugins()["project-stats"][0] == "1.1.0"
        out, _ = user.run("plugin", "rollback", "project-stats", "--to", "1.0.0", "--yes")
        assert out == (
            "project-stats 1.0.0: 1.0.0 is yanked: wrong totals. Roll back to it anyway? yes (--yes)\n"
            "rolled back project-stats 1.1.0 -> 1.0.0\n"
        )
    assert user.plugins()["project-stats"][0] == "1.0.0"


def test_an_update_that_adds_a_capability_needs_yes_without_a_terminal_and_shows_the_difference(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-next==1.1.0", "--yes")
    out, err = user.run("plugin", "update", "stats-next", ok=False)
    assert out == ""
    assert err == (
        "error: stats-next 1.2.0 asks for more than stats-next 1.1.0 was granted:\n"
        "  + new capability kv: store data (up to 1048576 bytes) "
        "(why: Remembers the last summary to report what changed.)\n"
        "nothing was changed\n"
        "  hint: approve it with `acc plugin update stats-next --yes`, or run the command on a terminal to be asked\n"
    )
    assert user.plugins() == {"stats-next": ("1.1.0", ["1.1.0"], ["fs", "process"])}

    out, _ = user.run("plugin", "update", "stats-next", "--yes")
    assert out == (
        "stats-next 1.2.0 asks for more than stats-next 1.1.0 was granted:\n"
        "  + new capability kv: store data (up to 1048576 bytes) "
        "(why: Remembers the last summary to report what changed.)\n"
        "  approved by --yes\n"
        "updated stats-next 1.1.0 -> 1.2.0\n"
    )
    assert user.plugins() == {"stats-next": ("1.2.0", ["1.1.0", "1.2.0"], ["fs", "kv", "process"])}

    # Back to 1.1.0 narrows: the kv grant is dropped without asking.
    out, _ = user.run("plugin", "rollback", "stats-next")
    assert out == (
        "stats-next 1.1.0: no longer uses kv (store data (up to 1048576 bytes))\n"
        "rolled back stats-next 1.2.0 -> 1.1.0\n"
    )
    assert user.plugins() == {"stats-next": ("1.1.0", ["1.1.0", "1.2.0"], ["fs", "process"])}


def test_update_prunes_previous_versions_beyond_keep(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-next==1.1.0", "--yes")
    user.run("plugin", "update", "--yes", "--keep", "0")
    assert user.plugins() == {"stats-next": ("1.2.0", ["1.2.0"], ["fs", "kv", "process"])}
    assert sorted(p.name for p in (user.home / "plugins" / "stats-next").iterdir()) == ["1.2.0"]
    _, err = user.run("plugin", "rollback", "stats-next", ok=False)
    assert err.startswith("error: stats-next has no earlier version kept to roll back to (current: 1.2.0)\n")


def test_lock_then_install_locked_reproduces_versions_hashes_and_grants_on_a_fresh_home(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    first = _user(tmp_path, marketplace, name="first")
    first.run("plugin", "install", "project-stats==1.0.0", "--grant", "fs", "--deny", "process")
    first.run("plugin", "install", "stats-next", "--yes")
    lock_file = tmp_path / "acc.lock"
    out, _ = first.run("plugin", "lock", "--output", str(lock_file))
    assert out == f"wrote {lock_file}: 2 plugins from local\n"
    assert json.loads(lock_file.read_text()) == {
        "lock_version": 1,
        "marketplaces": {"local": {"root_sha256": marketplace.root_sha256, "url": marketplace.url}},
        "plugins": {
            "project-stats": {
                "archive_sha256": marketplace.sha256["project-stats 1.0.0"],
                "granted": ["fs"],
                "marketplace": "local",
                "version": "1.0.0",
            },
            "stats-next": {
                "archive_sha256": marketplace.sha256["stats-next 1.2.0"],
                "granted": ["fs", "kv", "process"],
                "marketplace": "local",
                "version": "1.2.0",
            },
        },
    }

    second = _user(tmp_path, marketplace, name="second", add=False)
    out, _ = second.run("plugin", "install", "--locked", str(lock_file))
    assert out.splitlines()[0] == (
        f"added marketplace local ({marketplace.url}) from the lock, root sha256 {marketplace.root_sha256}"
    )
    assert (
        f"installed project-stats 1.0.0 from local (archive sha256 {marketplace.sha256['project-stats 1.0.0']})\n"
        "  granted  fs: read the project  (as the lock records)\n"
        "  denied   process: run programs: git  (as the lock records)\n" in out
    )
    assert second.plugins() == {
        "project-stats": ("1.0.0", ["1.0.0"], ["fs"]),
        "stats-next": ("1.2.0", ["1.2.0"], ["fs", "kv", "process"]),
    }
    second.run("plugin", "lock", "--output", str(tmp_path / "again.lock"))
    assert (tmp_path / "again.lock").read_bytes() == lock_file.read_bytes()
    again, _ = second.run("plugin", "install", "--locked", str(lock_file))
    assert again == (
        "project-stats 1.0.0 is already installed (from local)\nstats-next 1.2.0 is already installed (from local)\n"
    )


def test_install_locked_refuses_a_lock_whose_archive_hash_does_not_match_and_installs_nothing(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    wrong = "0" * 64
    lock_file = tmp_path / "acc.lock"
    lock_file.write_text(
        json.dumps(
            {
                "lock_version": 1,
                "marketplaces": {"local": {"root_sha256": marketplace.root_sha256, "url": marketplace.url}},
                "plugins": {
                    "project-stats": {
                        "archive_sha256": marketplace.sha256["project-stats 1.0.0"],
                        "granted": [],
                        "marketplace": "local",
                        "version": "1.0.0",
                    },
                    "stats-next": {"archive_sha256": wrong, "granted": [], "marketplace": "local", "version": "1.1.0"},
                },
            }
        )
    )
    user = _user(tmp_path, marketplace, add=False)
    _, err = user.run("plugin", "install", "--locked", str(lock_file), ok=False)
    assert err == (
        f"error: the lock records sha256 {wrong} for stats-next 1.1.0, but local's signed index lists "
        f"{marketplace.sha256['stats-next 1.1.0']}: refused, nothing was installed\n"
        "  hint: a published version never changes: check where the lock file came from\n"
    )
    assert user.plugins() == {}


def test_offline_update_check_and_rollback_say_the_marketplace_cannot_be_reached_and_change_nothing(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    with running_registry(marketplace.data, workers=1, log=tmp_path / "second-server.log") as url:
        user = _user(tmp_path, marketplace, url=url)
        user.run("plugin", "install", "project-stats==1.0.0", "--yes")
        user.run("plugin", "update")
    before = user.plugins()
    assert before == {"project-stats": ("1.1.0", ["1.0.0", "1.1.0"], ["fs", "process"])}
    for command in (("update", "--check"), ("update",), ("rollback", "project-stats")):
        _, err = user.run("plugin", *command, ok=False)
        assert err.startswith(f"error: cannot reach marketplace local at {url} (")
        assert err.splitlines()[0].endswith("): nothing was changed")
        assert user.plugins() == before
    result = json.loads(user.run("plugin", "run", "project-stats", "summary", "-q")[0])
    assert (result["files"], result["lines"]) == (1, 2)


def test_an_update_signed_by_another_publisher_key_is_shown_and_needs_consent(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    key1, key2 = (
        json.loads((marketplace.work / f"stats-rekey-{v}.plugin.sig").read_text())["key_id"] for v in ("1.0.0", "1.1.0")
    )
    assert key1 != key2
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-rekey==1.0.0", "--yes")
    _, err = user.run("plugin", "update", "stats-rekey", ok=False)
    assert err == (
        "error: stats-rekey 1.1.0 is signed by another publisher key than stats-rekey 1.0.0:\n"
        f"  + signed by another publisher key: {key2} (was {key1})\n"
        "nothing was changed\n"
        "  hint: approve it with `acc plugin update stats-rekey --yes`, or run the command on a terminal to be asked\n"
    )
    assert user.plugins()["stats-rekey"][0] == "1.0.0"
    out, _ = user.run("plugin", "update", "stats-rekey", "--yes")
    assert out.endswith("  approved by --yes\nupdated stats-rekey 1.0.0 -> 1.1.0\n")
    info = json.loads(user.run("plugin", "info", "stats-rekey", "--json")[0])
    assert (info["version"], info["signer"]) == ("1.1.0", key2)
    available = user.run("plugin", "info", "stats-rekey", "--available")[0]
    assert f"NEW SIGNER ed25519 key {key2} (before: ed25519 key {key1})" in available
    listed = json.loads(user.run("plugin", "info", "stats-rekey", "--available", "--json")[0])["versions"]
    assert [(v["version"], v["signer_changed_from"]) for v in listed] == [
        ("1.1.0", f"ed25519 key {key1}"),
        ("1.0.0", None),
    ]


# -- on a terminal -----------------------------------------------------------------------------


def _terminal(user: User, *args: str) -> pexpect.spawn:
    """`acc ARGS` on a pseudo-terminal (stdin, stdout and stderr are all a TTY)."""
    return pexpect.spawn(
        ACC, list(args), env=user.env, cwd=str(user.cwd), encoding="utf-8", timeout=120, dimensions=(40, 200)
    )


def _finished(session: pexpect.spawn) -> int:
    session.expect(pexpect.EOF)
    session.close()
    assert "Traceback" not in (session.before or "")
    return int(session.exitstatus)


def test_on_a_terminal_install_shows_download_and_compile_progress(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    session = _terminal(user, "plugin", "install", "project-stats", "--yes")
    session.expect(r"downloading project-stats 1\.1\.0  [█·]{24}")
    session.expect(r"█{24} 100%  \d+\.\d MB of \d+\.\d MB")
    session.expect(r"compiling project-stats 1\.1\.0  done in \d+\.\d s")
    session.expect("installed project-stats 1.1.0 from local")
    assert _finished(session) == 0


def test_without_a_terminal_install_prints_no_progress(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    result = acc("plugin", "install", "project-stats", "--yes", env=user.env, cwd=user.cwd)
    assert "\r" not in result.stdout + result.stderr
    assert "downloading" not in result.stderr and "compiling" not in result.stderr


def test_on_a_terminal_install_asks_for_each_capability(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    session = _terminal(user, "plugin", "install", "project-stats==1.0.0")
    session.expect(r"Grant fs\? \[y/N\]: ")
    session.sendline("y")
    session.expect(r"Grant process\? \[y/N\]: ")
    session.sendline("n")
    session.expect("installed project-stats 1.0.0 from local")
    assert _finished(session) == 0
    assert user.plugins()["project-stats"] == ("1.0.0", ["1.0.0"], ["fs"])


def test_on_a_terminal_a_widening_update_asks_for_each_new_capability_as_install_does(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-next==1.1.0", "--yes")
    session = _terminal(user, "plugin", "update", "stats-next")
    session.expect(r"stats-next 1\.2\.0 asks for more than stats-next 1\.1\.0 was granted:\r\n")
    session.expect(r"new capability kv: store data \(up to 1048576 bytes\)")
    session.expect(r"Grant kv\? \[y/N\]: ")
    session.sendline("n")  # as at install: a no is a denied kind, not a refused update
    session.expect(r"updated stats-next 1\.1\.0 -> 1\.2\.0")
    assert _finished(session) == 0
    assert user.plugins()["stats-next"] == ("1.2.0", ["1.1.0", "1.2.0"], ["fs", "process"])

    user.run("plugin", "rollback", "stats-next")
    session = _terminal(user, "plugin", "update", "stats-next")
    session.expect(r"Grant kv\? \[y/N\]: ")
    session.sendline("y")
    session.expect(r"updated stats-next 1\.1\.0 -> 1\.2\.0")
    assert _finished(session) == 0
    assert user.plugins()["stats-next"] == ("1.2.0", ["1.1.0", "1.2.0"], ["fs", "kv", "process"])


def test_on_a_terminal_a_new_publisher_key_is_asked_and_a_no_changes_nothing(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-rekey==1.0.0", "--yes")
    session = _terminal(user, "plugin", "update", "stats-rekey")
    session.expect(r"stats-rekey 1\.1\.0 is signed by another publisher key than stats-rekey 1\.0\.0:")
    session.expect(r"Trust the new publisher key\? \[y/N\]: ")
    session.sendline("n")
    session.expect("update of stats-rekey to 1.1.0 declined: nothing was changed")
    assert _finished(session) == 1
    assert user.plugins()["stats-rekey"][0] == "1.0.0"


def test_on_a_terminal_rollback_to_a_yanked_version_asks_to_confirm(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    user.run("plugin", "update")
    with _yanked(marketplace, "project-stats", "1.0.0", "wrong totals"):
        session = _terminal(user, "plugin", "rollback", "project-stats", "--to", "1.0.0")
        session.expect(r"project-stats 1\.0\.0: 1\.0\.0 is yanked: wrong totals\. Roll back to it anyway\? \[y/N\]: ")
        session.sendline("n")
        session.expect("not rolling back project-stats to 1.0.0: 1.0.0 is yanked: wrong totals")
        assert _finished(session) == 1
        assert user.plugins()["project-stats"][0] == "1.1.0"
        session = _terminal(user, "plugin", "rollback", "project-stats", "--to", "1.0.0")
        session.expect(r"Roll back to it anyway\? \[y/N\]: ")
        session.sendline("y")
        session.expect(r"rolled back project-stats 1\.1\.0 -> 1\.0\.0")
        assert _finished(session) == 0
    assert user.plugins()["project-stats"][0] == "1.0.0"


# -- an update that crashes as it starts ------------------------------------------------------


def test_a_version_that_crashes_on_start_says_how_to_roll_back(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-broken==1.0.0", "--yes")
    user.run("plugin", "update", "--yes")
    assert user.plugins()["stats-broken"][0] == "1.1.0"
    _, err = user.run("plugin", "run", "stats-broken", "summary", ok=False)
    assert err.startswith("error: stats-broken initialize crashed: "), err
    assert err.endswith(
        "  hint: stats-broken 1.1.0 fails to start; `acc plugin rollback stats-broken` switches "
        "back to the version kept from before\n"
    ), err
    assert user.run("plugin", "rollback", "stats-broken")[0] == "rolled back stats-broken 1.1.0 -> 1.0.0\n"
    out, _ = user.run("plugin", "run", "stats-broken", "summary", "-q")
    assert json.loads(out)["files"] == 1


def test_on_a_terminal_a_version_that_crashes_on_start_offers_the_rollback(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-broken==1.0.0", "--yes")
    user.run("plugin", "update", "--yes")
    session = _terminal(user, "plugin", "run", "stats-broken", "summary")
    session.expect("error: stats-broken initialize crashed")
    session.expect(r"stats-broken 1\.1\.0 fails to start; earlier versions are kept: 1\.0\.0")
    session.expect(
        r"Roll stats-broken back to the newest earlier version the marketplace still vouches for\? "
        r"\[y/N\]: "
    )
    session.sendline("y")
    session.expect(r"rolled back stats-broken 1\.1\.0 -> 1\.0\.0; run the command again")
    assert _finished(session) == 1
    out, _ = user.run("plugin", "run", "stats-broken", "summary", "-q")
    assert json.loads(out)["files"] == 1


def test_a_crash_on_start_without_an_earlier_version_offers_nothing(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "stats-broken==1.1.0", "--yes")
    _, err = user.run("plugin", "run", "stats-broken", "summary", ok=False)
    assert err.startswith("error: stats-broken initialize crashed: "), err
    assert "rollback" not in err


def test_update_grants_or_denies_a_new_capability_kind_by_kind_without_yes(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    denying = _user(tmp_path, marketplace, name="denying")
    denying.run("plugin", "install", "stats-next==1.1.0", "--yes")
    out, _ = denying.run("plugin", "update", "stats-next", "--deny", "kv")
    assert out == (
        "stats-next 1.2.0: new capability kv: store data (up to 1048576 bytes) "
        "(why: Remembers the last summary to report what changed.) "
        "(applied without the grant, by --deny)\n"
        "updated stats-next 1.1.0 -> 1.2.0\n"
    )
    assert denying.plugins()["stats-next"] == ("1.2.0", ["1.1.0", "1.2.0"], ["fs", "process"])

    granting = _user(tmp_path, marketplace, name="granting")
    granting.run("plugin", "install", "stats-next==1.1.0", "--yes")
    out, _ = granting.run("plugin", "update", "stats-next", "--grant", "kv")
    assert out.endswith("(granted by --grant)\nupdated stats-next 1.1.0 -> 1.2.0\n"), out
    assert granting.plugins()["stats-next"] == ("1.2.0", ["1.1.0", "1.2.0"], ["fs", "kv", "process"])


def test_update_refuses_an_unknown_capability_kind(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    _, err = user.run("plugin", "update", "--grant", "network", ok=False)
    assert err.startswith("error: --grant network: no such capability kind\n  hint: the kinds are fs, http, kv, "), err


# -- info from the marketplace -----------------------------------------------------------------


def test_info_of_a_plugin_not_installed_shows_the_signed_index(tmp_path: Path, marketplace: Marketplace) -> None:
    user = _user(tmp_path, marketplace)
    with _yanked(marketplace, "stats-next", "1.1.0", "counts twice"):
        out, _ = user.run("plugin", "info", "stats-next")
    lines = out.splitlines()
    assert lines[0] == "stats-next on local (owner alice), verified by its signed index"
    assert lines[1] == "  Counts a project's files and lines by language, and reports the git version that tracks it."
    assert lines[2] == "  license: Apache-2.0   authors: acc plugins team"
    assert lines[3] == "versions:"
    assert re.fullmatch(r"  1\.2\.0  \d+\.\d MB  newest for this host", lines[4]), lines[4]
    assert re.fullmatch(r"  1\.1\.0  \d+\.\d MB  YANKED: counts twice", lines[5]), lines[5]
    assert lines[6].startswith("1.2.0: signed by ed25519 key ") and lines[6].endswith(", published by alice")
    assert "  commands:" in lines and "    summary: Count files and lines per file extension under a directory" in out
    assert "    kv: store data (up to 1048576 bytes)" in lines
    assert "        why: Remembers the last summary to report what changed." in lines
    assert lines[-1] == "install: acc plugin install stats-next"
    assert user.plugins() == {}


def test_info_available_shows_the_marketplace_view_of_an_installed_plugin_as_json(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    user.run("plugin", "install", "project-stats==1.0.0", "--yes")
    local = json.loads(user.run("plugin", "info", "project-stats", "--json")[0])
    assert local["version"] == "1.0.0"
    remote = json.loads(user.run("plugin", "info", "project-stats", "--available", "--json")[0])
    assert (remote["latest"], [v["version"] for v in remote["versions"]]) == ("1.1.0", ["1.1.0", "1.0.0"])
    assert remote["versions"][0]["sha256"] == marketplace.sha256["project-stats 1.1.0"]
    assert remote["versions"][0]["capabilities"]["process"]["scope"] == "run programs: git"


def test_info_of_an_unknown_plugin_says_so_and_offline_says_what_still_works(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    user = _user(tmp_path, marketplace)
    _, err = user.run("plugin", "info", "no-such-plugin", ok=False)
    assert err.startswith("error: no plugin named no-such-plugin on local"), err
    with running_registry(marketplace.data, workers=1, log=tmp_path / "second-server.log") as url:
        offline = _user(tmp_path, marketplace, name="offline", url=url)
        offline.run("plugin", "install", "project-stats==1.0.0", "--yes")
    assert "project-stats 1.0.0" in offline.run("plugin", "info", "project-stats")[0]  # from the store
    _, err = offline.run("plugin", "info", "stats-next", ok=False)
    assert err.startswith(f"error: cannot reach marketplace local at {url} ("), err
    assert "hint: `acc plugin info NAME` works offline for installed plugins" in err
