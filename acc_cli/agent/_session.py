"""What `acc agent run`, `plan` and `tools` share on the terminal side: the --plugins option,
opening a session whose progress lines go to stderr, Ctrl-C, and the exit statuses."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from acc_cli.terminal import err
from host.paths import host_paths
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from host.agent.session import AgentSession

#: Exit statuses of a run stopped by a budget and by Ctrl-C (an error is 1, as everywhere).
EXIT_BUDGET = 2
EXIT_INTERRUPTED = 130


def plugins_option(f: Any) -> Any:
    return click.option(
        "--plugins",
        "plugins",
        metavar="NAME,...",
        help="The installed plugins whose commands the agent may use (default: `plugins` in "
        "the [agent] table of ACC_HOME/config.toml).",
    )(f)


def split(option: str) -> list[str]:
    """`--plugins a, b,` as ["a", "b"]."""
    return [name.strip() for name in option.split(",") if name.strip()]


def open_session(project: Path, quiet: bool) -> AgentSession:
    """A session on `project` whose progress lines go to stderr, one whole line at a time
    (tasks of a plan run in threads), or nowhere with --quiet."""
    from host.agent.session import AgentSession

    lock = threading.Lock()

    def show(line: str) -> None:
        if not quiet:
            with lock:
                err(printable(line))  # one line: what it quotes (a tool name, a log line) cannot add one

    return AgentSession.open(host_paths(), project, show)


@contextmanager
def interruptible(session: AgentSession) -> Iterator[None]:
    """The first Ctrl-C asks every run to stop after its current step; the second aborts."""

    def on_sigint(_signum: int, _frame: Any) -> None:
        if session.stop.is_set():
            raise KeyboardInterrupt
        session.stop.set()
        err("stopping after the current step (Ctrl-C again to abort)")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
