"""The GitHub REST API over a transport: headers, JSON, paging and errors. Pure but for the transport.

`Transport(method, url, headers, body) -> (status, headers, body)` is the `http`
capability in the component and the host's own http code in tests; the host's grant
decides which hosts a request may reach, before any connection is made (so a token is
never sent anywhere the user did not grant).

GitHub's answers are untrusted: JSON is size-capped by the host, error messages are cut
and stripped of control characters before they reach a terminal or a model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from acc_plugin import Denied, Failed, Invalid, LimitExceeded

Transport = Callable[[str, str, dict[str, str], bytes], tuple[int, list[tuple[str, str]], bytes]]

API_VERSION = "2022-11-28"
USER_AGENT = "acc-github-plugin/1"
_MAX_MESSAGE = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NEXT_LINK = re.compile(r'<[^>]*>\s*;\s*rel="?next"?')


@dataclass
class Page:
    items: list[Any]
    has_more: bool


class GitHub:
    """One repository's view of the API, as one caller (with a token or without)."""

    def __init__(self, base_url: str, token: str | None, transport: Transport) -> None:
        self.base_url = base_url
        self.token = token
        self.transport = transport

    @property
    def authenticated(self) -> bool:
        return self.token is not None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)[0]

    def page(self, path: str, params: dict[str, Any]) -> Page:
        body, headers = self.request("GET", path, params=params)
        if not isinstance(body, list):
            raise Failed(f"GitHub answered {path} with {type(body).__name__}, not a list")
        link = next((v for k, v in headers if k.lower() == "link"), "")
        return Page(body, bool(_NEXT_LINK.search(link)))

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self.request("POST", path, payload=payload)[0]

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, payload: dict[str, Any] | None = None
    ) -> tuple[Any, list[tuple[str, str]]]:
        url = self.base_url + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urlencode(query)
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        headers["User-Agent"] = USER_AGENT
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        body = b""
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        status, response_headers, data = self.transport(method, url, headers, body)
        if status >= 400:
            raise self._error(status, response_headers, data, method, path)
        if status == 204 or not data:
            return None, response_headers
        try:
            return json.loads(data), response_headers
        except (ValueError, UnicodeDecodeError):
            raise Failed(f"GitHub's answer to {method} {path} is not JSON (status {status})") from None

    def _error(self, status: int, headers: list[tuple[str, str]], data: bytes, method: str, path: str) -> Exception:
        message = github_message(data)
        header = {k.lower(): v for k, v in headers}
        where = f"{method} {path}"
        if status == 429 or (status == 403 and header.get("x-ratelimit-remaining") == "0"):
            reset = header.get("x-ratelimit-reset")
            when = f" (it resets at {reset}, seconds since 1970)" if reset else ""
            advice = "" if self.authenticated else "; set GITHUB_TOKEN for a higher limit"
            return LimitExceeded(f"GitHub's rate limit is used up{when}{advice}: {message}")
        if status == 401:
            if self.authenticated:
                return Denied(f"GitHub refused the token ({message}): check GITHUB_TOKEN; it may have expired")
            return Denied(f"GitHub needs a token for {where}: export GITHUB_TOKEN and grant it to the plugin")
        if status == 403:
            return Denied(f"GitHub refused {where}: {message} (does the token have the permission it needs?)")
        if status == 404:
            who = "or the token cannot see it" if self.authenticated else "or it is private: set GITHUB_TOKEN"
            return Invalid(f"GitHub has no {path} ({who}): {message}")
        if status == 422:
            return Invalid(f"GitHub refused {where}: {message}")
        if status >= 500:
            return Failed(f"GitHub had a server error ({status}) on {where}: {message}; try again later")
        return Failed(f"GitHub answered {where} with status {status}: {message}")


def github_message(data: bytes) -> str:
    """GitHub's error message (and the `errors` details of a 422), cut and cleaned."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return clean(data.decode("utf-8", "replace")) or "(no message)"
    if not isinstance(body, dict):
        return "(no message)"
    parts = [str(body.get("message") or "")]
    for detail in body.get("errors") or []:
        if isinstance(detail, dict):
            parts.append(str(detail.get("message") or detail.get("code") or ""))
        elif isinstance(detail, str):
            parts.append(detail)
    return clean("; ".join(p for p in parts if p)) or "(no message)"


def clean(text: str, limit: int = _MAX_MESSAGE) -> str:
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def repo_path(owner: str, name: str, *rest: str | int) -> str:
    """`/repos/OWNER/NAME/...`, each part percent-encoded (a branch may hold '/')."""
    parts = [quote(owner, safe=""), quote(name, safe=""), *(quote(str(p), safe="") for p in rest)]
    return "/repos/" + "/".join(parts)
