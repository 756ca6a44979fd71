"""`acc registry`: run a marketplace registry (init, serve, migrate, renew, seed, backup, restore)
and manage its publishers (user, token, key and plugin sub-groups; the audit log). Flask and
SQLAlchemy are imported only by the commands that need them."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        "init": ("acc_cli.registry.init:init", "Create a registry: data directory, database, TUF keys and root."),
        "serve": ("acc_cli.registry.serve:serve", "Serve the registry with gunicorn."),
        "migrate": (
            "acc_cli.registry.migrate:migrate",
            "Upgrade the registry's database schema to this version of acc.",
        ),
        "renew": ("acc_cli.registry.renew:renew", "Re-sign ROLE (root or targets) metadata for another expiry period."),
        "rotate": (
            "acc_cli.registry.rotate:rotate",
            "Give a TUF role new keys (root, targets, snapshot, timestamp or bins).",
        ),
        "seed": ("acc_cli.registry.seed:seed", "Build, sign and publish the official plugins (idempotent)."),
        "refresh": ("acc_cli.registry.refresh:refresh", "Re-sign expiring metadata and prune old versions."),
        "cleanup": (
            "acc_cli.registry.cleanup:cleanup",
            "Remove leftovers of interrupted publishes, expired sessions and links.",
        ),
        "backup": (
            "acc_cli.registry.backup:backup",
            "Back up the registry (database, TUF metadata, blobs) into one file.",
        ),
        "restore": (
            "acc_cli.registry.restore:restore",
            "Restore a backup into an empty data directory and database.",
        ),
        "user": ("acc_cli.registry.user:user", "Manage publisher accounts."),
        "token": ("acc_cli.registry.token:token", "Manage API tokens."),
        "key": ("acc_cli.registry.key:key", "Manage publishers' signing keys."),
        "plugin": ("acc_cli.registry.plugin:plugin", "Manage published plugins (transfer)."),
        "audit": ("acc_cli.registry.audit:audit", "Show or export the audit log."),
        "admin": ("acc_cli.registry.admin:admin", "Manage admins: the accounts that may moderate."),
        "moderate": ("acc_cli.registry.moderate:moderate", "Moderate: abuse reports, reviews and take-downs."),
    },
)
def registry() -> None:
    """Run a marketplace registry: init, serve, users, tokens, keys, plugins, the audit log."""
