"""A publisher proves a domain: the registry gives the account a token for DOMAIN, the
publisher publishes `acc-verify=TOKEN` as a DNS TXT record at `_acc-publisher.DOMAIN` or as a
line of https://DOMAIN/.well-known/acc-publisher.txt, and the registry looks, when asked.

The token is an HMAC, under the registry's secret key, of the account's id and the domain:
nothing is stored until the proof is found, a token proves DOMAIN for that account on
that registry only, and another account's token (or another domain's) never matches.

Looking is the registry reaching out to a host a user named, so it is walled in:

- HTTPS only (`domain_check_allow_http` lets a development registry use plain HTTP);
- every address the name resolves to must be public (`ipaddress.is_global`): no loopback,
  private, link-local or reserved ones, unless `domain_check_allow_private` (tests);
- the connection goes to the address that was checked, never to a second lookup of the
  name (no DNS rebinding between check and use), with TLS verified against the name;
- no redirects (the file is served where it is asked for), at most MAX_PROOF_BYTES read,
  and every lookup and connection bounded by CHECK_TIMEOUT_SECONDS.

DNS questions go to `domain_check_nameserver` when it is set (a test's responder on
loopback; an operator's resolver), else to the system's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.config import RegistryConfig, nameserver_address
from registry.errors import ApiError
from sdk.publisher_mark import HOW_DNS, HOW_WELL_KNOWN, PublisherMark

if TYPE_CHECKING:
    import dns.resolver

PROOF_PREFIX = "acc-verify="
TXT_LABEL = "_acc-publisher"
WELL_KNOWN_PATH = "/.well-known/acc-publisher.txt"
MAX_PROOF_BYTES = 4096
#: The file and its headers: more is not read.
_MAX_RESPONSE_BYTES = MAX_PROOF_BYTES + 8192
CHECK_TIMEOUT_SECONDS = 5.0
_TOKEN_CONTEXT = b"acc-publisher-domain\0"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class CheckSettings:
    """How the registry looks for proofs (the operator's `domain_check_*` settings)."""

    nameserver: str = ""
    allow_http: bool = False
    allow_private: bool = False
    #: The port of the well-known file's server; 0: 443 (HTTPS) or 80 (HTTP).
    port: int = 0
    timeout: float = CHECK_TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config: RegistryConfig) -> CheckSettings:
        return cls(
            nameserver=config.domain_check_nameserver,
            allow_http=config.domain_check_allow_http,
            allow_private=config.domain_check_allow_private,
            port=config.domain_check_port,
        )


#: The ApiError code of a proof not found (registry/errors.py), said by each way of looking.
NOT_PROVED = "domain_not_proved"


def _not_found(reason: str) -> ApiError:
    return ApiError(400, NOT_PROVED, reason)


