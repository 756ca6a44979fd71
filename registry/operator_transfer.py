"""What `acc registry plugin transfer` does: give a plugin to another account.

Publish rights follow `plugins.owner_id` and the collaborators table
(registry.accounts.may_publish, asked by every publish, yank and deprecation), and only the
owner may manage collaborators (registry.community), so moving the owner moves those rights.
The old owner stays a collaborator unless told otherwise: their tokens, including ones
limited to this plugin, still publish and yank it, but no longer manage its collaborators;
dropped, those tokens act on it no more. The new owner's tokens that are not limited to
named plugins act on it at once.

The plugin's signed index target names its owner, so the transfer re-signs it (a TUF
metadata transaction, like a yank). Versions already published keep their signatures and
signers; users who update to a version signed by the new owner's key are asked about the
new signer by their client, as for any change of signer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from registry.accounts import get_user
from registry.audit import audit
from registry.config import RegistryConfig
from registry.errors import ApiError, not_found
from registry.models import Collaborator, Plugin, utcnow
from registry.notify import notify_security_change
from registry.operator import opened
from registry.publish import write_index


@dataclass(frozen=True)
class TransferResult:
    plugin: str
    old_owner: str
    new_owner: str
    #: False when NEW_OWNER already owned the plugin (nothing changed).
    changed: bool
    old_owner_kept: bool


def transfer_plugin(
    config: RegistryConfig, plugin_name: str, new_owner: str, *, keep_old_owner: bool
) -> TransferResult:
    """Make `new_owner` the owner of `plugin_name`; the old owner becomes a collaborator
    unless `keep_old_owner` is False. Transferring to the current owner changes nothing."""
    with opened(config) as registry, registry.metadata_transaction() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == plugin_name)).scalar_one_or_none()
        if plugin is None:
            raise not_found(f"no plugin named {plugin_name!r}")
        receiver = get_user(session, new_owner)
        giver = plugin.owner
        if giver.id == receiver.id:
            return TransferResult(plugin_name, giver.name, new_owner, changed=False, old_owner_kept=True)
        if receiver.disabled_at is not None:
            raise ApiError(
                409,
                "account_disabled",
                f"{new_owner}'s account is disabled: a plugin cannot be given to it",
                hint=f"enable it first (`acc registry user enable {new_owner}`), or choose another account",
            )
        # The new owner is no longer also a collaborator; the old one becomes one if kept.
        plugin.collaborators = [c for c in plugin.collaborators if c.user_id != receiver.id]
        if keep_old_owner:
            plugin.collaborators.append(Collaborator(plugin_id=plugin.id, user_id=giver.id))
        plugin.owner = receiver
        plugin.owner_id = receiver.id
        session.flush()
        write_index(registry, session, plugin, {}, utcnow())
        audit(
            session,
            "operator",
            "transfer_plugin",
            plugin_name,
            "local",
            old_owner=giver.name,
            new_owner=new_owner,
            old_owner_kept=keep_old_owner,
        )
        kept = (
            " You stay a collaborator: you can still publish and yank it, but no longer manage its collaborators."
            if keep_old_owner
            else " You can no longer publish or yank it, with any token."
        )
        notify_security_change(
            session,
            registry.mailer,
            giver,
            "plugin_transferred",
            f"The registry's operator transferred your plugin {plugin_name} to the account {new_owner}.{kept}",
            config.public_url,
        )
        notify_security_change(
            session,
            registry.mailer,
            receiver,
            "plugin_transferred",
            f"The registry's operator transferred the plugin {plugin_name} to you from {giver.name}: you own it "
            "now, and your API tokens that are not limited to named plugins can publish it.",
            config.public_url,
        )
        return TransferResult(plugin_name, giver.name, new_owner, changed=True, old_owner_kept=keep_old_owner)
