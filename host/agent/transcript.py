"""The JSONL transcript of an agent run: one object per line, written as it happens.

Every line is flushed when written, so a run stopped by Ctrl-C, a budget or an error
still leaves everything up to that point. Kinds: `start`, `request`, `response`,
`tool_call`, `log` (a plugin's log line), `llm` (a plugin's own request), `retry`, `error`,
`answer`, with --commit `commit_request`, `commit_response` and `commit` (what was
committed, or why nothing was), then `summary`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from host.errors import InputError


class Transcript:
    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # backslashreplace: a lone surrogate from anywhere (a model's tool input) is
                # written as an escape instead of ending the run with UnicodeEncodeError.
                self._file = path.open("w", encoding="utf-8", errors="backslashreplace")
            except OSError as e:
                raise InputError(
                    f"cannot write the transcript {path} ({e.strerror or e})", hint="choose another --transcript path"
                ) from e

    def write(self, kind: str, **fields: Any) -> None:
        if self._file is None:
            return
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "type": kind, **fields}
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
