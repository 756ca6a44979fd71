"""A bounded reader for the WebAssembly binary format: every length is checked before use.

The bytes come from plugin archives, so they are hostile until proven otherwise. Every
read checks that it stays inside the buffer, LEB128 integers are capped at the width of
their type, and a vector's element count can never exceed the bytes left (each element
takes at least one byte), so no count can make a loop run longer than the input is long.
Nothing here recurses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

WASM_MAGIC = b"\0asm"
CORE_MODULE_VERSION = b"\x01\x00\x00\x00"
#: version 0x0d, layer 1: the component binary format wasmtime 50 reads.
COMPONENT_VERSION = b"\x0d\x00\x01\x00"
PREAMBLE_SIZE = 8


class WasmFormatError(ValueError):
    """The bytes are not the WebAssembly this reader expects (truncated, malformed or unsupported)."""


class Reader:
    """A cursor over `data[start:end]` that refuses to read past `end`."""

    def __init__(self, data: bytes | memoryview, start: int = 0, end: int | None = None) -> None:
        self.data = data if isinstance(data, memoryview) else memoryview(data)
        self.pos = start
        self.end = len(self.data) if end is None else end
        if not 0 <= start <= self.end <= len(self.data):
            raise WasmFormatError("a range lies outside the binary")

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(f"unexpected end of data at offset {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, size: int) -> memoryview:
        if size < 0 or size > self.remaining:
            raise WasmFormatError(f"a length of {size} bytes at offset {self.pos} runs past the end of its section")
        view = self.data[self.pos : self.pos + size]
        self.pos += size
        return view

    def skip(self, size: int) -> None:
        self.take(size)

    def uleb(self, bits: int = 32) -> int:
        """An unsigned LEB128 of at most `bits` bits (u32 unless told)."""
        pos = self.pos
        if pos < self.end:  # most integers are one byte: a fast path that checks the same bounds
            first = self.data[pos]
            if first < 0x80:
                self.pos = pos + 1
                return first
        return self._uleb_long(bits)

    def _uleb_long(self, bits: int) -> int:
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        for _ in range(max_bytes):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if result >> bits:
                    raise WasmFormatError(f"an integer at offset {self.pos} is wider than {bits} bits")
                return result
        raise WasmFormatError(f"an integer at offset {self.pos} is longer than {max_bytes} bytes")

    def sleb(self, bits: int) -> int:
        """A signed LEB128 of at most `bits` bits (its value is only skipped over, never trusted)."""
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        for _ in range(max_bytes):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result
        raise WasmFormatError(f"a signed integer at offset {self.pos} is longer than {max_bytes} bytes")

    def count(self) -> int:
        """A vector length: a u32 that can be no larger than the bytes left to hold its elements."""
        n = self.uleb()
        if n > self.remaining:
            raise WasmFormatError(f"a vector of {n} elements at offset {self.pos} cannot fit in its section")
        return n

    def name(self) -> str:
        raw = self.take(self.uleb())
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            raise WasmFormatError(f"a name at offset {self.pos} is not UTF-8") from e


@dataclass(frozen=True)
class Section:
    """One section: its id, where it starts (its id byte) and where its payload lies."""

    id: int
    start: int
    payload_start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.payload_start


def sections(data: bytes | memoryview, start: int, end: int, *, max_sections: int) -> Iterator[Section]:
    """The sections in `data[start:end]` (after a preamble), at most `max_sections` of them."""
    reader = Reader(data, start, end)
    seen = 0
    while not reader.at_end():
        seen += 1
        if seen > max_sections:
            raise WasmFormatError(f"more than {max_sections} sections")
        section_start = reader.pos
        section_id = reader.byte()
        size = reader.uleb()
        payload_start = reader.pos
        reader.skip(size)
        yield Section(section_id, section_start, payload_start, reader.pos)


def check_preamble(data: bytes | memoryview, version: bytes, what: str) -> None:
    if len(data) < PREAMBLE_SIZE or bytes(data[:4]) != WASM_MAGIC:
        raise WasmFormatError(f"not a WebAssembly {what} (no \\0asm magic)")
    if bytes(data[4:8]) != version:
        raise WasmFormatError(f"not a WebAssembly {what} of the supported version (header {bytes(data[4:8]).hex()})")


def encode_uleb(value: int) -> bytes:
    if value < 0:
        raise ValueError("negative")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return encode_uleb(len(raw)) + raw


def encode_section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + encode_uleb(len(payload)) + payload
