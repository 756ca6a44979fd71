"""A tiny authoritative DNS responder on loopback UDP, for tests of the registry's domain
proofs: it answers from a table that a test edits, with dnspython's message API."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DnsResponder:
    """`records[(name, type)]` -> the rdata texts answered (`"127.0.0.1"`, `'"acc-verify=..."'`);
    any other question gets NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.questions: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)  # so that `close` is noticed within 0.1 s
        self._stopped = threading.Event()
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"

    def serve(self) -> None:
        while not self._stopped.is_set():
            try:
                data, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name, kind = question.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(question.rdtype)
            self.questions.append((name, kind))
            answers = self.records.get((name, kind))
            if answers:
                response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", kind, answers))
            elif not any(known == name for known, _ in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self._sock.sendto(response.to_wire(), client)

    def close(self) -> None:
        self._stopped.set()


@contextmanager
def dns_responder() -> Iterator[DnsResponder]:
    responder = DnsResponder()
    thread = threading.Thread(target=responder.serve, daemon=True)
    thread.start()
    try:
        yield responder
    finally:
        responder.close()
        thread.join(timeout=5)
        responder._sock.close()
