"""JSON a plugin chose is decoded strictly: what Python's json would let through and the next
reader would choke on is refused with a message that says what is wrong."""

from __future__ import annotations

import json
import re
import time

import pytest

from host.errors import InputError
from host.plugin_json import MAX_DEPTH, PluginJsonError, check_value, decode
from host.runner import parse_input


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("NaN", "NaN is not a JSON number"),
        ('{"a": [Infinity]}', "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("[1e400]", "too large for a JSON number"),
        ('"\\ud800"', "lone surrogate (U+D800)"),
        ('{"\\udc00": 1}', "lone surrogate (U+DC00)"),
        ('["\\ud83d x"]', "lone surrogate"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        ('{"a":' * 200_000 + "1" + "}" * 200_000, f"nested deeper than {MAX_DEPTH} levels"),
        ("9" * 5000, "not usable JSON"),
        ("{'a': 1}", "not valid JSON"),
        ("[1,]", "not valid JSON"),
    ],
)
def test_unusable_json_is_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(PluginJsonError, match=re.escape(why)):
        decode(text)


@pytest.mark.parametrize(
    "text",
    [
        '"\\ud83d\\ude00"',  # a proper surrogate pair is one character
        '"\\\\ud800"',  # an escaped backslash, then the letters: no surrogate
        '"[[[[[[[[[[" ',  # brackets inside a string are not nesting
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '{"x": 1.5e300, "y": -0.0, "z": 12345678901234567890}',
    ],
)
def test_plain_json_decodes_as_usual(text: str) -> None:
    assert decode(text) == json.loads(text)


def test_strings_full_of_brackets_do_not_count_as_depth() -> None:
    text = json.dumps(["[" * 10_000, {"k": "{" * 10_000}])
    assert decode(text) == json.loads(text)


def test_a_big_flat_result_decodes_in_time_proportional_to_its_size() -> None:
    text = json.dumps([{"a": [i, "x["]} for i in range(100_000)])
    started = time.monotonic()
    decode(text)
    assert time.monotonic() - started < 5.0


@pytest.mark.parametrize(
    "value",
    [float("nan"), {"a": float("-inf")}, ["\udfff"], {1: "x"}, {"s": {1, 2}}, json.loads("[" * 101 + "]" * 101)],
    ids=["nan", "infinity", "surrogate", "int-key", "set", "deep"],
)
def test_check_value_refuses_what_json_would_not_round_trip(value: object) -> None:
    with pytest.raises(PluginJsonError):
        check_value(value)


def test_input_from_the_command_line_is_decoded_strictly() -> None:
    with pytest.raises(InputError, match="--input is refused: NaN is not a JSON number"):
        parse_input('{"n": NaN}')
    assert parse_input('{"n": 1}') == {"n": 1}


def test_a_transcript_survives_text_that_is_not_unicode(tmp_path: object) -> None:
    from pathlib import Path

    from host.agent.transcript import Transcript

    path = Path(str(tmp_path)) / "t.jsonl"
    transcript = Transcript(path)
    transcript.write("tool_call", input={"s": "\ud800"}, result="ok")
    transcript.close()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["result"] == "ok"
