"""The host's profile of `git`: what a plugin may ask git to do, and how git is run.

Threats: a hostile plugin choosing git's arguments, and a hostile repository (its
.git/config, .gitattributes, hooks, submodules) choosing what git does with them. The wall
against both is the OS sandbox every launched program runs in (the engine's; the project
is read-write only for the subcommands that write, `git_writes`, and every query this
profile runs is confined too); this profile is the second layer, so that git does what
the plugin's grant says and fails early and clearly when a repository or an argument
tries for more. Defences, in the order they apply:

1. Arguments (`check_git_args`): an allowlisted subcommand first, no global options
   (acc sets those), no option that runs a program, writes a file of its choosing,
   reads a file outside the project, or reaches another repository.
2. Command-line configuration (`_GIT_HARDENING`): the "command" scope is read last,
   so it overrides the repository's fsmonitor, hooks path, pager, editor, signing
   programs, ssh command, credential helpers, and disables all transports.
3. Environment (`_git_environment`): no system or global config, no prompts, no
   templates, no lazy fetches, and a ceiling so git never walks up out of the project.
4. Repository vetting (`_vet_git_repository`), for what 2 cannot override because the
   repository chooses the names: filter/diff/merge drivers, included config files,
   remote helpers; and for what is not configuration at all: a work tree, git
   directory, symlink or borrowed object store outside the project. The same again
   for every checked-out submodule (git enters them on `status` and `diff`).
5. Identity (`_git_identity_environment`): commits are made in the user's name, so the
   host, not the plugin, decides that name: from the repository's config, else the
   user's global git config, else the commit is refused with instructions. The query
   that reads it is confined like the rest and sees exactly the user's git config
   files, read-only, never the rest of the home directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from host.capabilities.errors import Denied, Failed, Invalid, LimitExceeded
from host.capabilities.process.engine import KiB, Launch, MiB, ProcessOutput, ProgramProfile
from host.capabilities.process.engine import inside as _inside

#: Subcommands a plugin may run. All are git builtins, so no alias (`alias.status = !sh`)
#: can shadow them. Left out on purpose: anything that talks to a remote (fetch, pull,
#: push, clone, remote, submodule, ls-remote), edits configuration (config), runs other
#: programs by design (difftool, mergetool, bisect run, rebase --exec, filter-branch,
#: instaweb, send-email, help/web browsers), writes outside the work tree (archive,
#: bundle, format-patch, worktree), or serves repositories (daemon, upload-pack,
#: receive-pack). `apply` and `am` are left out until a plugin needs them.
GIT_SUBCOMMANDS: frozenset[str] = frozenset(
    {
        "add", "blame", "branch", "cat-file", "checkout", "commit", "describe", "diff",
        "diff-tree", "for-each-ref", "grep", "init", "log", "ls-files", "merge",
        "merge-base", "mv", "name-rev", "reset", "restore", "rev-list", "rev-parse",
        "rm", "shortlog", "show", "show-ref", "stash", "status", "switch",
        "symbolic-ref", "tag", "version",
    }
)  # fmt: skip

#: Long options refused in any position before "--", with the reason given to the plugin.
_GIT_REFUSED_OPTIONS: dict[str, str] = {
    "upload-pack": "names a program for git to run",
    "receive-pack": "names a program for git to run",
    "exec": "names a program for git to run",
    "exec-path": "changes where git finds its own programs",
    "output": "writes to a file of the caller's choosing",
    "no-index": "compares files outside the repository",
    "ext-diff": "runs an external diff program",
    "textconv": "runs text conversion programs",
    "config": "changes git's configuration",
    "config-env": "changes git's configuration",
    "git-dir": "points git at another repository",
    "work-tree": "points git at another work tree",
    "namespace": "changes git's ref namespace",
    "super-prefix": "is internal to git",
    "open-files-in-pager": "runs a pager program",
    "template": "copies files from a template directory into the repository",
    "separate-git-dir": "puts the repository outside the project",
    "recurse-submodules": "runs git inside submodules with their own configuration",
    "alternate-refs": "runs core.alternateRefsCommand and reads other repositories",
    "resolve-git-dir": "probes paths outside the project",
    "help": "opens a manual page or web browser, and the repository's config chooses the program (man.viewer)",
}

#: Long options whose value is a file git reads: allowed only for "-" (stdin) or a file
#: inside the project, so a plugin cannot read e.g. ~/.ssh/id_ed25519 into a commit message.
_GIT_FILE_OPTIONS: frozenset[str] = frozenset(
    {"contents", "ignore-revs-file", "pathspec-from-file", "file", "exclude-from"}
)

#: Real options that are prefixes of a refused or file option. Git prefers an exact
#: match over an abbreviation, so these mean themselves (`--text` is `-a`, not
#: `--textconv`; `--exclude=PATTERN` is not `--exclude-from`).
_GIT_EXACT_SAFE: frozenset[str] = frozenset({"text", "ignore-rev", "exclude"})

#: Long options refused for one subcommand only (elsewhere they mean something harmless:
#: `git log --author=PATTERN` filters).
_GIT_SUBCOMMAND_REFUSED: dict[str, dict[str, str]] = {
    "commit": {
        "author": "would let the plugin choose the commit's author; acc takes the identity "
        "from your git config (user.name, user.email)",
    },
}

#: Exact options allowed only for one subcommand, where they are harmless queries.
_GIT_SUBCOMMAND_SAFE: dict[str, frozenset[str]] = {"rev-parse": frozenset({"--git-dir"})}

#: Short options whose value is a file git reads, per subcommand (letters differ:
#: `commit -F` reads a message file, `grep -F` means fixed strings).
_GIT_SHORT_FILE: dict[str, str] = {
    "commit": "Ft",  # -F <message file>, -t <template file>
    "tag": "F",
    "merge": "F",
    "blame": "S",  # -S <revs file>
    "grep": "f",  # -f <patterns file>
    "ls-files": "X",  # -X <exclude file>
    # -O <orderfile> of the diff options
    "diff": "O", "log": "O", "show": "O", "diff-tree": "O", "stash": "O",
}  # fmt: skip

_GIT_SHORT_REFUSED: dict[str, dict[str, str]] = {
    "grep": {"O": "runs a pager program (-O, --open-files-in-pager)"},
}

# Git long options are lowercase words; a "--token" of any other shape can never match
# one (git compares names exactly or by prefix), so it is a value (a commit message that
# starts with "--") or an error, and is not checked as an option.
_GIT_OPTION_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

#: Configuration given on the command line of every git run. The "command" scope is read
#: after the repository's, so each single-valued key here wins over what the repository
#: says. Keys chosen by the repository (filter.NAME.clean, ...) cannot be overridden this
#: way; `_vet_git_repository` refuses those instead.
_GIT_HARDENING: tuple[str, ...] = (
    "core.fsmonitor=false",  # a hook program run on every index refresh
    "core.hooksPath=/dev/null",  # no hooks at all: /dev/null/pre-commit never exists
    "core.sshCommand=false",
    "core.pager=cat",
    "core.editor=false",
    "sequence.editor=false",
    "core.askPass=",
    "credential.helper=",  # an empty value resets the list of helpers
    "protocol.allow=never",  # no transport at all, including lazy fetches
    "gpg.format=openpgp",  # so gpg.ssh.defaultKeyCommand is never consulted
    "gpg.program=false",  # signing and verifying fail instead of running something
    "gpg.x509.program=false",
    "gpg.ssh.program=false",
    "commit.gpgSign=false",
    # Never invent an identity from the host name and /etc/passwd (root@container.(none)):
    # a commit is made under the identity acc sets (see _git_identity_environment) or not
    # at all.
    "user.useConfigOnly=true",
    "tag.gpgSign=false",
    "tag.forceSignAnnotated=false",
    "log.showSignature=false",
    "core.alternateRefsCommand=true",
    "submodule.recurse=false",
    "gc.auto=0",  # auto-gc may detach into the background and outlive the call
    "maintenance.auto=false",
    "pull.twohead=ort",  # default merge strategies are builtins, not git-merge-NAME
    "pull.octopus=octopus",
)
# diff.external is not in this list: `-c diff.external=` makes git try to run "" and every
# `git diff` fail. Vetting refuses a repository that sets it instead.

_GIT_PREFIX: tuple[str, ...] = (
    "--no-pager",
    *(item for setting in _GIT_HARDENING for item in ("-c", setting)),
)

#: Repository configuration that makes git run a program or read config acc has not
#: seen, and that the command line cannot override (key, reason).
_GIT_PROGRAM_KEYS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r"filter\..+\.(clean|smudge|process)", "runs a filter program on file contents"),
        (r"diff\..+\.(textconv|command)", "runs a diff driver program"),
        (r"diff\.external", "runs an external diff program"),
        (r"merge\..+\.driver", "runs a merge driver program"),
        (r"interactive\.difffilter", "runs a program on interactive diffs"),
        (r"include\.path|includeif\..+\.path", "includes another config file"),
        (r"remote\..+\.(vcs|uploadpack|receivepack)", "runs a remote helper program"),
        (r"core\.gitproxy", "runs a proxy program"),
        (r"gpg\.ssh\.defaultkeycommand", "runs a program to pick a signing key"),
        (r"trailer\..+\.(cmd|command)", "runs a program to make commit trailers"),
        (r"man\..+\.(cmd|path)|man\.viewer", "runs a manual page viewer program"),
        (r"browser\..+\.(cmd|path)|web\.browser", "runs a web browser program"),
    )
)

_GIT_VET_MAX_OUTPUT = 64 * MiB
_GIT_VET_MAX_REPOSITORIES = 64
_GIT_VET_MAX_ENTRIES = 200_000
_GIT_VET_MAX_ALTERNATES_BYTES = 64 * KiB
_GIT_VET_MAX_ALTERNATE_DEPTH = 5  # git's own limit on chained alternates
_LOOSE_OBJECT_DIR = re.compile(r"[0-9a-f]{2}")


def check_git_args(args: list[str], project_dir: Path) -> list[str]:
    """Validate a plugin's git arguments and return the argv tail to run.

    The tail starts with acc's own global options (`--no-pager` and `_GIT_HARDENING`),
    then the plugin's subcommand and arguments unchanged. Raises `Invalid` for global
    options or a malformed request, `Denied` for a subcommand or option outside policy.

    Everything after a literal "--" (or "--end-of-options") is left alone: git never
    reads it as an option, so `["add", "--", "-rf"]` adds a file named "-rf". Plugins
    must put names that may start with "-" (paths, branches) there.
    """
    if not args:
        raise Invalid('git needs a subcommand, e.g. ["status"]')
    subcommand, rest = args[0], args[1:]
    if subcommand.startswith("-"):
        raise Invalid(
            f"git options before the subcommand are not allowed (got {subcommand!r}): "
            "acc sets git's global options itself; put options after the subcommand"
        )
    if subcommand not in GIT_SUBCOMMANDS:
        raise Denied(
            f"git {subcommand} is not allowed; acc runs only these git subcommands: "
            + ", ".join(sorted(GIT_SUBCOMMANDS))
        )

    positionals: list[str] = []
    index = 0
    options_ended = False
    while index < len(rest):
        token = rest[index]
        if options_ended or token == "-" or not token.startswith("-"):
            positionals.append(token)
            index += 1
        elif token in ("--", "--end-of-options"):
            options_ended = True
            index += 1
        elif token.startswith("--"):
            index = _check_git_long_option(subcommand, rest, index, project_dir)
        else:
            index = _check_git_short_options(subcommand, rest, index, project_dir)

    if subcommand == "init":
        _check_git_init(rest)
    if subcommand == "diff":
        # `git diff A B` silently becomes `git diff --no-index A B` when A or B lies
        # outside the repository, even after "--", and then reads any file.
        for name in positionals:
            if not _inside(name, project_dir):
                raise Denied(
                    f"git diff may only name paths inside the project; {name!r} is "
                    "outside (git would compare it as a file outside the repository)"
                )
    return [*_GIT_PREFIX, subcommand, *rest]


def _check_git_long_option(subcommand: str, tokens: list[str], index: int, project_dir: Path) -> int:
    token = tokens[index]
    name, has_value, value = token[2:].partition("=")
    if not _GIT_OPTION_NAME.fullmatch(name):
        return index + 1
    if token in _GIT_SUBCOMMAND_SAFE.get(subcommand, ()) or name in _GIT_EXACT_SAFE:
        return index + 1
    # Git accepts any unambiguous prefix of a long option ("--outp" is "--output"), so
    # a name that begins a refused option is refused as that option.
    refused_here = {**_GIT_REFUSED_OPTIONS, **_GIT_SUBCOMMAND_REFUSED.get(subcommand, {})}
    for refused, reason in refused_here.items():
        if refused.startswith(name):
            shown = f"--{name}" if name == refused else f"--{name} (read by git as --{refused})"
            raise Denied(f"git option {shown} is not allowed: it {reason}")
    if any(option.startswith(name) for option in _GIT_FILE_OPTIONS):
        if has_value:
            _check_git_file_value(f"--{name}", value, project_dir)
        elif index + 1 < len(tokens):
            # The next token is checked as the file, and still scanned as a token of
            # its own: if git does not take it as this option's value, it is an option.
            _check_git_file_value(f"--{name}", tokens[index + 1], project_dir)
    return index + 1


def _check_git_short_options(subcommand: str, tokens: list[str], index: int, project_dir: Path) -> int:
    cluster = tokens[index][1:]  # "-aF" is "-a -F"; the rest of a cluster can be a value
    refused = _GIT_SHORT_REFUSED.get(subcommand, {})
    file_letters = _GIT_SHORT_FILE.get(subcommand, "")
    # Every letter is checked, even ones that may be part of an earlier option's value:
    # refusing "-mOops" for grep costs little; missing an option costs the sandbox.
    for position, letter in enumerate(cluster):
        if letter in refused:
            raise Denied(f"git {subcommand} option -{letter} is not allowed: it {refused[letter]}")
        if letter in file_letters:
            attached = cluster[position + 1 :]
            if attached:
                _check_git_file_value(f"-{letter}", attached, project_dir)
            elif index + 1 < len(tokens):
                _check_git_file_value(f"-{letter}", tokens[index + 1], project_dir)
    return index + 1


def _check_git_file_value(option: str, value: str, project_dir: Path) -> None:
    if value == "-" or _inside(value, project_dir):
        return
    raise Denied(f"git option {option} may only name a file inside the project (or - for stdin); {value!r} is outside")


def _check_git_init(rest: list[str]) -> None:
    """`git init` always initialises the project directory itself.

    A directory argument would create a repository anywhere; it is refused, and so is
    anything positional that is not the exact value of -b/--initial-branch/--object-format.
    """
    index = 0
    options_ended = False
    while index < len(rest):
        token = rest[index]
        if not options_ended and token in ("-b", "--initial-branch", "--object-format"):
            index += 2
            continue
        if not options_ended and token in ("--", "--end-of-options"):
            options_ended = True
        elif options_ended or token == "-" or not token.startswith("-"):
            raise Invalid(
                f"git init takes no directory ({token!r}): it always initialises the "
                "project directory; give the branch as --initial-branch=NAME"
            )
        index += 1


def _git_environment(project_dir: Path) -> dict[str, str]:
    return {
        "GIT_CONFIG_NOSYSTEM": "1",  # /etc/gitconfig is the administrator's, not ours
        "GIT_CONFIG_GLOBAL": "/dev/null",  # nor the user's (HOME is empty anyway)
        "GIT_ATTR_NOSYSTEM": "1",
        # Never walk up out of the project into an enclosing repository.
        "GIT_CEILING_DIRECTORIES": str(project_dir.parent),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",  # empty: no askpass program, not "fall back to SSH_ASKPASS"
        "GIT_PAGER": "cat",
        "GIT_EDITOR": "false",
        "GIT_SEQUENCE_EDITOR": "false",
        "GIT_MERGE_AUTOEDIT": "no",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_TEMPLATE_DIR": "",  # empty: `git init` copies no templates (no hooks)
        "GIT_ALLOW_PROTOCOL": "",  # empty list: no transport, whatever config says
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_NO_LAZY_FETCH": "1",  # newer git: never fetch missing objects of a partial clone
    }


def _vet_git_repository(args: list[str], launch: Launch) -> None:
    """Refuse to run git in a repository that could make it run programs or leave the project.

    Neutralised for every repository by the command line and environment (so a repository
    may set them and still be used): hooks, core.fsmonitor, pagers, editors, signing and
    ssh programs, credential helpers, transports, auto-gc, the user's and system config.

    Refused here, because the repository picks the names and `-c` cannot override a key
    whose name is not known in advance:

    - filter.*.clean/smudge/process, diff.*.textconv/command, diff.external,
      merge.*.driver, interactive.diffFilter, remote helpers, core.gitProxy: each runs a
      program from the repository's config;
    - include.path and includeIf.*.path: an included file (possibly one inside the work
      tree that the command itself rewrites, or one whose `onbranch:` condition a
      checkout makes true) could add any of the above after this check;
    - a git directory or work tree outside the project (a `.git` file or core.worktree
      pointing elsewhere), symlinks inside the git directory that lead out of it, or
      object stores borrowed from elsewhere (objects/info/alternates): each would let
      git read or write another place, such as the user's other repositories;
    - any of the above in a checked-out submodule: `git status` and `git diff` run git
      inside each one, with the submodule's own config.

    The check runs before every command, so a repository changed between calls is
    checked again. It cannot close a race with another process editing .git/config
    while git starts; a plugin that can write the project's .git directory directly
    (an `fs` grant on it) is trusted as far as that.
    """
    if args[0] == "version":
        return
    seen: set[Path] = set()
    has_work_tree = _vet_one_repository(launch, launch.project_dir, seen, submodule=False)
    if args[0] == "diff" and not has_work_tree:
        # Without a work tree git diff falls back to comparing arbitrary files.
        raise Denied("git diff needs the project to be a git work tree; run git init first")


def _git_query(launch: Launch, directory: Path, tail: list[str]) -> ProcessOutput:
    # -C rather than a working directory: the sandbox's is the project, and a submodule
    # is vetted from its own directory inside it.
    output = launch.run(["-C", str(directory), *_GIT_PREFIX, *tail], max_output=_GIT_VET_MAX_OUTPUT)
    if output.truncated:
        raise LimitExceeded(
            f"the repository in {directory} is too large for acc to check "
            f"(git {tail[0]} printed more than {_GIT_VET_MAX_OUTPUT // MiB} MiB)"
        )
    return output


def _git_error(output: ProcessOutput) -> str:
    return output.stderr.decode("utf-8", "replace").strip()[:500]


def _vet_one_repository(
    launch: Launch,
    directory: Path,
    seen: set[Path],
    *,
    submodule: bool,
    walked: set[Path] | None = None,
) -> bool:
    """Vet the repository git finds from `directory`; return whether it has a work tree."""
    project = launch.project_dir
    where = f"the submodule in {directory}" if submodule else "the project's repository"
    walked = set() if walked is None else walked
    if directory in seen:
        return True
    seen.add(directory)
    if len(seen) > _GIT_VET_MAX_REPOSITORIES:
        raise Denied(
            f"the project has more than {_GIT_VET_MAX_REPOSITORIES} nested repositories; acc does not check that many"
        )

    _check_git_entry(directory, project, where, walked)
    # One query for where the repository is and whether it has a work tree: each query is a
    # launch in the OS sandbox, and their set-up is most of a git call's cost. In a bare
    # repository --show-toplevel fails after the first three answers are printed.
    located = _git_query(
        launch, directory, ["rev-parse", "--absolute-git-dir", "--git-common-dir",
                            "--is-bare-repository", "--show-toplevel"]
    )  # fmt: skip
    lines = os.fsdecode(located.stdout).splitlines()
    if located.status != 0 and len(lines) < 3:
        if not submodule and b"not a git repository" in located.stderr:
            return False  # nothing to vet; the plugin's command sees the same
        raise Failed(f"git cannot open {where}: {_git_error(located)}")
    if len(lines) not in (3, 4):
        raise Failed(f"git rev-parse gave unexpected output for {where}")
    git_dir, common_dir, bare = Path(lines[0]), directory / lines[1], lines[2] == "true"
    for name, path in (("git directory", git_dir), ("common git directory", common_dir)):
        if not _inside(str(path), project):
            raise Denied(
                f"the {name} of {where} is {path}, outside the project; acc runs git only "
                "on repositories kept inside the project"
            )

    for root in (git_dir, common_dir.resolve()):
        _check_git_directory_contents(root, project, where, walked)
    _check_git_alternates(common_dir / "objects", project, where, depth=0)

    if not bare:
        if located.status != 0 or len(lines) != 4:
            raise Failed(f"git cannot find the work tree of {where}: {_git_error(located)}")
        work_tree = Path(lines[3])
        if work_tree.resolve() != directory:
            raise Denied(
                f"the work tree of {where} is {work_tree} (core.worktree), not "
                f"{directory}; acc runs git only on the project's own files"
            )

    _check_git_config(launch, directory, where)

    if bare:
        return False
    # Git runs itself inside every checked-out submodule (a gitlink whose directory has a
    # .git), listed in the .gitmodules file or not, so each is vetted like the project.
    staged = _git_query(launch, directory, ["ls-files", "--stage", "-z"])
    if staged.status != 0:
        raise Failed(f"git cannot list the index of {where}: {_git_error(staged)}")
    for entry in staged.stdout.split(b"\0"):
        meta, _, raw_path = entry.partition(b"\t")
        if not meta.startswith(b"160000 "):
            continue
        relative = os.fsdecode(raw_path)
        sub_dir = directory / relative
        if not os.path.lexists(sub_dir / ".git"):
            continue  # not checked out: git does not enter it
        if not _inside(str(sub_dir), project):
            raise Denied(f"the submodule {relative!r} of {where} lies outside the project")
        _vet_one_repository(launch, sub_dir.resolve(), seen, submodule=True, walked=walked)
    return True


def _check_git_entry(directory: Path, project: Path, where: str, walked: set[Path]) -> None:
    """Refuse a `.git` that leads out of the project, checked on the host before git runs.

    Inside the OS sandbox a git directory outside the project does not exist, so git
    would only say "not a git repository"; this says what is wrong and what acc does
    instead. A `.git` symlink or `gitdir:` file must lead inside the project, and a
    `.git` directory must hold no symlink out of it.
    """
    entry = directory / ".git"
    target: Path | None = None
    if entry.is_symlink():
        target = entry.resolve()
    elif entry.is_file():
        try:
            with open(entry, "rb") as pointer:
                first = os.fsdecode(pointer.read(_GIT_VET_MAX_ALTERNATES_BYTES).partition(b"\n")[0]).strip()
        except OSError as error:
            raise Failed(f"cannot read {entry}: {error.strerror}") from error
        if first.startswith("gitdir:"):
            target = directory / first.removeprefix("gitdir:").strip()
    elif entry.is_dir():
        _check_git_directory_contents(entry, project, where, walked)
    if target is not None and not _inside(str(target), project):
        raise Denied(
            f"the git directory of {where} is {target}, outside the project; acc runs git only "
            "on repositories kept inside the project"
        )


def _check_git_directory_contents(root: Path, project: Path, where: str, walked: set[Path]) -> None:
    """Refuse symlinks inside a git directory that lead out of the project.

    Git follows them: `.git/objects -> ~/other/.git/objects` makes every object of another
    repository readable (`git cat-file --batch-all-objects`) and writable. Loose object
    directories (objects/ab/) are not descended into: they hold thousands of files, and a
    symlinked loose object only exposes an object whose hash the attacker already knows.
    """
    if any(root.is_relative_to(done) for done in walked):
        return
    walked.add(root)
    visited = 0
    pending = [root]
    followed: set[Path] = set()
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue  # unreadable: git cannot use it either
        for entry in entries:
            visited += 1
            if visited > _GIT_VET_MAX_ENTRIES:
                raise LimitExceeded(
                    f"the git directory of {where} has more than {_GIT_VET_MAX_ENTRIES} "
                    "entries; acc does not check that many (try git pack-refs / git gc)"
                )
            path = Path(entry.path)
            if entry.is_symlink():
                if not _inside(str(path), project):
                    raise Denied(
                        f"{path} in the git directory of {where} is a symlink to "
                        f"{path.resolve()}, outside the project; acc runs git only on "
                        "repositories kept inside the project"
                    )
                # Git follows it, so its target is walked too: a link to a directory
                # inside the project may hold the link that leads out.
                target = path.resolve()
                if target.is_dir() and target not in followed:
                    followed.add(target)
                    pending.append(target)
            elif entry.is_dir(follow_symlinks=False) and not (
                directory.name == "objects" and _LOOSE_OBJECT_DIR.fullmatch(entry.name)
            ):
                pending.append(path)


def _check_git_alternates(objects: Path, project: Path, where: str, *, depth: int) -> None:
    """Refuse object stores borrowed from outside the project (objects/info/alternates).

    An alternate makes another repository's objects part of this one, readable in full
    by `git cat-file --batch-all-objects`. Git follows chains of them, and so does this.
    """
    try:
        with open(objects / "info" / "alternates", "rb") as listing:
            text = listing.read(_GIT_VET_MAX_ALTERNATES_BYTES + 1)
    except FileNotFoundError:
        return
    except OSError as error:
        raise Failed(f"cannot read the alternates of {where}: {error.strerror}") from error
    if len(text) > _GIT_VET_MAX_ALTERNATES_BYTES or depth >= _GIT_VET_MAX_ALTERNATE_DEPTH:
        raise Denied(f"the alternates of {where} are too long or too deeply chained")
    for raw_line in text.splitlines():
        line = os.fsdecode(raw_line).strip()
        if not line or line.startswith("#"):
            continue
        # A quoted line would need git's C unquoting; nothing legitimate inside a project
        # needs one, so it is refused rather than parsed.
        alternate = objects / line
        if line.startswith('"') or not _inside(str(alternate), project):
            raise Denied(
                f"{where} borrows objects from {line} (objects/info/alternates), outside "
                "the project; acc runs git only on repositories kept inside the project "
                "(git repack -a -d, then delete the alternates file, makes it standalone)"
            )
        _check_git_alternates(alternate.resolve(), project, where, depth=depth + 1)


def _check_git_config(launch: Launch, directory: Path, where: str) -> None:
    # --no-includes: includes are refused below rather than followed, see the docstring
    # of _vet_git_repository. System and global scopes are empty (see _git_environment);
    # the "command" scope is acc's own hardening.
    listed = _git_query(
        launch, directory,
        ["config", "--list", "--null", "--show-scope", "--show-origin", "--no-includes"],
    )  # fmt: skip
    if listed.status != 0:
        raise Failed(f"git cannot read the config of {where}: {_git_error(listed)}")
    fields = listed.stdout.split(b"\0")
    # Each entry is: scope NUL origin NUL key [LF value] NUL.
    for offset in range(0, len(fields) - 2, 3):
        scope, origin = os.fsdecode(fields[offset]), os.fsdecode(fields[offset + 1])
        key = os.fsdecode(fields[offset + 2]).partition("\n")[0]
        if scope == "command":
            continue
        for pattern, reason in _GIT_PROGRAM_KEYS:
            if pattern.fullmatch(key):
                raise Denied(
                    f"{where} sets {key} in {origin.removeprefix('file:')}, which "
                    f"{reason}; acc refuses to run git where the repository can make it "
                    f"run programs. Remove it (git config --unset {key}) to let plugins "
                    "use git here"
                )


#: Subcommands that can create commits or tags, and so need an identity to sign them with.
_GIT_IDENTITY_SUBCOMMANDS: frozenset[str] = frozenset({"commit", "merge", "stash", "tag"})

#: The configuration keys git takes an identity from. `author.*`/`committer.*` win over
#: `user.*` (git's own rule, whatever the scope of each).
_GIT_IDENTITY_KEYS = r"^(user|author|committer)\.(name|email)$"
_GIT_IDENTITY_MAX_OUTPUT = 64 * KiB

#: How many of the user's git config files (with the files they include) the identity
#: query may see, and how much of each is searched for includes.
_USER_CONFIG_MAX_FILES = 16
_USER_CONFIG_MAX_BYTES = 1 * MiB
_GIT_INCLUDE_KEYS = r"^include(if\..+)?\.path$"


def _git_preflight(args: list[str], launch: Launch) -> Mapping[str, str] | None:
    reading = launch.reading()  # vetting and the identity query only look
    _vet_git_repository(args, reading)
    if args[0] in _GIT_IDENTITY_SUBCOMMANDS:
        return _git_identity_environment(args[0], reading)
    return None


def _git_identity_environment(subcommand: str, launch: Launch) -> dict[str, str]:
    """The author and committer for a command that can commit, as GIT_AUTHOR_* variables.

    Git itself runs with no global config and an empty HOME (the user's config could run
    programs), so without this it would know only an identity set in the repository,
    and otherwise invent one from the host name. Instead acc asks git, in the (already
    vetted) project, for the identity keys with the user's HOME in place: git merges the
    user's global config (~/.gitconfig, ~/.config/git/config, their includes, such as
    an `includeIf "gitdir:~/work/"` for a work identity) with the repository's own, in
    its usual order. `git config` only reads files, so the user's config cannot run
    anything here, and only the identity keys are taken from it. The query runs in the
    OS sandbox like every launch, and sees of the user's home exactly those config files
    (`_user_git_config_files`), read-only.

    The variables win over any configuration, and the plugin cannot set variables or
    give `-c` or `commit --author`: the identity is the user's, never the plugin's
    choice. A `git commit` with no identity at all is refused with instructions; merge,
    stash and tag fail in git itself, and only if they actually need to write a commit
    (`user.useConfigOnly` in the hardening stops git from inventing one).
    """
    environment = dict(launch.environment)
    user_home = _absolute(launch.user_config_environment.get("HOME", ""))
    config_home = _absolute(launch.user_config_environment.get("XDG_CONFIG_HOME", ""))
    shown: tuple[Path, ...] = ()
    if user_home is not None:
        del environment["GIT_CONFIG_GLOBAL"]
        if config_home is not None:
            environment["XDG_CONFIG_HOME"] = str(config_home)
        shown = _user_git_config_files(launch, user_home, config_home or user_home / ".config")
    query = replace(launch, environment=environment)
    output = query.run(
        [*_GIT_PREFIX, "config", "--null", "--get-regexp", _GIT_IDENTITY_KEYS],
        max_output=_GIT_IDENTITY_MAX_OUTPUT,
        show=shown,
        home=user_home,
    )
    settings: dict[str, str] = {}
    if output.status == 0 and not output.truncated:  # status 1: no key is set
        for entry in output.stdout.split(b"\0"):
            key, _, value = os.fsdecode(entry).partition("\n")
            if key and value.strip():
                settings[key.lower()] = value  # the last value wins, as in git
    identity = {
        "GIT_AUTHOR_NAME": settings.get("author.name") or settings.get("user.name"),
        "GIT_AUTHOR_EMAIL": settings.get("author.email") or settings.get("user.email"),
        "GIT_COMMITTER_NAME": settings.get("committer.name") or settings.get("user.name"),
        "GIT_COMMITTER_EMAIL": settings.get("committer.email") or settings.get("user.email"),
    }
    missing = sorted({
        ("user.email" if variable.endswith("EMAIL") else "user.name")
        for variable, value in identity.items() if not value
    })  # fmt: skip
    if missing and subcommand == "commit":
        keys = " or ".join(missing)
        unset = (
            f"neither the project's repository nor your global git config sets {keys}"
            if user_home is not None
            else f"the project's repository does not set {keys}"
        )
        raise Failed(
            f"git commit needs to know who is committing, and {unset}. Set them in the project with "
            '`git config user.name "Your Name"` and `git config user.email you@example.com` '
            "(or add --global to set them for all your repositories), then try again"
        )
    return {variable: value for variable, value in identity.items() if value}


def _absolute(text: str) -> Path | None:
    return Path(os.path.normpath(text)) if text and os.path.isabs(text) else None


def _user_git_config_files(launch: Launch, home: Path, config_home: Path) -> tuple[Path, ...]:
    """The user's global git config files that exist, and every file they include.

    As git names them: $XDG_CONFIG_HOME/git/config and ~/.gitconfig, then what their
    include.path and includeIf.*.path name (every one, whatever its condition: git
    decides which apply). A file that mentions no "include" is not asked about; one
    that does is listed by a confined `git config --file F --no-includes`, so git's own
    parser reads it. Symlinked config files are followed where they lead.
    """
    pending = [config_home / "git" / "config", home / ".gitconfig"]
    found: list[Path] = []
    while pending and len(found) < _USER_CONFIG_MAX_FILES:
        path = pending.pop(0)
        if path in found or not path.is_file():
            continue
        found.append(path)
        try:
            with open(path, "rb") as config:
                head = config.read(_USER_CONFIG_MAX_BYTES)
        except OSError:
            continue
        if b"include" in head.lower():
            pending.extend(_included_config_files(launch, path, home))
    return tuple(found)


def _included_config_files(launch: Launch, path: Path, home: Path) -> list[Path]:
    listed = launch.run(
        [*_GIT_PREFIX, "config", "--file", str(path), "--no-includes", "--null", "--get-regexp", _GIT_INCLUDE_KEYS],
        max_output=_GIT_IDENTITY_MAX_OUTPUT,
        show=(path,),
    )
    included = []
    for entry in listed.stdout.split(b"\0"):
        value = os.fsdecode(entry).partition("\n")[2]
        if value.startswith("~/"):
            target = home / value[2:]
        elif os.path.isabs(value):
            target = Path(value)
        elif value and not value.startswith("~"):  # ~user/ is not followed
            target = path.parent / value  # relative to the including file, as in git
        else:
            continue
        included.append(Path(os.path.normpath(target)))
    return included


def git_writes(args: list[str]) -> bool:
    """Whether this git command may change the project, so git needs it read-write.

    A subcommand that only reads (status, diff, log, show, ...) runs on a read-only
    project: `GIT_OPTIONAL_LOCKS=0` keeps git from refreshing the index as it looks.
    Listing branches, tags or stashes reads too; anything else of a writing subcommand
    is taken to write.
    """
    if not args or args[0] not in _GIT_WRITING:
        return False
    subcommand, rest = args[0], args[1:]
    if subcommand in ("branch", "tag"):
        return bool(rest) and not any(arg in ("-l", "--list", "--show-current") for arg in rest)
    if subcommand == "stash":
        return rest[:1] not in (["list"], ["show"])
    return True


#: Subcommands that change the work tree, the index, refs or config (see `git_writes`).
_GIT_WRITING: frozenset[str] = frozenset(
    {
        "add", "branch", "checkout", "commit", "init", "merge", "mv", "reset", "restore",
        "rm", "stash", "switch", "symbolic-ref", "tag",
    }
)  # fmt: skip


#: The profile the process engine is handed for `git`.
PROFILE = ProgramProfile(
    check_args=check_git_args,
    environment=_git_environment,
    preflight=_git_preflight,
    writes=git_writes,
    subcommands=GIT_SUBCOMMANDS,
)
