"""The root pin: the sha256 of this registry's first TUF root (1.root.json), and the one
command that adds the marketplace with it (`acc marketplace add URL --name N --root-sha256 H`).

Every later root is verified by the client against the one it pinned, so the first root's
fingerprint is what a user must get from the operator through a channel other than the
marketplace's own metadata: the web pages over HTTPS, and `acc registry init` / `serve`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from host.marketplace.config import default_name
from registry.errors import RepositoryError
from registry.models import TufMetadata


@dataclass(frozen=True)
class RootPin:
    """What a user needs to add this marketplace: its URL, a name for it and its root's sha256."""

    url: str
    name: str
    root_sha256: str

    @property
    def add_command(self) -> str:
        return f"acc marketplace add {self.url} --name {self.name} --root-sha256 {self.root_sha256}"


def first_root_sha256(session: Session) -> str:
    """The sha256 of 1.root.json exactly as /tuf/metadata/1.root.json serves it."""
    data = session.execute(
        select(TufMetadata.data).where(TufMetadata.role == "root", TufMetadata.version == 1)
    ).scalar_one_or_none()
    if data is None:
        raise RepositoryError("the registry has no first root (1.root.json)", hint="run `acc registry init` first")
    return hashlib.sha256(data).hexdigest()


def root_pin(url: str, root_sha256: str) -> RootPin:
    """The pin of the marketplace at `url` (its base URL, as users reach it); it is named after
    its host and port, as `acc marketplace add` names it by default."""
    base = url.strip().rstrip("/")
    return RootPin(url=base, name=default_name(base), root_sha256=root_sha256)
