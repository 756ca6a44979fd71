"""`acc agent run` end to end: the real `acc` process, the real `anthropic` client and the
real official plugins, against a scripted Messages API server on a loopback port.

The server answers each POST /v1/messages with the next step of a test's script and
keeps every request body, so tests can check what the model was sent (tools, tool
results) as well as what acc printed and wrote to the transcript.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from host.paths import HostPaths
from tests.helpers import TEST_CACHE, clone_home, install_unsigned
from tests.server_kit import ACC

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")]


# -- the scripted Messages API ----------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


Step = Callable[[dict[str, Any]], Reply]


def message(
    *content: dict[str, Any], stop_reason: str = "end_turn", input_tokens: int = 1000, output_tokens: int = 100
) -> Reply:
    return Reply(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": list(content),
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    )


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(call_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def error(status: int, kind: str, msg: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"type": "error", "error": {"type": kind, "message": msg}}, headers=headers or {})


class ScriptedAPI:
    def __init__(self) -> None:
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.failures: list[AssertionError] = []
        #: Answers every request when set (for runs in parallel, where the order is not fixed).
        self.router: Step | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                api.requests.append(body)
                api.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path != "/v1/messages":
                    reply = error(404, "not_found_error", f"no {self.path}")
                elif api.router is not None:
                    try:
                        reply = api.router(body)
                    except AssertionError as e:
                        api.failures.append(e)
                        reply = error(400, "invalid_request_error", f"the test's check failed: {e}")
                elif not api.script:
                    reply = error(500, "api_error", "the test's script ran out")
                else:
                    try:
                        reply = api.script.pop(0)(body)
                    except AssertionError as e:  # a step's check failed: fail the test, not just the request
                        api.failures.append(e)
                        reply = error(400, "invalid_request_error", f"the test's check failed: {e}")
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def then(self, *steps: Step | Reply) -> None:
        for step in steps:
            self.script.append(step if callable(step) else (lambda _body, reply=step: reply))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Path:
    """git, testing, files, asker and hostile installed with everything they ask for granted."""
    paths = HostPaths(home=tmp_path_factory.mktemp("agent-home") / "home", cache=TEST_CACHE)
    for name in ("git", "testing", "files", "asker", "hostile"):
        install_unsigned(paths, built_archives(name), yes=True)
    return paths.home


@pytest.fixture
def api() -> Iterator[ScriptedAPI]:
    server = ScriptedAPI()
    yield server
    server.close()
    assert server.failures == [], "a scripted step's check failed"


@dataclass
class Agent:
    env: dict[str, str]
    project: Path
    home: Path

    def run(self, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [ACC, *args],
            env=env or self.env,
            cwd=self.project,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert (proc.returncode == 0) == ok, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    def task(self, task: str, *extra: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("agent", "run", task, "--project", str(self.project), "--plugins", "git,testing", *extra, ok=ok)


@pytest.fixture
def agent(tmp_path: Path, template_home: Path, api: ScriptedAPI) -> Agent:
    home = tmp_path / "home"
    clone_home(template_home, home)
    project = tmp_path / "project"
    project.mkdir()
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (project / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    env = {
        **os.environ,
        "ACC_HOME": str(home),
        "ACC_CACHE_DIR": str(TEST_CACHE),
        "ANTHROPIC_API_KEY": "sk-test",
        "ANTHROPIC_BASE_URL": api.url,
    }
    return Agent(env=env, project=project, home=home)


def transcript_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    last = request["messages"][-1]
    assert last["role"] == "user"
    return [block for block in last["content"] if block["type"] == "tool_result"]


# -- the loop --------------------------------------------------------------------------------------


def test_a_task_runs_git_status_and_the_tests_through_the_plugins_and_answers(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    def after_tools(body: dict[str, Any]) -> Reply:
        status, tests = tool_results(body)
        assert not status["is_error"] and not tests["is_error"], (status, tests)
        untracked = json.loads(status["content"])["untracked"]
        totals = json.loads(tests["content"])["totals"]
        return message(text(f"Untracked: {', '.join(sorted(untracked))}. Tests passed: {totals['passed']}."))

    api.then(
        message(
            text("Looking at the project."),
            tool_use("t1", "git__status", {}),
            tool_use("t2", "testing__run", {"paths": ["test_calc.py"]}),
            stop_reason="tool_use",
        ),
        after_tools,
    )
    log = tmp_path / "run.jsonl"
    result = agent.task("Check the repository state and run the tests.", "--transcript", str(log))
    assert result.stdout == "Untracked: calc.py, test_calc.py. Tests passed: 1.\n"
    assert "→ git__status (ok, " in result.stderr and "→ testing__run (ok, " in result.stderr

    first = api.requests[0]
    assert first["model"] == "claude-sonnet-4-5"
    assert first["messages"] == [{"role": "user", "content": "Check the repository state and run the tests."}]
    names = {tool["name"] for tool in first["tools"]}
    assert {"git__status", "git__commit", "testing__run", "testing__coverage"} <= names
    status_tool = next(t for t in first["tools"] if t["name"] == "git__status")
    assert status_tool["input_schema"]["properties"]["untracked"]["enum"] == ["normal", "all", "no"]
    assert str(agent.project) in first["system"]
    sent = api.headers[0]  # the key, as this SDK version sends it
    assert sent.get("x-api-key") == "sk-test" or sent.get("authorization") == "Bearer sk-test", sent

    records = transcript_of(log)
    assert [r["type"] for r in records] == [
        "start",
        "request",
        "response",
        "tool_call",
        "tool_call",
        "request",
        "response",
        "answer",
        "summary",
    ]
    calls = [r for r in records if r["type"] == "tool_call"]
    assert [(c["plugin"], c["command"], c["is_error"]) for c in calls] == [
        ("git", "status", False),
        ("testing", "run", False),
    ]
    assert all(c["seconds"] > 0 for c in calls)
    summary = records[-1]
    assert (summary["turns"], summary["input_tokens"], summary["output_tokens"], summary["tool_calls"]) == (
        2,
        2000,
        200,
        2,
    )
    assert summary["cost_usd_estimate"] == pytest.approx((2000 * 3 + 200 * 15) / 1e6)


def test_a_tool_the_user_did_not_grant_comes_back_to_the_model_as_denied(agent: Agent, api: ScriptedAPI) -> None:
    agent.run("plugin", "revoke", "git", "process")

    def after_denied(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert result["is_error"] is True
        assert result["content"].startswith("denied: "), result
        assert "do not try to work around it" in result["content"]
        return message(text("I cannot read git state: the user did not grant it."))

    api.then(message(tool_use("t1", "git__status", {}), stop_reason="tool_use"), after_denied)
    result = agent.task("What changed?", "--json")
    summary = json.loads(result.stdout)
    assert summary["answer"] == "I cannot read git state: the user did not grant it."
    assert (summary["tool_calls"], summary["tool_errors"], summary["stop_reason"]) == (1, 1, "end_turn")
    assert "→ git__status (denied, " in result.stderr


def test_malformed_tool_input_is_returned_as_a_tool_error_and_the_loop_continues(
    agent: Agent, api: ScriptedAPI
) -> None:
    def after_invalid(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert result["is_error"] and result["content"].startswith(
            "invalid input: input for git status is invalid at untracked: "
        ), result
        return message(tool_use("t2", "git__status", {"untracked": "no"}), stop_reason="tool_use")

    def after_fixed(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert not result["is_error"], result
        return message(text("done"))

    api.then(
        message(tool_use("t1", "git__status", {"untracked": "everything"}), stop_reason="tool_use"),
        after_invalid,
        after_fixed,
    )
    result = agent.task("status please")
    assert result.stdout == "done\n"
    assert "→ git__status (input, " in result.stderr and "→ git__status (ok, " in result.stderr


def test_an_unknown_tool_is_answered_with_the_tools_that_exist(agent: Agent, api: ScriptedAPI) -> None:
    def after_unknown(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert result["is_error"] and result["content"].startswith("unknown tool 'shell__exec'; the tools are: ")
        return message(text("ok"))

    api.then(message(tool_use("t1", "shell__exec", {"cmd": "rm -rf /"}), stop_reason="tool_use"), after_unknown)
    assert agent.task("x").stdout == "ok\n"


def test_a_tool_stopped_at_its_time_limit_is_reported_to_the_model_and_recorded(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    def after_trap(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert result["is_error"] and result["content"] == (
            "stopped by the host: hostile loop ran longer than its 3 s time limit and was stopped"
        ), result
        return message(text("that tool is broken"))

    api.then(message(tool_use("t1", "hostile__loop", {}), stop_reason="tool_use"), after_trap)
    log = tmp_path / "run.jsonl"
    result = agent.run("agent", "run", "x", "--plugins", "hostile", "--transcript", str(log))
    assert result.stdout == "that tool is broken\n"
    [call] = [r for r in transcript_of(log) if r["type"] == "tool_call"]
    assert (call["error_kind"], call["limit"]) == ("limit", "time")


# -- budgets ---------------------------------------------------------------------------------------


def test_the_tool_call_budget_stops_the_run_cleanly_and_says_which(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    calls = [tool_use(f"t{n}", "git__status", {}) for n in range(3)]
    api.then(message(text("Checking three times."), *calls, stop_reason="tool_use"))
    log = tmp_path / "run.jsonl"
    result = agent.task("loop", "--max-tool-calls", "2", "--transcript", str(log), ok=False)
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"stopped: budget: tool calls (2) after 1 turns and 2 tool calls; the transcript is in {log}\n"
    ), result.stderr
    assert result.stdout == "Checking three times.\n"
    assert transcript_of(log)[-1]["stop_reason"] == "budget: tool calls (2)"
    assert len(api.requests) == 1


def test_the_turn_budget_stops_before_another_request(agent: Agent, api: ScriptedAPI) -> None:
    api.then(*[message(tool_use(f"t{n}", "git__status", {}), stop_reason="tool_use") for n in range(3)])
    result = agent.task("loop", "--max-turns", "2", "--json", ok=False)
    summary = json.loads(result.stdout)
    assert (summary["stop_reason"], summary["turns"], summary["tool_calls"]) == ("budget: turns (2)", 2, 2)
    assert len(api.requests) == 2


def test_the_output_token_budget_bounds_max_tokens_and_stops_the_run(agent: Agent, api: ScriptedAPI) -> None:
    api.then(
        message(tool_use("t1", "git__status", {}), stop_reason="tool_use", output_tokens=900),
        message(text("more"), stop_reason="end_turn"),
    )
    result = agent.task("x", "--max-output-tokens", "900", "--json", ok=False)
    assert json.loads(result.stdout)["stop_reason"] == "budget: output tokens (900)"
    assert api.requests[0]["max_tokens"] == 900
    assert len(api.requests) == 1


def test_the_wall_time_budget_cuts_a_request_in_flight(agent: Agent, api: ScriptedAPI, tmp_path: Path) -> None:
    def slow(_body: dict[str, Any]) -> Reply:
        time.sleep(3)  # the model takes longer than the whole run may
        return message(tool_use("t1", "git__status", {}), stop_reason="tool_use")

    api.then(slow)
    log = tmp_path / "run.jsonl"
    result = agent.task("x", "--max-seconds", "1", "--json", "--transcript", str(log), ok=False)
    summary = json.loads(result.stdout)
    # turns 0: the answer that came after the deadline was never waited for
    assert (summary["stop_reason"], summary["turns"], summary["tool_calls"]) == ("budget: wall time (1 s)", 0, 0)
    records = transcript_of(log)
    assert [r["type"] for r in records] == ["start", "request", "error", "answer", "summary"]
    assert records[2]["message"] == "the run's wall-time budget ran out while waiting for the model"


# -- the API misbehaving ---------------------------------------------------------------------------


def test_a_rate_limit_is_retried_after_the_time_the_api_asks(agent: Agent, api: ScriptedAPI, tmp_path: Path) -> None:
    api.then(error(429, "rate_limit_error", "slow down", {"retry-after": "1"}), message(text("hello")))
    log = tmp_path / "run.jsonl"
    result = agent.task("hi", "--transcript", str(log))
    assert result.stdout == "hello\n"
    assert "the Messages API answered 429; retrying in 1.0 s (attempt 2)" in result.stderr
    [retry] = [r for r in transcript_of(log) if r["type"] == "retry"]
    assert (retry["status"], retry["wait_seconds"]) == (429, 1.0)
    assert len(api.requests) == 2


def test_a_server_error_is_a_clear_failure_with_the_transcript_kept(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    api.then(error(500, "api_error", "Internal server error"))
    log = tmp_path / "run.jsonl"
    result = agent.task("hi", "--transcript", str(log), ok=False)
    assert result.stderr == ("error: the Messages API failed (500: Internal server error)\n  hint: try again later\n")
    assert [r["type"] for r in transcript_of(log)] == ["start", "request", "error"]


def test_without_an_api_key_the_agent_says_what_to_set(agent: Agent, api: ScriptedAPI) -> None:
    env = {k: v for k, v in agent.env.items() if k != "ANTHROPIC_API_KEY"}
    result = agent.run("agent", "run", "x", "--plugins", "git", ok=False, env=env)
    assert result.stderr.startswith("error: ANTHROPIC_API_KEY is not set: the agent needs an Anthropic API key\n")
    assert api.requests == []


def test_a_refused_key_is_a_clear_error(agent: Agent, api: ScriptedAPI) -> None:
    api.then(error(401, "authentication_error", "invalid x-api-key"))
    result = agent.task("x", ok=False)
    assert result.stderr == (
        "error: the Messages API refused the API key (401: invalid x-api-key)\n  hint: check ANTHROPIC_API_KEY\n"
    )


# -- tools and configuration ------------------------------------------------------------------------


def test_agent_tools_lists_plugin_commands_as_tools(agent: Agent) -> None:
    listed = json.loads(agent.run("agent", "tools", "--plugins", "git", "--json").stdout)
    assert [t["name"] for t in listed] == [
        "git__status",
        "git__diff",
        "git__log",
        "git__branches",
        "git__commit",
        "git__conflicts",
    ]
    assert all(t["input_schema"]["type"] == "object" for t in listed)
    assert "granted capabilities: process" in listed[0]["description"]


def test_no_plugins_means_no_agent(agent: Agent, api: ScriptedAPI) -> None:
    result = agent.run("agent", "run", "x", ok=False)
    assert result.stderr.startswith("error: no plugins enabled for the agent: it would have no tools\n")


def test_the_config_file_gives_defaults_and_options_override_them(agent: Agent, api: ScriptedAPI) -> None:
    (agent.home / "config.toml").write_text('[agent]\nmodel = "claude-haiku-4-5"\nplugins = ["git"]\nmax_turns = 5\n')
    api.then(message(text("a")), message(text("b")))
    agent.run("agent", "run", "x")
    assert api.requests[0]["model"] == "claude-haiku-4-5"
    assert {t["name"].split("__")[0] for t in api.requests[0]["tools"]} == {"git"}
    agent.run("agent", "run", "x", "--model", "claude-opus-4-1", "--plugins", "testing")
    assert api.requests[1]["model"] == "claude-opus-4-1"
    assert {t["name"].split("__")[0] for t in api.requests[1]["tools"]} == {"testing"}
    (agent.home / "config.toml").write_text("[agent]\nmax_turn = 5\n")
    result = agent.run("agent", "run", "x", ok=False)
    assert "unknown key 'max_turn' in [agent]" in result.stderr


def test_ctrl_c_stops_after_the_current_step_and_the_transcript_is_complete(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    log = tmp_path / "run.jsonl"
    proc = subprocess.Popen(
        [ACC, "agent", "run", "x", "--plugins", "git", "--transcript", str(log)],
        env=agent.env,
        cwd=agent.project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )

    def interrupted_while_asking(_body: dict[str, Any]) -> Reply:
        proc.send_signal(signal.SIGINT)  # the user presses Ctrl-C while the model is thinking
        time.sleep(0.5)
        return message(tool_use("t1", "git__status", {}), stop_reason="tool_use")

    api.then(interrupted_while_asking, message(text("never asked")))
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr
    assert "stopping after the current step (Ctrl-C again to abort)\n" in stderr
    assert stderr.endswith(
        f"stopped: interrupted by Ctrl-C after 1 turns and 0 tool calls; the transcript is in {log}\n"
    ), stderr
    records = transcript_of(log)
    assert [r["type"] for r in records] == ["start", "request", "response", "answer", "summary"]
    assert records[-1]["stop_reason"] == "interrupted"
    assert len(api.requests) == 1


# -- the llm capability ------------------------------------------------------------------------------


def test_a_plugins_llm_call_goes_through_the_host_and_counts_in_the_run(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    def plugin_asks(body: dict[str, Any]) -> Reply:
        assert "tools" not in body and body["messages"] == [{"role": "user", "content": "What is 2+2?"}]
        assert (body["model"], body["max_tokens"]) == ("claude-haiku-4-5", 300)  # the grant's max_tokens
        return message(text("4"), input_tokens=50, output_tokens=5)

    def after_tool(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert json.loads(result["content"])["answer"] == "4"
        return message(text("The plugin says 4."))

    api.then(
        message(tool_use("t1", "asker__ask", {"question": "What is 2+2?"}), stop_reason="tool_use"),
        plugin_asks,
        after_tool,
    )
    log = tmp_path / "run.jsonl"
    result = agent.run(
        "agent", "run", "ask", "--plugins", "asker", "--model", "claude-haiku-4-5", "--json", "--transcript", str(log)
    )
    summary = json.loads(result.stdout)
    assert (summary["answer"], summary["input_tokens"], summary["output_tokens"]) == ("The plugin says 4.", 2050, 205)
    [llm] = [r for r in transcript_of(log) if r["type"] == "llm"]
    assert (llm["plugin"], llm["input_tokens"], llm["output_tokens"]) == ("asker", 50, 5)


def test_a_plugins_llm_call_is_refused_once_the_runs_token_budget_is_spent(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    api.then(message(tool_use("t1", "asker__ask", {"question": "?"}), stop_reason="tool_use", input_tokens=1000))
    log = tmp_path / "run.jsonl"
    result = agent.run(
        "agent",
        "run",
        "ask",
        "--plugins",
        "asker",
        "--max-input-tokens",
        "1000",
        "--json",
        "--transcript",
        str(log),
        ok=False,
    )
    assert json.loads(result.stdout)["stop_reason"] == "budget: input tokens (1,000)"
    [call] = [r for r in transcript_of(log) if r["type"] == "tool_call"]
    outcome = json.loads(call["result"])
    assert outcome == {"ok": False, "kind": "limit", "error": "the agent run's budget is spent: input tokens (1,000)"}
    assert len(api.requests) == 1  # the plugin's question never left the host


def test_plugin_run_uses_the_llm_grant_with_the_environments_key(agent: Agent, api: ScriptedAPI) -> None:
    api.then(message(text("Paris"), input_tokens=10, output_tokens=2))
    done = json.loads(
        agent.run("plugin", "run", "asker", "ask", "--input", '{"question": "Capital of France?"}', "-q").stdout
    )
    assert (done["ok"], done["answer"]) == (True, "Paris")
    assert api.requests[0]["model"] == "claude-sonnet-4-5"

    over = json.loads(
        agent.run("plugin", "run", "asker", "ask", "--input", '{"question": "?", "max_tokens": 301}', "-q").stdout
    )
    assert (over["ok"], over["kind"]) == (False, "denied")
    assert over["error"] == "max_tokens 301 is more than asker may ask for per call (300, from its manifest)"

    env = {k: v for k, v in agent.env.items() if k != "ANTHROPIC_API_KEY"}
    keyless = json.loads(
        agent.run("plugin", "run", "asker", "ask", "--input", '{"question": "?"}', "-q", env=env).stdout
    )
    assert (keyless["ok"], keyless["kind"]) == (False, "failed")
    assert keyless["error"].startswith("ANTHROPIC_API_KEY is not set")
    assert len(api.requests) == 1


def test_a_plugin_without_the_llm_grant_is_denied(agent: Agent, api: ScriptedAPI) -> None:
    agent.run("plugin", "revoke", "asker", "llm")
    done = json.loads(agent.run("plugin", "run", "asker", "ask", "--input", '{"question": "?"}', "-q").stdout)
    assert (done["ok"], done["kind"]) == (False, "denied")
    assert api.requests == []


# -- plans ----------------------------------------------------------------------------------------------

DIAMOND = """
[defaults]
plugins = ["git"]
max_turns = 3

