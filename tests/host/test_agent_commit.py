"""The pure parts of `acc agent run --commit`: which paths are the agent's, the message request,
and the message taken from the model's answer. (The whole journey, with the real git plugin and
a scripted model, is in tests/e2e/test_agent.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from host.agent.commit import MAX_DIFF_CHARS, Baseline, Change, changes_since, literal, message_from, message_request


def status(**sides: Any) -> dict[str, Any]:
    return {"staged": [], "unstaged": [], "untracked": [], "conflicted": [], **sides}


def entry(path: str, letter: str, renamed_from: str | None = None) -> dict[str, Any]:
    return {"path": path, "status": letter, "renamed_from": renamed_from}


def test_the_agents_changes_are_changed_tracked_files_and_new_untracked_ones() -> None:
    before = Baseline(frozenset({"notes.txt", "build/out.log"}))
    after = status(
        staged=[entry("src/new_name.py", "R", "src/old_name.py"), entry("added.py", "A")],
        unstaged=[entry("calc.py", "M"), entry("gone.py", "D"), entry("added.py", "M")],
        untracked=["notes.txt", "build/out.log", "build/new.log", "tests/test_new.py"],
    )
    assert changes_since(before, after) == [
        Change("added.py", "added"),  # once, though it changed on both sides
        Change("build/new.log", "new file"),
        Change("calc.py", "modified"),
        Change("gone.py", "deleted"),
        Change("src/new_name.py", "renamed from src/old_name.py"),
        Change("src/old_name.py", "renamed to src/new_name.py"),  # the old path too, or its removal stays staged
        Change("tests/test_new.py", "new file"),
    ]


def test_nothing_changed_when_only_the_files_untracked_before_are_there() -> None:
    assert changes_since(Baseline(frozenset({"a", "b"})), status(untracked=["a", "b"])) == []


@pytest.mark.parametrize("name", ["*.py", "[ab].txt", ":(glob)x", "a b?.md"])
def test_paths_are_committed_as_literal_pathspecs(name: str) -> None:
    # git would expand `*.py` and take in files that are not the agent's; `:(literal)` stops it.
    assert literal(name) == f":(literal){name}"


def test_the_message_request_shows_the_task_the_answer_the_files_and_the_diff_without_tools() -> None:
    request = message_request(
        "claude-haiku-4-5", "Fix it.", "Fixed add().", [Change("calc.py", "modified")], "-a\n+b\n", 300
    )
    assert (request["model"], request["max_tokens"]) == ("claude-haiku-4-5", 300)
    assert "tools" not in request
    [asked] = request["messages"]
    prompt = asked["content"]
    for part in ("<task>\nFix it.\n</task>", "<answer>\nFixed add().\n</answer>", "- calc.py (modified)", "-a\n+b\n"):
        assert part in prompt
    assert "subject line of at most 72 characters" in prompt


def test_a_long_diff_is_cut_in_the_message_request_and_says_so() -> None:
    diff = "+x\n" * MAX_DIFF_CHARS
    prompt = message_request("m", "t", "a", [Change("big.py", "modified")], diff, 100)["messages"][0]["content"]
    assert "\n[the diff is cut here]" in prompt
    assert len(prompt) < MAX_DIFF_CHARS + 2_000


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Fix add()\n\nIt subtracted.", "Fix add()\n\nIt subtracted."),
        ("  \nFix add()   \r\n\r\nIt subtracted.  \n\n", "Fix add()\n\nIt subtracted."),
        ("```\nFix add()\n\nBody\n```", "Fix add()\n\nBody"),
        ("```text\nFix add()\n```", "Fix add()"),
        # The model's text must not drive the terminal of whoever reads `git log`.
        ("Fix \x1b[2Jadd()\n\nBody\x07", "Fix \\x1b[2Jadd()\n\nBody\\x07"),
        ("Fix\u202eadd()", "Fix\\u202eadd()"),
        ("", ""),
        ("   \n\n ", ""),
        ("```\n```", ""),
    ],
)
def test_the_commit_message_is_the_models_answer_unfenced_and_harmless(answer: str, message: str) -> None:
    assert message_from(answer) == message
