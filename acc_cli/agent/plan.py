"""`acc agent plan`: a plan of tasks, run in dependency and priority order, some at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from acc_cli.agent._session import EXIT_INTERRUPTED, interruptible, open_session
from acc_cli.terminal import echo


@click.command("plan")
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path), metavar="PLAN")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory the plugins' fs and process grants refer to.",
)
@click.option(
    "--parallel",
    type=click.IntRange(min=1, max=16),
    default=2,
    show_default=True,
    help="Tasks running at once, at most (each in its own sandboxes).",
)
@click.option(
    "--transcripts",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each task's transcript to DIR/ID.jsonl.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", "-q", is_flag=True, help="Do not show tool calls and plugin logs on stderr.")
def plan(plan_file: Path, project: Path, parallel: int, transcripts: Path | None, as_json: bool, quiet: bool) -> None:
    """Run a plan of tasks (TOML or JSON) in dependency and priority order; see `host/agent/plan.py`."""
    from host.agent.plan import PlanTask, TaskResult, load_plan, run_plan
    from host.errors import InputError

    tasks = load_plan(plan_file)
    session = open_session(project, quiet)
    if transcripts is not None:
        try:
            transcripts.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create --transcripts {transcripts} ({e.strerror or e})") from e
    session.check_plan(tasks, plan_file)

    def run_task(task: PlanTask, prompt: str) -> TaskResult:
        return session.run_task(task, prompt, transcripts)

    def on_change(result: TaskResult) -> None:
        session.show(f"[{result.id}] {result.status}" + (f": {result.detail}" if result.detail else ""))

    with interruptible(session):
        results = run_plan(tasks, run_task, parallel=parallel, stop=session.stop, on_change=on_change)
    if as_json:
        echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "status": r.status,
                        "detail": r.detail or None,
                        "answer": r.answer,
                        **{k: v for k, v in r.summary.items() if k != "answer"},
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        width = max(len(r.id) for r in results)
        for r in results:
            spent = (
                f"  {r.summary['turns']} turns, {r.summary['tool_calls']} tool calls, "
                f"{r.summary['input_tokens'] + r.summary['output_tokens']:,} tokens"
                if r.summary
                else ""
            )
            echo(f"{r.id:<{width}}  {r.status:<8}{spent}" + (f"  ({r.detail})" if r.detail else ""))
        for r in results:
            if r.answer:
                echo(f"\n[{r.id}]\n{r.answer}")
    if any(r.status != "done" for r in results):
        sys.exit(EXIT_INTERRUPTED if session.stop.is_set() else 1)
