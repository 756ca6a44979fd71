"""`acc plugin`: one module per command. Users: search, install, update, rollback, lock, list,
info, remove (also `uninstall`, `rm`), enable, disable, grant, revoke, run. Authors: new,
validate, build, dev, keygen, sign, verify, publish, yank, unyank, deprecate."""

from __future__ import annotations

import click

from acc_cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy={
        # plugin users
        "search": ("acc_cli.plugin.search:search", "Search the added marketplaces for plugins."),
        "install": (
            "acc_cli.plugin.install:install",
            "Install NAME[SPEC] from a marketplace, or a signed archive file.",
        ),
        "update": ("acc_cli.plugin.update:update", "Update marketplace plugins (--check only reports)."),
        "rollback": ("acc_cli.plugin.rollback:rollback", "Switch a plugin back to an earlier installed version."),
        "lock": ("acc_cli.plugin.lock:lock", "Write installed marketplace plugins to acc.lock."),
        "list": ("acc_cli.plugin.list:list_plugins", "List installed plugins."),
        "info": ("acc_cli.plugin.info:info", "Show a plugin's capabilities, grants and commands."),
        "remove": ("acc_cli.plugin.remove:remove", "Remove an installed plugin."),
        "enable": ("acc_cli.plugin.enable:enable", "Let a disabled plugin run and be offered as a tool again."),
        "disable": ("acc_cli.plugin.disable:disable", "Keep a plugin installed but stop it running (no tool either)."),
        "grant": ("acc_cli.plugin.grant:grant", "Grant a plugin a capability it declares."),
        "revoke": ("acc_cli.plugin.revoke:revoke", "Revoke a capability from a plugin."),
        "run": ("acc_cli.plugin.run:run", "Run a command of an installed plugin."),
        # plugin authors
        "new": ("acc_cli.plugin.new:new", "Scaffold a new Python plugin."),
        "validate": ("acc_cli.plugin.validate:validate", "Check a plugin's source quickly, without building it."),
        "build": ("acc_cli.plugin.build:build", "Build a plugin into NAME-VERSION.plugin."),
        "dev": ("acc_cli.plugin.dev:dev", "Build and run a plugin from its source, installing nothing."),
        "keygen": ("acc_cli.plugin.keygen:keygen", "Create an Ed25519 signing key pair."),
        "sign": ("acc_cli.plugin.sign:sign", "Sign a plugin archive."),
        "verify": ("acc_cli.plugin.verify:verify", "Verify an archive's Ed25519 signature or Sigstore bundle."),
        "publish": ("acc_cli.plugin.publish:publish", "Upload a signed archive to a registry."),
        "yank": ("acc_cli.plugin.yank:yank", "Yank a published version (with a reason)."),
        "unyank": ("acc_cli.plugin.unyank:unyank", "Undo a yank."),
        "deprecate": ("acc_cli.plugin.deprecate:deprecate", "Deprecate a published plugin with a message."),
    },
    aliases={"uninstall": "remove", "rm": "remove"},
)
def plugin() -> None:
    """Find, install and run plugins; build, sign, verify and publish your own."""
