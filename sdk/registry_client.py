"""A small HTTP client for the registry's write API (publish, yank, deprecate).

Uses only the standard library: publishing must not pull in a web framework. Responses
are size-capped and every error is turned into an `AccError` carrying the registry's
own message and hint.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from sdk.errors import AccError

DEFAULT_REGISTRY = "http://127.0.0.1:8080"
MAX_RESPONSE_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 300.0  # a first publish compiles the component on the server


class RegistryError(AccError):
    """The registry refused a request or could not be reached."""

    def __init__(self, message: str, *, hint: str | None = None, status: int = 0, code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Registry:
    """The write API of one registry, used as the publisher whose API token this is."""

    url: str  # the base URL, without a trailing slash
    token: str

    @classmethod
    def at(cls, url: str | None, token: str) -> Registry:
        """The registry at `url` (default: DEFAULT_REGISTRY); `RegistryError` for what is not
        an http(s) URL with a host (before anything is sent)."""
        return cls(check_registry_url(url or DEFAULT_REGISTRY), token)

    def web_url(self, name: str) -> str:
        """The web page of plugin `name` on this registry."""
        return f"{self.url}/plugins/{quote(name)}"

    def publish(self, archive: Path, signature: Path, signature_kind: str) -> dict[str, Any]:
        """Upload an archive with its signature ("ed25519" or "sigstore" bundle); the registry's answer."""
        files = {"archive": (archive.name, archive.read_bytes()), "signature": (signature.name, signature.read_bytes())}
        _, body = request_json(
            "POST",
            f"{self.url}/api/v1/plugins",
            token=self.token,
            multipart=files,
            fields={"signature_kind": signature_kind},
        )
        return body

    def yank(self, name: str, version: str, reason: str) -> None:
        request_json("POST", self._yank_url(name, version), token=self.token, body={"reason": reason})

    def unyank(self, name: str, version: str) -> None:
        request_json("DELETE", self._yank_url(name, version), token=self.token)

    def deprecate(self, name: str, message: str) -> None:
        request_json("POST", self._deprecate_url(name), token=self.token, body={"message": message})

    def undeprecate(self, name: str) -> None:
        request_json("DELETE", self._deprecate_url(name), token=self.token)

    def _yank_url(self, name: str, version: str) -> str:
        return f"{self.url}/api/v1/plugins/{quote(name)}/versions/{quote(version)}/yank"

    def _deprecate_url(self, name: str) -> str:
        return f"{self.url}/api/v1/plugins/{quote(name)}/deprecate"


def check_registry_url(url: str) -> str:
    """`url` without a trailing slash, if it is an http(s) URL with a host and nothing else."""
    hint = "give the registry's base URL, e.g. https://plugins.example.com or http://127.0.0.1:8080"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as e:
        raise RegistryError(f"{url!r} is not a registry URL ({e})", hint=hint) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RegistryError(f"{url!r} is not a registry URL", hint=hint)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise RegistryError(f"{url!r}: a registry URL has no query, fragment or credentials", hint=hint)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def request_json(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: dict[str, Any] | None = None,
    multipart: dict[str, tuple[str, bytes]] | None = None,
    fields: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept": "application/json", "User-Agent": "acc"}
    data: bytes | None = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if multipart is not None:
        boundary = "acc-" + secrets.token_hex(16)
        data = _multipart(boundary, multipart, fields or {})
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _parse(response.read(MAX_RESPONSE_BYTES + 1), url)
    except urllib.error.HTTPError as e:
        payload = _parse(e.read(MAX_RESPONSE_BYTES + 1), url, strict=False)
        raw_error = payload.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        message = str(error.get("message") or f"the registry answered {e.code} {e.reason}")
        raise RegistryError(message, hint=error.get("hint"), status=e.code, code=str(error.get("code", ""))) from e
    except urllib.error.URLError as e:
        uploading = data is not None and len(data) > 1024 * 1024
        if isinstance(e.reason, BrokenPipeError | ConnectionResetError) and uploading:
            raise RegistryError(
                f"the registry at {url} closed the connection during the upload",
                hint="the upload may be over the registry's size limit; "
                "check the archive size and the registry's max_upload_bytes",
            ) from e
        raise RegistryError(
            f"cannot reach the registry at {url}: {e.reason}",
            hint="check --registry (or ACC_REGISTRY_URL) and that the registry is running",
        ) from e
    except TimeoutError as e:
        raise RegistryError(f"the registry at {url} did not answer in {TIMEOUT_SECONDS:.0f} s") from e


def _parse(raw: bytes, url: str, *, strict: bool = True) -> dict[str, Any]:
    if len(raw) > MAX_RESPONSE_BYTES:
        raise RegistryError(f"the registry at {url} sent an oversized response")
    try:
        value = json.loads(raw)
    except ValueError:
        if not strict:
            return {}
        raise RegistryError(f"{url} did not answer with JSON: is it an acc registry?") from None
    return value if isinstance(value, dict) else {}


def _multipart(boundary: str, files: dict[str, tuple[str, bytes]], fields: dict[str, str]) -> bytes:
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)
