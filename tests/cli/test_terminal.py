"""acc_cli.terminal: the one place the CLI asks questions and lays out output."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pexpect
import pytest

from acc_cli import terminal

REPO = Path(__file__).resolve().parents[2]


def test_without_a_terminal_a_question_is_answered_no_without_being_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # a pipe that would say yes
    assert terminal.interactive() is False
    assert terminal.confirm("Grant fs?") is False
    assert sys.stdin.read() == "y\n"  # nothing was read
    assert capsys.readouterr() == ("", "")  # and nothing was asked


@pytest.mark.parametrize(("answer", "expected"), [("y", "True"), ("n", "False"), ("", "False")])
def test_on_a_terminal_the_question_is_asked_and_defaults_to_no(answer: str, expected: str) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-c", "from acc_cli.terminal import confirm; print('answer', confirm('Trust this root?'))"],
        cwd=str(REPO),
        encoding="utf-8",
        timeout=30,
    )
    child.expect_exact("Trust this root? [y/N]: ")
    child.sendline(answer)
    child.expect_exact(f"answer {expected}")
    child.expect(pexpect.EOF)


def test_table_pads_columns_to_the_widest_cell_without_trailing_blanks(capsys: pytest.CaptureFixture[str]) -> None:
    terminal.table([("NAME", "LATEST", "NOTE"), ("git", "1.10.0", ""), ("project-stats", "2.0", "deprecated")])
    assert capsys.readouterr().out == (
        "NAME           LATEST  NOTE\ngit            1.10.0\nproject-stats  2.0     deprecated\n"
    )


def test_announce_sends_warnings_to_stderr_and_the_rest_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    terminal.announce("WARNING: signed by another key")
    terminal.announce("installed git 1.0.0")
    terminal.err("a note")
    assert capsys.readouterr() == ("installed git 1.0.0\n", "WARNING: signed by another key\na note\n")


def test_emit_json_is_one_ascii_document_that_no_text_in_it_can_drive_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = [{"name": "evil\x1b[2J\x1b]0;title\x07", "description": "caf\u00e9\x7f\u202e", "count": 3}]
    terminal.emit_json(document)
    out = capsys.readouterr().out
    assert out.isascii() and out.endswith("]\n")
    assert not any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in out)
    assert json.loads(out) == document


def test_emit_json_line_writes_one_escaped_record_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    records = [{"target": "evil\x1b[2J\nnext\r\x7f\u202e", "n": 1}, {"target": "caf\u00e9", "n": 2}]
    for record in records:
        terminal.emit_json_line(record)
    out = capsys.readouterr().out
    assert out.isascii() and out.count("\n") == 2 and out.endswith("}\n")
    assert not any((ord(c) < 0x20 and c != "\n") or c == "\x7f" for c in out)
    assert [json.loads(line) for line in out.splitlines()] == records
