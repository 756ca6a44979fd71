"""The OS sandbox around launched programs, tried from the attacker's side.

Every attack runs real programs (sh, coreutils, python3, git) through each mechanism
available here (bubblewrap, Landlock), started the way the process engine starts them:
`Popen` on what `confined_command` returns, in a new session, and the whole process
group killed when the call is over. Where an attack could pass by accident (a typo in a
path, a program that fails for another reason), it is first run unconfined on a copy of
the same setup and shown to succeed.

Limits that the kernel does not apply to root (RLIMIT_NPROC) are tried as an
unprivileged user when the suite runs as root.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from host.confinement import (
    OVERRIDE_VARIABLE,
    Bubblewrap,
    Confinement,
    ConfinementUnavailable,
    Detection,
    Landlock,
    Limits,
    Mechanism,
    Unconfined,
    UnconfinedWarning,
    confined_command,
    detect_mechanism,
    find_bubblewrap,
    find_landlock,
    probe,
    python_runtime_paths,
    require_mechanism,
)
from host.confinement.bubblewrap import bwrap_arguments
from host.confinement.kernel import landlock, seccomp
from host.confinement.kernel.exec import parse_arguments
from host.confinement.landlock_launch import READ, WRITE, landlock_spec, supervisor_arguments
from host.confinement.system import SystemEntry

SAFE_PATH = "/usr/bin:/bin"
SH = "/bin/sh"
PYTHON3 = shutil.which("python3", path=SAFE_PATH)
GIT = shutil.which("git", path=SAFE_PATH) or ""
ORIGINAL = "original content\n"

needs_python3 = pytest.mark.skipif(PYTHON3 is None, reason="needs a system python3 in /usr/bin or /bin")
needs_git = pytest.mark.skipif(not GIT, reason="needs git in /usr/bin or /bin")


# --- mechanisms ----------------------------------------------------------------------------


def _usable(found: Mechanism | str) -> Mechanism | str:
    if isinstance(found, str):
        return found
    failure = probe(found)
    return found if failure is None else f"{found.name}: {failure}"


_AVAILABLE: dict[str, Mechanism | str] = {}


def available(name: str) -> Mechanism:
    """The named mechanism, proven by a probe launch; the test is skipped (saying why) if not."""
    if name not in _AVAILABLE:
        _AVAILABLE[name] = _usable(find_bubblewrap() if name == "bubblewrap" else find_landlock())
    found = _AVAILABLE[name]
    if isinstance(found, str):
        pytest.skip(f"{name} is not usable here: {found}")
    return found


@pytest.fixture(params=["bubblewrap", "landlock"])
def mechanism(request: pytest.FixtureRequest) -> Mechanism:
    return available(request.param)


# --- a world to attack ---------------------------------------------------------------------


@dataclasses.dataclass
class World:
    """A project, a private scratch directory, and the user's other files beside them."""

    base: Path
    project: Path
    scratch: Path
    outside: Path  # a sibling of the project: another project, the user's files

    @property
    def victim(self) -> Path:
        return self.outside / "victim.txt"

    @property
    def secret(self) -> Path:
        return self.outside / "secret.txt"


def make_world(base: Path) -> World:
    world = World(base, base / "project", base / "scratch", base / "outside")
    for directory in (world.project, world.scratch, world.outside):
        directory.mkdir(parents=True)
    world.victim.write_text(ORIGINAL)
    world.secret.write_text(f"secret-{uuid.uuid4().hex}\n")
    (world.project / "README").write_text("hello\n")
    return world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path.resolve() / "world")


@pytest.fixture
def control(tmp_path: Path) -> World:
    """A second, identical world, for showing an attack works when nothing confines it."""
    return make_world(tmp_path.resolve() / "control")


@dataclasses.dataclass
class Result:
    status: int
    stdout: str
    stderr: str


