"""A publisher proves a domain by DNS TXT or the well-known file: the tokens, the walls
around the registry's outgoing lookups (public addresses only, HTTPS only, no redirects,
size and time caps), against a DNS responder and a web server on loopback."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from registry.domain_proof import (
    CheckSettings,
    address_allowed,
    find_proof,
    nameserver_address,
    proof_record,
    proof_token,
    record_matches,
)
from registry.errors import ApiError
from sdk.publisher_mark import PublisherMark, mark_from_json, normalize_domain, parse_mark
from tests.dns_responder import DnsResponder, dns_responder

DOMAIN = "example.test"
TOKEN = proof_token(b"registry secret", 7, DOMAIN)


# -- the pure parts ---------------------------------------------------------------------------


def test_a_token_proves_one_domain_for_one_account_on_one_registry() -> None:
    assert proof_token(b"registry secret", 7, DOMAIN) == TOKEN, "derived, not stored: the same every time"
    others = {
        proof_token(b"registry secret", 8, DOMAIN),
        proof_token(b"registry secret", 7, "example.org"),
        proof_token(b"another registry", 7, DOMAIN),
    }
    assert TOKEN not in others and len(others) == 3
    assert len(TOKEN) == 32 and int(TOKEN, 16) >= 0
    assert proof_record(TOKEN) == f"acc-verify={TOKEN}"


def test_only_the_exact_record_is_a_proof() -> None:
    assert record_matches(["v=spf1 -all", f"  acc-verify={TOKEN}\r"], TOKEN)
    for wrong in (f"acc-verify={TOKEN}x", f"acc-verify={TOKEN[:-1]}", f"x acc-verify={TOKEN}", TOKEN, ""):
        assert not record_matches([wrong], TOKEN), wrong


@pytest.mark.parametrize(
    ("typed", "domain"),
    [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        (" sub.example.co.uk ", "sub.example.co.uk"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("https://example.com", None),
        ("example.com/path", None),
        ("example", None),  # one label
        ("127.0.0.1", None),  # an address, not a name
        ("[::1]", None),
        ("-bad.example.com", None),
        ("bad-.example.com", None),
        ("exa mple.com", None),
        ("bücher.example", None),  # IDNs in their xn-- form only
        ("a" * 64 + ".com", None),
        (".".join(["a" * 60] * 5), None),  # longer than 253
        ("", None),
    ],
)
def test_what_a_publisher_may_claim_as_a_domain(typed: str, domain: str | None) -> None:
    assert normalize_domain(typed) == domain


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
    ],
)
def test_the_registry_fetches_only_from_public_addresses(address: str, public: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert address_allowed(ip, allow_private=False) is public
    if ip.is_unspecified or ip.is_multicast:
        assert not address_allowed(ip, allow_private=True), "never, whatever the setting"
    else:
        assert address_allowed(ip, allow_private=True), "the test setting allows loopback and private"


def test_nameserver_settings_are_addresses_with_ports() -> None:
    assert nameserver_address("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert nameserver_address("9.9.9.9") == ("9.9.9.9", 53)
    assert nameserver_address("[::1]:5353") == ("::1", 5353)
    assert nameserver_address("::1") == ("::1", 53)
    for bad in ("dns.example.com", "127.0.0.1:0", "127.0.0.1:x", "[::1]:99999"):
        with pytest.raises(ValueError):
            nameserver_address(bad)


@pytest.mark.parametrize(
    ("value", "mark"),
    [
        ("operator", PublisherMark("operator")),
        ("dns:example.com", PublisherMark("dns", "example.com")),
        ("well-known:example.com", PublisherMark("well-known", "example.com")),
        (None, None),
        ("", None),
        ("dns:", None),
        ("dns:not a domain", None),
        ("email:someone@example.com", None),  # not a mark this client knows: not shown
        ("operator:extra", None),
        (["operator"], None),
        ("dns:" + "a" * 300 + ".com", None),
    ],
)
def test_marks_are_parsed_strictly_and_unknown_ones_are_not_shown(value: object, mark: PublisherMark | None) -> None:
    assert parse_mark(value) == mark
    if mark is not None:
        assert parse_mark(mark.value) == mark
        assert mark_from_json(mark.to_json()) == mark


def test_a_mark_says_what_was_verified() -> None:
    assert PublisherMark("dns", "example.com").text() == "verified publisher: example.com"
    assert PublisherMark("operator").text() == "verified publisher (checked by the marketplace's operator)"
    assert mark_from_json({"how": "dns", "domain": "bad domain"}) is None
    assert mark_from_json("operator") is None


# -- against loopback servers -----------------------------------------------------------------


@dataclass
class WellKnownServer:
    """What the loopback web server answers for /.well-known/acc-publisher.txt."""

    port: int = 0
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip_seconds: float = 0.0
    hosts: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def web() -> Iterator[WellKnownServer]:
    state = WellKnownServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hosts.append(self.headers.get("Host", ""))
            if self.path != "/.well-known/acc-publisher.txt":
                self.send_error(404)
                return
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                if state.drip_seconds:
                    for byte in state.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(state.drip_seconds)
                else:
                    self.wfile.write(state.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the registry hung up at its deadline or size cap: what those tests want

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsResponder]:
    with dns_responder() as responder:
        yield responder


@pytest.fixture
def served(web: WellKnownServer, dns: DnsResponder) -> tuple[WellKnownServer, DnsResponder]:
    """example.test at 127.0.0.1 with no TXT record, and its well-known file holding nothing yet."""
    dns.records.clear()
    dns.records[(DOMAIN, "A")] = ["127.0.0.1"]
    web.status, web.body, web.headers, web.drip_seconds = 200, b"", {}, 0.0
    web.hosts.clear()
    return web, dns


def _loopback(web: WellKnownServer, dns: DnsResponder, **changes: object) -> CheckSettings:
    """The settings a test registry uses: the loopback DNS, HTTP and private addresses allowed."""
    settings = {"nameserver": dns.address, "allow_http": True, "allow_private": True, "port": web.port, "timeout": 2.0}
    return CheckSettings(**{**settings, **changes})  # type: ignore[arg-type]


def test_a_dns_txt_record_proves_the_domain(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    # TXT strings are at most 255 bytes each: a record may come in parts, which are joined.
    dns.records[(f"_acc-publisher.{DOMAIN}", "TXT")] = ['"v=spf1 -all"', f'"acc-verify=" "{TOKEN}"']
    assert find_proof(DOMAIN, TOKEN, _loopback(web, dns)) == PublisherMark("dns", DOMAIN)
    assert web.hosts == [], "found by DNS: the web server was not asked"


def test_a_line_of_the_well_known_file_proves_the_domain(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    web.body = f"# acc publisher proofs\nacc-verify={'0' * 32}\nacc-verify={TOKEN}\n".encode()
    assert find_proof(DOMAIN, TOKEN, _loopback(web, dns)) == PublisherMark("well-known", DOMAIN)
    assert web.hosts == [DOMAIN], "asked as the domain, at the checked address"


def test_another_accounts_proof_proves_nothing_and_says_what_was_found(
    served: tuple[WellKnownServer, DnsResponder],
) -> None:
    web, dns = served
    other = proof_token(b"registry secret", 8, DOMAIN)
    dns.records[(f"_acc-publisher.{DOMAIN}", "TXT")] = [f'"acc-verify={other}"']
    web.body = f"acc-verify={other}\n".encode()
    with pytest.raises(ApiError) as found:
        find_proof(DOMAIN, TOKEN, _loopback(web, dns))
    assert found.value.message == (
        f"no proof for {DOMAIN} was found: DNS: no TXT record of _acc-publisher.{DOMAIN} is acc-verify={TOKEN}; "
        f"http://{DOMAIN}/.well-known/acc-publisher.txt has no line acc-verify={TOKEN}"
    )


def test_loopback_and_private_addresses_are_refused_by_default(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    web.body = f"acc-verify={TOKEN}\n".encode()
    for address, kind in (("127.0.0.1", "A"), ("169.254.169.254", "A"), ("::1", "AAAA")):
        dns.records = {(DOMAIN, kind): [address]}
        with pytest.raises(ApiError) as refused:
            find_proof(DOMAIN, TOKEN, _loopback(web, dns, allow_private=False))
        assert f"{DOMAIN} resolves to {address}, which is not a public address" in refused.value.message
    # One private address among public ones is refused too (the client could pick either).
    dns.records = {(DOMAIN, "A"): ["93.184.215.14", "127.0.0.1"]}
    with pytest.raises(ApiError, match="resolves to 127.0.0.1, which is not a public address"):
        find_proof(DOMAIN, TOKEN, _loopback(web, dns, allow_private=False))
    assert web.hosts == [], "nothing was fetched"


def test_https_is_required_unless_the_operator_allows_http(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    web.body = f"acc-verify={TOKEN}\n".encode()
    with pytest.raises(ApiError, match=f"cannot fetch https://{DOMAIN}/.well-known/acc-publisher.txt"):
        find_proof(DOMAIN, TOKEN, _loopback(web, dns, allow_http=False))
    assert web.hosts == [], "the TLS handshake failed before any request"


def test_redirects_are_not_followed(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    web.status, web.headers = 302, {"Location": "http://169.254.169.254/latest/meta-data/"}
    with pytest.raises(ApiError, match=r"answered 302 \(redirects are not followed\)"):
        find_proof(DOMAIN, TOKEN, _loopback(web, dns))
    assert len(web.hosts) == 1


def test_an_oversized_file_is_refused_and_not_read_whole(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    web.body = f"acc-verify={TOKEN}\n".encode() + b"x" * 1_000_000
    with pytest.raises(ApiError, match="is larger than 4096 bytes"):
        find_proof(DOMAIN, TOKEN, _loopback(web, dns))


def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_deadline(
    served: tuple[WellKnownServer, DnsResponder],
) -> None:
    web, dns = served
    web.body, web.drip_seconds = f"acc-verify={TOKEN}\n".encode(), 0.1  # 4.5 s for the whole file
    started = time.monotonic()
    with pytest.raises(ApiError, match="no answer in time"):
        find_proof(DOMAIN, TOKEN, _loopback(web, dns, timeout=0.5))
    assert time.monotonic() - started < 2.5, "one deadline for the whole exchange, not one per read"


def test_a_domain_without_records_says_so(served: tuple[WellKnownServer, DnsResponder]) -> None:
    web, dns = served
    with pytest.raises(ApiError) as found:
        find_proof("nowhere.test", TOKEN, _loopback(web, dns))
    assert (found.value.status, found.value.code) == (400, "domain_not_proved")
    assert found.value.hint == f"publish acc-verify={TOKEN} as shown, wait until it is served, and check again"
    assert found.value.message == (
        "no proof for nowhere.test was found: DNS: _acc-publisher.nowhere.test has no TXT record; "
        "cannot fetch http://nowhere.test/.well-known/acc-publisher.txt: nowhere.test has no address"
    )


def test_an_unanswering_nameserver_is_given_up_on_in_time() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        settings = CheckSettings(nameserver=f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(ApiError, match=r"DNS: no answer for _acc-publisher.example.test within 0.3 s"):
            find_proof(DOMAIN, TOKEN, settings)
        assert time.monotonic() - started < 3
    finally:
        silent.close()
