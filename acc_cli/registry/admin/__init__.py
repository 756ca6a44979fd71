"""`acc registry admin`: who may moderate (grant, revoke, list); the moderating itself is
`acc registry moderate` and the web page /admin/moderation."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "grant": ("acc_cli.registry.admin.grant:grant", "Make the account NAME an admin (a moderator)."),
        "revoke": ("acc_cli.registry.admin.revoke:revoke", "Take the admin role from the account NAME."),
        "list": ("acc_cli.registry.admin.list:list_admins", "List the admins."),
    },
)
def admin() -> None:
    """Manage admins: the accounts that may moderate."""
