"""`--input` of `acc plugin run`: the command's input as JSON text, `@FILE` or `-` (stdin).

JSON never starts with `@` and `-` alone is no JSON, so the three cannot be confused. A
file or stdin is read up to the host's input limit (HostPolicy.max_input_bytes) and no
further, and must be UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from acc_cli.terminal import read_stdin

HELP = "The command's input: JSON text, @FILE to read it from a file, or - to read stdin."


def input_option(function: Any) -> Any:
    """The `--input` option (default `{}`)."""
    return click.option("--input", "input_text", default="{}", show_default=True, metavar="JSON|@FILE|-", help=HELP)(
        function
    )


def read_input(option: str, limit: int) -> Any:
    """The value `--input OPTION` gives: parsed JSON, or an `InputError` saying what to fix."""
    from host.errors import InputError
    from host.runner import parse_input

    if option == "-":
        data = read_stdin(limit)
        if data is None:
            raise InputError(f"--input -: stdin holds more than the {limit}-byte input limit")
        return parse_input(_text(data, "stdin"), source="--input - (stdin)", hint="give the input as JSON on stdin")
    if option.startswith("@"):
        path = Path(option[1:])
        if not option[1:]:
            raise InputError("--input @ names no file", hint="e.g. --input @input.json")
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            raise InputError(f"--input {option}: there is no file {path}", hint="e.g. --input @input.json") from None
        except IsADirectoryError:
            raise InputError(f"--input {option}: {path} is a directory, not a JSON file") from None
        except OSError as e:
            raise InputError(f"--input {option}: cannot read {path} ({e.strerror})") from None
        if len(data) > limit:
            raise InputError(f"--input {option}: {path} is larger than the {limit}-byte input limit")
        return parse_input(_text(data, str(path)), source=f"--input {option}", hint=f"fix the JSON in {path}")
    return parse_input(option)


def _text(data: bytes, source: str) -> str:
    from host.errors import InputError

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"--input: {source} is not UTF-8 text ({e.reason} at byte {e.start})") from None
