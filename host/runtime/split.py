"""Split a component into a thin component and its shared runtime modules (pure: no IO).

Each top-level core module whose code section is at least `SplitPolicy.min_code_bytes`
is cut out and, in its place, the thin component gets

    (core type $tK (module ...the module's exact type...))     a core type section
    (import "acc-runtime-h<sha256>" (core module (type $tK)))   an import section

An import of a core module defines the next index in the core module index space, just
as the inline module did, so every later reference (`instantiate`, the name section)
still means the same module. Every other section is copied byte for byte.

Why a size threshold, and not "modules seen in more than one plugin": compile time is
proportional to code, and in every componentize-py build the modules above the threshold
(libpython ~5.9 MB of code, libc ~370 KB, the componentize-py runtime ~230 KB) are the
runtime, byte-identical across plugins, while the plugin's own modules (its memory
snapshot, the adapter shims) carry a few KB of code. A threshold is a function of the
bytes alone: an install does the same thing whatever else is installed, the first plugin
already gets the speed-up, and a large module that is not shared costs what it costs today
(one compile), keyed by content so an update that keeps it compiles nothing.

What the host may link is exactly what this module made: the import names encode the
sha256 of the bytes that were cut out, `split_component` refuses a component that already
uses the prefix, and the loader supplies only modules it compiled from bytes with that hash.

Index-space safety: the new core types take indices 0..k-1 of the top-level core type
space, so the splitter refuses (raises `WasmFormatError`, and the component is compiled
whole) when the component defines core types itself: a core type section or a core-type
alias at the top level. A valid component without them refers to no top-level core type,
so shifting nothing, the inserted types are referenced only by the inserted imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from host.digest import sha256_hex
from host.runtime.module_type import code_section_size, module_type
from host.runtime.wasm_binary import (
    COMPONENT_VERSION,
    PREAMBLE_SIZE,
    Reader,
    Section,
    WasmFormatError,
    check_preamble,
    encode_name,
    encode_section,
    encode_uleb,
    sections,
)

#: Import names the host gives the modules it cuts out: a plain kebab-case name (each
#: word must start with a letter, hence the `h` before the hex digest).
RUNTIME_IMPORT_PREFIX = "acc-runtime-h"
_RUNTIME_IMPORT = re.compile(r"acc-runtime-h([0-9a-f]{64})")

MAX_COMPONENT_SECTIONS = 100_000
MAX_COMPONENT_BYTES = 512 * 1024 * 1024

_SECTION_CORE_MODULE = 1
_SECTION_CORE_TYPE = 3
_SECTION_ALIAS = 6
_SECTION_IMPORT = 10
_SORT_CORE = 0x00
_CORE_SORT_TYPE = 0x10
_CORE_SORT_MODULE = 0x11
_PLAIN_NAME = 0x00


@dataclass(frozen=True)
class SplitPolicy:
    """Which core modules become shared: those with at least this much code."""

    min_code_bytes: int = 64 * 1024


@dataclass(frozen=True)
class SharedModule:
    """A core module cut out of a component, and the name the thin component imports it by."""

    import_name: str
    sha256: str
    wasm: bytes


@dataclass(frozen=True)
class SplitComponent:
    """A thin component and the modules to link into it (none: `thin` is the input unchanged)."""

    thin: bytes
    shared: tuple[SharedModule, ...]

    @property
    def import_names(self) -> frozenset[str]:
        return frozenset(module.import_name for module in self.shared)


def runtime_import_name(sha256: str) -> str:
    return f"{RUNTIME_IMPORT_PREFIX}{sha256}"


def runtime_module_sha256(import_name: str) -> str | None:
    """The sha256 a runtime import name stands for, or None if it is not one of ours."""
    match = _RUNTIME_IMPORT.fullmatch(import_name)
    return match.group(1) if match else None


class ModuleTypes(Protocol):
    """Where `split_component` may find a module's type encoding computed before, by sha256."""

    def get(self, sha256: str) -> bytes | None: ...

    def put(self, sha256: str, module_type: bytes) -> None: ...


