"""The verified-publisher mark: what a registry records when it has checked who a publisher
is, and the words every client shows for it (the web pages, `acc plugin search/info`).

The registry stores it as one string (users.verified_by), writes it into each of the
publisher's signed plugin indexes (`owner_verified`) and its search results, and clients
parse it here:

    operator              the marketplace's operator verified the publisher
    dns:DOMAIN            the publisher published a token as DNS TXT `_acc-publisher.DOMAIN`
    well-known:DOMAIN     ... or at https://DOMAIN/.well-known/acc-publisher.txt

The mark is the marketplace's statement about an account, not the publisher's: a client
shows it as the marketplace says it. Pure functions, no IO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: How a publisher can be verified (the part before ":" in `verified_by`).
HOW_OPERATOR = "operator"
HOW_DNS = "dns"
HOW_WELL_KNOWN = "well-known"
DOMAIN_PROOFS = (HOW_DNS, HOW_WELL_KNOWN)

MAX_DOMAIN_LENGTH = 253
# Lowercase ASCII labels (IDNs in their xn-- form), at least two, the last not all digits:
# a host name, never an IP address.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+(?!\d+$){_LABEL}$")


@dataclass(frozen=True)
class PublisherMark:
    """A verified publisher: by whom or what (`how`), and the domain it proved, if any."""

    how: str
    domain: str = ""

    @property
    def value(self) -> str:
        """The stored form (users.verified_by, an index's `owner_verified`)."""
        return f"{self.how}:{self.domain}" if self.domain else self.how

    def text(self) -> str:
        """What people read: `verified publisher: example.com`."""
        if self.domain:
            return f"verified publisher: {self.domain}"
        return "verified publisher (checked by the marketplace's operator)"

    def to_json(self) -> dict[str, Any]:
        return {"how": self.how, "domain": self.domain or None, "text": self.text()}


def parse_mark(value: object) -> PublisherMark | None:
    """The mark a stored or received `verified_by` string says, or None (not verified, or
    not a mark this client knows: an unknown mark is not shown rather than guessed)."""
    if not isinstance(value, str) or len(value) > MAX_DOMAIN_LENGTH + 20:
        return None
    if value == HOW_OPERATOR:
        return PublisherMark(HOW_OPERATOR)
    how, _, domain = value.partition(":")
    if how in DOMAIN_PROOFS and is_domain(domain):
        return PublisherMark(how, domain)
    return None


def mark_from_json(value: object) -> PublisherMark | None:
    """The mark of an API answer's `{"how": ..., "domain": ...}` (registry.catalog), or None."""
    if not isinstance(value, dict):
        return None
    how, domain = value.get("how"), value.get("domain")
    return parse_mark(f"{how}:{domain}" if domain else how)


def is_domain(text: str) -> bool:
    return len(text) <= MAX_DOMAIN_LENGTH and _DOMAIN.match(text) is not None


def normalize_domain(text: str) -> str | None:
    """`text` as a domain a publisher may claim (lowercase, no trailing dot), or None if it
    is not a host name (an address, a URL, a single label)."""
    domain = text.strip().lower().removesuffix(".")
    return domain if is_domain(domain) else None