def start(
    mechanism: Mechanism,
    world: World,
    argv: Sequence[str],
    *,
    writable: bool = False,
    limits: Limits | None = None,
    read_only: Sequence[Path] = (),
    user: int | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start `argv` confined, as the process engine does."""
    confinement = Confinement(
        project_dir=world.project,
        scratch_dir=world.scratch,
        project_writable=writable,
        read_only_paths=tuple(read_only),
        limits=limits or Limits(cpu_seconds=30),
    )
    environment = {"PATH": SAFE_PATH, "LC_ALL": "C.UTF-8", **(env or {})}
    with confined_command(mechanism, confinement, argv, environment) as launch:
        return subprocess.Popen(
            launch.argv,
            env=launch.env,
            cwd=launch.cwd,
            pass_fds=launch.pass_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
        )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> Result:
    """Wait for the launch, then kill its process group, as the engine does at the end of a call."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        kill_group(process)
    assert process.returncode is not None
    return Result(process.returncode, stdout, stderr)


def kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(mechanism: Mechanism, world: World, argv: Sequence[str], **options: object) -> Result:
    return finish(start(mechanism, world, argv, **options))  # type: ignore[arg-type]


def sh(mechanism: Mechanism, world: World, script: str, **options: object) -> Result:
    return run(mechanism, world, [SH, "-c", script], **options)


def py(mechanism: Mechanism, world: World, code: str, **options: object) -> Result:
    assert PYTHON3 is not None
    return run(mechanism, world, [PYTHON3, "-c", code], **options)


def killed_by(result: Result, signal_number: int) -> bool:
    """Landlock reports a program killed by a signal as -N (like subprocess), bubblewrap as 128+N."""
    return result.status in (-signal_number, 128 + signal_number)


def tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under `root` with its mode and content (or link target)."""
    found: dict[str, tuple[int, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            content: bytes | str = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            content = path.read_bytes()
        else:
            content = b""
        found[str(path.relative_to(root))] = (info.st_mode, content)
    return found


UNCONFINED = Unconfined()


# --- writing outside the project -----------------------------------------------------------


def outside_targets(world: World, token: str) -> list[Path]:
    """Places a program might write to: beside the project, above it, the system's /tmp."""
    return [
        world.outside / f"OUTSIDE-{token}",
        world.base / f"OUTSIDE-{token}",
        world.project.parent.parent / f"OUTSIDE-{token}",
        Path(tempfile.gettempdir()) / f"OUTSIDE-{token}",
        Path("/var/tmp") / f"OUTSIDE-{token}",
    ]


def test_a_shell_cannot_create_files_outside_the_project(mechanism: Mechanism, world: World, control: World) -> None:
    token = uuid.uuid4().hex
    script = 'for target in "$@"; do touch "$target"; done; touch ../OUTSIDE-up; echo done'

    unconfined = sh(UNCONFINED, control, f"touch {control.outside}/OUTSIDE-{token}", writable=True)
    assert unconfined.status == 0 and (control.outside / f"OUTSIDE-{token}").exists()

    targets = outside_targets(world, token)
    try:
        result = run(mechanism, world, [SH, "-c", script, "sh", *map(str, targets)], writable=True)
        assert "done" in result.stdout
        assert [target for target in targets if target.exists()] == []
        assert not (world.base / "OUTSIDE-up").exists()
    finally:
        for target in targets:
            target.unlink(missing_ok=True)


def test_a_shell_cannot_create_files_in_the_users_home(mechanism: Mechanism, world: World) -> None:
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    target = real_home / f"acc-confinement-test-{uuid.uuid4().hex}"
    try:
        result = sh(mechanism, world, f"touch '{target}' ~/inside-home; echo $HOME", writable=True)
        assert not target.exists()
        # HOME is the scratch directory, which is writable: that is where the file went.
        assert result.stdout.strip() == str(world.scratch)
        assert (world.scratch / "inside-home").exists()
    finally:
        target.unlink(missing_ok=True)


@needs_git
@pytest.mark.parametrize("trigger", ["fsmonitor", "alias"])
def test_repository_config_that_makes_git_run_sh_touches_nothing_outside(
    mechanism: Mechanism, world: World, control: World, trigger: str
) -> None:
    """git runs the hostile command (the sandbox does not stop that); the command stays inside."""

    def hostile_repository(target: World) -> Path:
        marker = target.outside / "PWNED"
        subprocess.run([GIT, "init", "-q", str(target.project)], check=True, env={"PATH": SAFE_PATH})
        with (target.project / ".git" / "config").open("a") as config:
            config.write(f'[core]\n\tfsmonitor = "touch {marker}; touch RAN-INSIDE; false"\n')
            config.write(f'[alias]\n\tevil = "!touch {marker}; touch RAN-INSIDE"\n')
        return marker

    args = ["status"] if trigger == "fsmonitor" else ["evil"]
    env = {"HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1"}  # only the repository's config: the attack's
    control_marker = hostile_repository(control)
    run(UNCONFINED, control, [GIT, *args], writable=True, env=env)
    assert control_marker.exists(), "the hostile config must work against plain git"

    marker = hostile_repository(world)
    run(mechanism, world, [GIT, *args], writable=True, env=env)
    assert (world.project / "RAN-INSIDE").exists(), "git should have run the command, inside the sandbox"
    assert not marker.exists()


METADATA_ATTACKS = {
    "setuid": "chmod 4777 {victim}",  # other local users could run it as this user
    "xattr": "python3 -c \"import os; os.setxattr('{victim}', 'user.acc', b'pwned')\"",  # ACLs are xattrs
    "mode": "chmod 000 {outside}",
    "times": "touch -d 2000-01-01 {victim}",
}
#: What Landlock cannot guard (see kernel/seccomp.py and Landlock.caveats): known, stated gaps.
LANDLOCK_METADATA_GAPS = {"mode", "times"}


@pytest.mark.parametrize("attack", sorted(METADATA_ATTACKS))
def test_metadata_of_files_outside_the_project_cannot_be_changed(
    mechanism: Mechanism, world: World, control: World, attack: str, request: pytest.FixtureRequest
) -> None:
    if attack == "xattr" and PYTHON3 is None:
        pytest.skip("needs a system python3")
    if isinstance(mechanism, Landlock) and attack in LANDLOCK_METADATA_GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason="Landlock does not guard permission bits or times"))

    def metadata(target: World) -> list[object]:
        info = [target.outside.stat(), target.victim.stat()]
        return [(s.st_mode, s.st_uid, s.st_mtime_ns) for s in info] + [os.listxattr(target.victim)]

    script = METADATA_ATTACKS[attack]
    before = metadata(control)
    sh(UNCONFINED, control, script.format(victim=control.victim, outside=control.outside))
    changed = metadata(control)
    control.outside.chmod(0o755)
    assert changed != before, f"{attack} must work unconfined"

    before = metadata(world)
    try:
        result = sh(mechanism, world, script.format(victim=world.victim, outside=world.outside) + "; echo done")
        assert "done" in result.stdout
        assert metadata(world) == before
    finally:
        world.outside.chmod(0o755)


def test_files_in_a_writable_project_can_still_be_touched_and_made_executable(
    mechanism: Mechanism, world: World
) -> None:
    result = sh(mechanism, world, "touch README new && chmod 755 new && echo changed", writable=True)
    assert result.stdout.strip() == "changed", result.stderr
    assert (world.project / "new").stat().st_mode & 0o777 == 0o755


