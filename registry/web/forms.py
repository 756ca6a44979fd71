"""Reading form fields: each one capped, so an oversized field is refused by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import request

from registry.errors import ApiError, bad_request
from registry.text import is_storable


def field(name: str, label: str, *, limit: int, required: bool = False) -> str:
    """The form field `name` (empty if absent); refused when longer than `limit` characters or
    holding text no database can store."""
    value = request.form.get(name, "")
    if len(value) > limit:
        raise ApiError(
            400,
            "field_too_long",
            f"{label} is longer than {limit} characters",
            hint=f"shorten it to at most {limit} characters",
        )
    if not is_storable(value):
        raise bad_request(f"{label} holds characters the registry cannot store (NUL or broken Unicode)")
    if required and not value.strip():
        raise bad_request(f"{label} is required")
    return value


T = TypeVar("T")


class FormProblems(Exception):
    """Every problem of a form, by field, so a page shows them all at once rather than one per
    submit. Raised when there is any; the answer's status is 409 when each is a conflict
    (a taken name), else 400."""

    def __init__(self) -> None:
        super().__init__("the form has problems")
        #: Field name -> the problem, as a sentence or two (error_text).
        self.by_field: dict[str, str] = {}
        self._statuses: list[int] = []

    def __bool__(self) -> bool:
        return bool(self.by_field)

    @property
    def status(self) -> int:
        return 409 if self._statuses and all(s == 409 for s in self._statuses) else 400

    def add(self, name: str, e: ApiError) -> None:
        """Record `e` for field `name` (the first problem of a field is the one shown)."""
        if name not in self.by_field:
            self.by_field[name] = error_text(e)
            self._statuses.append(e.status)

    def check(self, name: str, read: Callable[[], T]) -> T | None:
        """`read()`, or None with its refusal recorded for field `name` (429 and 5xx are not
        about the form: they propagate)."""
        try:
            return read()
        except ApiError as e:
            if e.status >= 500 or e.status == 429:
                raise
            self.add(name, e)
            return None


def error_text(e: ApiError) -> str:
    """An error as one sentence or two for beside a form: the message, then what to do."""
    return " ".join(_sentence(part) for part in (e.message, e.hint) if part)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def whole_number(name: str, label: str, *, low: int, high: int, default: int | None = None) -> int:
    raw = field(name, label, limit=10).strip()
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{label} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise bad_request(f"{label} must be a whole number from {low} to {high}")
    return value


def local_target(value: str, default: str) -> str:
    """`value` if it is a path on this site (where to go after logging in), else `default`.

    Anything with a scheme, a host, `//` or a backslash could send the user elsewhere.
    """
    if not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return default
    return value
