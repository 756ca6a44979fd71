"""Task plans: several agent tasks with dependencies and priorities (`acc agent plan FILE`).

A plan is TOML or JSON:

    [defaults]                 # for every task; a task's own keys win
    plugins = ["git", "testing"]
    max_turns = 10

    [[task]]                   # JSON: {"defaults": {...}, "tasks": [{...}, ...]}
    id = "tests"
    prompt = "Run the tests and summarise the failures."
    depends_on = []            # ids of tasks that must succeed first
    priority = 0               # among tasks ready at once, higher starts first

Tasks run in dependency order; tasks whose dependencies are done run in parallel, each
in its own plugin host (its own sandboxes), at most `parallel` at a time. A task that
fails (an API error, or stopping before the model ended its turn) skips every task that
depends on it. A task's prompt is followed by the answers of the tasks it depends on.
"""

from __future__ import annotations

import json
import threading
import tomllib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host.errors import InputError

MAX_PLAN_BYTES = 1024 * 1024
MAX_TASKS = 200
TASK_KEYS = {
    "id",
    "prompt",
    "depends_on",
    "priority",
    "plugins",
    "model",
    "max_turns",
    "max_input_tokens",
    "max_output_tokens",
    "max_seconds",
    "max_tool_calls",
    "max_tokens_per_turn",
}
DEFAULT_KEYS = TASK_KEYS - {"id", "prompt", "depends_on", "priority"}


@dataclass(frozen=True)
class PlanTask:
    id: str
    prompt: str
    depends_on: tuple[str, ...] = ()
    priority: int = 0
    #: plugins, model and budget overrides (max_turns, ...), defaults merged in.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    id: str
    status: str  # "done", "failed", "skipped", "not run"
    detail: str = ""
    answer: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def load_plan(path: Path) -> list[PlanTask]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read the plan {path} ({e.strerror or e})") from e
    if len(data) > MAX_PLAN_BYTES:
        raise InputError(f"the plan {path} is larger than {MAX_PLAN_BYTES} bytes")
    try:
        if path.suffix == ".json":
            document = json.loads(data)
            tasks_raw = document.get("tasks") if isinstance(document, dict) else None
        else:
            document = tomllib.loads(data.decode("utf-8"))
            tasks_raw = document.get("task")
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"the plan {path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'} ({e})") from e
    return parse_plan(document, tasks_raw, str(path))


def parse_plan(document: Any, tasks_raw: Any, source: str) -> list[PlanTask]:
    if not isinstance(document, dict):
        raise InputError(f"{source}: a plan is a table with [defaults] and [[task]] entries")
    unknown = sorted(set(document) - {"defaults", "task", "tasks"})
    if unknown:
        raise InputError(f"{source}: unknown key {unknown[0]!r}", hint="a plan has [defaults] and [[task]] entries")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        bad = sorted(set(defaults) - DEFAULT_KEYS) if isinstance(defaults, dict) else ["(not a table)"]
        raise InputError(
            f"{source}: [defaults] has {bad[0]!r}", hint=f"defaults may set {', '.join(sorted(DEFAULT_KEYS))}"
        )
    if not isinstance(tasks_raw, list) or not tasks_raw:
        raise InputError(f"{source}: the plan has no tasks", hint="add [[task]] entries with an id and a prompt")
    if len(tasks_raw) > MAX_TASKS:
        raise InputError(f"{source}: more than {MAX_TASKS} tasks")
    tasks = [_task(raw, defaults, source, n) for n, raw in enumerate(tasks_raw, 1)]
    ids = [t.id for t in tasks]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise InputError(f"{source}: two tasks have the id {duplicate!r}")
    for task in tasks:
        for dep in task.depends_on:
            if dep not in ids:
                raise InputError(f"{source}: task {task.id!r} depends on {dep!r}, which the plan does not have")
    _refuse_cycles(tasks, source)
    return tasks