# --- reading outside the project -----------------------------------------------------------


def test_a_program_cannot_read_a_secret_beside_the_project(mechanism: Mechanism, world: World) -> None:
    secret = world.secret.read_text().strip()
    result = sh(
        mechanism,
        world,
        f"cat '{world.secret}'; cat ../outside/secret.txt; ls '{world.outside}' ..; "
        f"find .. /tmp -name secret.txt; grep -r '{secret}' .. /tmp; echo done",
    )
    assert "done" in result.stdout
    assert secret not in result.stdout + result.stderr
    assert "secret.txt" not in result.stdout


def test_a_program_cannot_read_the_users_home_or_system_secrets(mechanism: Mechanism, world: World) -> None:
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    result = sh(
        mechanism,
        world,
        f"ls -a '{real_home}' '{real_home}/.ssh'; cat /etc/shadow /etc/hostname /etc/gitconfig; "
        "ls /home /root /run /var /srv /mnt /opt /sys /boot; echo done",
    )
    assert "done" in result.stdout
    assert result.stdout.strip() == "done", f"something was listed or read: {result.stdout!r}"


def test_a_program_cannot_read_the_environment_of_the_process_that_launched_it(
    mechanism: Mechanism, world: World
) -> None:
    # acc's own environment holds the user's API keys; here, the test runner's PATH will do.
    result = sh(mechanism, world, f"cat /proc/{os.getpid()}/environ /proc/{os.getppid()}/environ; echo done")
    assert "done" in result.stdout
    assert "PATH=" not in result.stdout


def test_the_hosts_tmp_is_not_the_programs_tmp(mechanism: Mechanism, world: World) -> None:
    token = uuid.uuid4().hex
    host_file = Path("/tmp") / f"acc-host-{token}"
    host_file.write_text(f"host-{token}\n")
    try:
        result = sh(mechanism, world, f"cat {host_file}; ls /tmp; echo x > /tmp/acc-sandbox-{token}; echo done")
        assert "done" in result.stdout
        assert f"host-{token}" not in result.stdout
        assert host_file.name not in result.stdout
        assert not (Path("/tmp") / f"acc-sandbox-{token}").exists()
    finally:
        host_file.unlink(missing_ok=True)
        (Path("/tmp") / f"acc-sandbox-{token}").unlink(missing_ok=True)


# --- escaping symlinks ---------------------------------------------------------------------


def test_writing_through_a_symlink_to_the_parent_leaves_the_outside_unchanged(
    mechanism: Mechanism, world: World, control: World
) -> None:
    script = "echo pwned > up/outside/victim.txt; cat up/outside/secret.txt; ls up/; echo done"
    os.symlink("..", control.project / "up")
    sh(UNCONFINED, control, script, writable=True)
    assert control.victim.read_text() == "pwned\n", "the symlink attack must work unconfined"

    os.symlink("..", world.project / "up")
    result = sh(mechanism, world, script, writable=True)
    assert "done" in result.stdout
    assert world.victim.read_text() == ORIGINAL
    assert world.secret.read_text().strip() not in result.stdout
    assert "outside" not in result.stdout.replace("up/outside", "")


def test_a_hard_link_to_a_file_outside_cannot_be_made_or_written(
    mechanism: Mechanism, world: World, control: World
) -> None:
    script = "ln {victim} stolen; echo pwned >> stolen; echo done"
    sh(UNCONFINED, control, script.format(victim=control.victim), writable=True)
    assert control.victim.read_text() == ORIGINAL + "pwned\n", "the hard link must work unconfined"

    result = sh(mechanism, world, script.format(victim=world.victim), writable=True)
    assert "done" in result.stdout
    assert world.victim.read_text() == ORIGINAL
    assert world.victim.stat().st_nlink == 1


def git_repository(target: World, *, tracked_symlink: bool) -> None:
    env = {"PATH": SAFE_PATH, "HOME": str(target.base), "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run([GIT, "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=target.project,
                       env=env, check=True, capture_output=True)  # fmt: skip

    git("init", "-q")
    (target.project / "payload.txt").write_text("pwned\n")
    if tracked_symlink:
        os.symlink("../outside", target.project / "shared")
    else:
        os.symlink("..", target.project / "up")  # made by the plugin through wasmtime, untracked
    git("add", "-A")
    git("commit", "-q", "-m", "initial")


@needs_git
@pytest.mark.parametrize(
    ("tracked_symlink", "destination"), [(False, "up/outside/victim.txt"), (True, "shared/victim.txt")]
)
def test_git_mv_through_an_escaping_symlink_leaves_the_outside_unchanged(
    mechanism: Mechanism, world: World, control: World, tracked_symlink: bool, destination: str
) -> None:
    env = {"HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1"}
    git_repository(control, tracked_symlink=tracked_symlink)
    run(UNCONFINED, control, [GIT, "mv", "-f", "payload.txt", destination], writable=True, env=env)
    assert control.victim.read_text() == "pwned\n", "git mv through the symlink must work unconfined"

    git_repository(world, tracked_symlink=tracked_symlink)
    run(mechanism, world, [GIT, "mv", "-f", "payload.txt", destination], writable=True, env=env)
    assert world.victim.read_text() == ORIGINAL


# --- a read-only project -------------------------------------------------------------------


READ_ONLY_ATTACKS = {
    "create": "touch new",
    "append": "echo more >> README",
    "truncate": ": > README",
    "remove": "rm -f README",
    "rename": "mv README README.moved",
    "mkdir": "mkdir newdir",
    "symlink": "ln -s /etc/passwd link",
    "chmod": "chmod 777 README",
    "setuid": "chmod 4755 README",
    "remount": "unshare -rm sh -c 'mount -o remount,rw . && touch remounted'",
}


