"""Errors and warnings of the confinement package.

AccError
└── ConfinementUnavailable   no OS sandbox can run here, so no program may be launched
UserWarning
└── UnconfinedWarning        the user chose to launch programs without a sandbox
"""

from __future__ import annotations

from sdk.errors import AccError


class ConfinementUnavailable(AccError):
    """No confinement mechanism works on this system; the `process` capability is refused."""


class UnconfinedWarning(UserWarning):
    """Programs are launched without an OS sandbox, because the user said so."""
