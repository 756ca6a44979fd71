"""Capability `http`: requests to the granted hosts only, and the grammar of those hosts.

    [capabilities.http]
    hosts = ["api.github.com", "*.githubusercontent.com", "http://127.0.0.1:8080"]
    reason = "Opens pull requests on GitHub."

An entry of `hosts` is a host pattern:

- ``"api.github.com"``: https only, port 443; ``"example.com:8443"``: https on that port;
- ``"http://127.0.0.1:8080"``: plain http to that host and port (port 80 when omitted);
- ``"https://host[:port]"``: the same as the bare form, spelled out;
- ``"*.github.com"``: any name one or more labels below ``github.com`` (not ``github.com``).

IP addresses match only an entry that lists the same address; host names compare
case-insensitively with a trailing dot ignored; odd numeric hosts (``127.1``,
``0x7f.0.0.1``) and non-ASCII names are refused. The grammar lives here, with the
format, so that an entry the manifest accepts is exactly one the host can enforce
(`host.capabilities.http` matches URLs against the parsed rules).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sdk.capabilities.kind import Capability, CapabilityKind, Change, nonempty_list, set_changes
from sdk.errors import ManifestError

DEFAULT_PORTS = {"http": 80, "https": 443}

PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_PORT = re.compile(r":[0-9]{1,5}")


@dataclass(frozen=True)
class ParsedTarget:
    """Where a checked URL points: the only values a fetch connects and sends with."""

    scheme: str
    host: str
    """Lower-case name without a trailing dot, or a canonical IP address (no brackets)."""
    port: int
    path: str
    """Path and query as sent on the request line; always starts with ``/``."""

    @property
    def origin(self) -> tuple[str, str, int]:
        """(scheme, host, port): credentials never cross from one origin to another."""
        return (self.scheme, self.host, self.port)

    @property
    def url(self) -> str:
        """The normalised URL, used to resolve relative redirects."""
        return f"{self.scheme}://{bracket(self.host)}:{self.port}{self.path}"


@dataclass(frozen=True)
class HostRule:
    """One parsed grant entry."""

    scheme: str
    host: str
    """The exact host, or for a wildcard the suffix after ``*.``."""
    port: int
    wildcard: bool = False

    def matches(self, target: ParsedTarget) -> bool:
        """Whether `target` is covered by this entry."""
        if target.scheme != self.scheme or target.port != self.port:
            return False
        return self.matches_host(target.host)

    def matches_host(self, host: str) -> bool:
        """Whether `host` (normalised) is covered, ignoring scheme and port."""
        if self.wildcard:
            return not is_ip(host) and host.endswith("." + self.host)
        return host == self.host

    def describe(self) -> str:
        """The entry as a user would read it, e.g. ``https://*.github.com:443``."""
        return f"{self.scheme}://{'*.' if self.wildcard else ''}{bracket(self.host)}:{self.port}"


def parse_host_pattern(entry: str) -> HostRule:
    """Parse one grant entry; raises ValueError saying what is wrong with it."""
    if not entry.isascii() or not PRINTABLE_ASCII.fullmatch(entry):
        raise ValueError(f"http grant entry {entry!r} must be printable ASCII without spaces")
    lowered = entry.lower()
    scheme = "https"
    for prefix in ("http://", "https://"):
        if lowered.startswith(prefix):
            scheme = prefix[:-3]
            lowered = lowered[len(prefix) :]
    if any(c in lowered for c in "/@?#\\"):
        raise ValueError(f"http grant entry {entry!r} must be a host, not a URL with a path or user info")
    hostport, wildcard = lowered, False
    if hostport.startswith("*."):
        hostport, wildcard = hostport[2:], True
    if "*" in hostport:
        raise ValueError(f"http grant entry {entry!r}: '*' is allowed only as a leading '*.'")
    raw_host, port = split_host_port(hostport, DEFAULT_PORTS[scheme])
    host = normalise_host(raw_host)
    if wildcard and (is_ip(host) or "." not in host):
        raise ValueError(f"http grant entry {entry!r}: a wildcard needs a domain with at least two labels after '*.'")
    return HostRule(scheme, host, port, wildcard)


def split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    """`host[:port]` or `[v6][:port]` -> (host, port); raises ValueError."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError("unclosed '[' in host")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
    else:
        host, colon, port_text = hostport.partition(":")
        rest = colon + port_text
    if not rest:
        return host, default_port
    if not _PORT.fullmatch(rest) or not 1 <= int(rest[1:]) <= 65535:
        raise ValueError(f"port {rest[1:]!r} is not a number from 1 to 65535")
    return host, int(rest[1:])


def normalise_host(raw: str) -> str:
    """The canonical spelling of a host name or IP address; raises ValueError."""
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1]
        if "%" in inner:
            raise ValueError("IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(inner).compressed
        except ValueError as e:
            raise ValueError(f"{raw!r} is not an IPv6 address") from e
    # ASCII before lower(): "\u212a".lower() is "k", and confusables must not match.
    if not raw.isascii():
        raise ValueError(f"host {raw!r} is not ASCII; use its xn-- form")
    host = raw.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253:
        raise ValueError("missing or overlong host")
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{raw!r} is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # Resolvers read "127.1", "2130706433" and "0x7f.0.0.1" as IPv4 addresses; accept
        # only the canonical dotted-quad spelling so exact IP matching means something.
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError as e:
            raise ValueError(f"{raw!r} is not a canonical IPv4 address") from e
    return host


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class HttpCapability(Capability):
    hosts: tuple[str, ...] = ()

    kind: ClassVar[str] = "http"
    meaning: ClassVar[str] = "Connects to hosts on the network"
    risky: ClassVar[bool] = True

    def open_world(self) -> bool:
        return True

    def scope_summary(self) -> str:
        return "connect to: " + ", ".join(self.hosts)

    def changes_since(self, old: Capability) -> list[Change]:
        # Patterns compare as strings: a new pattern is reported even when an old wildcard
        # already covers it (asking once too often is cheaper than once too few).
        assert isinstance(old, HttpCapability)
        return set_changes(self.kind, old.hosts, self.hosts, "may now connect to", "no longer connects to")

    def scope(self) -> dict[str, Any]:
        return {"hosts": list(self.hosts)}


def _parse(table: Mapping[str, Any], reason: str, where: str) -> HttpCapability:
    hosts = nonempty_list(table, "hosts", where)
    for host in hosts:
        try:
            parse_host_pattern(host)
        except ValueError as e:
            raise ManifestError(
                f"{where}: {e}",
                hint='list host names such as "api.github.com" (https) or "http://127.0.0.1:8080"',
            ) from e
    return HttpCapability(reason, hosts=hosts)


KIND = CapabilityKind(
    scope_type=HttpCapability, interface="http", functions=("fetch",), fields=frozenset({"hosts"}), parse=_parse
)
