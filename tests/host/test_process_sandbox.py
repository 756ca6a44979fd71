"""The `process` capability behind its OS sandbox, tried from the attacker's side.

Every attack goes through the real capability path: `run_program` with the host's
profiles (or, where the point is that the wall holds alone, git without its profile),
under each mechanism usable here (bubblewrap, Landlock: chosen with
ACC_CONFINEMENT_MECHANISMS, the seam detection offers). Each attack is first run through
the same path with nothing confining it, on a copy of the same setup, and shown to
work: a test that passes because the attack was broken would prove nothing.

`tests/host/test_confinement.py` tries the mechanisms themselves; this file proves the
engine puts every launch behind them, and `test_escaper_plugin.py` does the same
through a real plugin component.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.errors import Denied, LimitExceeded, SandboxUnavailable
from host.capabilities.process.engine import SAFE_PATH, ProcessOutput, ProcessScope, ProgramProfile, run_program
from host.capabilities.process.profiles import PROFILES
from host.capabilities.process.profiles.git import _user_git_config_files, git_writes
from host.confinement import (
    MECHANISMS_VARIABLE,
    OVERRIDE_VARIABLE,
    Unconfined,
    UnconfinedWarning,
    system_detection,
)

pytestmark = pytest.mark.skipif(shutil.which("git", path=SAFE_PATH) is None, reason="needs git")

#: git with no policy at all: no argument checks, no hardening, no vetting. Only the
#: system config is skipped, since under Landlock /etc/gitconfig exists but is unreadable
#: and git would stop at that before any attack ran.
BARE_GIT = {"git": ProgramProfile(environment=lambda project: {"GIT_CONFIG_NOSYSTEM": "1"})}


# --- the world under attack -----------------------------------------------------------------


@dataclasses.dataclass
class World:
    """A project, the user's other files beside it, and a stand-in for the user's home."""

    base: Path

    @property
    def project(self) -> Path:
        return self.base / "project"

    @property
    def outside(self) -> Path:
        return self.base / "outside"

    @property
    def victim(self) -> Path:
        return self.outside / "victim.txt"

    @property
    def secret(self) -> Path:
        return self.outside / "secret.txt"

    @property
    def user_home(self) -> Path:
        return self.base / "user-home"

    @property
    def ssh_key(self) -> Path:
        return self.user_home / ".ssh" / "id_ed25519"

    def marker(self, name: str = "PWNED") -> Path:
        return self.outside / name


def make_world(base: Path) -> World:
    world = World(base)
    for directory in (world.project, world.outside, world.ssh_key.parent):
        directory.mkdir(parents=True)
    world.victim.write_text("original\n")
    world.secret.write_text(f"sibling-secret-{uuid.uuid4().hex}\n")
    world.ssh_key.write_text(f"ssh-secret-{uuid.uuid4().hex}\n")
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path.resolve() / "world")


@pytest.fixture
def control(tmp_path: Path) -> World:
    """The same setup again, attacked with nothing confining it."""
    return make_world(tmp_path.resolve() / "control")


@pytest.fixture(params=["bubblewrap", "landlock"])
def mechanism(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test's calls under this mechanism (skipped, saying why, where it cannot run)."""
    name: str = request.param
    detection = system_detection({MECHANISMS_VARIABLE: name})
    if detection.mechanism is None:
        pytest.skip(f"{name} is not usable here: {'; '.join(detection.refusals)}")
    monkeypatch.setenv(MECHANISMS_VARIABLE, name)
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    return name


def call(
    world: World,
    program: str,
    args: list[str],
    *,
    profiles: Any = PROFILES,
    unconfined: bool = False,
    stdin: bytes = b"",
    **scope: Any,
) -> ProcessOutput:
    """One call of the capability, as a plugin granted `program` makes it."""
    confinement = {"confinement": Unconfined} if unconfined else {}
    granted = ProcessScope(programs=(program,), project_dir=world.project, profiles=profiles)
    return run_program(dataclasses.replace(granted, **confinement, **scope), program, args, stdin)


