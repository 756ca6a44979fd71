"""deps: the plugin's commands (the manifest's `module`), the project, OSV and the kv cache
handed to `acc_deps`."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import acc_plugin
from acc_deps import ops
from acc_deps.osv import DEFAULT_API
from acc_plugin import Denied, Invalid


def _root() -> str:
    if acc_plugin.config.get("project") is None:
        raise Denied(
            "deps reads the project's dependency files through its fs capability, and no project is mounted: "
            "grant it with `acc plugin grant deps fs` and run with --project DIR"
        )
    return acc_plugin.PROJECT


def _transport(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    response = acc_plugin.http.fetch(url, method=method, headers=headers, body=body)
    return response.status, response.headers, response.body


def _base_url(value: str | None) -> str:
    """Checked for shape only: the host's http grant decides which hosts are reached."""
    if value is None:
        return DEFAULT_API
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc or parts.query:
        raise Invalid(f"base_url {value!r} must be an http(s) URL such as {DEFAULT_API}, without user info or query")
    return value.rstrip("/")


def _cache() -> Any:
    # Asked before using kv: a plugin without the kv grant audits without a cache.
    return acc_plugin.kv if "kv" in acc_plugin.config.get("granted", ()) else None


@acc_plugin.command("list")
def list_(paths: list[str] | None = None, include_transitive: bool = True) -> dict[str, Any]:
    return ops.list_dependencies(_root(), paths, include_transitive)


@acc_plugin.command("check")
def check(paths: list[str] | None = None, fail_on_unpinned: bool = False) -> dict[str, Any]:
    return ops.check(_root(), paths, fail_on_unpinned)


@acc_plugin.command("audit")
def audit(
    paths: list[str] | None = None,
    max_age_hours: float = 24,
    refresh: bool = False,
    base_url: str | None = None,
) -> dict[str, Any]:
    return ops.audit(
        _root(),
        _transport,
        _cache(),
        time.time,
        paths=paths,
        base_url=_base_url(base_url),
        max_age_hours=max_age_hours,
        refresh=refresh,
    )
