"""The CLI's one door to the terminal: is someone there, asking them, output, tables, progress.

Commands never call `isatty()`, `click.confirm` or `print` themselves; they come here, so
"what happens when nobody is at a terminal" is decided once. Without a terminal every
question is answered no without being asked (silence is never consent), and the command
turns that no into an error whose hint names the flag that answers it instead (`--yes`,
`--root-sha256`, ...).

Output goes to stdout (`echo`: what the command produces, parseable by scripts) or stderr
(`err`: warnings, notes, questions about what is happening). With `--json`, a command
prints one JSON document on stdout through `emit_json` (the convention: docs/cli.md).

Much of what the CLI prints is someone else's text: a plugin's log lines, errors and
results, a manifest's reasons, a marketplace's descriptions and yank reasons, a model's
answer. None of it may drive the terminal (clear the screen, move the cursor, set the
title, write the clipboard, fake a consent prompt), so every line leaves through
`sdk.terminal_text.printable`: escape sequences, CR, BEL, C1 and bidi controls are
shown as escapes (`\x1b`); the line breaks and tabs of the CLI's own layout are kept.
Text that must stay on one line (a log line, a reason) is made printable where it is
produced, newlines included (`host.logsink`, `host.consent`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from sdk.sizes import human_size as human_size  # re-exported: the CLI's commands import it from here
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from host.progress import Progress


def interactive() -> bool:
    """Someone can answer questions: stdin is a terminal (not a pipe, a file or a CI job)."""
    return sys.stdin.isatty()


def confirm(question: str, *, err: bool = False) -> bool:
    """Ask a yes/no question, default no (the prompt on stderr with `err`).

    Answers no, without asking, when nobody is at a terminal.
    """
    return interactive() and click.confirm(printable(question), default=False, err=err)


def new_password() -> str:
    """Ask for a new password, hidden, twice (the second time to catch a typo)."""
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


def echo(message: str = "") -> None:
    """One line of the command's output, on stdout (made printable)."""
    click.echo(printable(message, multiline=True))


def err(message: str) -> None:
    """One line for the person at the terminal (warnings, errors, notes), on stderr (made printable)."""
    click.echo(printable(message, multiline=True), err=True)


def emit_json(document: Any) -> None:
    """A command's whole `--json` output: one document on stdout, indented, ASCII only.

    `ensure_ascii` writes every non-ASCII and control character as a `\\u` escape, so no
    string in it, whoever wrote it, can drive the terminal; a script's JSON parser reads
    the text back exactly.
    """
    # DEL is the one character JSON leaves unescaped that is not printable.
    click.echo(json.dumps(document, indent=2, ensure_ascii=True).replace("\x7f", "\\u007f"))


def emit_json_line(document: Any) -> None:
    """One JSON document on one line of stdout (JSON Lines: a stream of records, such as an
    export, that a reader takes line by line), escaped as `emit_json` escapes."""
    click.echo(json.dumps(document, ensure_ascii=True, separators=(",", ":")).replace("\x7f", "\\u007f"))


def read_stdin(limit: int) -> bytes | None:
    """All of stdin, or None if it is longer than `limit` bytes (read no further than that)."""
    data: bytes = sys.stdin.buffer.read(limit + 1)
    return None if len(data) > limit else data


def announce(line: str) -> None:
    """A line a library reports while it works: `WARNING...` on stderr, the rest on stdout."""
    click.echo(printable(line, multiline=True), err=line.startswith("WARNING"))


def table(rows: Sequence[Sequence[str]], *, indent: str = "") -> None:
    """Rows as columns two spaces apart, each as wide as its widest cell, no trailing blanks;
    every line starts with `indent`."""
    rows = [[printable(cell) for cell in row] for row in rows]  # a cell stays in its row and column
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        echo(indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def progress() -> Progress:
    """A progress bar for downloads and compiles on stderr when it is a terminal, else nothing."""
    from host.progress import terminal_progress

    return terminal_progress()
