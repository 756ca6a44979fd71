"""Parts of the agent that need no model: tools from real plugins, truncation, budgets, retry waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from host.agent.budget import Budgets, Spent
from host.agent.plan import PlanTask, TaskResult, parse_plan, run_plan
from host.errors import AgentError, StoreError
from host.messages import _retry_after, api_settings
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from host.store import LocalStore
from host.tools import plugin_tools, run_tool
from tests.helpers import install_unsigned

pytestmark = pytest.mark.slow


def test_a_long_result_is_cut_with_a_note_saying_how_much(
    acc_home: HostPaths, project: Path, built_archives: Callable[[str], Path]
) -> None:
    install_unsigned(acc_home, built_archives("project-stats"), yes=True)
    tools = {t.name: t for t in plugin_tools(LocalStore(acc_home), ["project-stats"])}
    assert sorted(tools) == ["project-stats__git-info", "project-stats__summary"]
    with PluginHost(acc_home, RunOptions(project_dir=project)) as host:
        whole = run_tool(host, tools, "project-stats__summary", {})
        cut = run_tool(host, tools, "project-stats__summary", {}, max_chars=40)
    assert not whole.is_error and whole.truncated_from == 0
    assert cut.content == (
        whole.content[:40] + f"\n[truncated by the host: 40 of {len(whole.content)} characters shown]"
    )
    assert cut.record()["truncated_from"] == len(whole.content)


def test_tools_of_a_plugin_that_is_not_installed_are_refused(acc_home: HostPaths) -> None:
    with pytest.raises(StoreError):
        plugin_tools(LocalStore(acc_home), ["nope"])


def test_budgets_name_what_ran_out() -> None:
    spent = Spent(Budgets(max_turns=2, max_output_tokens=100, max_tool_calls=1, max_tokens_per_turn=64))
    assert (spent.before_turn(), spent.before_tool_call(), spent.max_tokens()) == ("", "", 64)
    spent.output_tokens = 80
    assert spent.max_tokens() == 20  # the last turn may ask only for what is left
    spent.tool_calls = 1
    assert spent.before_tool_call() == "tool calls (1)"
    spent.turns = 2
    assert spent.before_turn() == "turns (2)"


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "250", "retry-after": "3"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # a date: backoff instead
        ({"retry-after": "3600"}, None),  # longer than acc waits: backoff instead
    ],
)
def test_retry_waits_follow_retry_after_when_it_is_usable(headers: dict[str, str], wait: float | None) -> None:
    got = _retry_after(headers, attempt=0)
    if wait is None:
        assert 0.375 <= got <= 0.625  # the first backoff step, with jitter
    else:
        assert got == wait


def test_api_settings_need_a_key_and_read_the_base_url() -> None:
    with pytest.raises(AgentError, match="ANTHROPIC_API_KEY is not set"):
        api_settings({"ANTHROPIC_API_KEY": "  "})
    settings = api_settings({"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"})
    assert (settings.api_key, settings.base_url) == ("k", "http://127.0.0.1:1")


def test_a_plan_starts_ready_tasks_by_priority_then_order_and_skips_dependents_of_failures() -> None:
    tasks = parse_plan(
        {"task": []},
        [
            {"id": "low", "prompt": "p"},
            {"id": "high", "prompt": "p", "priority": 5},
            {"id": "after-high", "prompt": "p", "depends_on": ["high"]},
            {"id": "after-after", "prompt": "p", "depends_on": ["after-high"]},
            {"id": "mid", "prompt": "p", "priority": 1},
        ],
        "plan",
    )
    started: list[str] = []

    def run_task(task: PlanTask, prompt: str) -> TaskResult:
        started.append(task.id)
        return TaskResult(task.id, "failed" if task.id == "after-high" else "done", answer=f"{task.id} ok")

    results = run_plan(tasks, run_task, parallel=1, stop=threading.Event())
    assert started == ["high", "mid", "low", "after-high"]  # after-high became ready with priority 0
    assert [(r.id, r.status) for r in results] == [
        ("low", "done"),
        ("high", "done"),
        ("after-high", "failed"),
        ("after-after", "skipped"),
        ("mid", "done"),
    ]
    assert results[3].detail == "depends on after-high, which failed"


def test_a_stopped_plan_starts_nothing_more() -> None:
    tasks = parse_plan(
        {"task": []}, [{"id": "a", "prompt": "p"}, {"id": "b", "prompt": "p", "depends_on": ["a"]}], "plan"
    )
    stop = threading.Event()

    def run_task(task: PlanTask, prompt: str) -> TaskResult:
        stop.set()  # Ctrl-C while the first task runs
        return TaskResult(task.id, "done")

    results = run_plan(tasks, run_task, parallel=2, stop=stop)
    assert [(r.id, r.status, r.detail) for r in results] == [
        ("a", "done", ""),
        ("b", "not run", "interrupted before it started"),
    ]
