"""What `acc agent run`, `plan` and `tools` share: the session of one command, the config, the tools."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from acc_cli.terminal import err
from host.paths import HostPaths, host_paths

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


@dataclass
class Session:
    """What every agent run of one command shares: home, config, API settings, project, Ctrl-C."""

    paths: HostPaths
    config: dict[str, Any]
    api: ApiSettings
    project: Path
    quiet: bool
    stop: threading.Event = field(default_factory=threading.Event)
    _output: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, project: Path, quiet: bool) -> Session:
        from host.errors import InputError
        from host.messages import api_settings

        paths = host_paths()
        config = config_table(paths.home)
        project_dir = project.resolve()
        if not project_dir.is_dir():
            raise InputError(f"--project {project} is not a directory")
        return cls(paths, config, api_settings(os.environ, retries=int(config.get("retries", 4))), project_dir, quiet)

    def show(self, line: str) -> None:
        if not self.quiet:
            with self._output:
                err(line)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """The first Ctrl-C asks every run to stop after its current step; the second aborts."""

        def on_sigint(_signum: int, _frame: Any) -> None:
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.stop.set()
            err("stopping after the current step (Ctrl-C again to abort)")

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
        from host.runner import PluginHost, RunOptions

        prefix = f"[{label}] " if label else ""
        tools = enabled_tools(self.paths, list(settings.get("plugins", [])))
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
            with PluginHost(self.paths, RunOptions(project_dir=self.project, emit_log=on_log, llm=gateway)) as host:
                return run_agent(request, client, host, tools, record, stop=self.stop, on_tool=on_tool, spent=spent)
        finally:
            record.close()


def enabled_tools(paths: HostPaths, names: list[str]) -> list[AgentTool]:
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


def split(option: str) -> list[str]:
    return [name.strip() for name in option.split(",") if name.strip()]


def file_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:100] or "task"


def config_table(home: Path) -> dict[str, Any]:
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
