"""`acc agent run` and `acc agent tools`.

Defaults come from the `[agent]` table of `ACC_HOME/config.toml`, then the options:

    [agent]
    model = "claude-sonnet-4-5"
    plugins = ["git", "testing"]      # used when --plugins is not given
    max_turns = 30
    max_input_tokens = 2000000
    max_output_tokens = 64000
    max_seconds = 1800
    max_tool_calls = 100
    max_tokens_per_turn = 8192
    retries = 4

Nothing is enabled by default: without --plugins and without `plugins` in the config,
the agent has no tools and the command refuses to start.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from host.paths import HostPaths, host_paths
from sdk.terminal_text import printable

if TYPE_CHECKING:
    from host.agent.loop import AgentRun
    from host.agent.tools import AgentTool
    from host.messages import ApiSettings

BUDGET_OPTIONS = (
    "max_turns",
    "max_input_tokens",
    "max_output_tokens",
    "max_seconds",
    "max_tool_calls",
    "max_tokens_per_turn",
)
CONFIG_KEYS = {"model", "plugins", "retries", *BUDGET_OPTIONS}
EXIT_BUDGET = 2
EXIT_INTERRUPTED = 130


@click.group()
def agent() -> None:
    """Let Claude work on a project through installed plugins (each call sandboxed under its grants)."""


def _plugins_option(f: Any) -> Any:
    return click.option(
        "--plugins",
        "plugins",
        metavar="NAME,...",
        help="The installed plugins whose commands the agent may use (default: `plugins` in "
        "the [agent] table of ACC_HOME/config.toml).",
    )(f)


@agent.command("tools")
@_plugins_option
@click.option("--json", "as_json", is_flag=True, help="The tool definitions as the Messages API gets them.")
def tools_command(plugins: str | None, as_json: bool) -> None:
    """List the tools the agent would get."""
    paths = host_paths()
    tools = _enabled_tools(paths, _split(plugins) if plugins else list(_config(paths.home).get("plugins", [])))
    if as_json:
        click.echo(json.dumps([t.definition() for t in tools], indent=2))
        return
    for tool in tools:
        click.echo(f"{tool.name}\n    {tool.description}")


@agent.command("run")
@click.argument("task")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory the plugins' fs and process grants refer to.",
)
@_plugins_option
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
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary instead of the answer.")
@click.option("--quiet", "-q", is_flag=True, help="Do not show tool calls and plugin logs on stderr.")
def run_command(
    task: str,
    project: Path,
    plugins: str | None,
    model: str | None,
    transcript: Path | None,
    as_json: bool,
    quiet: bool,
    **limits: Any,
) -> None:
    """Carry out TASK on the project with Claude, acting only through the plugins' commands."""
    session = _Session.open(project, quiet)
    settings = {
        **session.config,
        **({"model": model} if model else {}),
        **{k: v for k, v in limits.items() if v is not None},
    }
    if plugins:
        settings["plugins"] = _split(plugins)
    with session.interruptible():
        result = session.run(task, settings, transcript)
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2))
    elif result.answer:
        click.echo(printable(result.answer, multiline=True))  # the model's words may quote a plugin's
    if result.stop_reason.startswith("budget") or result.stop_reason in ("interrupted", "max_tokens"):
        why = {"interrupted": "interrupted by Ctrl-C", "max_tokens": "the model's answer reached max_tokens"}.get(
            result.stop_reason, result.stop_reason
        )
        click.echo(
            f"stopped: {why} after {result.spent.turns} turns and {len(result.tool_calls)} tool calls"
            + (f"; the transcript is in {transcript}" if transcript else ""),
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED if result.stop_reason == "interrupted" else EXIT_BUDGET)