def _task(raw: Any, defaults: dict[str, Any], source: str, number: int) -> PlanTask:
    if not isinstance(raw, dict):
        raise InputError(f"{source}: task {number} is not a table")
    unknown = sorted(set(raw) - TASK_KEYS)
    if unknown:
        raise InputError(
            f"{source}: task {number} has unknown key {unknown[0]!r}",
            hint=f"the keys are {', '.join(sorted(TASK_KEYS))}",
        )
    task_id, prompt = raw.get("id"), raw.get("prompt")
    if not isinstance(task_id, str) or not task_id.strip():
        raise InputError(f"{source}: task {number} needs an id (a non-empty string)")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError(f"{source}: task {task_id!r} needs a prompt")
    depends = raw.get("depends_on", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise InputError(f"{source}: task {task_id!r}: depends_on must be a list of task ids")
    priority = raw.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise InputError(f"{source}: task {task_id!r}: priority must be an integer")
    settings = {**defaults, **{k: v for k, v in raw.items() if k in DEFAULT_KEYS}}
    return PlanTask(task_id, prompt, tuple(depends), priority, settings)


def _refuse_cycles(tasks: list[PlanTask], source: str) -> None:
    by_id = {t.id: t for t in tasks}
    state: dict[str, str] = {}

    def visit(task_id: str, path: list[str]) -> None:
        if state.get(task_id) == "done":
            return
        if state.get(task_id) == "visiting":
            loop = [*path[path.index(task_id) :], task_id]
            raise InputError(f"{source}: the tasks depend on each other in a cycle: {' → '.join(loop)}")
        state[task_id] = "visiting"
        for dep in by_id[task_id].depends_on:
            visit(dep, [*path, task_id])
        state[task_id] = "done"

    for task in tasks:
        visit(task.id, [])


RunTask = Callable[[PlanTask, str], TaskResult]


def run_plan(
    tasks: list[PlanTask],
    run_task: RunTask,
    *,
    parallel: int,
    stop: threading.Event,
    on_change: Callable[[TaskResult], None] = lambda _: None,
) -> list[TaskResult]:
    """Run the tasks; `run_task(task, prompt)` runs one (prompt: the task's, plus its dependencies' answers)."""
    results: dict[str, TaskResult] = {}
    order = {t.id: n for n, t in enumerate(tasks)}
    pending = list(tasks)
    running: dict[Future[TaskResult], PlanTask] = {}

    def settle(result: TaskResult) -> None:
        results[result.id] = result
        on_change(result)

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="acc-task") as pool:
        while pending or running:
            for task in list(pending):
                failed = [d for d in task.depends_on if d in results and results[d].status != "done"]
                if failed:
                    pending.remove(task)
                    settle(
                        TaskResult(
                            task.id,
                            "skipped",
                            f"depends on {failed[0]}, which "
                            f"{'was skipped' if results[failed[0]].status == 'skipped' else 'failed'}",
                        )
                    )
            ready = sorted(
                (t for t in pending if all(results.get(d, TaskResult(d, "")).status == "done" for d in t.depends_on)),
                key=lambda t: (-t.priority, order[t.id]),
            )
            while ready and len(running) < max(1, parallel) and not stop.is_set():
                task = ready.pop(0)
                pending.remove(task)
                running[pool.submit(run_task, task, _prompt(task, results))] = task
            if not running:
                break  # interrupted with tasks left
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                try:
                    settle(future.result())
                except Exception as e:  # a host bug in one task must not lose the others' results
                    settle(TaskResult(task.id, "failed", f"{type(e).__name__}: {e}"))
    for task in pending:
        settle(TaskResult(task.id, "not run", "interrupted before it started"))
    return [results[t.id] for t in tasks]


def _prompt(task: PlanTask, results: dict[str, TaskResult]) -> str:
    if not task.depends_on:
        return task.prompt
    earlier = "\n\n".join(f"[{dep}]\n{results[dep].answer}" for dep in task.depends_on)
    return f"{task.prompt}\n\nResults of the tasks this one depends on:\n\n{earlier}"