def split_component(
    component: bytes, policy: SplitPolicy | None = None, *, module_types: ModuleTypes | None = None
) -> SplitComponent:
    """Cut the large core modules out of `component`; see the module docstring.

    `module_types` saves parsing a runtime module's types, imports and exports again
    (libpython's take ~15 ms): the encoding depends on the module's bytes alone, so it is
    looked up and stored under their sha256, which this function computes itself.

    Raises `WasmFormatError` for bytes that are not a component this splitter understands
    (the caller then compiles the component whole, and wasmtime reports what is wrong).
    """
    policy = policy or SplitPolicy()
    if len(component) > MAX_COMPONENT_BYTES:
        raise WasmFormatError(f"component is larger than {MAX_COMPONENT_BYTES} bytes")
    check_preamble(component, COMPONENT_VERSION, "component")
    top = list(sections(component, PREAMBLE_SIZE, len(component), max_sections=MAX_COMPONENT_SECTIONS))
    _check_top_level(component, top)

    view = memoryview(component)
    chosen: dict[int, SharedModule] = {}  # section index -> module cut out there
    taken: set[str] = set()
    for index, section in enumerate(top):
        if section.id != _SECTION_CORE_MODULE:
            continue
        module = view[section.payload_start : section.end]
        if code_section_size(module) < policy.min_code_bytes:
            continue
        digest = sha256_hex(module)
        if digest in taken:
            continue  # one import per name: a second copy of the same module stays inline
        taken.add(digest)
        chosen[index] = SharedModule(runtime_import_name(digest), digest, bytes(module))
    if not chosen:
        return SplitComponent(thin=component, shared=())

    parts: list[bytes | memoryview] = [view[:PREAMBLE_SIZE]]
    type_index = 0
    for index, section in enumerate(top):
        shared = chosen.get(index)
        if shared is None:
            parts.append(view[section.start : section.end])
            continue
        parts.append(_core_type_section(_module_type(shared, module_types)))
        parts.append(_module_import_section(shared.import_name, type_index))
        type_index += 1
    return SplitComponent(thin=b"".join(parts), shared=tuple(chosen[i] for i in sorted(chosen)))


def _module_type(module: SharedModule, cache: ModuleTypes | None) -> bytes:
    encoded = cache.get(module.sha256) if cache is not None else None
    if encoded is None:
        encoded = module_type(module.wasm)
        if cache is not None:
            cache.put(module.sha256, encoded)
    return encoded


def _check_top_level(component: bytes, top: list[Section]) -> None:
    """Refuse what would make the inserted core types or import names ambiguous."""
    for section in top:
        if section.id == _SECTION_CORE_TYPE:
            raise WasmFormatError("component defines core types; it is compiled whole")
        if section.id == _SECTION_ALIAS:
            _check_aliases(Reader(component, section.payload_start, section.end))
        elif section.id == _SECTION_IMPORT:
            _check_imports(Reader(component, section.payload_start, section.end))


def _check_aliases(reader: Reader) -> None:
    for _ in range(reader.count()):
        sort = reader.byte()
        if sort == _SORT_CORE and reader.byte() == _CORE_SORT_TYPE:
            raise WasmFormatError("component aliases a core type; it is compiled whole")
        target = reader.byte()
        if target in (0x00, 0x01):  # export of an instance / a core instance
            reader.uleb()
            reader.name()
        elif target == 0x02:  # outer
            reader.uleb()
            reader.uleb()
        else:
            raise WasmFormatError(f"alias target 0x{target:02x} is not supported")
    if not reader.at_end():
        raise WasmFormatError("alias section has trailing bytes")


def _check_imports(reader: Reader) -> None:
    """An import named like ours would let a component ask for a runtime module by name."""
    for _ in range(reader.count()):
        form = reader.byte()
        if form != _PLAIN_NAME:
            raise WasmFormatError(f"import name form 0x{form:02x} is not supported")
        name = reader.name()
        if name.startswith(RUNTIME_IMPORT_PREFIX):
            raise WasmFormatError(f"component imports {name}, a name reserved for the host's runtime modules")
        _skip_extern_desc(reader)
    if not reader.at_end():
        raise WasmFormatError("import section has trailing bytes")


def _skip_extern_desc(reader: Reader) -> None:
    kind = reader.byte()
    if kind == 0x00:  # core module
        if reader.byte() != _CORE_SORT_MODULE:
            raise WasmFormatError("core import is not a module")
        reader.uleb()
    elif kind in (0x01, 0x04, 0x05):  # func, instance, component: a type index
        reader.uleb()
    elif kind == 0x02:  # value
        reader.sleb(33)
    elif kind == 0x03:  # type bound
        bound = reader.byte()
        if bound == 0x00:
            reader.uleb()
        elif bound != 0x01:
            raise WasmFormatError(f"type bound 0x{bound:02x} is not supported")
    else:
        raise WasmFormatError(f"import kind 0x{kind:02x} is not supported")


def _core_type_section(module_type_bytes: bytes) -> bytes:
    return encode_section(_SECTION_CORE_TYPE, b"\x01" + module_type_bytes)


def _module_import_section(name: str, type_index: int) -> bytes:
    entry = bytes([_PLAIN_NAME]) + encode_name(name) + bytes([_SORT_CORE, _CORE_SORT_MODULE])
    return encode_section(_SECTION_IMPORT, b"\x01" + entry + encode_uleb(type_index))