def shown(output: ProcessOutput) -> str:
    return (output.stdout + output.stderr).decode(errors="replace")


def git(directory: Path, *args: str) -> None:
    """Plain git for setting up repositories (no one's config)."""
    environment = {
        "PATH": SAFE_PATH,
        "HOME": str(directory),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    command = ["git", "-c", "user.name=Setup", "-c", "user.email=setup@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run([*command, *args], cwd=directory, env=environment, check=True, capture_output=True)


def make_repository(world: World) -> None:
    git(world.project, "init", "-q")
    git(world.project, "config", "user.name", "Plugin")
    git(world.project, "config", "user.email", "plugin@example.com")
    (world.project / "payload.txt").write_text("payload\n")
    git(world.project, "add", "payload.txt")
    git(world.project, "commit", "-q", "-m", "initial")


# --- a repository's config makes git run a shell command ----------------------------------

#: Repository settings that make git run `sh`, and the git command that triggers each.
#: Run with git unprofiled (`BARE_GIT`: no hardening, no vetting): the wall alone.
GIT_RUNS_SH: dict[str, tuple[str, list[str]]] = {
    "fsmonitor": ('[core]\n\tfsmonitor = "touch {marker}; touch RAN-INSIDE; false"\n', ["status"]),
    "alias": ('[alias]\n\tevil = "!touch {marker}; touch RAN-INSIDE"\n', ["evil"]),
    "man viewer": (
        '[help]\n\tformat = man\n[man]\n\tviewer = evil\n[man "evil"]\n\tcmd = "touch {marker}; touch RAN-INSIDE; :"\n',
        ["status", "--help"],
    ),
    "trailer command": (
        '[trailer "evil"]\n\tcommand = "touch {marker}; touch RAN-INSIDE; echo x"\n',
        ["commit", "--allow-empty", "-m", "m", "--trailer", "evil=1"],
    ),
}


@pytest.mark.parametrize("attack", sorted(GIT_RUNS_SH))
def test_a_repository_config_that_makes_git_run_sh_touches_nothing_outside(
    mechanism: str, world: World, control: World, attack: str
) -> None:
    setting, args = GIT_RUNS_SH[attack]
    for target in (control, world):
        make_repository(target)
        with (target.project / ".git" / "config").open("a") as config:
            config.write(setting.format(marker=target.marker()))

    call(control, "git", args, profiles=BARE_GIT, unconfined=True, project_writable=True)
    assert control.marker().exists(), "the hostile config must work when nothing confines git"

    # The most a plugin can hold: git unprofiled, the project writable (an fs read-write grant).
    call(world, "git", args, profiles=BARE_GIT, project_writable=True)
    assert (world.project / "RAN-INSIDE").exists(), "git ran the command, inside the sandbox"
    assert not world.marker().exists()


@pytest.mark.parametrize(
    ("setting", "args"),
    [(GIT_RUNS_SH["man viewer"][0], ["status", "--help"]), (GIT_RUNS_SH["trailer command"][0], ["status"])],
    ids=["man viewer", "trailer command"],
)
def test_the_git_profile_also_refuses_those_repositories(world: World, setting: str, args: list[str]) -> None:
    # Defence in depth: with its profile, git never gets as far as the wall.
    make_repository(world)
    with (world.project / ".git" / "config").open("a") as config:
        config.write(setting.format(marker=world.marker()))
    with pytest.raises(Denied):
        call(world, "git", args)
    assert not world.marker().exists()


# --- reading outside the project ----------------------------------------------------------


def test_a_program_cannot_read_a_secret_beside_the_project_or_in_the_users_ssh_directory(
    mechanism: str, world: World, control: World
) -> None:
    def attack(target: World) -> list[str]:
        return ["-c", f"cat {target.secret} {target.ssh_key}; ls -a {target.user_home}; ls /home /root"]

    leaked = shown(call(control, "sh", attack(control), unconfined=True))
    assert control.secret.read_text() in leaked and ".ssh" in leaked.splitlines()

    output = shown(call(world, "sh", attack(world)))
    assert world.secret.read_text().strip() not in output
    assert world.ssh_key.read_text().strip() not in output
    assert ".ssh" not in output.splitlines(), "the user's home cannot be listed"


def test_git_cannot_read_a_file_outside_through_a_repository_setting(world: World, control: World) -> None:
    # commit.template points git at an absolute path; the profile does not check config values.
    for target in (control, world):
        make_repository(target)
        git(target.project, "config", "commit.template", str(target.secret))
        git(target.project, "config", "core.editor", "cat")  # prints the template it was given

    leaked = call(control, "git", ["commit", "--allow-empty"], profiles=BARE_GIT, unconfined=True)
    assert control.secret.read_text() in shown(leaked)
    output = call(world, "git", ["commit", "--allow-empty"], profiles=BARE_GIT, project_writable=True)
    assert world.secret.read_text().strip() not in shown(output)


# --- the network --------------------------------------------------------------------------

CONNECT = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
    print("reached")
except OSError as error:
    print("refused", error)
"""


class LoopbackServer:
    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port: int = self.socket.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the blocked accept(), which close() would not
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        self._thread.join(timeout=5)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


def test_a_program_cannot_connect_to_a_loopback_server(
    mechanism: str, world: World, control: World, loopback: LoopbackServer
) -> None:
    args = ["-c", CONNECT, str(loopback.port)]
    assert call(control, "python", args, unconfined=True).stdout.startswith(b"reached")
    assert wait_for(lambda: loopback.accepted == 1)

    output = call(world, "python", args)
    assert output.stdout.startswith(b"refused"), shown(output)
    time.sleep(0.2)  # an accept() in flight would have counted by now
    assert loopback.accepted == 1


def wait_for(condition: Any, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- processes that outlive the call ------------------------------------------------------


def processes_with_argument(argument: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if argument.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def kill_leftovers(token: str) -> None:
    for pid in processes_with_argument(token):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("ending", ["exits", "deadline"])
def test_a_grandchild_that_calls_setsid_is_gone_when_the_call_returns(
    mechanism: str, world: World, ending: str
) -> None:
    token = f"{1000 + uuid.uuid4().int % 9000}.{os.getpid()}"
    # A daemon: its own session, its parent gone, so it is out of the launch's process group.
    escape = f"setsid sh -c 'sleep {token} & exit' </dev/null >/dev/null 2>&1; sleep 0.3"
    script = escape + ("; echo exited" if ending == "exits" else "; sleep 600")
    try:
        if ending == "exits":
            assert call(world, "sh", ["-c", script]).stdout == b"exited\n"
        else:
            with pytest.raises(LimitExceeded):
                call(world, "sh", ["-c", script], timeout_seconds=1.5)
        assert processes_with_argument(token) == []
    finally:
        kill_leftovers(token)


# --- writes through symlinks that leave the project ---------------------------------------


@pytest.mark.parametrize("link", ["made by the plugin", "tracked by the repository"])
def test_git_mv_through_an_escaping_symlink_leaves_the_outside_file_unchanged(
    mechanism: str, world: World, control: World, link: str
) -> None:
    def prepare(target: World) -> str:
        make_repository(target)
        if link == "made by the plugin":
            (target.project / "up").symlink_to("..")  # wasmtime lets a guest make this one
            return "up/outside/victim.txt"
        (target.project / "shared").symlink_to("../outside")
        git(target.project, "add", "shared")
        git(target.project, "commit", "-q", "-m", "share")
        return "shared/victim.txt"

    # With git's profile: nothing in it stops this; only the wall does.
    destination = prepare(control)
    call(control, "git", ["mv", "-f", "payload.txt", destination], unconfined=True)
    assert control.victim.read_text() == "payload\n", "git mv overwrites the outside file when unconfined"

    destination = prepare(world)
    call(world, "git", ["mv", "-f", "payload.txt", destination])
    assert world.victim.read_text() == "original\n"


# --- pytest runs a conftest.py the plugin wrote -------------------------------------------

CONFTEST = """
import pathlib
pathlib.Path({marker!r}).write_text("pwned")
print("SECRET:", pathlib.Path({secret!r}).read_text())
"""


def test_pytest_with_a_plugin_written_conftest_cannot_touch_outside(
    mechanism: str, world: World, control: World
) -> None:
    for target in (control, world):
        (target.project / "conftest.py").write_text(
            CONFTEST.format(marker=str(target.marker()), secret=str(target.secret))
        )
        (target.project / "pytest.ini").write_text("[pytest]\naddopts = -p no:schemathesis -p no:hypothesispytest\n")
        (target.project / "test_one.py").write_text("def test_one():\n    pass\n")

    call(control, "pytest", ["-q"], unconfined=True)
    assert control.marker().exists(), "the conftest.py runs when nothing confines pytest"

    output = call(world, "pytest", ["-q"])
    assert not world.marker().exists()
    assert world.secret.read_text().strip() not in shown(output)


# --- what a program may write -------------------------------------------------------------


def test_the_project_is_read_only_unless_the_profile_or_an_fs_grant_says_it_writes(
    mechanism: str, world: World
) -> None:
    make_repository(world)
    write = ["-c", "echo x > written.txt"]
    assert call(world, "sh", write).status != 0
    assert not (world.project / "written.txt").exists()
    assert call(world, "sh", write, project_writable=True).status == 0  # the plugin holds fs read-write
    assert (world.project / "written.txt").read_text() == "x\n"

    # git: reading subcommands see a read-only project and still work; writing ones may write.
    assert call(world, "git", ["status", "--porcelain"]).stdout == b"?? written.txt\n"
    assert call(world, "git", ["add", "written.txt"]).status == 0
    committed = call(world, "git", ["commit", "-q", "-m", "add"])
    assert committed.status == 0, shown(committed)
    assert call(world, "git", ["log", "--format=%s"]).stdout == b"add\ninitial\n"


@pytest.mark.parametrize(
    ("args", "writes"),
    [
        (["status"], False), (["log", "-1"], False), (["diff", "HEAD"], False), (["show"], False),
        (["commit", "-m", "x"], True), (["add", "."], True), (["checkout", "main"], True), (["init"], True),
        (["mv", "a", "b"], True), (["merge", "x"], True), (["tag"], False), (["tag", "v1"], True),
        (["branch"], False), (["branch", "--list"], False), (["branch", "-D", "x"], True),
        (["stash", "list"], False), (["stash"], True), (["symbolic-ref", "HEAD"], True), ([], False),
    ],
)  # fmt: skip
def test_git_writes_only_for_the_subcommands_that_change_the_repository(args: list[str], writes: bool) -> None:
    assert git_writes(args) is writes


# --- no sandbox: refused, unless the user says otherwise by name -------------------------

#: One call of each profile (and of an unprofiled program), each of which runs otherwise.
EVERY_KIND_OF_CALL = {
    "git": ["status"],
    "pytest": ["--co", "-q"],
    "coverage": ["run", "-m", "pytest", "--co", "-q"],
    "python": ["-c", "print('ran')"],
    "sh": ["-c", "echo ran"],
}


@pytest.mark.parametrize("program", sorted(EVERY_KIND_OF_CALL))
def test_without_an_os_sandbox_every_process_call_is_refused_saying_how_to_get_one(
    world: World, monkeypatch: pytest.MonkeyPatch, program: str
) -> None:
    make_repository(world)
    monkeypatch.setenv(MECHANISMS_VARIABLE, "")  # as on a system where none works
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    with pytest.raises(SandboxUnavailable) as refused:
        call(world, program, EVERY_KIND_OF_CALL[program])
    assert refused.value.kind == "denied"
    assert "no OS sandbox is available" in refused.value.message
    assert "install bubblewrap" in refused.value.message
    assert OVERRIDE_VARIABLE in refused.value.message
    assert refused.value.error.hint is not None and "Landlock" in refused.value.error.hint


@pytest.mark.parametrize("value", ["0", "yes", "true", " 1"])
def test_only_exactly_1_turns_the_override_on(world: World, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MECHANISMS_VARIABLE, "")
    monkeypatch.setenv(OVERRIDE_VARIABLE, value)
    with pytest.raises(SandboxUnavailable, match="is ignored: only 1 turns it on"):
        call(world, "sh", ["-c", "echo ran"])


def test_the_override_runs_programs_unconfined_with_a_warning(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MECHANISMS_VARIABLE, "")
    monkeypatch.setenv(OVERRIDE_VARIABLE, "1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = call(world, "sh", ["-c", f"cat {world.secret}"])
    assert output.stdout.decode() == world.secret.read_text(), "unconfined: it reads what you can"
    assert any(issubclass(w.category, UnconfinedWarning) for w in caught)


def test_the_override_never_replaces_a_mechanism_that_works(
    mechanism: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OVERRIDE_VARIABLE, "1")
    assert world.secret.read_text().strip() not in shown(call(world, "sh", ["-c", f"cat {world.secret}"]))


# --- git's identity query sees the user's git config files, nothing else of the home ---------


def identity_call(world: World) -> str:
    environment = {"HOME": str(world.user_home)}
    committed = call(world, "git", ["commit", "-q", "--allow-empty", "-m", "m"], user_config_environment=environment)
    assert committed.status == 0, shown(committed)
    return call(world, "git", ["log", "-1", "--format=%an <%ae>"]).stdout.decode().strip()


def test_the_identity_comes_from_the_users_config_and_what_it_includes_for_this_repository(
    mechanism: str, world: World
) -> None:
    make_repository(world)
    git(world.project, "config", "--unset", "user.name")
    git(world.project, "config", "--unset", "user.email")
    work = world.user_home / "identities" / "work.inc"
    work.parent.mkdir()
    work.write_text("[user]\n\tname = Ada at Work\n\temail = ada@work.example\n")
    (world.user_home / ".gitconfig").write_text(
        "[user]\n\tname = Ada\n\temail = ada@home.example\n"
        f'[includeIf "gitdir:{world.project}/"]\n\tpath = identities/work.inc\n'
        '[includeIf "gitdir:/nowhere/"]\n\tpath = ~/identities/other.inc\n'
    )
    assert identity_call(world) == "Ada at Work <ada@work.example>"


def test_the_identity_query_is_shown_only_the_config_files_that_exist(world: World) -> None:
    make_repository(world)
    xdg = world.user_home / ".config" / "git" / "config"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("[include]\n\tpath = ../../extra.inc\n")
    (world.user_home / "extra.inc").write_text("[user]\n\tname = Ada\n")
    (world.user_home / ".gitconfig").symlink_to(world.user_home / "dotfiles-gitconfig")  # dangling: not shown
    launch = _launch_for(world)
    files = _user_git_config_files(launch, world.user_home, world.user_home / ".config")
    assert files == (xdg, world.user_home / "extra.inc")


def _launch_for(world: World) -> Any:
    """A Launch like the engine's, for calling the profile's helpers directly."""
    from host.capabilities.process.engine import CallSandbox, Launch
    from host.confinement import Limits, mechanism_in_force

    scratch = world.base / "scratch"
    scratch.mkdir()
    return Launch(
        program="git",
        executable=shutil.which("git", path=SAFE_PATH) or "git",
        project_dir=world.project,
        environment={"PATH": SAFE_PATH, "HOME": str(scratch)},
        deadline=time.monotonic() + 30,
        timeout_seconds=30,
        sandbox=CallSandbox(mechanism_in_force(), scratch, False, (), Limits()),
    )


# --- the interpreter's environment --------------------------------------------------------


def test_python_programs_see_the_interpreter_acc_runs_under_read_only(mechanism: str, world: World) -> None:
    prefix = Path(sys.prefix)
    output = call(world, "python", ["-c", "import sys, pytest; print(sys.prefix)"], project_writable=True)
    assert output.stdout.decode().strip() == str(prefix), shown(output)
    written = call(world, "python", ["-c", f"open({str(prefix / 'acc-was-here')!r}, 'w')"], project_writable=True)
    assert written.status != 0
    assert not (prefix / "acc-was-here").exists()
