"""A core module's type, encoded as the component model's `core:moduletype` (pure, bounded).

A thin component imports each shared module as `(core module (type $t))`, where `$t` must
describe the module exactly: its function types, its imports and its exports. It is built
from the module's own sections, so the type index space inside `$t` is the module's own:

    0x50 vec(moduledecl)       moduledecl = 0x01 type | 0x00 import | 0x03 exportdecl
      every type of the type section, byte for byte, in order (same indices)
      every import of the import section, byte for byte, in order
      every export, with the type of what it exports (looked up in the module's sections)

wasmtime checks the module supplied at link time against this type, so a wrong type can
only make instantiation fail, never let a module in under a type it does not have. Only
the MVP-plus type forms componentize-py emits are accepted (function types of numeric,
vector and plain reference types; 32/64-bit limits); anything else (GC types, typed
function references, custom page sizes) raises `WasmFormatError` and the component is
then compiled whole, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from host.runtime.wasm_binary import (
    CORE_MODULE_VERSION,
    PREAMBLE_SIZE,
    Reader,
    WasmFormatError,
    check_preamble,
    encode_name,
    encode_uleb,
    sections,
)

MAX_MODULE_SECTIONS = 10_000
_T = TypeVar("_T")

_NUMERIC_AND_VECTOR = {0x7F, 0x7E, 0x7D, 0x7C, 0x7B}  # i32 i64 f32 f64 v128
_REFERENCE = {0x70, 0x6F}  # funcref externref
_VALUE_TYPES = _NUMERIC_AND_VECTOR | _REFERENCE

_SECTION_TYPE, _SECTION_IMPORT, _SECTION_FUNCTION = 1, 2, 3
_SECTION_TABLE, _SECTION_MEMORY, _SECTION_GLOBAL, _SECTION_EXPORT = 4, 5, 6, 7
_SECTION_CODE, _SECTION_TAG = 10, 13

_KIND_FUNC, _KIND_TABLE, _KIND_MEMORY, _KIND_GLOBAL, _KIND_TAG = 0, 1, 2, 3, 4

_DECL_IMPORT, _DECL_TYPE, _DECL_EXPORT = 0x00, 0x01, 0x03
_MODULE_TYPE = 0x50


@dataclass
class _Spaces:
    """What an export's type is looked up in: each index space as type descriptors."""

    types: list[bytes] = field(default_factory=list)
    funcs: list[int] = field(default_factory=list)  # type index of each function
    tables: list[bytes] = field(default_factory=list)
    memories: list[bytes] = field(default_factory=list)
    globals: list[bytes] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)  # type index of each tag
    imports: list[bytes] = field(default_factory=list)
    exports: list[bytes] = field(default_factory=list)


def code_section_size(module: bytes | memoryview) -> int:
    """The size of a core module's code section: what its compile time is proportional to."""
    check_preamble(module, CORE_MODULE_VERSION, "core module")
    for section in sections(module, PREAMBLE_SIZE, len(module), max_sections=MAX_MODULE_SECTIONS):
        if section.id == _SECTION_CODE:
            return section.size
    return 0


def module_type(module: bytes | memoryview) -> bytes:
    """The `core:moduletype` encoding that describes `module` exactly."""
    check_preamble(module, CORE_MODULE_VERSION, "core module")
    spaces = _Spaces()
    seen: set[int] = set()
    for section in sections(module, PREAMBLE_SIZE, len(module), max_sections=MAX_MODULE_SECTIONS):
        if section.id == 0:
            continue  # custom sections carry no type
        if section.id in seen:
            raise WasmFormatError(f"core module has two sections of id {section.id}")
        seen.add(section.id)
        reader = Reader(module, section.payload_start, section.end)
        if section.id == _SECTION_TYPE:
            _read_types(reader, spaces)
        elif section.id == _SECTION_IMPORT:
            _read_imports(reader, spaces)
        elif section.id == _SECTION_FUNCTION:
            for _ in range(reader.count()):
                spaces.funcs.append(_type_index(reader, spaces))
        elif section.id == _SECTION_TABLE:
            for _ in range(reader.count()):
                spaces.tables.append(_table_type(reader))
        elif section.id == _SECTION_MEMORY:
            for _ in range(reader.count()):
                spaces.memories.append(_limits(reader))
        elif section.id == _SECTION_TAG:
            for _ in range(reader.count()):
                spaces.tags.append(_tag_type(reader, spaces))
        elif section.id == _SECTION_GLOBAL:
            for _ in range(reader.count()):
                spaces.globals.append(_global_type(reader))
                _skip_const_expr(reader)
        elif section.id == _SECTION_EXPORT:
            _read_exports(reader, spaces)
            break  # nothing after the export section changes the module's type
        else:
            continue
        if not reader.at_end():
            raise WasmFormatError(f"core module section {section.id} has trailing bytes")
    decls = bytearray()
    count = 0
    for type_bytes in spaces.types:
        decls += bytes([_DECL_TYPE]) + type_bytes
        count += 1
    for import_bytes in spaces.imports:
        decls += bytes([_DECL_IMPORT]) + import_bytes
        count += 1
    for export_bytes in spaces.exports:
        decls += bytes([_DECL_EXPORT]) + export_bytes
        count += 1
    return bytes([_MODULE_TYPE]) + encode_uleb(count) + bytes(decls)


