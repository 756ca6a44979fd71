"""Known vulnerabilities from OSV (https://osv.dev), with answers cached. Pure but for the
transport and the cache the caller gives.

One `POST /v1/querybatch` asks for many (package, version) pairs at once and answers
with vulnerability ids; each id's details come from `GET /v1/vulns/ID`. Both are cached
(the plugin's kv store): ids per package version and details per id, each with the time
it was fetched, trusted for `max_age` seconds. What OSV answers is untrusted: shapes are
checked, strings cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from acc_plugin import Failed, Invalid, LimitExceeded, PluginError

from acc_deps.pep508 import normalise

Transport = Callable[[str, str, dict[str, str], bytes], tuple[int, list[tuple[str, str]], bytes]]

DEFAULT_API = "https://api.osv.dev"
ECOSYSTEM = "PyPI"
BATCH = 1000
MAX_PAGES = 10
MAX_DETAILS = 500
_TEXT = 500


class Cache(Protocol):
    def get_json(self, key: str, default: Any = None) -> Any: ...

    def set_json(self, key: str, value: Any) -> None: ...


@dataclass
class AuditResult:
    vulnerable: list[dict[str, Any]] = field(default_factory=list)
    audited: int = 0
    from_cache: int = 0
    queried: int = 0
    details_fetched: int = 0
    details_missing: list[str] = field(default_factory=list)
    cache_errors: int = 0


class Osv:
    def __init__(
        self,
        base_url: str,
        transport: Transport,
        cache: Cache | None,
        now: Callable[[], float],
        max_age_seconds: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        self.cache = cache
        self.now = now
        self.max_age = max_age_seconds
        self.cache_errors = 0

    # -- the audit ----------------------------------------------------------------------------------

    def audit(self, packages: list[tuple[str, str]], *, refresh: bool = False) -> AuditResult:
        result = AuditResult()
        unique = sorted({(normalise(name), version): name for name, version in packages}.items())
        ids: dict[tuple[str, str], list[str]] = {}
        to_query: list[tuple[str, str]] = []
        for (key, version), _ in unique:
            cached = None if refresh else self._cached(f"osv:q:{ECOSYSTEM}:{key}:{version}")
            if cached is not None and isinstance(cached.get("ids"), list):
                ids[(key, version)] = [str(i) for i in cached["ids"]]
                result.from_cache += 1
            else:
                to_query.append((key, version))
        for start in range(0, len(to_query), BATCH):
            chunk = to_query[start : start + BATCH]
            for pair, found in zip(chunk, self._query_batch(chunk), strict=True):
                ids[pair] = found
                self._store(f"osv:q:{ECOSYSTEM}:{pair[0]}:{pair[1]}", {"ids": found})
        result.queried = len(to_query)
        result.audited = len(unique)
        details: dict[str, dict[str, Any]] = {}
        needed = sorted({i for found in ids.values() for i in found})
        for vuln_id in needed:
            if len(details) >= MAX_DETAILS:
                result.details_missing.append(vuln_id)
                continue
            cached = None if refresh else self._cached(f"osv:v:{vuln_id}")
            if cached is not None and isinstance(cached.get("vuln"), dict):
                details[vuln_id] = cached["vuln"]
                continue
            raw = self._get_vuln(vuln_id)
            result.details_fetched += 1
            details[vuln_id] = raw
            self._store(f"osv:v:{vuln_id}", {"vuln": raw})
        names = dict(unique)
        for (key, version), found in sorted(ids.items()):
            if found:
                result.vulnerable.append(
                    {
                        "name": names[(key, version)],
                        "version": version,
                        "vulnerabilities": [shape(details[i], key) if i in details else {"id": i} for i in found],
                    }
                )
        result.cache_errors = self.cache_errors
        return result

    # -- OSV's API -----------------------------------------------------------------------------------

    def _query_batch(self, pairs: list[tuple[str, str]]) -> list[list[str]]:
        queries: list[dict[str, Any]] = [
            {"package": {"name": key, "ecosystem": ECOSYSTEM}, "version": version} for key, version in pairs
        ]
        found: list[list[str]] = [[] for _ in pairs]
        pending = list(range(len(pairs)))
        for _ in range(MAX_PAGES):
            if not pending:
                break
            body = self._post("/v1/querybatch", {"queries": [queries[i] for i in pending]})
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(results, list) or len(results) != len(pending):
                raise Failed("OSV's querybatch answer does not have one result per query")
            still: list[int] = []
            for index, item in zip(pending, results, strict=True):
                vulns = item.get("vulns") if isinstance(item, dict) else None
                for vuln in vulns if isinstance(vulns, list) else []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        found[index].append(vuln["id"][:100])
                token = item.get("next_page_token") if isinstance(item, dict) else None
                if isinstance(token, str) and token:
                    queries[index] = {**queries[index], "page_token": token}
                    still.append(index)
            pending = still
        return [sorted(set(ids)) for ids in found]

    def _get_vuln(self, vuln_id: str) -> dict[str, Any]:
        body = self._request("GET", f"/v1/vulns/{quote(vuln_id, safe='')}", None)
        if not isinstance(body, dict):
            raise Failed(f"OSV's answer for {vuln_id} is not an object")
        return body

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._request("POST", path, payload)

    def _request(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        headers = {"Accept": "application/json", "User-Agent": "acc-deps-plugin/1"}
        body = b""
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        status, _, data = self.transport(method, self.base_url + path, headers, body)
        if status == 429:
            raise LimitExceeded("OSV's rate limit was reached: try again in a minute")
        if status == 400:
            raise Invalid(f"OSV refused {method} {path}: {_text(data)}")
        if status >= 400:
            raise Failed(f"OSV answered {method} {path} with status {status}: {_text(data)}")
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise Failed(f"OSV's answer to {method} {path} is not JSON") from None

    # -- the cache -----------------------------------------------------------------------------------

    def _cached(self, key: str) -> dict[str, Any] | None:
        if self.cache is None:
            return None
        try:
            entry = self.cache.get_json(key)
        except (PluginError, ValueError):
            self.cache_errors += 1
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("at"), int | float):
            return None
        return entry if self.now() - entry["at"] <= self.max_age else None

    def _store(self, key: str, value: dict[str, Any]) -> None:
        if self.cache is None:
            return
        try:
            self.cache.set_json(key, {**value, "at": self.now()})
        except PluginError:  # quota full or kv denied: the audit still stands
            self.cache_errors += 1


def shape(vuln: dict[str, Any], package_key: str) -> dict[str, Any]:
    """One OSV record, cut to what a reader needs, with the versions that fix `package_key`."""
    vuln_id = str(vuln.get("id", ""))[:100]
    database = vuln.get("database_specific") if isinstance(vuln.get("database_specific"), dict) else {}
    scores = [s for s in vuln.get("severity") or [] if isinstance(s, dict)]
    fixed: list[str] = []
    for affected in vuln.get("affected") or []:
        package = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(package, dict) or normalise(str(package.get("name", ""))) != package_key:
            continue
        for range_ in affected.get("ranges") or []:
            for event in range_.get("events") or [] if isinstance(range_, dict) else []:
                if isinstance(event, dict) and isinstance(event.get("fixed"), str):
                    fixed.append(event["fixed"][:50])
    return {
        "id": vuln_id,
        "summary": _cut(vuln.get("summary") or _first_line(vuln.get("details"))),
        "aliases": [str(a)[:100] for a in vuln.get("aliases") or []][:20],
        "severity": str(database.get("severity"))[:20] if database.get("severity") else None,
        "cvss": str(scores[0].get("score"))[:200] if scores else None,
        "fixed_in": sorted(set(fixed)),
        "published": vuln.get("published"),
        "modified": vuln.get("modified"),
        "url": f"https://osv.dev/vulnerability/{quote(vuln_id, safe='')}",
    }


def _first_line(text: Any) -> str:
    return text.strip().splitlines()[0] if isinstance(text, str) and text.strip() else ""


def _cut(text: Any) -> str:
    value = str(text or "")
    return value if len(value) <= _TEXT else value[:_TEXT] + "…"


def _text(data: bytes) -> str:
    return _cut(data.decode("utf-8", "replace").replace("\n", " "))
