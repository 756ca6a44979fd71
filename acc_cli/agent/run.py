"""`acc agent run`: one task carried out by Claude through the enabled plugins' commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from acc_cli.agent._session import EXIT_BUDGET, EXIT_INTERRUPTED, interruptible, open_session, plugins_option, split
from acc_cli.terminal import echo, err
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from host.agent.commit import CommitOutcome


@click.command("run")
@click.argument("task")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory the plugins' fs and process grants refer to.",
)
@plugins_option
@click.option("--model", help="The Claude model (default: `model` in the config, else claude-sonnet-4-5).")
@click.option("--max-turns", type=click.IntRange(min=1), help="Requests to the model, at most.")
@click.option("--max-input-tokens", type=click.IntRange(min=1), help="Input tokens over the run, at most.")
@click.option("--max-output-tokens", type=click.IntRange(min=1), help="Output tokens over the run, at most.")
@click.option("--max-seconds", type=click.FloatRange(min=1), help="Wall time of the run, at most.")
@click.option("--max-tool-calls", type=click.IntRange(min=0), help="Tool calls over the run, at most.")
@click.option(
    "--transcript",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every request, response and tool call as JSON lines to this file.",
)
@click.option(
    "--commit",
    is_flag=True,
    help="When the run finishes, commit its changes through the git plugin, in your name, with a message "
    "the model writes (one more request, within the budgets). Refused when tracked files have uncommitted "
    "changes; a run stopped by a budget or an error commits nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary instead of the answer.")
@click.option("--quiet", "-q", is_flag=True, help="Do not show tool calls and plugin logs on stderr.")
def run(
    task: str,
    project: Path,
    plugins: str | None,
    model: str | None,
    transcript: Path | None,
    commit: bool,
    as_json: bool,
    quiet: bool,
    **limits: Any,
) -> None:
    """Carry out TASK on the project with Claude, acting only through the plugins' commands.

    Exit status: 0 when the model finished (and, with --commit, the changes were committed or
    there were none), 2 when a budget stopped the run or the commit message, 130 on Ctrl-C,
    1 on an error (including a commit that failed: the changes stay in the work tree)."""
    session = open_session(project, quiet)
    settings = {
        **session.config,
        **({"model": model} if model else {}),
        **{k: v for k, v in limits.items() if v is not None},
    }
    if plugins:
        settings["plugins"] = split(plugins)
    with interruptible(session):
        result = session.run(task, settings, transcript, commit=commit)
    if as_json:
        echo(json.dumps(result.summary(), indent=2))
    elif result.answer:
        echo(result.answer)
    if result.stop_reason.startswith("budget") or result.stop_reason in ("interrupted", "max_tokens"):
        why = {"interrupted": "interrupted by Ctrl-C", "max_tokens": "the model's answer reached max_tokens"}.get(
            result.stop_reason, result.stop_reason
        )
        err(
            f"stopped: {why} after {result.spent.turns} turns and {len(result.tool_calls)} tool calls"
            + ("; nothing was committed" if commit else "")
            + (f"; the transcript is in {transcript}" if transcript else "")
        )
        sys.exit(EXIT_INTERRUPTED if result.stop_reason == "interrupted" else EXIT_BUDGET)
    if result.commit is not None:
        _report_commit(result.commit)


def _report_commit(outcome: CommitOutcome) -> None:
    """Say on stderr what --commit did; exit non-zero when the changes were left uncommitted."""
    from host.agent.commit import COMMITTED, NOTHING_TO_COMMIT

    if outcome.status == COMMITTED:
        err(
            printable(f"committed {outcome.commit[:12]}" + (f" on {outcome.branch}" if outcome.branch else ""))
            + f": {printable(outcome.subject)} ({len(outcome.files)} file{'s' if len(outcome.files) != 1 else ''}, "
            f"author {printable(outcome.author)})"
        )
    elif outcome.status == NOTHING_TO_COMMIT:
        err(f"nothing to commit: {outcome.detail}")
    else:
        err(f"not committed: {outcome.detail}\n  the changes are left in the work tree")
        sys.exit({"budget": EXIT_BUDGET, "interrupted": EXIT_INTERRUPTED}.get(outcome.reason, 1))
