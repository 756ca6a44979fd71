"""How the pages present a plugin's capabilities: what each means, and which deserve a warning.

Every word comes from the capability kinds (`sdk.capabilities`: meaning, scope summary,
risk) and the consent prompt's warnings (`host.consent.capability_warnings`), so the web
page and `acc plugin install` say the same thing about the same scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.capabilities.diff import diff_capabilities
from sdk.capabilities.kind import Change
from sdk.manifest import load_manifest


@dataclass(frozen=True)
class CapabilityView:
    kind: str
    meaning: str
    scope: str
    reason: str
    high_risk: bool
    warnings: tuple[str, ...] = ()


def capability_views(manifest_text: str) -> list[CapabilityView]:
    """The capabilities a version's manifest declares, riskiest first."""
    from host.consent import capability_warnings

    manifest = load_manifest(manifest_text, check_schemas=False)
    views = []
    for kind, capability in manifest.capabilities.items():
        warnings = capability_warnings(capability)
        views.append(
            CapabilityView(
                kind=kind,
                meaning=capability.meaning,
                scope=capability.scope_summary(),
                reason=capability.reason,
                high_risk=capability.high_risk or bool(warnings),
                warnings=warnings,
            )
        )
    return sorted(views, key=lambda v: (not v.high_risk, v.kind))


def widening(previous_manifest: str | None, manifest_text: str) -> tuple[Change, ...]:
    """How a version's capabilities differ from the version before it (none for the first)."""
    if previous_manifest is None:
        return ()
    old = load_manifest(previous_manifest, check_schemas=False).capabilities
    return diff_capabilities(old, load_manifest(manifest_text, check_schemas=False).capabilities).changes
