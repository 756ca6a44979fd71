"""The tool-use loop: ask the model, run the tools it calls, repeat until it ends its turn.

Stops, always cleanly and with the reason in the result, when the model ends its turn
(`end_turn`), a budget is hit (`budget: ...`), the user pressed Ctrl-C (`interrupted`,
after the tool call under way), or the model stopped for its own `max_tokens`. Errors
of the API end the run with an `AgentError` after the transcript records them.

With `commit` (a baseline taken before the run, `host.agent.commit`), a run that ended
with the model's `end_turn` then commits its changes through the git plugin, with a
message the model writes; any other end commits nothing, and `AgentRun.commit` says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host.agent.budget import Budgets, Spent
from host.agent.commit import NOT_COMMITTED, Baseline, CommitOutcome, commit_changes
from host.agent.transcript import Transcript
from host.errors import AgentError
from host.messages import DEFAULT_MODEL, OutOfTime
from host.tools import CHECK_FAILED, PluginTool, ToolOutcome, run_tool

if TYPE_CHECKING:
    from host.messages import MessagesClient
    from host.runner import PluginHost

#: US dollars per million input and output tokens, for the summary's estimate.
PRICES = {
    "claude-opus-4-1": (15.0, 75.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
}


def system_prompt(project: Path, tools: list[PluginTool]) -> str:
    plugins = sorted({t.plugin for t in tools})
    return (
        "You are a software engineering agent working on one project. You act only through the tools: each "
        f"is a command of a sandboxed plugin ({', '.join(plugins)}), which sees the project directory "
        f"(on the user's machine: {project}) as /project and can do only what the user granted it.\n"
        "Rules:\n"
        "- A tool result starting with `denied:` means the user did not grant that; do not try to get around "
        "it with another tool. Say what you could not do instead.\n"
        "- A result starting with `invalid input:` means your input broke the tool's schema; fix the input.\n"
        f"- A result starting with `{CHECK_FAILED.strip()}` comes from a check (tests, a quality gate) that ran "
        "and did not pass; the JSON after that line says why. Do not call the work done while a check fails.\n"
        "- Results may be cut by the host; ask for less (a path, a limit) when you need the rest.\n"
        "- When the task is done, or cannot be done with these tools, answer with a short summary of what you "
        "did, what you found, and what is left."
    )


@dataclass
class AgentRun:
    """What a run did; `stop_reason` is "end_turn", "budget: ...", "interrupted" or "max_tokens"."""

    model: str
    answer: str = ""
    stop_reason: str = ""
    spent: Spent = field(default_factory=lambda: Spent(Budgets()))
    tool_calls: list[ToolOutcome] = field(default_factory=list)
    #: What --commit did; None when the run was not asked to commit.
    commit: CommitOutcome | None = None

    def cost_estimate(self) -> float | None:
        prices = next((p for name, p in PRICES.items() if self.model.startswith(name)), None)
        if prices is None:
            return None
        s = self.spent
        # Cache reads cost a tenth of input, cache writes 1.25 times: the API's published ratios.
        return (
            s.input_tokens * prices[0]
            + s.output_tokens * prices[1]
            + s.cache_read_tokens * prices[0] * 0.1
            + s.cache_write_tokens * prices[0] * 1.25
        ) / 1_000_000

    def summary(self) -> dict[str, Any]:
        s = self.spent
        cost = self.cost_estimate()
        return {
            "answer": self.answer,
            "stop_reason": self.stop_reason,
            "model": self.model,
            "turns": s.turns,
            "input_tokens": s.input_tokens,
            "output_tokens": s.output_tokens,
            "cache_read_tokens": s.cache_read_tokens,
            "cache_write_tokens": s.cache_write_tokens,
            "tool_calls": len(self.tool_calls),
            "tool_errors": sum(1 for t in self.tool_calls if t.is_error),
            "checks_failed": sum(1 for t in self.tool_calls if t.verdict is False),
            "seconds": round(s.seconds(), 2),
            "cost_usd_estimate": round(cost, 6) if cost is not None else None,
            "commit": self.commit.record() if self.commit is not None else None,
        }


@dataclass
class AgentRequest:
    task: str
    project: Path
    model: str = DEFAULT_MODEL
    budgets: Budgets = field(default_factory=Budgets)
    max_result_chars: int = 20_000


def run_agent(
    request: AgentRequest,
    client: MessagesClient,
    host: PluginHost,
    tools: list[PluginTool],
    transcript: Transcript,
    *,
    stop: threading.Event | None = None,
    on_tool: Callable[[ToolOutcome], None] = lambda _: None,
    spent: Spent | None = None,
    commit: Baseline | None = None,
) -> AgentRun:
    """`spent`: pass one to share it (the host's llm gateway counts plugins' tokens in it).
    `commit`: commit the run's changes at its end if it finishes (see the module docstring)."""
    stop = stop or threading.Event()
    spent = spent or Spent(request.budgets)
    run = AgentRun(model=request.model, spent=spent)
    by_name = {t.name: t for t in tools}
    system = system_prompt(request.project, tools)
    definitions = [t.definition() for t in tools]
    messages: list[dict[str, Any]] = [{"role": "user", "content": request.task}]
    transcript.write(
        "start",
        task=request.task,
        project=str(request.project),
        model=request.model,
        tools=[t.name for t in tools],
        budgets=vars(request.budgets),
    )
    deadline = spent.started + request.budgets.max_seconds
    while True:
        if stop.is_set():
            run.stop_reason = "interrupted"
            break
        hit = spent.before_turn()
        if hit:
            run.stop_reason = f"budget: {hit}"
            break
        body = {
            "model": request.model,
            "max_tokens": spent.max_tokens(),
            "system": system,
            "tools": definitions,
            "messages": messages,
        }
        transcript.write("request", turn=spent.turns + 1, body=body)
        try:
            response = client.create(deadline, **body)
        except OutOfTime as e:
            transcript.write("error", message=e.message, hint=None)
            run.stop_reason = f"budget: wall time ({request.budgets.max_seconds:g} s)"
            break
        except AgentError as e:
            transcript.write("error", message=e.message, hint=e.hint)
            raise
        spent.turns += 1
        spent.add_usage(response)
        transcript.write("response", turn=spent.turns, body=response.model_dump(mode="json"))
        content = [_block(b) for b in response.content]
        messages.append({"role": "assistant", "content": content})
        text = "\n".join(b["text"] for b in content if b.get("type") == "text").strip()
        uses = [b for b in content if b.get("type") == "tool_use"]
        if response.stop_reason != "tool_use" or not uses:
            run.answer = text
            run.stop_reason = response.stop_reason or "end_turn"
            break
        results, halted = _run_tools(
            uses, host, by_name, spent, run, transcript, stop, on_tool, request.max_result_chars
        )
        messages.append({"role": "user", "content": results})
        if halted:
            run.answer = text
            run.stop_reason = halted
            break
    transcript.write("answer", text=run.answer, stop_reason=run.stop_reason)
    if commit is not None:
        if run.stop_reason == "end_turn":
            run.commit = commit_changes(
                host,
                client,
                model=request.model,
                task=request.task,
                answer=run.answer,
                baseline=commit,
                spent=spent,
                transcript=transcript,
                deadline=deadline,
                stop=stop,
            )
        else:
            run.commit = CommitOutcome(NOT_COMMITTED, f"the run did not finish ({run.stop_reason})", reason="run")
        transcript.write("commit", **run.commit.record())
    transcript.write("summary", **run.summary())
    return run


def _run_tools(
    uses: list[dict[str, Any]],
    host: PluginHost,
    tools: dict[str, PluginTool],
    spent: Spent,
    run: AgentRun,
    transcript: Transcript,
    stop: threading.Event,
    on_tool: Callable[[ToolOutcome], None],
    max_chars: int,
) -> tuple[list[dict[str, Any]], str]:
    """Run the turn's tool calls in order; ("" or the reason the run must stop)."""
    results: list[dict[str, Any]] = []
    for use in uses:
        hit = spent.before_tool_call()
        if hit or stop.is_set():
            return results, f"budget: {hit}" if hit else "interrupted"
        spent.tool_calls += 1
        outcome = run_tool(host, tools, use["name"], use.get("input"), max_chars)
        run.tool_calls.append(outcome)
        transcript.write("tool_call", id=use["id"], **outcome.record())
        on_tool(outcome)
        results.append(
            {"type": "tool_result", "tool_use_id": use["id"], "content": outcome.content, "is_error": outcome.is_error}
        )
    return results, ""


def _block(block: Any) -> dict[str, Any]:
    """A response content block as the next request repeats it."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    dumped: dict[str, Any] = block.model_dump(mode="json", exclude_none=True)
    return dumped
