"""Which network addresses an http fetch may connect to: the check made at connect time.

A grant names hosts; DNS decides where a name points, and whoever controls the name's DNS
decides that at any moment. Without a second check, a plugin granted `api.example.com`
(or any name it controls) can point it at 127.0.0.1, a printer on the LAN or the cloud
metadata service (169.254.169.254) and reach the user's own network: DNS rebinding.

So a fetch resolves the name once, checks every address here, and connects to the
checked address itself (no second lookup; TLS still verifies the certificate for the
name, and the Host header carries the name). An address is *special* unless it is a
public unicast address: loopback, private (RFC 1918, unique-local fc00::/7), shared
CGNAT space (100.64.0.0/10), link-local (169.254/16 with the metadata services,
fe80::/10), multicast, unspecified, reserved and documentation ranges. IPv4 embedded in
IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`, 6to4 `2002:7f00:1::`) is judged by the
IPv4 address inside. A special address is reached only when the grant names it:

- a grant entry that is that IP address literally (`http://127.0.0.1:8080`,
  `http://[fd00:ec2::254]`): the user saw the address in the consent prompt;
- `localhost`, the name reserved for loopback (RFC 6761): loopback addresses only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.IPv6Network("2002::/16")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def is_special(address: IPAddress) -> bool:
    """Whether `address` is anything but a public unicast address (see the module docstring)."""
    inner = embedded_ipv4(address)
    if inner.is_multicast or inner.is_unspecified or inner.is_loopback or inner.is_link_local:
        return True
    if isinstance(inner, ipaddress.IPv4Address) and inner in _CGNAT:
        return True
    return inner.is_private or inner.is_reserved or not inner.is_global


def special_kind(address: IPAddress) -> str:
    """A few words for a refusal: "a loopback address", "a private address", ..."""
    inner = embedded_ipv4(address)
    if inner.is_loopback:
        return "a loopback address"
    if inner.is_link_local:
        return "a link-local address (cloud metadata services live there)"
    if inner.is_multicast:
        return "a multicast address"
    if inner.is_unspecified:
        return "the unspecified address"
    if isinstance(inner, ipaddress.IPv4Address) and inner in _CGNAT:
        return "a shared (CGNAT) address"
    if inner.is_private:
        return "a private network address"
    return "a reserved or non-public address"


def may_connect(address: IPAddress, granted_hosts: Iterable[str]) -> bool:
    """Whether a fetch may connect to `address`; `granted_hosts` are the grant entries'
    hosts that match the URL (normalised: a name, or a canonical IP address)."""
    if not is_special(address):
        return True
    for host in granted_hosts:
        if host == "localhost" and embedded_ipv4(address).is_loopback:
            return True
        try:
            if ipaddress.ip_address(host) == address:
                return True
        except ValueError:
            continue
    return False
