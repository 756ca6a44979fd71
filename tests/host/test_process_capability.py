"""The `process` capability against real programs: git 2.39, sleep, yes, printenv, sh.

Repositories are made here with the real git binary and a clean environment (no system
or global config), never with the developer's ~/.gitconfig. The hostile-repository tests
first show that the attack works against plain git, so they cannot pass by accident.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from host.capabilities.errors import Denied, Failed, Invalid, LimitExceeded
from host.capabilities.process.engine import SAFE_PATH, ProcessScope, run_program
from host.capabilities.process.profiles import PROFILES
from host.capabilities.process.profiles.git import check_git_args

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")


# --- helpers ----------------------------------------------------------------------------


def plain_git(repo: Path, *args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git as a user would (hooks, filters and all), but without anyone's config."""
    env = {
        "PATH": SAFE_PATH,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "LC_ALL": "C.UTF-8",
    }
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    command += ["-c", "init.defaultBranch=main", *args]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, check=check)


def marker_script(directory: Path, name: str) -> tuple[Path, Path]:
    """A script that leaves a marker file and passes stdin through (usable as a filter)."""
    directory.mkdir(parents=True, exist_ok=True)
    script, marker = directory / f"{name}.sh", directory / f"{name}.ran"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    script.chmod(0o755)
    return script, marker


def scope_for(project: Path, *programs: str, **limits: Any) -> ProcessScope:
    return dataclasses.replace(ProcessScope(programs=programs, project_dir=project, profiles=PROFILES), **limits)


