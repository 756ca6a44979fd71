"""Consent: deciding which declared capabilities a plugin is granted.

A grant is per capability kind and covers the scope the manifest declares (its
programs, hosts, access mode...). Absent means denied. A plugin can only ever be granted
what its manifest declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from host.errors import StoreError
from sdk.manifest import Capability, Manifest

AskFn = Callable[[Capability], bool]


def decide_grants(
    manifest: Manifest,
    *,
    grant: Iterable[str] = (),
    deny: Iterable[str] = (),
    yes: bool = False,
    ask: AskFn | None = None,
) -> frozenset[str]:
    """Answer each declared capability: --grant/--deny first, then --yes, then ask.

    Without an answer for a capability (no flag, no --yes, no terminal to ask on) the
    install is refused rather than guessed: silence is not consent.
    """
    grant, deny = set(grant), set(deny)
    for kind in sorted(grant | deny):
        if kind not in manifest.capabilities:
            declared = ", ".join(sorted(manifest.capabilities)) or "none"
            raise StoreError(
                f"{manifest.name} does not declare the {kind} capability (it declares: {declared})",
                hint="a plugin can only be granted what its plugin.toml declares",
            )
    both = grant & deny
    if both:
        raise StoreError(f"--grant and --deny both name {sorted(both)[0]}")
    granted: set[str] = set()
    for kind, capability in sorted(manifest.capabilities.items()):
        if kind in grant:
            granted.add(kind)
        elif kind in deny:
            continue
        elif yes:
            granted.add(kind)
        elif ask is not None:
            if ask(capability):
                granted.add(kind)
        else:
            raise StoreError(
                f"{manifest.name} requests the {kind} capability ({capability.scope_summary()}) "
                "and there is no terminal to ask",
                hint="answer for scripts with --yes, or --grant/--deny per capability",
            )
    return frozenset(granted)


def describe_capability(capability: Capability) -> str:
    """One line for a consent prompt: what it allows, and the author's reason."""
    warning = ""
    if capability.kind == "process" and any(
        p.startswith("python") or p in {"sh", "bash", "node"} for p in capability.programs
    ):
        warning = " [runs an interpreter: this is arbitrary code execution in the project]"
    elif capability.kind == "process" and any(p in {"pytest", "coverage"} for p in capability.programs):
        warning = " [runs the project's tests: the project's own code runs with your permissions]"
    if capability.kind == "fs" and capability.writable:
        warning = " [can change and delete files in the project]"
    return f"{capability.kind}: {capability.scope_summary()}{warning}\n    why: {capability.reason}"
