"""API errors: one stable JSON shape, `{"error": {"code", "message", "hint"}}`, and a status."""

from __future__ import annotations

from typing import Any

from sdk.errors import AccError


class ApiError(AccError):
    """A refusal the client can act on. `code` is stable; `message` and `hint` are for people."""

    def __init__(
        self, status: int, code: str, message: str, *, hint: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "hint": self.hint}}


def bad_request(message: str, *, hint: str | None = None, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, message, hint=hint)


def unauthorized(message: str, *, hint: str | None = None) -> ApiError:
    return ApiError(401, "unauthorized", message, hint=hint, headers={"WWW-Authenticate": 'Bearer realm="acc"'})


def forbidden(message: str, *, hint: str | None = None) -> ApiError:
    return ApiError(403, "forbidden", message, hint=hint)


def not_found(message: str, *, hint: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, hint=hint)


def conflict(message: str, *, hint: str | None = None, code: str = "conflict") -> ApiError:
    return ApiError(409, code, message, hint=hint)
