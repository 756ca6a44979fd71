"""An agent session: what every run of one `acc agent` command shares, and running one task.

A session holds the host paths, the `[agent]` config, the Messages API settings, the
project and a stop event (set on Ctrl-C: every run stops after its current step). Each
`run` wires its own transcript, Messages client, LLM gateway (a plugin's own questions to
Claude count in the run's budget like the agent's) and plugin host, then runs the loop.
Progress lines (tool calls, retries, plugin logs) go to `show`; the caller decides where.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.agent.config import BUDGET_KEYS, load_agent_config
from host.errors import InputError
from host.paths import HostPaths
from sdk.errors import AccError

if TYPE_CHECKING:
    from host.agent.loop import AgentRun
    from host.agent.plan import PlanTask, TaskResult
    from host.messages import ApiSettings
    from host.tools import PluginTool


@dataclass
class AgentSession:
    paths: HostPaths
    config: dict[str, Any]
    api: ApiSettings
    project: Path
    #: Where progress lines go (called from several threads when a plan runs tasks at once).
    show: Callable[[str], None]
    stop: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def open(cls, paths: HostPaths, project: Path, show: Callable[[str], None]) -> AgentSession:
        """A session on `project` (which must be a directory), configured from paths.home."""
        from host.messages import api_settings

        config = load_agent_config(paths.home)
        project_dir = project.resolve()
        if not project_dir.is_dir():
            raise InputError(f"--project {project} is not a directory")
        return cls(paths, config, api_settings(os.environ, retries=int(config.get("retries", 4))), project_dir, show)

    def run(
        self,
        task: str,
        settings: dict[str, Any],
        transcript_path: Path | None,
        label: str = "",
        *,
        commit: bool = False,
    ) -> AgentRun:
        """Carry out `task` with the plugins and budgets `settings` names; `label` prefixes its lines.

        `commit`: refuse a project whose work tree the commit would mix up, before anything
        else; then commit the run's changes through the git plugin if it finishes
        (`host.agent.commit`; the outcome is in the result's `commit`)."""
        from host.agent.budget import Budgets, Spent
        from host.agent.commit import take_baseline
        from host.agent.loop import AgentRequest, run_agent
        from host.agent.transcript import Transcript
        from host.capabilities.llm import LlmGateway
        from host.messages import DEFAULT_MODEL, MessagesClient
        from host.policy import load_policy
        from host.runner import PluginHost, RunOptions
        from host.tools import ToolOutcome

        prefix = f"[{label}] " if label else ""
        tools = enabled_tools(self.paths, list(settings.get("plugins", [])))
        budgets = Budgets(**{k: v for k, v in settings.items() if k in BUDGET_KEYS})
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
            self.show(f"{prefix}→ {outcome.tool} ({outcome.status}, {outcome.seconds:.2f} s)")

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
                try:
                    baseline = take_baseline(host) if commit else None
                except AccError as e:
                    record.write("error", message=e.message, hint=e.hint)
                    raise
                return run_agent(
                    request, client, host, tools, record, stop=self.stop, on_tool=on_tool, spent=spent, commit=baseline
                )
        finally:
            record.close()

    def check_plan(self, tasks: list[PlanTask], source: Path) -> None:
        """Refuse a plan naming a plugin that is not installed (or none) before anything runs."""
        for task in tasks:
            try:
                enabled_tools(self.paths, list({**self.config, **task.settings}.get("plugins", [])))
            except AccError as e:
                raise type(e)(f"{source}: task {task.id!r}: {e.message}", hint=e.hint) from e

    def run_task(self, task: PlanTask, prompt: str, transcripts: Path | None) -> TaskResult:
        """One task of a plan: done if the model ended its turn, failed otherwise (an error
        fails the task, not the plan); its transcript goes to TRANSCRIPTS/ID.jsonl."""
        from host.agent.plan import TaskResult

        path = transcripts / f"{transcript_file_name(task.id)}.jsonl" if transcripts else None
        try:
            result = self.run(prompt, {**self.config, **task.settings}, path, label=task.id)
        except AccError as e:
            return TaskResult(task.id, "failed", e.message)
        status = "done" if result.stop_reason == "end_turn" else "failed"
        detail = "" if status == "done" else f"stopped: {result.stop_reason}"
        return TaskResult(task.id, status, detail, result.answer, result.summary())


def enabled_tools(paths: HostPaths, names: list[str]) -> list[PluginTool]:
    """The tools of the plugins enabled for a run: at least one, each named once, all installed."""
    from host.store import LocalStore
    from host.tools import plugin_tools

    if not names:
        raise InputError(
            "no plugins enabled for the agent: it would have no tools",
            hint="name them with --plugins git,testing (installed plugins: `acc plugin list`)",
        )
    if len(set(names)) != len(names):
        raise InputError(f"--plugins names a plugin twice: {','.join(names)}")
    return plugin_tools(LocalStore(paths), names)


def transcript_file_name(task_id: str) -> str:
    """A file name for a plan task's transcript: its id, with anything but [A-Za-z0-9._-] replaced."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:100] or "task"
