"""Checks of what a caller gives: repositories, numbers, branch names, the API's base URL. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from acc_plugin import Invalid

DEFAULT_API = "https://api.github.com"
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = re.compile(rf"({_OWNER})/([A-Za-z0-9._-]{{1,100}})")
# git's check-ref-format rules that matter for a branch name sent in JSON: no spaces or
# control characters, no "..", no leading "-", no trailing ".lock" or "/".
_BRANCH_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")


def repository(value: str) -> tuple[str, str]:
    """`owner/name` split in two, or Invalid."""
    match = _REPO.fullmatch(value or "")
    if not match or match[2] in (".", ".."):
        raise Invalid(f"repo {value!r} is not owner/name, such as 'octocat/hello-world'")
    return match[1], match[2]


def branch(value: str, what: str) -> str:
    """A branch name, optionally `owner:branch` for a fork's branch (head only)."""
    name = value.split(":", 1)[1] if ":" in value and what == "head" else value
    owner = value.split(":", 1)[0] if ":" in value and what == "head" else None
    if owner is not None and not re.fullmatch(_OWNER, owner):
        raise Invalid(f"{what} {value!r}: {owner!r} is not a GitHub user or organisation name")
    if (
        not name
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".lock", "."))
        or _BRANCH_BAD.search(name)
        or len(name) > 255
    ):
        raise Invalid(f"{what} {value!r} is not a valid branch name")
    return value


def base_url(value: str | None) -> str:
    """The API's base URL without a trailing slash. It is checked for shape only: the
    host's http grant decides which hosts may be reached (api.github.com unless the
    user's grant says more), so this cannot widen what the plugin reaches."""
    if value is None:
        return DEFAULT_API
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid(f"base_url {value!r} must be an http(s) URL such as {DEFAULT_API}")
    if parts.username or parts.password or "@" in parts.netloc:
        raise Invalid("base_url must not carry user info: the token is sent in a header")
    if parts.query or parts.fragment:
        raise Invalid("base_url must not have a query or a fragment")
    return value.rstrip("/")