[[task]]
id = "base"
prompt = "BASE: look at the repository."

[[task]]
id = "left"
prompt = "LEFT: this one fails."
depends_on = ["base"]
priority = 1

[[task]]
id = "right"
prompt = "RIGHT: this one works."
depends_on = ["base"]

[[task]]
id = "join"
prompt = "JOIN: needs both."
depends_on = ["left", "right"]
"""


def test_a_plan_runs_a_diamond_in_order_in_parallel_and_skips_what_a_failure_blocks(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    both_middle_tasks = threading.Barrier(2, timeout=30)  # passes only if left and right run at once
    asked: list[str] = []

    def route(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][0]["content"]
        asked.append(prompt.split(":", 1)[0])
        if prompt.startswith("BASE"):
            return message(text("base answer: the repository is empty"))
        both_middle_tasks.wait()
        if prompt.startswith("LEFT"):
            return error(400, "invalid_request_error", "this task is broken")
        assert prompt.startswith("RIGHT")
        assert "Results of the tasks this one depends on:\n\n[base]\nbase answer: the repository is empty" in prompt
        return message(text("right answer"))

    api.router = route
    plan = tmp_path / "plan.toml"
    plan.write_text(DIAMOND)
    logs = tmp_path / "transcripts"
    result = agent.run(
        "agent",
        "plan",
        str(plan),
        "--project",
        str(agent.project),
        "--parallel",
        "2",
        "--transcripts",
        str(logs),
        ok=False,
    )
    assert result.returncode == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[:4]}
    assert rows["base"].split()[1] == "done" and rows["right"].split()[1] == "done"
    assert rows["left"].split()[1] == "failed"
    assert "(the Messages API rejected the request (400: this task is broken))" in rows["left"]
    assert rows["join"].split()[1] == "skipped" and "(depends on left, which failed)" in rows["join"]
    assert "\n[right]\nright answer" in result.stdout
    assert asked[0] == "BASE" and sorted(asked[1:]) == ["LEFT", "RIGHT"]
    assert sorted(p.name for p in logs.iterdir()) == ["base.jsonl", "left.jsonl", "right.jsonl"]
    assert transcript_of(logs / "right.jsonl")[-1]["type"] == "summary"


def test_a_plan_as_json_gives_a_machine_readable_summary(agent: Agent, api: ScriptedAPI, tmp_path: Path) -> None:
    api.router = lambda body: message(text(f"did {body['messages'][0]['content'].split()[0]}"))
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "defaults": {"plugins": ["git"]},
                "tasks": [{"id": "one", "prompt": "one"}, {"id": "two", "prompt": "two", "depends_on": ["one"]}],
            }
        )
    )
    summary = json.loads(agent.run("agent", "plan", str(plan), "--json", "--project", str(agent.project)).stdout)
    assert [(t["id"], t["status"], t["answer"], t["turns"]) for t in summary] == [
        ("one", "done", "did one", 1),
        ("two", "done", "did two", 1),
    ]


@pytest.mark.parametrize(
    ("plan", "message_start"),
    [
        (
            '[[task]]\nid = "a"\nprompt = "x"\ndepends_on = ["b"]\n[[task]]\nid = "b"\nprompt = "y"\n'
            'depends_on = ["a"]\n',
            "the tasks depend on each other in a cycle: a → b → a",
        ),
        (
            '[[task]]\nid = "a"\nprompt = "x"\ndepends_on = ["nope"]\n',
            "task 'a' depends on 'nope', which the plan does not have",
        ),
        ('[[task]]\nid = "a"\nprompt = "x"\n[[task]]\nid = "a"\nprompt = "y"\n', "two tasks have the id 'a'"),
        ('[[task]]\nid = "a"\nprompt = "x"\nplugin = ["git"]\n', "task 1 has unknown key 'plugin'"),
        ("", "the plan has no tasks"),
        (
            '[[task]]\nid = "a"\nprompt = "x"\nplugins = ["not-installed"]\n',
            "task 'a': plugin 'not-installed' is not installed",
        ),
        ('[[task]]\nid = "a"\nprompt = "x"\n', "task 'a': no plugins enabled for the agent"),
    ],
)
def test_a_bad_plan_is_refused_before_anything_runs(
    agent: Agent, api: ScriptedAPI, tmp_path: Path, plan: str, message_start: str
) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(plan)
    result = agent.run("agent", "plan", str(path), ok=False)
    assert result.stderr.startswith(f"error: {path}: {message_start}"), result.stderr
    assert api.requests == []


def test_a_transcript_that_cannot_be_written_is_refused_before_any_request(
    agent: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = agent.task("x", "--transcript", str(blocker / "run.jsonl"), ok=False)
    assert result.stderr.startswith(f"error: cannot write the transcript {blocker / 'run.jsonl'} ("), result.stderr
    assert api.requests == []


# -- --commit: the agent codes, the tests pass, the change is committed in the user's name ---------

FIX_TASK = "Find the failing test, read the code, fix it with files__edit, run the tests, and commit."
USER = "Ada Lovelace <ada@example.com>"


def git(agent: Agent, *args: str) -> str:
    """git in the test's own hands (setting up and checking the project), never the host's."""
    done = subprocess.run(
        ["git", *args], cwd=agent.project, env=agent.env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


@pytest.fixture
def coder(agent: Agent, tmp_path: Path) -> Agent:
    """A fresh repository with one commit whose test fails (add() subtracts), an untracked
    scratch file that is not the agent's, and a user whose identity is in their own global
    git config (HOME/.gitconfig): the only place acc may take the commit's author from."""
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    (user_home / ".gitconfig").write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    env = {k: v for k, v in agent.env.items() if k not in ("XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL")}
    coder = Agent(env={**env, "HOME": str(user_home)}, project=agent.project, home=agent.home)
    (coder.project / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    git(coder, "add", "calc.py", "test_calc.py")
    git(coder, "commit", "-q", "-m", "Add calc")
    (coder.project / "scratch.txt").write_text("the user's notes, not the agent's\n")
    return coder


def fix_script(api: ScriptedAPI) -> None:
    """The model's side of the README's example: run the tests, read the code, edit it, run them again."""

    def after_failing_run(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        # A failed check is a result (the command ran), marked on its first line.
        assert result["is_error"] is False, result
        first_line, _, report = result["content"].partition("\n")
        assert first_line == "check failed: testing run: passed: false"
        report_json = json.loads(report)
        assert report_json["passed"] is False
        [failed] = [t for t in report_json["tests"] if t["outcome"] == "failed"]
        assert failed["node_id"] == "test_calc.py::test_add"
        return message(
            text("test_add fails."), tool_use("t2", "files__read", {"path": "calc.py"}), stop_reason="tool_use"
        )

    def after_read(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert not result["is_error"] and "return a - b" in result["content"], result
        edit = {"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}
        return message(tool_use("t3", "files__edit", edit), stop_reason="tool_use")

    def after_edit(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert not result["is_error"], result
        assert "-    return a - b\n+    return a + b" in json.loads(result["content"])["diff"]
        return message(tool_use("t4", "testing__run", {}), stop_reason="tool_use")

    def after_passing_run(body: dict[str, Any]) -> Reply:
        [result] = tool_results(body)
        assert not result["is_error"] and not result["content"].startswith("check failed"), result
        assert json.loads(result["content"])["passed"] is True
        return message(text("Fixed add(): it subtracted b instead of adding it. The tests pass."))

    api.then(
        message(text("Running the tests."), tool_use("t1", "testing__run", {}), stop_reason="tool_use"),
        after_failing_run,
        after_read,
        after_edit,
        after_passing_run,
    )


def test_the_agent_fixes_a_failing_test_by_editing_the_code_and_commits_it_in_the_users_name(
    coder: Agent, api: ScriptedAPI, tmp_path: Path
) -> None:
    before = git(coder, "rev-parse", "HEAD").strip()
    fix_script(api)

    def commit_message(body: dict[str, Any]) -> Reply:
        assert "tools" not in body  # one answer, not another loop
        [asked] = body["messages"]
        prompt = asked["content"]
        assert f"<task>\n{FIX_TASK}\n</task>" in prompt
        assert "Fixed add(): it subtracted b instead of adding it." in prompt
        assert "- calc.py (modified)" in prompt and "scratch.txt" not in prompt
        assert "-    return a - b\n+    return a + b" in prompt
        return message(text("Fix add() to return the sum\n\nadd() subtracted b from a, so test_add failed."))

    api.then(commit_message)
    log = tmp_path / "run.jsonl"
    result = coder.run(
        "agent",
        "run",
        FIX_TASK,
        "--project",
        str(coder.project),
        "--plugins",
        "files,testing",  # no git tools for the model: the commit is the host's, through the git plugin
        "--commit",
        "--json",
        "--transcript",
        str(log),
    )
    summary = json.loads(result.stdout)
    head = git(coder, "rev-parse", "HEAD").strip()
    assert head != before and git(coder, "rev-parse", "HEAD~1").strip() == before
    assert summary["commit"] == {
        "status": "committed",
        "detail": None,
        "reason": None,
        "commit": head,
        "branch": "main",
        "message": "Fix add() to return the sum\n\nadd() subtracted b from a, so test_add failed.",
        "files": ["calc.py"],
        "author": USER,
    }
    assert (summary["turns"], summary["tool_calls"], summary["tool_errors"], summary["checks_failed"]) == (6, 4, 0, 1)
    assert f"committed {head[:12]} on main: Fix add() to return the sum (1 file, author {USER})\n" in result.stderr
    assert "→ testing__run (check failed, " in result.stderr and "→ files__edit (ok, " in result.stderr

    # The commit, as git itself shows it: the user's identity, the model's message, only the agent's file.
    shown = git(coder, "log", "-1", "--format=%an <%ae>%n%cn <%ce>%n%B")
    assert shown == f"{USER}\n{USER}\nFix add() to return the sum\n\nadd() subtracted b from a, so test_add failed.\n\n"
    assert git(coder, "show", "--name-only", "--format=", "HEAD").split() == ["calc.py"]
    assert git(coder, "show", "HEAD:calc.py") == "def add(a, b):\n    return a + b\n"
    assert git(coder, "status", "--porcelain") == "?? scratch.txt\n"  # the user's file is left alone

    # The tests really pass now, through the testing plugin as CI would run them.
    passing = json.loads(coder.run("plugin", "run", "testing", "run", "--project", str(coder.project), "-q").stdout)
    assert (passing["passed"], passing["totals"]["passed"]) == (True, 1)

    records = transcript_of(log)
    assert [r["type"] for r in records][-5:] == ["answer", "commit_request", "commit_response", "commit", "summary"]
    assert [r["verdict"] for r in records if r["type"] == "tool_call"] == [False, None, None, True]


def test_with_commit_a_run_that_changes_nothing_says_so_and_asks_for_no_message(coder: Agent, api: ScriptedAPI) -> None:
    before = git(coder, "rev-parse", "HEAD")
    api.then(message(text("Nothing needs changing.")))
    result = coder.task("Look around.", "--commit")
    assert result.stdout == "Nothing needs changing.\n"
    assert result.stderr.endswith("nothing to commit: the run changed no files\n"), result.stderr
    assert len(api.requests) == 1 and git(coder, "rev-parse", "HEAD") == before


def test_with_commit_a_run_stopped_by_a_budget_commits_nothing(coder: Agent, api: ScriptedAPI) -> None:
    before = git(coder, "rev-parse", "HEAD")
    edit = {"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}
    api.then(message(tool_use("t1", "files__edit", edit), stop_reason="tool_use"))
    result = coder.run(
        "agent", "run", "fix it", "--plugins", "files", "--commit", "--max-turns", "1", "--json", ok=False
    )
    assert result.returncode == 2
    assert "stopped: budget: turns (1) after 1 turns and 1 tool calls; nothing was committed\n" in result.stderr
    summary = json.loads(result.stdout)
    assert (summary["commit"]["status"], summary["commit"]["reason"]) == ("not committed", "run")
    assert len(api.requests) == 1
    assert git(coder, "rev-parse", "HEAD") == before
    assert git(coder, "status", "--porcelain") == " M calc.py\n?? scratch.txt\n"  # the edit stays, uncommitted


def test_with_commit_the_message_request_needs_a_turn_left_in_the_budget(coder: Agent, api: ScriptedAPI) -> None:
    before = git(coder, "rev-parse", "HEAD")
    edit = {"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}
    api.then(message(tool_use("t1", "files__edit", edit), stop_reason="tool_use"), message(text("Fixed.")))
    result = coder.run("agent", "run", "fix it", "--plugins", "files", "--commit", "--max-turns", "2", ok=False)
    assert result.returncode == 2
    assert result.stdout == "Fixed.\n"
    assert result.stderr.endswith(
        "not committed: the run's budget is spent (turns (2)), and the commit message needs one more request\n"
        "  the changes are left in the work tree\n"
    ), result.stderr
    assert len(api.requests) == 2 and git(coder, "rev-parse", "HEAD") == before


@pytest.mark.parametrize(
    ("setup", "error_start"),
    [
        ("dirty", "error: --commit: the project has uncommitted changes (calc.py), and a commit of the agent's"),
        ("staged", "error: --commit: the project has uncommitted changes (new.py), and a commit of the agent's"),
        ("no git grant", "error: --commit commits through the git plugin, which could not read the project's status"),
    ],
)
def test_with_commit_a_project_the_commit_would_mix_up_is_refused_before_any_request(
    coder: Agent, api: ScriptedAPI, setup: str, error_start: str
) -> None:
    if setup == "dirty":
        (coder.project / "calc.py").write_text("# the user's unfinished work\n")
    elif setup == "staged":
        (coder.project / "new.py").write_text("x = 1\n")
        git(coder, "add", "new.py")
    else:
        coder.run("plugin", "revoke", "git", "process")
    result = coder.task("fix it", "--commit", ok=False)
    assert result.returncode == 1
    assert result.stderr.startswith(error_start), result.stderr
    assert api.requests == []
