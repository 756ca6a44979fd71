"""The registry's errors, all under one base, `RegistryError` (an `sdk.errors.AccError`).

    AccError                  message + hint (what to do next)
    └── RegistryError         the registry refused or could not do something
        ├── ApiError          a refusal a client can act on: an HTTP status and a stable code;
        │   │                 the API answers {"error": {"code", "message", "hint"}}, browsers
        │   │                 get the same as a page (registry/web/error_page.py)
        │   └── FormError     every refusal of one web form, by field, shown beside the fields
        ├── ConfigError       a registry setting is missing or malformed (registry/config.py)
        ├── RepositoryError   the TUF repository cannot be created, loaded or signed
        ├── SeedError         an official plugin could not be built or published (`acc registry seed`)
        └── BackupError       a backup cannot be made, or a backup is refused or cannot be restored

`bad_request`, `unauthorized`, `forbidden`, `not_found` and `conflict` build the ApiErrors
of the common statuses. Foreign errors are wrapped where they enter (`raise ApiError(...)
from e`); anything else a request raises becomes a 500 `internal_error` (registry/app.py).
"""

from __future__ import annotations

from typing import Any

from sdk.errors import AccError


class RegistryError(AccError):
    """Something the registry refused or could not do."""


class ApiError(RegistryError):
    """A refusal the client can act on. `code` is stable; `message` and `hint` are for people."""

    def __init__(
        self, status: int, code: str, message: str, *, hint: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of the API's answer: one shape for every error."""
        return {"error": {"code": self.code, "message": self.message, "hint": self.hint}}


class FormError(ApiError):
    """Every refusal of one web form at once, by field (registry/web/forms.py FormProblems), so
    the page shows them all rather than one per submit."""

    def __init__(self, status: int, by_field: dict[str, str]) -> None:
        super().__init__(status, "form_invalid", "the form has problems", hint="correct the fields marked")
        #: Field name -> the problem, as a sentence or two.
        self.by_field = by_field


class ConfigError(RegistryError):
    """A registry setting is missing or malformed."""


class RepositoryError(RegistryError):
    """The TUF repository cannot be created, loaded or signed."""


class SeedError(RegistryError):
    """An official plugin could not be built or published."""


class BackupError(RegistryError):
    """A backup cannot be made, or a backup is refused (untrusted input) or cannot be restored."""


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
