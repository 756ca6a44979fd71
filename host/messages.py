"""The Messages API through the `anthropic` SDK: configuration, retries, errors in words.

Both the agent loop and the `llm` capability talk to Claude through this module, which
sits below both of them.

`ANTHROPIC_API_KEY` is required; `ANTHROPIC_BASE_URL` points the client elsewhere (a
proxy, or the tests' scripted server). The SDK's own retries are off: acc retries rate
limits (429) and overload (529, 503) itself, honouring `retry-after` within the run's
wall-time budget, so every wait is visible and goes into the transcript. Anything else
the API answers is a clear `AgentError`, never a traceback.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from host.errors import AgentError

#: The model when neither the agent's settings nor a plugin's request names one. It lives
#: here, below both the agent loop and the llm capability, which both use it.
DEFAULT_MODEL = "claude-sonnet-4-5"

RETRY_STATUSES = {429, 503, 529}


class OutOfTime(AgentError):
    """The run's wall-time budget ran out while a request was in flight: a budget, not a failure."""


MAX_RETRY_AFTER_SECONDS = 60.0


@dataclass(frozen=True)
class ApiSettings:
    api_key: str
    base_url: str | None
    retries: int = 4
    timeout_seconds: float = 600.0


def api_settings(environ: Mapping[str, str], retries: int = 4) -> ApiSettings:
    key = environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        raise AgentError(
            "ANTHROPIC_API_KEY is not set: the agent needs an Anthropic API key",
            hint="export ANTHROPIC_API_KEY=... (from console.anthropic.com); ANTHROPIC_BASE_URL "
            "points acc at another endpoint",
        )
    return ApiSettings(api_key=key, base_url=environ.get("ANTHROPIC_BASE_URL") or None, retries=retries)


class MessagesClient:
    """`create(**request)` with acc's retries; `on_retry(status, wait_seconds, attempt)` is told of each wait."""

    def __init__(
        self,
        settings: ApiSettings,
        on_retry: Callable[[int, float, int], None] = lambda *_: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import anthropic

        self._anthropic = anthropic
        self._client = anthropic.Anthropic(
            api_key=settings.api_key, base_url=settings.base_url, max_retries=0, timeout=settings.timeout_seconds
        )
        self.settings = settings
        self._on_retry = on_retry
        self._sleep = sleep

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def create(self, deadline: float, **request: Any) -> Any:
        """One Messages request, retried as the API asks; never waits past `deadline` (monotonic)."""
        anthropic = self._anthropic
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OutOfTime("the run's wall-time budget ran out")
            # The request itself is cut at the deadline, so a slow answer cannot overrun the budget.
            bounded = remaining < self.settings.timeout_seconds
            client = self._client.with_options(timeout=remaining) if bounded else self._client
            try:
                return client.messages.create(**request)
            except anthropic.APITimeoutError as e:
                if bounded:
                    raise OutOfTime("the run's wall-time budget ran out while waiting for the model") from e
                if attempt >= self.settings.retries:
                    raise AgentError(
                        f"the Messages API at {self.base_url} did not answer within "
                        f"{self.settings.timeout_seconds:g} s",
                        hint="try again later",
                    ) from e
                status, wait = 0, _backoff(attempt)
            except anthropic.APIStatusError as e:
                status = e.status_code
                if status not in RETRY_STATUSES or attempt >= self.settings.retries:
                    raise _api_error(e, attempt) from e
                wait = _retry_after(e.response.headers, attempt)
            except anthropic.APIConnectionError as e:
                if attempt >= self.settings.retries:
                    raise AgentError(
                        f"cannot reach the Messages API at {self.base_url} ({e.__cause__ or e})",
                        hint="check the network, or ANTHROPIC_BASE_URL",
                    ) from e
                status, wait = 0, _backoff(attempt)
            if time.monotonic() + wait > deadline:
                raise AgentError(
                    f"the Messages API asked to wait {wait:.0f} s ({_status_text(status)}), past the "
                    "run's wall-time budget",
                    hint="try again later, or raise --max-seconds",
                )
            attempt += 1
            self._on_retry(status, wait, attempt)
            self._sleep(wait)


def _retry_after(headers: Mapping[str, str], attempt: int) -> float:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: fall back to backoff
        if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS:
            return seconds
    return _backoff(attempt)


def _backoff(attempt: int) -> float:
    return min(0.5 * 2.0**attempt, 16.0) * (0.75 + random.random() / 2)  # jitter: not a secret


def _status_text(status: int) -> str:
    return {0: "connection failed", 429: "rate limited", 503: "unavailable", 529: "overloaded"}.get(
        status, f"HTTP {status}"
    )


def _api_error(error: Any, attempt: int) -> AgentError:
    status = error.status_code
    message = _message(error)
    tries = f" after {attempt + 1} attempts" if attempt else ""
    if status == 401:
        return AgentError(f"the Messages API refused the API key (401: {message})", hint="check ANTHROPIC_API_KEY")
    if status == 403:
        return AgentError(
            f"the Messages API refused the request (403: {message})",
            hint="the key may not have access to this model or feature",
        )
    if status in RETRY_STATUSES:
        return AgentError(
            f"the Messages API is {_status_text(status)} ({status}: {message}){tries}", hint="try again later"
        )
    if 400 <= status < 500:
        return AgentError(
            f"the Messages API rejected the request ({status}: {message})",
            hint="check --model; the transcript (--transcript FILE) has the request",
        )
    return AgentError(f"the Messages API failed ({status}: {message}){tries}", hint="try again later")


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:500]
    return str(getattr(error, "message", error))[:500]