@agent.command("plan")
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
def plan_command(
    plan_file: Path, project: Path, parallel: int, transcripts: Path | None, as_json: bool, quiet: bool
) -> None:
    """Run a plan of tasks (TOML or JSON) in dependency and priority order; see `host/agent/plan.py`."""
    from host.agent.plan import PlanTask, TaskResult, load_plan, run_plan
    from host.errors import InputError
    from sdk.errors import AccError

    tasks = load_plan(plan_file)
    session = _Session.open(project, quiet)
    if transcripts is not None:
        try:
            transcripts.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create --transcripts {transcripts} ({e.strerror or e})") from e
    for task in tasks:  # refuse a plan naming a plugin that is not installed before anything runs
        try:
            _enabled_tools(session.paths, list({**session.config, **task.settings}.get("plugins", [])))
        except AccError as e:
            raise type(e)(f"{plan_file}: task {task.id!r}: {e.message}", hint=e.hint) from e

    def run_task(task: PlanTask, prompt: str) -> TaskResult:
        path = transcripts / f"{_file_name(task.id)}.jsonl" if transcripts else None
        try:
            result = session.run(prompt, {**session.config, **task.settings}, path, label=task.id)
        except AccError as e:
            return TaskResult(task.id, "failed", e.message)
        status = "done" if result.stop_reason == "end_turn" else "failed"
        detail = "" if status == "done" else f"stopped: {result.stop_reason}"
        return TaskResult(task.id, status, detail, result.answer, result.summary())

    def on_change(result: TaskResult) -> None:
        session.show(f"[{result.id}] {result.status}" + (f": {result.detail}" if result.detail else ""))

    with session.interruptible():
        results = run_plan(tasks, run_task, parallel=parallel, stop=session.stop, on_change=on_change)
    if as_json:
        click.echo(
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
            detail = f"  ({printable(r.detail)})" if r.detail else ""
            click.echo(f"{r.id:<{width}}  {r.status:<8}{spent}{detail}")
        for r in results:
            if r.answer:
                click.echo(f"\n[{r.id}]\n{printable(r.answer, multiline=True)}")
    if any(r.status != "done" for r in results):
        sys.exit(EXIT_INTERRUPTED if session.stop.is_set() else 1)


@dataclass
class _Session:
    """What every agent run of one command shares: home, config, API settings, project, Ctrl-C."""

    paths: HostPaths
    config: dict[str, Any]
    api: ApiSettings
    project: Path
    quiet: bool
    stop: threading.Event = field(default_factory=threading.Event)
    _output: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, project: Path, quiet: bool) -> _Session:
        from host.errors import InputError
        from host.messages import api_settings

        paths = host_paths()
        config = _config(paths.home)
        project_dir = project.resolve()
        if not project_dir.is_dir():
            raise InputError(f"--project {project} is not a directory")
        return cls(paths, config, api_settings(os.environ, retries=int(config.get("retries", 4))), project_dir, quiet)

    def show(self, line: str) -> None:
        """One progress line on stderr; what it quotes (tool names, plugin logs) is made printable."""
        if not self.quiet:
            with self._output:
                click.echo(printable(line), err=True)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """The first Ctrl-C asks every run to stop after its current step; the second aborts."""

        def on_sigint(_signum: int, _frame: Any) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.stop.set()
            click.echo("stopping after the current step (Ctrl-C again to abort)", err=True)

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def run(self, task: str, settings: dict[str, Any], transcript_path: Path | None, label: str = "") -> AgentRun:
        from host.agent.budget import Budgets, Spent
        from host.agent.loop import AgentRequest, run_agent
        from host.agent.tools import ToolOutcome
        from host.agent.transcript import Transcript
        from host.capabilities.llm import LlmGateway
        from host.messages import DEFAULT_MODEL, MessagesClient
        from host.policy import load_policy
        from host.runner import PluginHost, RunOptions

        prefix = f"[{label}] " if label else ""
        tools = _enabled_tools(self.paths, list(settings.get("plugins", [])))
        budgets = Budgets(**{k: v for k, v in settings.items() if k in BUDGET_OPTIONS})
        request = AgentRequest(
            task=task, project=self.project, model=str(settings.get("model", DEFAULT_MODEL)), budgets=budgets
        )
        record = Transcript(transcript_path)

        def on_retry(status: int, wait: float, attempt: int) -> None:
            record.write("retry", status=status, wait_seconds=round(wait, 3), attempt=attempt)
            self.show(
                f"{prefix}… the Messages API answered {status or 'nothing'}; retrying in {wait:.1f} s "
                f"(attempt {attempt + 1})"
            )

        def on_tool(outcome: ToolOutcome) -> None:
            self.show(f"{prefix}→ {outcome.tool} ({outcome.error_kind or 'ok'}, {outcome.seconds:.2f} s)")

        def on_log(plugin: str, level: str, message: str) -> None:
            record.write("log", plugin=plugin, level=level, message=message)
            self.show(f"{prefix}  [{plugin}] {level}: {message}")

        def on_llm_usage(plugin: str, tokens_in: int, tokens_out: int) -> None:
            # A plugin's own questions to Claude count in the run's budget like the agent's.
            spent.input_tokens += tokens_in
            spent.output_tokens += tokens_out
            record.write("llm", plugin=plugin, input_tokens=tokens_in, output_tokens=tokens_out)

        try:
            client = MessagesClient(self.api, on_retry=on_retry)  # imports anthropic: before the clock starts
            spent = Spent(budgets)
            gateway = LlmGateway(
                client=lambda: client,
                default_model=request.model,
                run_budget=spent.before_llm_call,
                on_usage=on_llm_usage,
                deadline_seconds=budgets.max_seconds,
            )
            options = RunOptions(
                project_dir=self.project, emit_log=on_log, llm=gateway, policy=load_policy(self.paths.home)
            )
            with PluginHost(self.paths, options) as host:
                return run_agent(request, client, host, tools, record, stop=self.stop, on_tool=on_tool, spent=spent)
        finally:
            record.close()


def _enabled_tools(paths: HostPaths, names: list[str]) -> list[AgentTool]:
    """The tools of the plugins enabled for a run: at least one, each named once, all installed."""
    from host.agent.tools import plugin_tools
    from host.errors import InputError
    from host.store import LocalStore

    if not names:
        raise InputError(
            "no plugins enabled for the agent: it would have no tools",
            hint="name them with --plugins git,testing (installed plugins: `acc plugin list`)",
        )
    if len(set(names)) != len(names):
        raise InputError(f"--plugins names a plugin twice: {','.join(names)}")
    return plugin_tools(LocalStore(paths), names)


def _split(option: str) -> list[str]:
    return [name.strip() for name in option.split(",") if name.strip()]


def _file_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:100] or "task"


def _config(home: Path) -> dict[str, Any]:
    """The [agent] table of ACC_HOME/config.toml ({} when there is none), checked."""
    import tomllib

    from host.errors import InputError

    path = home / "config.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path} is not valid TOML ({e})", hint="fix or remove it") from e
    table = data.get("agent", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [agent] must be a table")
    unknown = sorted(set(table) - CONFIG_KEYS)
    if unknown:
        raise InputError(
            f"{path}: unknown key {unknown[0]!r} in [agent]", hint=f"the keys are {', '.join(sorted(CONFIG_KEYS))}"
        )
    plugins = table.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise InputError(f"{path}: [agent] plugins must be a list of plugin names")
    for key in (*BUDGET_OPTIONS, "retries"):
        if key in table and (not isinstance(table[key], int | float) or isinstance(table[key], bool) or table[key] < 0):
            raise InputError(f"{path}: [agent] {key} must be a non-negative number")
    if "model" in table and not isinstance(table["model"], str):
        raise InputError(f"{path}: [agent] model must be a string")
    return dict(table)
