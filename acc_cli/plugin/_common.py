"""What several `acc plugin` commands share: the consent question asked on a terminal, the
capability lines of an install report, and the wording of an unreachable marketplace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acc_cli.terminal import confirm, echo

if TYPE_CHECKING:
    from host.consent import Question
    from host.store import InstalledPlugin


def ask_on_terminal(question: Question) -> bool:
    """Ask one consent question on the terminal: what it allows, why, then yes or no."""
    echo("  " + question.describe())
    if question.about_signer:
        return confirm("  Trust the new publisher key?")
    return confirm(f"  Grant {question.kind}?")


def echo_capabilities(installed: InstalledPlugin, suffix: str = "") -> None:
    """One line per declared capability: granted or denied, and its scope."""
    for kind, capability in sorted(installed.manifest().capabilities.items()):
        mark = "granted" if kind in installed.granted else "denied"
        echo(f"  {mark:8} {kind}: {capability.scope_summary()}{suffix}")


def offline(
    error: Exception,
    hint: str = "update and rollback check the marketplace's current signed index "
    "first; installed plugins keep working offline (`acc plugin list`, `acc plugin run`)",
    *,
    changed: bool = True,
) -> Exception:
    """An unreachable marketplace, said with what still works offline; other errors unchanged."""
    from host.errors import MarketplaceUnreachable

    if isinstance(error, MarketplaceUnreachable):
        return MarketplaceUnreachable(f"{error.message}: nothing was changed" if changed else error.message, hint=hint)
    return error