@pytest.mark.parametrize("attack", sorted(READ_ONLY_ATTACKS))
def test_a_read_only_project_cannot_be_changed(
    mechanism: Mechanism, world: World, control: World, attack: str, request: pytest.FixtureRequest
) -> None:
    script = READ_ONLY_ATTACKS[attack]
    if isinstance(mechanism, Landlock) and attack == "chmod":
        request.applymarker(pytest.mark.xfail(strict=True, reason="Landlock does not guard permission bits"))
    if attack == "remount" and shutil.which("unshare", path=SAFE_PATH) is None:
        pytest.skip("needs unshare (util-linux)")
    if attack != "remount":
        before = tree(control.project)
        sh(UNCONFINED, control, script)
        assert tree(control.project) != before, "the change must work unconfined"

    before = tree(world.project)
    sh(mechanism, world, f"{script}; echo done")
    assert tree(world.project) == before


@needs_python3
def test_a_read_only_project_cannot_be_truncated_through_a_system_call(mechanism: Mechanism, world: World) -> None:
    before = tree(world.project)
    py(mechanism, world, "import os\ntry: os.truncate('README', 0)\nexcept OSError as e: print(e)")
    assert tree(world.project) == before


def test_root_in_the_sandbox_has_no_capabilities(mechanism: Mechanism, world: World) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root has capabilities to lose")
    private = world.project / "private.txt"
    private.write_text("only for uid 12345\n")
    os.chown(private, 12345, 12345)
    private.chmod(0o600)
    assert "only for" in sh(UNCONFINED, world, f"cat {private}").stdout  # root reads it by CAP_DAC_OVERRIDE

    result = sh(mechanism, world, f"cat {private}; chown 0:0 {private}; echo done", writable=True)
    assert "done" in result.stdout
    assert "only for" not in result.stdout
    assert private.stat().st_uid == 12345


# --- the network ---------------------------------------------------------------------------