def proof_token(secret: bytes, user_id: int, domain: str) -> str:
    """The token that proves `domain` for account `user_id` on the registry whose key is `secret`."""
    digest = hmac.new(secret, _TOKEN_CONTEXT + f"{user_id}\0{domain}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def proof_record(token: str) -> str:
    """The text to publish: `acc-verify=TOKEN`."""
    return PROOF_PREFIX + token


def find_proof(domain: str, token: str, settings: CheckSettings) -> PublisherMark:
    """The mark `domain` earns if the account's proof is published by DNS or at the
    well-known URL (DNS asked first); else a 400 `domain_not_proved` saying what was found
    either way, and what to publish."""
    reasons = []
    for how, look in ((HOW_DNS, _dns_proof), (HOW_WELL_KNOWN, _well_known_proof)):
        try:
            look(domain, token, settings)
        except ApiError as e:
            if e.code != NOT_PROVED:
                raise
            reasons.append(e.message)
            continue
        return PublisherMark(how, domain)
    raise ApiError(
        400,
        NOT_PROVED,
        f"no proof for {domain} was found: " + "; ".join(reasons),
        hint=f"publish {proof_record(token)} as shown, wait until it is served, and check again",
    )


def record_matches(texts: list[str], token: str) -> bool:
    """True if one of `texts` (TXT records, or the well-known file's lines) is the proof."""
    expected = proof_record(token)
    return any(hmac.compare_digest(text.strip().encode(), expected.encode()) for text in texts)


# -- DNS --------------------------------------------------------------------------------------


def _resolver(settings: CheckSettings) -> dns.resolver.Resolver:
    import dns.resolver

    if not settings.nameserver:
        resolver = dns.resolver.Resolver()
    else:
        host, port = nameserver_address(settings.nameserver)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.lifetime = settings.timeout
    resolver.timeout = settings.timeout
    return resolver


def _dns_proof(domain: str, token: str, settings: CheckSettings) -> None:
    import dns.exception
    import dns.resolver

    name = f"{TXT_LABEL}.{domain}"
    try:
        answer = _resolver(settings).resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        raise _not_found(f"DNS: {name} has no TXT record") from None
    except dns.exception.Timeout:
        raise _not_found(f"DNS: no answer for {name} within {settings.timeout:g} s") from None
    except dns.exception.DNSException as e:
        raise _not_found(f"DNS: cannot look up {name} ({type(e).__name__})") from None
    texts = [b"".join(r.strings).decode("utf-8", "replace") for r in answer]  # a record may be split in parts
    if not record_matches(texts, token):
        raise _not_found(f"DNS: no TXT record of {name} is {proof_record(token)}")


# -- the well-known file ------------------------------------------------------------------------


def _well_known_proof(domain: str, token: str, settings: CheckSettings) -> None:
    scheme = "http" if settings.allow_http else "https"
    url = f"{scheme}://{domain}{WELL_KNOWN_PATH}"
    address = _checked_address(domain, settings, url)
    port = settings.port or (80 if scheme == "http" else 443)
    try:
        status, body = _fetch(scheme, domain, address, port, settings.timeout)
    except (OSError, ValueError) as e:
        raise _not_found(f"cannot fetch {url} ({_reason(e)})") from None
    if status != 200:
        moved = " (redirects are not followed)" if 300 <= status < 400 else ""
        raise _not_found(f"{url} answered {status}{moved}")
    if len(body) > MAX_PROOF_BYTES:
        raise _not_found(f"{url} is larger than {MAX_PROOF_BYTES} bytes")
    if not record_matches(body.decode("utf-8", "replace").splitlines(), token):
        raise _not_found(f"{url} has no line {proof_record(token)}")


def _fetch(scheme: str, domain: str, address: IpAddress, port: int, timeout: float) -> tuple[int, bytes]:
    """GET the well-known file from `address` as `domain` (Host header, SNI, certificate
    check): the status and at most MAX_PROOF_BYTES + 1 of the body, within `timeout` in all.

    A plain HTTP/1.0 exchange read by hand rather than http.client, whose reads of headers
    and body each get the whole timeout again (a server sending a byte at a time could hold
    a worker for hours); here every read gets what is left of one deadline."""
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        return left

    request = (
        f"GET {WELL_KNOWN_PATH} HTTP/1.0\r\nHost: {domain}\r\nUser-Agent: acc-registry\r\n"
        "Accept: text/plain\r\nConnection: close\r\n\r\n"
    ).encode()
    received = bytearray()
    with socket.create_connection((str(address), port), timeout=remaining()) as raw:
        raw.settimeout(remaining())
        sock = ssl.create_default_context().wrap_socket(raw, server_hostname=domain) if scheme == "https" else raw
        with sock:
            sock.sendall(request)
            while len(received) <= _MAX_RESPONSE_BYTES:
                sock.settimeout(remaining())
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
    head, separator, body = bytes(received).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if not separator or len(status_line) < 2 or not status_line[0].startswith(b"HTTP/") or not status_line[1].isdigit():
        raise ValueError("the answer is not HTTP")
    return int(status_line[1]), body[: MAX_PROOF_BYTES + 1]


def _checked_address(domain: str, settings: CheckSettings, url: str) -> IpAddress:
    """The address to connect to: the first `domain` resolves to, once every one it resolves
    to is allowed (one private address among public ones is refused too)."""
    addresses = _addresses(domain, settings)
    if not addresses:
        raise _not_found(f"cannot fetch {url}: {domain} has no address")
    for address in addresses:
        if not address_allowed(address, allow_private=settings.allow_private):
            raise _not_found(f"will not fetch {url}: {domain} resolves to {address}, which is not a public address")
    return addresses[0]


def address_allowed(address: IpAddress, *, allow_private: bool) -> bool:
    """Public unicast addresses only (IPv4-mapped IPv6 judged as the IPv4 it maps), or with
    `allow_private` any but unspecified and multicast ones."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        return False
    return allow_private or address.is_global


def _addresses(domain: str, settings: CheckSettings) -> list[IpAddress]:
    if settings.nameserver:
        import dns.exception
        import dns.resolver

        resolver = _resolver(settings)
        found: list[IpAddress] = []
        for kind in ("A", "AAAA"):
            try:
                found += [ipaddress.ip_address(r.address) for r in resolver.resolve(domain, kind)]
            except dns.exception.DNSException:
                continue
        return found
    try:
        infos = socket.getaddrinfo(domain, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not valid for the name: {error.verify_message}"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(error) or type(error).__name__
