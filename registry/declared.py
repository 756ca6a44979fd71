"""What a publisher declares about a plugin in plugin.toml beyond what it does: license,
authors, homepage and repository. Read from the stored manifest of a version, so every
version ever published shows them, with no column to keep in step.

The values are the publisher's words, untrusted: pages escape them, and only http(s)
URLs become links (`link`), so a `javascript:` homepage is shown as text, never followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sdk.manifest import load_manifest


@dataclass(frozen=True)
class Declared:
    license: str = ""
    authors: tuple[str, ...] = ()
    homepage: str = ""
    repository: str = ""

    def as_json(self) -> dict[str, Any]:
        """The API's form: an absent value is null (authors: an empty list)."""
        return {
            "license": self.license or None,
            "authors": list(self.authors),
            "homepage": self.homepage or None,
            "repository": self.repository or None,
        }


def declared(manifest_text: str) -> Declared:
    """The declared metadata of a stored (already validated) manifest."""
    manifest = load_manifest(manifest_text, check_schemas=False)
    return Declared(
        license=manifest.license.strip(),
        authors=tuple(a.strip() for a in manifest.authors if a.strip()),
        homepage=manifest.homepage.strip(),
        repository=manifest.repository.strip(),
    )


def link(url: str) -> str | None:
    """`url` if it may be a link on a page (http or https with a host), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname and not any(c.isspace() for c in url):
        return url
    return None