def processes_with_arg(arg: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if arg.encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "test-home"
    path.mkdir()
    return path


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """Where hostile scripts and their markers live: outside the project."""
    return tmp_path / "evil"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small repository made once; each test gets its own copy (`repo`)."""
    base = tmp_path_factory.mktemp("template")
    home, path = base / "home", base / "repo"
    home.mkdir()
    path.mkdir()
    plain_git(path, "init", "-q", home=home)
    # Local config, so commits made through run_program (which ignores global config)
    # have an identity.
    plain_git(path, "config", "user.name", "Plugin", home=home)
    plain_git(path, "config", "user.email", "plugin@example.com", home=home)
    (path / "README").write_text("hello\n")
    plain_git(path, "add", "README", home=home)
    plain_git(path, "commit", "-q", "-m", "initial", home=home)
    return path


@pytest.fixture
def repo(project: Path, template_repo: Path) -> Path:
    shutil.copytree(template_repo, project, symlinks=True, dirs_exist_ok=True)
    return project


def run_git(project: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    output = run_program(scope_for(project, "git"), "git", list(args), stdin)
    return subprocess.CompletedProcess(args, output.status, output.stdout.decode(), output.stderr.decode())


# --- generic checks ---------------------------------------------------------------------


def test_program_not_granted_is_denied_naming_it_and_the_allowed_ones(project: Path) -> None:
    with pytest.raises(Denied) as refused:
        run_program(scope_for(project, "git", "python"), "curl", ["https://example.com"], b"")
    assert refused.value.kind == "denied"
    assert "'curl'" in refused.value.message
    assert "git, python" in refused.value.message


@pytest.mark.parametrize(
    "program",
    ["/usr/bin/git", "./git", "../bin/git", "-git", ""],
    ids=["absolute", "relative", "parent", "dash", "empty"],
)
def test_program_must_be_a_bare_name(project: Path, program: str) -> None:
    with pytest.raises(Invalid):
        run_program(scope_for(project, "git", program), program, ["status"], b"")


def test_granted_program_that_is_not_installed_fails(project: Path) -> None:
    with pytest.raises(Failed, match="program not found: acc-no-such-program"):
        run_program(scope_for(project, "acc-no-such-program"), "acc-no-such-program", [], b"")


def test_missing_project_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(Failed, match="does not exist"):
        run_program(scope_for(tmp_path / "gone", "printenv"), "printenv", [], b"")


def test_nul_in_an_argument_is_invalid(project: Path) -> None:
    with pytest.raises(Invalid, match="NUL"):
        run_program(scope_for(project, "printenv"), "printenv", ["PATH\0HOME"], b"")


def test_a_single_string_as_args_is_invalid(project: Path) -> None:
    with pytest.raises(Invalid, match="list of strings"):
        run_program(scope_for(project, "printenv"), "printenv", "PATH", b"")


def test_argument_count_and_size_and_stdin_are_capped(project: Path) -> None:
    scope = scope_for(project, "cat", max_args=3, max_arg_bytes=10, max_stdin_bytes=4)
    with pytest.raises(LimitExceeded, match="4 arguments"):
        run_program(scope, "cat", ["a", "b", "c", "d"], b"")
    with pytest.raises(LimitExceeded, match="11 bytes"):
        run_program(scope, "cat", ["0123456789", "x"], b"")
    with pytest.raises(LimitExceeded, match="stdin"):
        run_program(scope, "cat", [], b"12345")
    assert run_program(scope, "cat", [], b"1234").stdout == b"1234"


def test_scope_limits_must_be_positive(project: Path) -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        ProcessScope(programs=("git",), project_dir=project, profiles=PROFILES, timeout_seconds=0)
    with pytest.raises(ValueError, match="max_output_bytes"):
        ProcessScope(programs=("git",), project_dir=project, profiles=PROFILES, max_output_bytes=0)


def test_runs_in_the_project_directory(project: Path) -> None:
    output = run_program(scope_for(project, "pwd"), "pwd", [], b"")
    assert output.stdout.decode().strip() == str(project.resolve())


def test_environment_is_scrubbed_and_home_is_a_fresh_empty_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACC_TEST_SECRET", "hunter2")
    monkeypatch.setenv("GIT_DIR", "/somewhere/else")
    output = run_program(scope_for(project, "printenv"), "printenv", [], b"")
    assert output.status == 0
    environment = dict(line.split("=", 1) for line in output.stdout.decode().splitlines())
    # TMPDIR is the sandbox's private temporary directory; bubblewrap sets PWD (the project).
    assert set(environment) - {"PWD"} == {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}
    assert environment.get("PWD", str(project.resolve())) == str(project.resolve())
    assert environment["PATH"] == SAFE_PATH
    assert environment["TZ"] == "UTC"
    assert environment["LC_ALL"] == "C.UTF-8"
    home = Path(environment["HOME"])
    assert home != Path.home()
    assert not home.exists(), "the per-call HOME is deleted afterwards"
    assert b"hunter2" not in output.stdout


def test_home_is_empty_while_the_program_runs(project: Path) -> None:
    output = run_program(scope_for(project, "sh"), "sh", ["-c", 'ls -A "$HOME"'], b"")
    assert output.status == 0
    assert output.stdout == b""


def test_no_shell_interprets_arguments(project: Path) -> None:
    output = run_program(scope_for(project, "echo"), "echo", ["$HOME; touch x", "`id`"], b"")
    assert output.stdout == b"$HOME; touch x `id`\n"
    assert not (project / "x").exists()


def test_stdin_is_fed_while_both_outputs_are_drained(project: Path) -> None:
    # 2 MiB in, 2 MiB out on each stream: far beyond the pipe buffers, so this deadlocks
    # unless writing stdin and reading stdout/stderr happen together.
    data = os.urandom(2 * 1024 * 1024)
    code = "import sys; d = sys.stdin.buffer.read(); sys.stderr.buffer.write(d); sys.stdout.buffer.write(d)"
    output = run_program(scope_for(project, "python"), "python", ["-c", code], data)
    assert output.status == 0
    assert output.stdout == data
    assert output.stderr == data
    assert not output.truncated


def test_program_that_ignores_its_stdin_does_not_hang_the_call(project: Path) -> None:
    output = run_program(scope_for(project, "true"), "true", [], b"x" * (1024 * 1024))
    assert output.status == 0


def test_python_is_the_interpreter_acc_runs_under(project: Path) -> None:
    # A venv's python, not /usr/bin/python3: the interpreter's directory is searched first.
    output = run_program(scope_for(project, "python"), "python", ["-c", "import sys; print(sys.prefix)"], b"")
    assert output.stdout.decode().strip() == sys.prefix


def test_timeout_kills_the_program_and_raises_limit(project: Path) -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"program sleep ran longer than 0.5 s"):
        run_program(scope_for(project, "sleep", timeout_seconds=0.5), "sleep", ["31.4159"], b"")
    assert time.monotonic() - started < 3
    assert processes_with_arg("31.4159") == []


def test_timeout_kills_the_whole_process_group(project: Path) -> None:
    with pytest.raises(LimitExceeded):
        run_program(
            scope_for(project, "sh", timeout_seconds=0.5),
            "sh",
            ["-c", "sleep 27.1828 & sleep 27.1828; wait"],
            b"",
        )
    assert processes_with_arg("27.1828") == []


def test_children_left_behind_do_not_outlive_the_call(project: Path) -> None:
    # The background sleep holds stdout open; without killing the group at exit the call
    # would wait for it until the deadline.
    started = time.monotonic()
    output = run_program(
        scope_for(project, "sh", timeout_seconds=20),
        "sh",
        ["-c", "sleep 16.1803 & echo started"],
        b"",
    )
    assert time.monotonic() - started < 5
    assert output.status == 0
    assert output.stdout == b"started\n"
    assert processes_with_arg("16.1803") == []


def test_output_flood_is_truncated_and_the_program_killed(project: Path) -> None:
    cap = 64 * 1024
    started = time.monotonic()
    output = run_program(scope_for(project, "yes", max_output_bytes=cap), "yes", [], b"")
    assert time.monotonic() - started < 5
    assert output.truncated
    assert len(output.stdout) == cap
    assert output.stdout.startswith(b"y\ny\n")
    assert output.status < 0, "killed by a signal"


def test_stderr_flood_is_truncated_too(project: Path) -> None:
    cap = 64 * 1024
    output = run_program(scope_for(project, "sh", max_output_bytes=cap), "sh", ["-c", "yes >&2"], b"")
    assert output.truncated
    assert len(output.stderr) == cap
    assert output.stdout == b""


def test_policies_are_registered() -> None:
    assert set(PROFILES) >= {"git", "python", "python3", "pytest"}
    assert PROFILES["git"].preflight is not None


# --- git: arguments ---------------------------------------------------------------------

GIT_TRICKS = [
    pytest.param(["-c", "core.sshCommand=touch {marker}", "status"], Invalid, id="global-c"),
    pytest.param(["-C", "/", "status"], Invalid, id="global-C"),
    pytest.param(["--git-dir=/tmp", "status"], Invalid, id="global-git-dir"),
    pytest.param(["--work-tree={outside}", "status"], Invalid, id="global-work-tree"),
    pytest.param(["--exec-path={outside}", "status"], Invalid, id="global-exec-path"),
    pytest.param(["--config-env=core.pager=PATH", "log"], Invalid, id="global-config-env"),
    pytest.param(["fetch", "--upload-pack=touch {marker}", "x"], Denied, id="fetch"),
    pytest.param(["clone", "--upload-pack=touch {marker}", "x", "y"], Denied, id="clone"),
    pytest.param(["log", "--upload-pack=touch {marker}"], Denied, id="upload-pack"),
    pytest.param(["log", "--upload-p=touch {marker}"], Denied, id="upload-pack-abbrev"),
    pytest.param(["show", "--receive-pack=touch {marker}"], Denied, id="receive-pack"),
    pytest.param(["log", "--exec=touch {marker}"], Denied, id="exec"),
    pytest.param(["diff", "--output={marker}"], Denied, id="diff-output"),
    pytest.param(["diff", "--outp={marker}"], Denied, id="diff-output-abbrev"),
    pytest.param(["log", "HEAD", "--output", "{marker}"], Denied, id="log-output-late"),
    pytest.param(["diff", "--no-index", "/etc/passwd", "/dev/null"], Denied, id="no-index"),
    pytest.param(["diff", "--no-ind", "/etc/passwd", "/dev/null"], Denied, id="no-index-abbrev"),
    pytest.param(["diff", "/etc/passwd", "/dev/null"], Denied, id="diff-implicit-no-index"),
    pytest.param(["diff", "--", "README", "../outside"], Denied, id="diff-implicit-no-index-2"),
    pytest.param(["diff", "--ext-diff"], Denied, id="ext-diff"),
    pytest.param(["log", "-p", "--textconv"], Denied, id="textconv"),
    pytest.param(["log", "--git-dir={outside}"], Denied, id="git-dir-option"),
    pytest.param(["config", "core.pager", "touch {marker}"], Denied, id="config"),
    pytest.param(["push"], Denied, id="push"),
    pytest.param(["submodule", "update"], Denied, id="submodule"),
    pytest.param(["help", "-w", "status"], Denied, id="help"),
    pytest.param(["archive", "--output={marker}", "HEAD"], Denied, id="archive"),
    pytest.param(["grep", "-O", "x"], Denied, id="grep-pager"),
    pytest.param(["grep", "-iOtouch {marker}", "x"], Denied, id="grep-pager-clustered"),
    pytest.param(["grep", "--open-files=touch {marker}", "x"], Denied, id="grep-pager-long"),
    pytest.param(["grep", "--recurse-submodules", "x"], Denied, id="recurse-submodules"),
    pytest.param(["rev-list", "--alternate-refs", "HEAD"], Denied, id="alternate-refs"),
    pytest.param(["rev-parse", "--resolve-git-dir", "/"], Denied, id="resolve-git-dir"),
    pytest.param(["commit", "-F", "/etc/passwd"], Denied, id="commit-file-outside"),
    pytest.param(["commit", "-aF/etc/passwd"], Denied, id="commit-file-clustered"),
    pytest.param(["commit", "--fil=/etc/passwd"], Denied, id="commit-file-abbrev"),
    pytest.param(["commit", "--template={outside}/t"], Denied, id="commit-template"),
    pytest.param(["commit", "--author=Evil <evil@example.com>", "-m", "x"], Denied, id="commit-author"),
    pytest.param(["commit", "--auth", "Evil <evil@example.com>", "-m", "x"], Denied, id="commit-author-abbrev"),
    pytest.param(["add", "--pathspec-from-file=/etc/passwd"], Denied, id="pathspec-from-file"),
    pytest.param(["blame", "--contents", "/etc/passwd", "README"], Denied, id="blame-contents"),
    pytest.param(["blame", "-S", "/etc/passwd", "README"], Denied, id="blame-revs-file"),
    pytest.param(["ls-files", "-X", "/etc/passwd", "-o"], Denied, id="ls-files-exclude-from"),
    pytest.param(["log", "-O/etc/passwd", "-p"], Denied, id="diff-orderfile"),
    pytest.param(["init", "{outside}"], Invalid, id="init-elsewhere"),
    pytest.param(["init", "-q", "--", "{outside}"], Invalid, id="init-elsewhere-dashdash"),
    pytest.param(["init", "--template={outside}"], Denied, id="init-template"),
    pytest.param(["init", "--separate-git-dir={outside}/g"], Denied, id="init-separate"),
    pytest.param([], Invalid, id="no-subcommand"),
]


@pytest.mark.parametrize(("args", "refusal"), GIT_TRICKS)
def test_git_tricks_are_refused(repo: Path, tmp_path: Path, args: list[str], refusal: type[Exception]) -> None:
    marker = tmp_path / "pwned"
    outside = tmp_path / "outside"
    outside.mkdir()
    filled = [a.format(marker=marker, outside=outside) for a in args]
    with pytest.raises(refusal):
        run_program(scope_for(repo, "git"), "git", filled, b"")
    assert not marker.exists()
    assert list(outside.iterdir()) == []


def test_git_refusal_messages_say_what_and_why(repo: Path) -> None:
    with pytest.raises(Denied) as refused:
        run_git(repo, "diff", "--outp=/tmp/x")
    assert "--outp (read by git as --output)" in refused.value.message
    assert "writes to a file" in refused.value.message
    with pytest.raises(Denied) as refused:
        run_git(repo, "push")
    assert "git push is not allowed" in refused.value.message
    assert "status" in refused.value.message
    with pytest.raises(Invalid) as invalid:
        run_git(repo, "-c", "x=y", "status")
    assert "before the subcommand" in invalid.value.message


def test_git_file_option_through_a_symlink_out_of_the_project_is_refused(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's secret\n")
    (repo / "message").symlink_to(secret)
    with pytest.raises(Denied, match="inside the project"):
        run_git(repo, "commit", "--allow-empty", "-F", "message")
    log = run_git(repo, "log", "--format=%B")
    assert "secret" not in log.stdout


GIT_ALLOWED = [
    pytest.param(["rev-parse", "--git-dir"], id="rev-parse-git-dir"),
    pytest.param(["diff", "--text", "HEAD~1..HEAD", "--", "src"], id="diff-text"),
    pytest.param(["log", "-p", "--no-textconv", "--no-ext-diff", "-5"], id="no-textconv"),
    pytest.param(["grep", "-F", "-n", "-e", "x"], id="grep-fixed-strings"),
    pytest.param(["commit", "-F", "-"], id="commit-message-stdin"),
    pytest.param(["commit", "--file=notes/message.txt"], id="commit-message-inside"),
    pytest.param(["commit", "-am", "--output is only a word here"], id="message-like-option"),
    pytest.param(["ls-files", "--exclude=*.o", "-o"], id="ls-files-exclude"),
    pytest.param(["blame", "--ignore-rev", "HEAD", "README"], id="blame-ignore-rev"),
    pytest.param(["log", "--output-indicator-new=+", "-p"], id="output-indicator"),
    pytest.param(["init", "-b", "main"], id="init-branch"),
    pytest.param(["init", "--initial-branch=main", "-q"], id="init-branch-long"),
    pytest.param(["status", "--porcelain=v2", "-z", "--no-recurse-submodules"], id="status"),
    pytest.param(["add", "--", "-rf", "--output=x"], id="names-after-dashdash"),
    pytest.param(["show", "HEAD:README"], id="show-blob"),
    pytest.param(["switch", "-c", "feature"], id="switch"),
    pytest.param(["log", "--author=ada"], id="log-author-filter"),
    pytest.param(["commit", "--amend", "--reset-author", "-m", "x"], id="commit-reset-author"),
]


@pytest.mark.parametrize("args", GIT_ALLOWED)
def test_git_ordinary_arguments_pass_unchanged(project: Path, args: list[str]) -> None:
    argv = check_git_args(args, project)
    assert argv[0] == "--no-pager"
    assert argv[-len(args) :] == args
    assert "core.hooksPath=/dev/null" in argv
    assert argv.index("core.hooksPath=/dev/null") < argv.index(args[0])


# --- git: running -----------------------------------------------------------------------


def test_git_status_in_a_repository(repo: Path) -> None:
    (repo / "new.txt").write_text("new\n")
    result = run_git(repo, "status", "--porcelain")
    assert result.returncode == 0
    assert result.stdout == "?? new.txt\n"


def test_git_commit_with_message_on_stdin(repo: Path) -> None:
    (repo / "README").write_text("changed\n")
    assert run_git(repo, "add", "README").returncode == 0
    result = run_git(repo, "commit", "-q", "-F", "-", stdin=b"from stdin\n")
    assert result.returncode == 0, result.stderr
    assert run_git(repo, "log", "-1", "--format=%s").stdout == "from stdin\n"


def test_git_outside_a_repository_reports_like_git(project: Path) -> None:
    result = run_git(project, "status")
    assert result.returncode == 128
    assert "not a git repository" in result.stderr


def test_git_diff_outside_a_repository_is_refused(project: Path) -> None:
    # Outside a repository git diff compares any two files (implicit --no-index).
    with pytest.raises(Denied, match="work tree"):
        run_git(project, "diff", "a", "b")


def test_a_bare_repository_is_vetted_and_usable_but_has_no_work_tree_to_diff(project: Path, home: Path) -> None:
    plain_git(project, "init", "-q", "--bare", home=home)
    assert run_git(project, "rev-parse", "--is-bare-repository").stdout == "true\n"
    with pytest.raises(Denied, match="work tree"):
        run_git(project, "diff", "a", "b")


def test_git_init_makes_the_project_a_repository_without_templates(project: Path) -> None:
    result = run_git(project, "init", "-q", "-b", "main")
    assert result.returncode == 0, result.stderr
    assert (project / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert not (project / ".git" / "hooks").exists()


def test_git_never_walks_up_into_an_enclosing_repository(tmp_path: Path, home: Path) -> None:
    outer = tmp_path / "outer"
    inner = outer / "project"
    inner.mkdir(parents=True)
    plain_git(outer, "init", "-q", home=home)
    assert plain_git(inner, "status", home=home).returncode == 0, "plain git walks up"
    result = run_git(inner, "status")
    assert result.returncode == 128
    assert "not a git repository" in result.stderr


def test_git_version_works_anywhere(project: Path) -> None:
    assert run_git(project, "version").stdout.startswith("git version ")


def test_names_after_dashdash_are_never_options(repo: Path, tmp_path: Path) -> None:
    (repo / "-rf").write_text("a file with an unlucky name\n")
    (repo / "--orphan").write_text("another\n")
    assert run_git(repo, "add", "--", "-rf", "--orphan").returncode == 0
    listed = run_git(repo, "ls-files").stdout.splitlines()
    assert {"-rf", "--orphan"} <= set(listed)
    assert run_git(repo, "commit", "-q", "-m", "odd names").returncode == 0

    # A path that spells an option is still a path: nothing is written.
    result = run_git(repo, "log", "--oneline", "--", f"--output={tmp_path / 'written'}")
    assert result.returncode == 0
    assert not (tmp_path / "written").exists()

    # "--orphan" after "--" restores that file; it does not start an orphan branch.
    (repo / "--orphan").write_text("modified\n")
    assert run_git(repo, "checkout", "--", "--orphan").returncode == 0
    assert (repo / "--orphan").read_text() == "another\n"
    assert run_git(repo, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() != "--orphan"
    assert run_git(repo, "log", "--oneline").stdout.count("\n") == 2


# --- git: commit identity --------------------------------------------------------------


@pytest.fixture
def anonymous_repo(tmp_path: Path, home: Path) -> Path:
    """A repository with commits but no identity in its config (only -c during setup)."""
    path = tmp_path / "anonymous"
    path.mkdir()
    plain_git(path, "init", "-q", home=home)
    (path / "README").write_text("hello\n")
    plain_git(path, "add", "README", home=home)
    plain_git(path, "commit", "-q", "-m", "initial", home=home)
    return path


def user_home_with(tmp_path: Path, gitconfig: str, *, xdg: bool = False) -> dict[str, str]:
    """A stand-in for the user's home with this global git config; the scope's environment."""
    user_home = tmp_path / "user-home"
    config_home = user_home / ".config"
    target = config_home / "git" / "config" if xdg else user_home / ".gitconfig"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(gitconfig)
    environment = {"HOME": str(user_home)}
    if xdg:
        environment["XDG_CONFIG_HOME"] = str(config_home)
    return environment


def commit_identity(repo: Path, **scope: Any) -> str:
    run = run_program(scope_for(repo, "git", **scope), "git", ["commit", "-q", "--allow-empty", "-m", "m"], b"")
    assert run.status == 0, run.stderr
    shown = run_program(scope_for(repo, "git"), "git", ["log", "-1", "--format=%an <%ae>|%cn <%ce>"], b"")
    return shown.stdout.decode().strip()


def test_commit_identity_comes_from_the_repository_config(repo: Path) -> None:
    # template_repo sets user.name/user.email in its own .git/config.
    assert commit_identity(repo) == "Plugin <plugin@example.com>|Plugin <plugin@example.com>"


@pytest.mark.parametrize("xdg", [False, True], ids=["gitconfig", "xdg-config"])
def test_commit_identity_falls_back_to_the_users_global_git_config(
    anonymous_repo: Path, tmp_path: Path, xdg: bool
) -> None:
    environment = user_home_with(tmp_path, "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n", xdg=xdg)
    assert commit_identity(anonymous_repo, user_config_environment=environment) == (
        "Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>"
    )


def test_repository_identity_wins_over_the_global_one_key_by_key_as_in_git(
    repo: Path, tmp_path: Path, home: Path
) -> None:
    plain_git(repo, "config", "--unset", "user.name", home=home)  # the global name is used
    plain_git(repo, "config", "committer.email", "ci@example.com", home=home)  # wins over user.*
    environment = user_home_with(tmp_path, "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    assert commit_identity(repo, user_config_environment=environment) == (
        "Ada Lovelace <plugin@example.com>|Ada Lovelace <ci@example.com>"
    )


def test_commit_without_any_identity_is_refused_with_instructions(
    anonymous_repo: Path, tmp_path: Path, home: Path
) -> None:
    empty_home = user_home_with(tmp_path, "[core]\n\tautocrlf = false\n")
    for environment in ({}, empty_home):
        with pytest.raises(Failed) as refused:
            run_program(
                scope_for(anonymous_repo, "git", user_config_environment=environment),
                "git", ["commit", "--allow-empty", "-m", "anonymous"], b"",
            )  # fmt: skip
        assert "needs to know who is committing" in refused.value.message
        assert "user.email or user.name" in refused.value.message
        assert 'git config user.name "Your Name"' in refused.value.message
    assert "global git config" in refused.value.message
    log = plain_git(anonymous_repo, "log", "--format=%s", home=home).stdout.decode()
    assert log == "initial\n"


def test_git_never_invents_an_identity_for_other_commands(anonymous_repo: Path, home: Path) -> None:
    # Without user.useConfigOnly git would make up "root <root@hostname>" for this merge.
    plain_git(anonymous_repo, "switch", "-q", "-c", "side", home=home)
    plain_git(anonymous_repo, "commit", "-q", "--allow-empty", "-m", "side", home=home)
    plain_git(anonymous_repo, "switch", "-q", "main", home=home)
    plain_git(anonymous_repo, "commit", "-q", "--allow-empty", "-m", "main", home=home)
    merged = run_git(anonymous_repo, "merge", "--no-edit", "side")
    assert merged.returncode == 128
    assert "auto-detection is disabled" in merged.stderr
    assert run_git(anonymous_repo, "log", "-1", "--format=%s").stdout == "main\n"


def test_only_the_identity_is_taken_from_the_users_global_config(
    anonymous_repo: Path, tmp_path: Path, home: Path
) -> None:
    # Applied to the commit, this setting would add an "encoding" header to the object.
    environment = user_home_with(
        tmp_path,
        "[user]\n\tname = Ada\n\temail = ada@example.com\n[i18n]\n\tcommitEncoding = ISO-8859-1\n",
    )
    commit_identity(anonymous_repo, user_config_environment=environment)
    raw = plain_git(anonymous_repo, "cat-file", "commit", "HEAD", home=home).stdout.decode()
    assert "author Ada <ada@example.com>" in raw
    assert "encoding" not in raw


def test_the_plugin_cannot_choose_the_author(repo: Path) -> None:
    with pytest.raises(Denied) as refused:
        run_git(repo, "commit", "--allow-empty", "--author=Someone Else <else@example.com>", "-m", "x")
    assert "choose the commit's author" in refused.value.message
    # A message that spells the option, given on stdin, is only a message.
    committed = run_git(repo, "commit", "-q", "--allow-empty", "-F", "-", stdin=b"--author=X <x@x>\n")
    assert committed.returncode == 0
    shown = run_git(repo, "log", "-1", "--format=%an|%s").stdout
    assert shown == "Plugin|--author=X <x@x>\n"


# --- git: hostile repositories ----------------------------------------------------------


def test_hooks_never_run(repo: Path, evil: Path, home: Path) -> None:
    script, marker = marker_script(evil, "pre-commit")
    hook = repo / ".git" / "hooks" / "pre-commit"
    shutil.copy(script, hook)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    plain_git(repo, "commit", "-q", "--allow-empty", "-m", "sanity", home=home)
    assert marker.exists(), "plain git runs the hook"
    marker.unlink()

    (repo / "README").write_text("changed\n")
    assert run_git(repo, "add", "README").returncode == 0
    result = run_git(repo, "commit", "-m", "x")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert run_git(repo, "log", "-1", "--format=%s").stdout == "x\n"


def test_core_fsmonitor_is_neutralised(repo: Path, evil: Path, home: Path) -> None:
    script, marker = marker_script(evil, "fsmonitor")
    plain_git(repo, "config", "core.fsmonitor", str(script), home=home)
    plain_git(repo, "status", home=home, check=False)
    assert marker.exists(), "plain git runs the fsmonitor hook"
    marker.unlink()

    (repo / "README").write_text("changed\n")
    result = run_git(repo, "status", "--porcelain")
    assert result.returncode == 0
    assert result.stdout == " M README\n"
    assert not marker.exists()


def test_repository_pager_and_editor_are_neutralised(repo: Path, evil: Path, home: Path) -> None:
    script, marker = marker_script(evil, "editor")
    for key in ("core.pager", "pager.log", "core.editor", "sequence.editor", "gpg.program"):
        plain_git(repo, "config", key, str(script), home=home)
    plain_git(repo, "config", "commit.gpgSign", "true", home=home)
    plain_git(repo, "commit", "--allow-empty", home=home, check=False)
    assert marker.exists(), "plain git runs the repository's editor and signing program"
    marker.unlink()

    assert run_git(repo, "log", "--oneline").returncode == 0
    # No -m: git wants an editor; it gets `false` and the commit is aborted.
    result = run_git(repo, "commit", "--allow-empty")
    assert result.returncode != 0
    assert not marker.exists()


@pytest.fixture
def filter_repo(repo: Path, evil: Path, home: Path) -> tuple[Path, Path]:
    """A repository whose .gitattributes sends *.txt through a filter that leaves a marker."""
    (repo / "data.txt").write_text("hello\n")
    plain_git(repo, "add", "data.txt", home=home)
    plain_git(repo, "commit", "-q", "-m", "data", home=home)
    script, marker = marker_script(evil, "filter")
    (repo / ".gitattributes").write_text("*.txt filter=evil\n")
    plain_git(repo, "config", "filter.evil.clean", str(script), home=home)
    plain_git(repo, "config", "filter.evil.smudge", str(script), home=home)
    (repo / "data.txt").write_text("hello again\n")
    plain_git(repo, "diff", home=home)
    assert marker.exists(), "plain git runs the filter"
    marker.unlink()
    return repo, marker


@pytest.mark.parametrize(
    "args",
    [["add", "data.txt"], ["status"], ["diff"], ["checkout", "--", "data.txt"]],
    ids=["add", "status", "diff", "checkout"],
)
def test_filter_drivers_are_refused(filter_repo: tuple[Path, Path], args: list[str]) -> None:
    repo, marker = filter_repo
    with pytest.raises(Denied) as refused:
        run_git(repo, *args)
    assert "filter.evil.clean" in refused.value.message
    assert ".git/config" in refused.value.message
    assert "git config --unset" in refused.value.message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("key", "attributes", "sanity"),
    [
        ("diff.evil.textconv", "*.txt diff=evil\n", ["diff"]),
        ("diff.evil.command", "*.txt diff=evil\n", ["diff"]),
        ("diff.external", "", ["diff"]),
        ("merge.evil.driver", "*.txt merge=evil\n", None),
        ("interactive.diffFilter", "", None),
    ],
    ids=["textconv", "diff-command", "diff-external", "merge-driver", "diff-filter"],
)
def test_other_program_running_config_is_refused(
    repo: Path, evil: Path, home: Path, key: str, attributes: str, sanity: list[str] | None
) -> None:
    script, marker = marker_script(evil, "driver")
    (repo / "data.txt").write_text("one\n")
    plain_git(repo, "add", "data.txt", home=home)
    plain_git(repo, "commit", "-q", "-m", "data", home=home)
    (repo / ".gitattributes").write_text(attributes)
    plain_git(repo, "config", key, str(script), home=home)
    (repo / "data.txt").write_text("two\n")
    if sanity is not None:
        plain_git(repo, *sanity, home=home, check=False)
        assert marker.exists(), f"plain git {sanity[0]} runs {key}"
        marker.unlink()
    with pytest.raises(Denied, match="(?i)" + key.replace(".", r"\.")):
        run_git(repo, "diff")
    with pytest.raises(Denied):
        run_git(repo, "log", "-p")
    assert not marker.exists()


def test_config_includes_are_refused(repo: Path, evil: Path, home: Path) -> None:
    # The included file lives in the work tree, where a checkout could rewrite it after
    # any check of its contents; so includes are refused, whatever they contain.
    script, marker = marker_script(evil, "included")
    (repo / "innocent.cfg").write_text(f'[filter "evil"]\n\tclean = {script}\n')
    (repo / ".gitattributes").write_text("README filter=evil\n")
    plain_git(repo, "config", "include.path", "../innocent.cfg", home=home)
    (repo / "README").write_text("changed\n")
    plain_git(repo, "diff", home=home)
    assert marker.exists(), "plain git runs the filter from the included file"
    marker.unlink()

    with pytest.raises(Denied, match=r"include\.path"):
        run_git(repo, "status")
    plain_git(repo, "config", "--unset", "include.path", home=home)
    plain_git(repo, "config", "includeIf.onbranch:evil.path", "../innocent.cfg", home=home)
    with pytest.raises(Denied, match=r"includeif\.onbranch:evil\.path"):
        run_git(repo, "status")
    assert not marker.exists()


def test_submodule_with_a_hostile_config_is_refused(repo: Path, evil: Path, home: Path) -> None:
    sub = repo / "vendor" / "lib"
    sub.mkdir(parents=True)
    plain_git(sub, "init", "-q", home=home)
    (sub / "code.txt").write_text("code\n")
    plain_git(sub, "add", "code.txt", home=home)
    plain_git(sub, "commit", "-q", "-m", "lib", home=home)
    plain_git(repo, "add", "vendor/lib", home=home)  # a gitlink; no .gitmodules needed
    plain_git(repo, "commit", "-q", "-m", "vendor lib", home=home)

    script, marker = marker_script(evil, "subfilter")
    plain_git(sub, "config", "filter.evil.clean", str(script), home=home)
    (sub / ".gitattributes").write_text("* filter=evil\n")
    os.utime(sub / "code.txt")  # stat-dirty, so git re-reads it through the filter
    plain_git(repo, "status", home=home)
    assert marker.exists(), "plain git status in the superproject runs the filter"
    marker.unlink()
    os.utime(sub / "code.txt")

    with pytest.raises(Denied) as refused:
        run_git(repo, "status")
    assert "submodule" in refused.value.message
    assert "filter.evil.clean" in refused.value.message
    assert not marker.exists()


def test_clean_submodule_is_fine(repo: Path, home: Path) -> None:
    sub = repo / "lib"
    sub.mkdir()
    plain_git(sub, "init", "-q", home=home)
    plain_git(sub, "commit", "-q", "--allow-empty", "-m", "lib", home=home)
    plain_git(repo, "add", "lib", home=home)
    plain_git(repo, "commit", "-q", "-m", "lib", home=home)
    result = run_git(repo, "status", "--porcelain")
    assert result.returncode == 0
    assert result.stdout == ""


def test_work_tree_outside_the_project_is_refused(repo: Path, tmp_path: Path, home: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.txt").write_text("private\n")
    plain_git(repo, "config", "core.worktree", str(elsewhere), home=home)
    assert "private.txt" in plain_git(repo, "status", home=home).stdout.decode()
    with pytest.raises(Denied, match="work tree"):
        run_git(repo, "add", ".")
    assert run_git(repo, "version").returncode == 0


def test_git_directory_outside_the_project_is_refused(project: Path, tmp_path: Path, home: Path) -> None:
    other = tmp_path / "other-repo"
    other.mkdir()
    plain_git(other, "init", "-q", home=home)
    (project / ".git").write_text(f"gitdir: {other / '.git'}\n")
    assert plain_git(project, "status", home=home).returncode == 0, "plain git follows it"
    with pytest.raises(Denied, match="outside the project"):
        run_git(project, "status")


def test_repository_setting_only_neutralised_keys_is_usable(repo: Path, home: Path) -> None:
    for key, value in [
        ("core.hooksPath", "/tmp"),
        ("core.sshCommand", "touch /tmp/x"),
        ("credential.helper", "!touch /tmp/x"),
        ("alias.st", "!touch /tmp/x"),
    ]:
        plain_git(repo, "config", key, value, home=home)
    assert run_git(repo, "status", "--porcelain").returncode == 0


@pytest.fixture
def secret_repo(tmp_path: Path, home: Path) -> Path:
    """Another of the user's repositories, outside the project."""
    path = tmp_path / "secret-repo"
    path.mkdir()
    plain_git(path, "init", "-q", home=home)
    (path / "plans.txt").write_text("TOP SECRET\n")
    plain_git(path, "add", "plans.txt", home=home)
    plain_git(path, "commit", "-q", "-m", "plans", home=home)
    return path


def test_objects_borrowed_from_outside_the_project_are_refused(repo: Path, secret_repo: Path, home: Path) -> None:
    alternates = repo / ".git" / "objects" / "info" / "alternates"
    alternates.write_text(f"{secret_repo / '.git' / 'objects'}\n")
    dump = ["cat-file", "--batch-all-objects", "--batch"]
    assert b"TOP SECRET" in plain_git(repo, *dump, home=home).stdout, "plain git leaks it"
    with pytest.raises(Denied, match="alternates"):
        run_git(repo, *dump)


def test_symlinks_out_of_the_git_directory_are_refused(repo: Path, secret_repo: Path, home: Path) -> None:
    objects = repo / ".git" / "objects"
    shutil.rmtree(objects)
    objects.symlink_to(secret_repo / ".git" / "objects")
    dump = ["cat-file", "--batch-all-objects", "--batch"]
    assert b"TOP SECRET" in plain_git(repo, *dump, home=home).stdout, "plain git leaks it"
    with pytest.raises(Denied, match="symlink"):
        run_git(repo, *dump)


def test_git_directory_symlinked_out_of_the_project_is_refused(project: Path, secret_repo: Path) -> None:
    (project / ".git").symlink_to(secret_repo / ".git")
    with pytest.raises(Denied, match="outside the project"):
        run_git(project, "log", "-p")


def test_symlinks_out_of_the_git_directory_are_found_through_inner_links(repo: Path, secret_repo: Path) -> None:
    # .git/objects/pack -> ../../stash (inside the project) -> holds the link that leads out
    stash = repo / "stash"
    stash.mkdir()
    (stash / "pack-borrowed.pack").symlink_to(next((secret_repo / ".git").iterdir()))
    pack = repo / ".git" / "objects" / "pack"
    shutil.rmtree(pack)
    pack.symlink_to(stash)
    with pytest.raises(Denied, match="symlink"):
        run_git(repo, "status")