class LoopbackServer:
    """A TCP and a UDP server on 127.0.0.1 that record whatever reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.reached: list[str] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        try:
            while True:
                connection, _ = self.tcp.accept()
                self.reached.append("tcp")
                connection.close()
        except OSError:
            return

    def udp_received(self) -> bool:
        self.udp.settimeout(0.3)
        try:
            self.udp.recv(100)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.tcp.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), which close() would not
        self.tcp.close()
        self.udp.close()
        self._thread.join(timeout=5)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


CONNECT = """
import socket, sys
tcp, udp, unix_path, abstract = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def attempt(name, action):
    try:
        action()
        print(name, "reached")
    except OSError as error:
        print(name, "refused", error)
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", tcp), timeout=2))
attempt("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", udp)))
attempt("unix", lambda: socket.socket(socket.AF_UNIX).connect(unix_path))
attempt("abstract", lambda: socket.socket(socket.AF_UNIX).connect("\\0" + abstract))
"""


@needs_python3
def test_a_program_cannot_reach_loopback_or_unix_sockets(
    mechanism: Mechanism, world: World, loopback: LoopbackServer
) -> None:
    # A daemon's unix socket inside the project is the hardest case: it is visible.
    unix_path = world.project / "daemon.sock"
    unix_server = socket.socket(socket.AF_UNIX)
    unix_server.bind(str(unix_path))
    unix_server.listen()
    abstract = f"acc-test-{uuid.uuid4().hex}"
    abstract_server = socket.socket(socket.AF_UNIX)
    abstract_server.bind("\0" + abstract)
    abstract_server.listen()
    try:
        assert PYTHON3 is not None
        argv = [PYTHON3, "-c", CONNECT, str(loopback.tcp.getsockname()[1]), str(loopback.udp.getsockname()[1])]
        argv += [str(unix_path), abstract]
        unconfined = run(UNCONFINED, world, argv)
        assert unconfined.stdout.count("reached") == 4, unconfined.stdout + unconfined.stderr
        assert loopback.udp_received()
        loopback.reached.clear()

        result = run(mechanism, world, argv)
        assert result.stdout.count("refused") == 4, result.stdout + result.stderr
        assert loopback.reached == []
        assert not loopback.udp_received()
    finally:
        unix_server.close()
        abstract_server.close()


# --- processes that outlive the call -------------------------------------------------------


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


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


ESCAPES = {
    # A grandchild in a session of its own, out of the launch's process group.
    "setsid": "setsid sleep {token} </dev/null >/dev/null 2>&1 &",
    # A daemon: setsid, then its parent exits, so it is an orphan re-parented upwards.
    "daemon": "setsid sh -c 'sleep {token} & exit' </dev/null >/dev/null 2>&1 &",
    # One that also ignores the polite signals.
    "stubborn": "setsid sh -c 'trap \"\" TERM HUP INT; sleep {token}' </dev/null >/dev/null 2>&1 &",
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_grandchild_that_calls_setsid_is_gone_when_the_call_returns(
    mechanism: Mechanism, world: World, escape: str
) -> None:
    token = f"{1000 + uuid.uuid4().int % 9000}.{os.getpid()}"
    seen = world.scratch / "seen"
    # The program waits until the test has seen the escapee running, then exits normally.
    script = ESCAPES[escape].format(token=token) + f' while [ ! -e "{seen}" ]; do sleep 0.02; done; echo exited'
    process = start(mechanism, world, [SH, "-c", script])
    try:
        assert wait_for(lambda: bool(processes_with_argument(token)), 20), "the escapee never started"
        seen.touch()
        result = finish(process)
        assert "exited" in result.stdout
        assert processes_with_argument(token) == []
    finally:
        kill_group(process)
        for pid in processes_with_argument(token):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_grandchild_that_calls_setsid_dies_when_the_launch_is_killed_at_its_deadline(
    mechanism: Mechanism, world: World, escape: str
) -> None:
    token = f"{1000 + uuid.uuid4().int % 9000}.{os.getpid()}"
    process = start(mechanism, world, [SH, "-c", ESCAPES[escape].format(token=token) + " sleep 600"])
    try:
        assert wait_for(lambda: bool(processes_with_argument(token)), 20), "the escapee never started"
        kill_group(process)  # what the engine does at the deadline: SIGKILL to the launch's group
        # The sandbox's own teardown (the PID namespace's end, or the supervisor) runs
        # when the launch dies: within moments, not when the escapee's sleep ends.
        assert wait_for(lambda: processes_with_argument(token) == [], 5)
    finally:
        kill_group(process)
        for pid in processes_with_argument(token):
            os.kill(pid, signal.SIGKILL)


def test_a_program_cannot_signal_the_users_other_processes(mechanism: Mechanism, world: World) -> None:
    if isinstance(mechanism, Landlock) and mechanism.abi < 6:
        pytest.skip(f"Landlock ABI {mechanism.abi} cannot scope signals (a documented caveat)")
    victim = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        result = sh(mechanism, world, f"kill -9 {victim.pid}; kill -9 {os.getpid()}; echo done")
        assert "done" in result.stdout
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


# --- resource limits -----------------------------------------------------------------------


def test_a_file_larger_than_the_size_limit_is_cut_at_the_limit(mechanism: Mechanism, world: World) -> None:
    limit = 1_000_000
    result = sh(
        mechanism,
        world,
        f"head -c {4 * limit} /dev/zero > big; echo status $?; head -c {4 * limit} /dev/zero > $HOME/big; echo done",
        writable=True,
        limits=Limits(file_size_bytes=limit),
    )
    assert "done" in result.stdout
    assert f"status {128 + signal.SIGXFSZ}" in result.stdout  # head was stopped by SIGXFSZ
    assert (world.project / "big").stat().st_size == limit
    assert (world.scratch / "big").stat().st_size == limit


@needs_python3
def test_a_program_past_its_cpu_time_limit_is_killed(mechanism: Mechanism, world: World) -> None:
    started = time.monotonic()
    result = py(mechanism, world, "while True: pass", limits=Limits(cpu_seconds=1))
    assert killed_by(result, signal.SIGKILL)
    assert time.monotonic() - started < 30


@pytest.fixture
def unprivileged_world() -> Iterator[tuple[World, int]]:
    """A world owned by an unprivileged user, and that user's id (ourselves unless we are root).

    The kernel never applies RLIMIT_NPROC to uid 0, so the process limit is only
    meaningful for other users: when the suite runs as root, it runs these as nobody.
    """
    uid = 65534 if os.geteuid() == 0 else os.getuid()
    base = Path(tempfile.mkdtemp(prefix="acc-confinement-")).resolve()
    try:
        base.chmod(0o755)  # nobody must be able to reach its own directories
        world = make_world(base / "world")
        if os.geteuid() == 0:
            for path in (base / "world", *sorted((base / "world").rglob("*"))):
                os.chown(path, uid, uid)
        yield world, uid
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_user(mechanism: Mechanism, uid: int) -> Mechanism:
    """The same mechanism, as the user `uid` would detect it."""
    if isinstance(mechanism, Landlock) and uid != os.getuid():
        # nobody cannot run an interpreter under root's home: use the system's.
        if PYTHON3 is None:
            pytest.skip("needs a system python3 to run the Landlock supervisor as nobody")
        return dataclasses.replace(mechanism, python=PYTHON3, euid=uid)
    if isinstance(mechanism, Bubblewrap):
        return dataclasses.replace(mechanism, euid=uid)
    return mechanism


FORK_BOMB = """
import os, time
started = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    started += 1
print("started", started)
"""


@needs_python3
def test_a_fork_bomb_is_capped_at_the_process_limit(
    mechanism: Mechanism, unprivileged_world: tuple[World, int]
) -> None:
    world, uid = unprivileged_world
    confined = as_user(mechanism, uid)
    assert PYTHON3 is not None
    probe_result = run(confined, world, ["/bin/true"], user=uid if uid != os.getuid() else None)
    if probe_result.status != 0:
        pytest.skip(f"{mechanism.name} does not run as uid {uid} here: {probe_result.stderr.strip()}")
    result = run(
        confined,
        world,
        [PYTHON3, "-c", FORK_BOMB],
        limits=Limits(processes=32),
        user=uid if uid != os.getuid() else None,
    )
    started = int(result.stdout.split()[-1])
    assert 0 < started < 32, result.stdout + result.stderr


def test_root_is_told_that_the_process_limit_does_not_bind_it(mechanism: Mechanism) -> None:
    as_root = dataclasses.replace(mechanism, euid=0)  # type: ignore[type-var]
    as_user_ = dataclasses.replace(mechanism, euid=1000)  # type: ignore[type-var]
    assert any("RLIMIT_NPROC" in caveat for caveat in as_root.caveats())
    assert not any("uid 0" in caveat for caveat in as_user_.caveats())


# --- what still works ----------------------------------------------------------------------


@needs_git
def test_git_commits_in_a_writable_project_and_reads_a_read_only_one(mechanism: Mechanism, world: World) -> None:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "README"], ["commit", "-q", "-m", "first"]):
        result = run(mechanism, world, [GIT, *args], writable=True, env=env)
        assert result.status == 0, result.stderr
    (world.project / "README").write_text("changed\n")
    status = run(mechanism, world, [GIT, "status", "--porcelain"], env=env)
    assert status.status == 0, status.stderr
    assert status.stdout.strip() == "M README"
    log = run(mechanism, world, [GIT, "log", "--format=%s"], env=env)
    assert log.stdout.strip() == "first"


def test_stdin_reaches_the_program_and_its_exit_status_comes_back(mechanism: Mechanism, world: World) -> None:
    confinement = Confinement(project_dir=world.project, scratch_dir=world.scratch)
    data = b"line\n" * 50_000  # more than a pipe holds: the program must really be reading
    with confined_command(mechanism, confinement, [SH, "-c", "wc -l; exit 7"], {"PATH": SAFE_PATH}) as launch:
        process = subprocess.Popen(
            launch.argv, env=launch.env, cwd=launch.cwd, pass_fds=launch.pass_fds,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
    stdout, stderr = process.communicate(data, timeout=60)
    assert (process.returncode, stdout.strip()) == (7, b"50000"), stderr


def test_home_is_the_empty_scratch_directory_and_tmpdir_is_writable(mechanism: Mechanism, world: World) -> None:
    result = sh(mechanism, world, 'ls -A "$HOME"; echo home=$HOME; echo x > "$TMPDIR/t" && cat "$TMPDIR/t"; pwd')
    assert result.stdout.splitlines() == [f"home={world.scratch}", "x", str(world.project)], result.stderr


def test_a_venv_shown_read_only_runs_its_packages_and_stays_unchanged(mechanism: Mechanism, world: World) -> None:
    paths = python_runtime_paths(sys.executable, (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix))
    site = Path(pytest.__file__).parent.parent
    result = run(
        mechanism,
        world,
        [sys.executable, "-c", f"import pytest; print(pytest.__name__); open({str(site / 'acc-pwned')!r}, 'w')"],
        read_only=paths,
    )
    assert result.stdout.strip() == "pytest", result.stderr
    assert not (site / "acc-pwned").exists()


# --- Landlock on older kernels -------------------------------------------------------------


@needs_python3
@pytest.mark.parametrize("abi", [1, 2, 3, 5])
def test_landlock_on_an_older_abi_still_keeps_files_outside_untouched(world: World, abi: int) -> None:
    current = available("landlock")
    assert isinstance(current, Landlock)
    if abi > current.abi:
        pytest.skip(f"this kernel has Landlock ABI {current.abi}")
    older = dataclasses.replace(current, abi=abi)
    code = "\n".join(
        f"try: {action}\nexcept OSError as e: print(e)"
        for action in (
            f"os.truncate({str(world.victim)!r}, 0)",
            f"open({str(world.victim)!r}, 'a').write('x')",
            f"os.rename({str(world.victim)!r}, 'stolen.txt')",
            f"print(open({str(world.secret)!r}).read())",
        )
    )
    result = py(older, world, "import os\n" + code, writable=True)
    assert world.victim.read_text() == ORIGINAL
    assert world.secret.read_text().strip() not in result.stdout
    assert (world.project / "README").read_text() == "hello\n"


# --- no mechanism ----------------------------------------------------------------------------


def test_without_any_mechanism_the_process_capability_is_refused_with_what_to_do() -> None:
    detection = detect_mechanism(
        (lambda: "bubblewrap: not installed", lambda: "Landlock: not available in this kernel")
    )
    assert detection == Detection(None, ("bubblewrap: not installed", "Landlock: not available in this kernel"))
    with pytest.raises(ConfinementUnavailable) as caught:
        require_mechanism(detection, {})
    message = caught.value.diagnostics()
    assert "process capability is refused" in message
    assert "bubblewrap: not installed" in message and "Landlock: not available" in message
    assert "apt install bubblewrap" in message
    assert f"{OVERRIDE_VARIABLE}=1" in message


def test_a_bubblewrap_that_cannot_start_a_sandbox_falls_through_to_the_next_mechanism() -> None:
    broken = Bubblewrap("/bin/false", (0, 8, 0), "/usr/bin/prlimit", os.geteuid())
    working = Unconfined()  # stands in for a working mechanism: the probe launches `true` through it
    detection = detect_mechanism((lambda: broken, lambda: working))
    assert detection.mechanism is working
    assert detection.refusals == ("bubblewrap: the probe launch exited with 1: (no output)",)


def test_the_override_must_be_exactly_one_and_then_warns_loudly() -> None:
    nothing = Detection(None, ("bubblewrap: not installed",))
    with pytest.raises(ConfinementUnavailable, match="only 1 turns it on"):
        require_mechanism(nothing, {OVERRIDE_VARIABLE: "yes"})
    with pytest.warns(UnconfinedWarning, match="NOT confined"):
        mechanism = require_mechanism(nothing, {OVERRIDE_VARIABLE: "1"})
    assert isinstance(mechanism, Unconfined) and not mechanism.confined
    assert "NONE" in mechanism.describe()


def test_the_override_never_replaces_a_working_mechanism(mechanism: Mechanism) -> None:
    assert require_mechanism(Detection(mechanism), {OVERRIDE_VARIABLE: "1"}) is mechanism


# --- pure parts: the confinement, the arguments, the filter ----------------------------------


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"project_dir": Path("relative")}, "absolute"),
        ({"project_dir": Path("/a/../b")}, "normalized"),
        ({"project_dir": Path("/")}, "root directory"),
        ({"scratch_dir": Path("/work/project/home")}, "must not contain each other"),
        ({"read_only_paths": (Path("/work"),)}, "contains the project_dir"),
        ({"read_only_paths": (Path("/"),)}, "contains the project_dir"),
        ({"read_only_paths": (Path("/tmp"),)}, "contains the scratch_dir"),
    ],
)
def test_a_confinement_that_would_show_too_much_is_refused(changes: dict[str, object], complaint: str) -> None:
    fields: dict[str, object] = {"project_dir": Path("/work/project"), "scratch_dir": Path("/tmp/scratch")}
    with pytest.raises(ValueError, match=complaint):
        Confinement(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["cpu_seconds", "file_size_bytes", "processes", "memory_bytes"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Limits(**{field: 0})


def test_programs_outside_what_the_sandbox_shows_are_refused(mechanism: Mechanism, world: World) -> None:
    confinement = Confinement(project_dir=world.project, scratch_dir=world.scratch)
    with pytest.raises(ValueError, match="absolute, normalized path"):
        confined_command(mechanism, confinement, ["sh"], {})
    with pytest.raises(ValueError, match="absolute, normalized path"):
        confined_command(mechanism, confinement, ["/usr/bin/../../" + str(world.outside / "tool")], {})
    with pytest.raises(ValueError, match="outside what the sandbox shows"):
        confined_command(mechanism, confinement, [str(world.outside / "tool")], {})
    missing = Confinement(project_dir=world.base / "gone", scratch_dir=world.scratch)
    with pytest.raises(ValueError, match="does not exist"):
        confined_command(mechanism, missing, [SH], {})


LAYOUT = (SystemEntry("/usr", "directory"), SystemEntry("/bin", "symlink", "usr/bin"))


def test_bwrap_mounts_inner_paths_over_outer_ones_and_seals_the_root() -> None:
    confinement = Confinement(
        project_dir=Path("/work/project"),
        scratch_dir=Path("/tmp/scratch"),
        project_writable=True,
        read_only_paths=(Path("/work/project/.venv"), Path("/opt/python")),
    )
    args = bwrap_arguments(
        confinement,
        LAYOUT,
        ["/usr/bin/git", "status"],
        data_files={"/etc/passwd": 7},
        seccomp_fd=9,
        prlimit="/usr/bin/prlimit",
    )
    separator = args.index("--")
    options = args[:separator]
    binds = [(options[i], options[i + 1]) for i in range(len(options)) if options[i] in ("--bind", "--ro-bind")]
    assert binds == [
        ("--ro-bind", "/usr"),
        ("--bind", "/tmp/scratch"),
        ("--bind", "/work/project"),
        ("--ro-bind", "/opt/python"),
        ("--ro-bind", "/work/project/.venv"),
    ]
    for required in ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns"):
        assert required in options
    assert options[options.index("--cap-drop") + 1] == "ALL"
    assert options[options.index("--seccomp") + 1] == "9"
    assert options[-3:] == ["/work/project", "--remount-ro", "/"]
    assert "--share-net" not in options
    assert args[separator + 1 :] == [
        "/usr/bin/prlimit", "--cpu=300", f"--fsize={1 << 30}", "--core=0", "--nproc=256", "--",
        "/usr/bin/git", "status",
    ]  # fmt: skip


def test_landlock_grants_writing_only_to_a_writable_project_and_the_scratch_directory() -> None:
    for writable in (False, True):
        confinement = Confinement(
            project_dir=Path("/work/project"),
            scratch_dir=Path("/tmp/scratch"),
            project_writable=writable,
            read_only_paths=(Path("/opt/python"),),
        )
        spec = landlock_spec(confinement, LAYOUT, abi=7)
        rules = dict(spec["landlock"]["rules"])
        writers = {path for path, access in rules.items() if access & landlock.WRITE_FILE}
        assert writers == ({"/work/project"} if writable else set()) | {"/tmp/scratch"} | {
            device for device in rules if device.startswith("/dev/")
        }
        assert rules["/usr"] == READ and rules["/opt/python"] == READ
        assert not any(
            access & (landlock.MAKE_SOCK | landlock.MAKE_CHAR | landlock.MAKE_BLOCK) for access in rules.values()
        )


def test_landlock_asks_only_for_what_the_kernels_abi_knows() -> None:
    confinement = Confinement(project_dir=Path("/p"), scratch_dir=Path("/s"), project_writable=True)
    old = landlock_spec(confinement, LAYOUT, abi=1)
    assert old["landlock"]["handled_fs"] & (landlock.REFER | landlock.TRUNCATE | landlock.IOCTL_DEV) == 0
    assert old["landlock"]["handled_net"] == 0 and old["landlock"]["scoped"] == 0
    assert old["seccomp"]["deny_truncate"] is True  # what ABI < 3 cannot restrict, seccomp refuses
    assert all(access & ~old["landlock"]["handled_fs"] == 0 for _, access in old["landlock"]["rules"])
    new = landlock_spec(confinement, LAYOUT, abi=6)
    assert new["seccomp"]["deny_truncate"] is False
    assert new["landlock"]["scoped"] == landlock.SCOPE_SIGNAL | landlock.SCOPE_ABSTRACT_UNIX_SOCKET
    assert dict(new["landlock"]["rules"])["/p"] == WRITE


def test_the_supervisor_reads_back_exactly_the_spec_the_launcher_wrote() -> None:
    confinement = Confinement(
        project_dir=Path("/work/pro ject"),
        scratch_dir=Path("/tmp/-- scratch"),
        project_writable=True,
        read_only_paths=(Path("/opt/--rule"),),
        limits=Limits(memory_bytes=1 << 32),
    )
    spec = landlock_spec(confinement, LAYOUT, abi=2)
    parsed, program = parse_arguments([*supervisor_arguments(spec), "--", "/bin/sh", "-c", "--rule"])
    assert program == ["/bin/sh", "-c", "--rule"]
    assert (parsed.abi, parsed.handled_fs, parsed.handled_net, parsed.scoped) == (
        2, spec["landlock"]["handled_fs"], 0, 0,
    )  # fmt: skip
    assert parsed.rules == [(path, access) for path, access in spec["landlock"]["rules"]]
    assert parsed.rlimits == spec["rlimits"] and parsed.rlimits["RLIMIT_AS"] == 1 << 32
    assert (parsed.processes, parsed.deny_truncate, parsed.guard_metadata) == (256, True, True)
    for broken in (
        ["--abi", "7", "--", "/bin/true"],
        ["--bogus", "1", "--", "/bin/true"],
        ["--abi", "7", "--processes", "9"],
    ):
        with pytest.raises(ValueError):
            parse_arguments(broken)


def run_filter(program: list[seccomp.Instruction], arch: int, nr: int, args: Sequence[int] = ()) -> int:
    """A tiny classic-BPF interpreter for the instructions the filter uses."""
    data = [nr, arch, 0, 0] + [
        word for arg in [*args, *[0] * (6 - len(args))] for word in (arg & 0xFFFFFFFF, arg >> 32)
    ]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            accumulator = data[k // 4]
            pc += 1
        elif code == 0x15:
            pc += 1 + (jt if accumulator == k else jf)
        elif code == 0x35:
            pc += 1 + (jt if accumulator >= k else jf)
        elif code == 0x45:
            pc += 1 + (jt if accumulator & k else jf)
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected BPF instruction {code:#x}")


@pytest.mark.parametrize("name", sorted(seccomp.ARCHITECTURES))
def test_the_seccomp_filter_refuses_sockets_io_uring_and_terminal_injection(name: str) -> None:
    arch = seccomp.ARCHITECTURES[name]
    program = seccomp.build_filter(arch, deny_truncate=False)

    def verdict(nr: int, *args: int, audit_arch: int = arch.audit_arch) -> int:
        return run_filter(program, audit_arch, nr, args)

    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.AF_NETLINK, socket.AF_PACKET):
        assert verdict(arch.socket, family, socket.SOCK_STREAM) == seccomp.RET_ERRNO | 13  # EACCES
    assert verdict(arch.io_uring_setup, 8, 0) & 0xFFFF0000 == seccomp.RET_ERRNO
    assert verdict(arch.ioctl, 0, seccomp.TIOCSTI) == seccomp.RET_ERRNO | 1  # EPERM
    assert (
        verdict(arch.ioctl, 0, (0xDEAD << 32) | seccomp.TIOCSTI) == seccomp.RET_ERRNO | 1
    )  # high bits ignored by the kernel too
    assert verdict(arch.ioctl, 0, seccomp.TIOCLINUX) == seccomp.RET_ERRNO | 1
    assert verdict(arch.ioctl, 0, 0x5401) == seccomp.RET_ALLOW  # TCGETS: isatty() and friends
    assert verdict(arch.truncate, 0, 0) == seccomp.RET_ALLOW
    assert verdict(0, 0) == seccomp.RET_ALLOW or name != "x86_64"  # read(2) on x86-64
    assert verdict(arch.socket, 1, 1, audit_arch=0x40000003) == seccomp.RET_KILL_PROCESS  # i386 compat
    if arch.has_x32:
        assert verdict(0x40000000 | arch.socket, 1, 1) == seccomp.RET_KILL_PROCESS
    with_truncate = seccomp.build_filter(arch, deny_truncate=True)
    assert run_filter(with_truncate, arch.audit_arch, arch.truncate) == seccomp.RET_ERRNO | 13
    for number in arch.owner_and_xattr_by_path:
        assert verdict(number, 0, 0) == seccomp.RET_ALLOW


@pytest.mark.parametrize("name", sorted(seccomp.ARCHITECTURES))
def test_the_landlock_filter_refuses_owners_xattrs_and_special_modes_by_path(name: str) -> None:
    arch = seccomp.ARCHITECTURES[name]
    program = seccomp.build_filter(arch, deny_truncate=False, guard_metadata=True)
    for number in arch.owner_and_xattr_by_path:
        assert run_filter(program, arch.audit_arch, number, (3, 0x7FFF0000)) == seccomp.RET_ERRNO | 1
    for number, mode_argument in arch.chmod_by_path:

        def chmod(mode: int, number: int = number, mode_argument: int = mode_argument) -> int:
            args = [3, 0x7FFF0000, 0, 0]
            args[mode_argument] = mode
            return run_filter(program, arch.audit_arch, number, args)

        for special in (0o4755, 0o2755, 0o1777, 0o7777):
            assert chmod(special) == seccomp.RET_ERRNO | 1
        for plain in (0o644, 0o755, 0o777, 0o000):
            assert chmod(plain) == seccomp.RET_ALLOW
    # The checks before and after still hold.
    assert run_filter(program, arch.audit_arch, arch.socket, (2, 1)) == seccomp.RET_ERRNO | 13
    assert run_filter(program, arch.audit_arch, arch.ioctl, (0, seccomp.TIOCSTI)) == seccomp.RET_ERRNO | 1
    assert run_filter(program, arch.audit_arch, arch.ioctl, (0, 0x5401)) == seccomp.RET_ALLOW


def test_python_runtime_paths_show_the_venv_and_its_base_but_not_system_directories(tmp_path: Path) -> None:
    venv, base = tmp_path / "venv", tmp_path / "base"
    paths = python_runtime_paths(str(venv / "bin" / "python"), (str(venv), str(base), "/usr", str(venv)))
    assert paths == (venv.resolve(), base.resolve())