def _read_types(reader: Reader, spaces: _Spaces) -> None:
    for _ in range(reader.count()):
        start = reader.pos
        form = reader.byte()
        if form != 0x60:
            raise WasmFormatError(f"core type form 0x{form:02x} (not a plain function type) is not supported")
        for _ in range(2):  # params, results
            for _ in range(reader.count()):
                _value_type(reader)
        spaces.types.append(bytes(reader.data[start : reader.pos]))


def _read_imports(reader: Reader, spaces: _Spaces) -> None:
    names: set[tuple[str, str]] = set()
    for _ in range(reader.count()):
        start = reader.pos
        key = (reader.name(), reader.name())
        if key in names:
            # A core module may import one name twice; a module type may not declare it twice.
            raise WasmFormatError(f"core module imports {key[0]}::{key[1]} twice")
        names.add(key)
        kind = reader.byte()
        if kind == _KIND_FUNC:
            spaces.funcs.append(_type_index(reader, spaces))
        elif kind == _KIND_TABLE:
            spaces.tables.append(_table_type(reader))
        elif kind == _KIND_MEMORY:
            spaces.memories.append(_limits(reader))
        elif kind == _KIND_GLOBAL:
            spaces.globals.append(_global_type(reader))
        elif kind == _KIND_TAG:
            spaces.tags.append(_tag_type(reader, spaces))
        else:
            raise WasmFormatError(f"core import kind 0x{kind:02x} is not supported")
        spaces.imports.append(bytes(reader.data[start : reader.pos]))


def _read_exports(reader: Reader, spaces: _Spaces) -> None:
    for _ in range(reader.count()):
        name = reader.name()
        kind = reader.byte()
        index = reader.uleb()
        descriptor: bytes
        if kind == _KIND_FUNC:
            descriptor = bytes([_KIND_FUNC]) + encode_uleb(_lookup(spaces.funcs, index, "function"))
        elif kind == _KIND_TABLE:
            descriptor = bytes([_KIND_TABLE]) + _lookup(spaces.tables, index, "table")
        elif kind == _KIND_MEMORY:
            descriptor = bytes([_KIND_MEMORY]) + _lookup(spaces.memories, index, "memory")
        elif kind == _KIND_GLOBAL:
            descriptor = bytes([_KIND_GLOBAL]) + _lookup(spaces.globals, index, "global")
        elif kind == _KIND_TAG:
            descriptor = bytes([_KIND_TAG, 0x00]) + encode_uleb(_lookup(spaces.tags, index, "tag"))
        else:
            raise WasmFormatError(f"core export kind 0x{kind:02x} is not supported")
        spaces.exports.append(encode_name(name) + descriptor)


def _lookup(space: list[_T], index: int, what: str) -> _T:
    if index >= len(space):
        raise WasmFormatError(f"core export names {what} {index}, which does not exist")
    return space[index]


def _type_index(reader: Reader, spaces: _Spaces) -> int:
    index = reader.uleb()
    if index >= len(spaces.types):
        raise WasmFormatError(f"core type index {index} does not exist")
    return index


def _tag_type(reader: Reader, spaces: _Spaces) -> int:
    attribute = reader.byte()
    if attribute != 0x00:
        raise WasmFormatError(f"core tag attribute 0x{attribute:02x} is not supported")
    return _type_index(reader, spaces)


def _value_type(reader: Reader) -> int:
    value = reader.byte()
    if value not in _VALUE_TYPES:
        raise WasmFormatError(f"core value type 0x{value:02x} is not supported")
    return value


def _limits(reader: Reader) -> bytes:
    """Memory or table limits, as their raw bytes: flags, min, (max)."""
    start = reader.pos
    flags = reader.byte()
    if flags & ~0b111:
        raise WasmFormatError(f"limits flags 0x{flags:02x} are not supported")
    bits = 64 if flags & 0b100 else 32
    reader.uleb(bits)
    if flags & 0b001:
        reader.uleb(bits)
    return bytes(reader.data[start : reader.pos])


def _table_type(reader: Reader) -> bytes:
    start = reader.pos
    element = reader.byte()
    if element not in _REFERENCE:
        raise WasmFormatError(f"table element type 0x{element:02x} is not supported")
    _limits(reader)
    return bytes(reader.data[start : reader.pos])


def _global_type(reader: Reader) -> bytes:
    start = reader.pos
    _value_type(reader)
    mutability = reader.byte()
    if mutability not in (0, 1):
        raise WasmFormatError(f"global mutability 0x{mutability:02x} is not valid")
    return bytes(reader.data[start : reader.pos])


def _skip_const_expr(reader: Reader) -> None:
    """Skip a constant expression (a global's initializer) up to and including its `end`."""
    while True:
        op = reader.byte()
        if op == 0x0B:  # end
            return
        if op == 0x41:  # i32.const
            reader.sleb(32)
        elif op == 0x42:  # i64.const
            reader.sleb(64)
        elif op == 0x43:  # f32.const
            reader.skip(4)
        elif op == 0x44:  # f64.const
            reader.skip(8)
        elif op in (0x23, 0xD2):  # global.get, ref.func
            reader.uleb()
        elif op == 0xD0:  # ref.null
            if reader.byte() not in _REFERENCE:
                raise WasmFormatError("ref.null of a typed reference is not supported")
        elif op in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended-const add/sub/mul
            continue
        elif op == 0xFD:  # v128.const
            if reader.uleb() != 12:
                raise WasmFormatError("only v128.const may appear in a constant expression")
            reader.skip(16)
        else:
            raise WasmFormatError(f"opcode 0x{op:02x} is not supported in a constant expression")
