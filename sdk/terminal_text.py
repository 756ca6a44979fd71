"""Text a plugin controls, made harmless for a terminal: one definition of "unsafe", two uses.

A terminal obeys characters, not just shows them: ESC starts CSI and OSC sequences
(clear the screen, move the cursor, set the window title, write the clipboard, make a
hyperlink), CR returns to the start of the line so the next text overwrites it, BEL
rings, BS erases, the C1 controls (U+0080-U+009F) are 8-bit forms of the same, and the
Unicode bidi controls (U+202A-U+202E, U+2066-U+2069, ...) reorder what is shown so the
text read is not the text printed. A newline lets one line pretend to be two: a fake
prompt ("Grant process? [y/N]") or a fake log line from another plugin.

- `unsafe_characters(text)`: which of those a string holds. Manifests are refused with
  them (names, descriptions, reasons, command descriptions, keywords...), at build,
  publish and install (`sdk.manifest`), so consent prompts and listings never carry them.
- `printable(text)`: the text with each of them written as a visible escape (`\\x1b`,
  `\\u202e`, `\\n`), for everything a plugin says at run time: log lines, progress,
  error messages, results. `multiline=True` keeps newlines and tabs (an error with a
  traceback), still escaping the rest. Escaping is idempotent: its output has nothing left
  to escape.
"""

from __future__ import annotations

import re

# DEL and the C1 controls (with C0, Unicode category Cc); the bidi embedding, override and
# isolate controls and marks; the line and paragraph separators some terminals break on.
_OTHER_UNSAFE = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_CHARACTER = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
#: The same, but LF and TAB (U+000A, U+0009) pass.
_UNSAFE_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_UNSAFE}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def unsafe_characters(text: str) -> list[str]:
    """The characters of `text` a terminal would obey rather than show, in order, each once."""
    return list(dict.fromkeys(_UNSAFE_CHARACTER.findall(text)))


def describe_character(char: str) -> str:
    """A character as a person can read it in an error message: "U+001B (ESC)"."""
    names = {"\x1b": "ESC", "\r": "CR", "\n": "LF", "\t": "TAB", "\x07": "BEL", "\x08": "BS", "\x00": "NUL"}
    name = names.get(char)
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every unsafe character escaped; `multiline` keeps LF and TAB as they are."""
    pattern = _UNSAFE_BUT_LINES if multiline else _UNSAFE_CHARACTER
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def refuse_unsafe_text(value: object, where: str) -> None:
    """Raise `ManifestError` if any string in `value` (keys included, nested) holds an unsafe
    character: the one check every manifest field goes through."""
    from sdk.errors import ManifestError

    stack: list[tuple[object, str]] = [(value, where)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            found = unsafe_characters(item)
            if found:
                listed = ", ".join(describe_character(c) for c in found)
                raise ManifestError(
                    f"{place} holds a control character ({listed}): {printable(item)[:80]!s}",
                    hint="manifest text is shown in consent prompts and listings: use plain printable "
                    "text on one line (no escape sequences, tabs, newlines or bidi controls)",
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((key, f"{place} (a key)"))
                stack.append((child, f"{place}.{key}" if isinstance(key, str) and key.isidentifier() else place))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{place}[{index}]") for index, child in enumerate(item))
