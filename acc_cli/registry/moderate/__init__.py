"""`acc registry moderate`: what the admins do on /admin/moderation, for operators without
the web: abuse reports, reviews, take-downs. Each write is audited as "operator"."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "reports": ("acc_cli.registry.moderate.reports:reports", "List the open abuse reports."),
        "close-report": (
            "acc_cli.registry.moderate.close_report:close_report",
            "Close abuse report ID, saying what was done.",
        ),
        "reviews": ("acc_cli.registry.moderate.reviews:reviews", "List recent reviews."),
        "remove-review": (
            "acc_cli.registry.moderate.remove_review:remove_review",
            "Remove USER's review of PLUGIN; its rating is counted again.",
        ),
        "take-down": (
            "acc_cli.registry.moderate.take_down:take_down",
            "Yank every version of PLUGIN and take it out of every listing.",
        ),
        "restore": (
            "acc_cli.registry.moderate.restore:restore",
            "Undo a take-down: un-yank what it yanked, list the plugin again.",
        ),
        "taken-down": ("acc_cli.registry.moderate.taken_down:taken_down", "List the plugins taken down."),
    },
)
def moderate() -> None:
    """Moderate: abuse reports, reviews and take-downs."""
