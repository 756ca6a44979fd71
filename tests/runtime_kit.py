"""Small components for the shared-runtime tests, written in WAT (no componentize-py build)."""

from __future__ import annotations

from host.runtime.split import SplitComponent, runtime_module_sha256
from host.runtime.wasm_binary import PREAMBLE_SIZE, Reader, encode_section, sections

#: Two core modules: `$env` (a function) and `$counter`, which imports it and keeps state in
#: a mutable global and in its memory. Lifted as `bump` (add one to both, return the global)
#: and `peek` (read the memory cell).
COUNTER_WAT = r"""
(component
  (core module $env
    (func (export "one") (result i32) i32.const 1))
  (core instance $e (instantiate $env))
  (core module $counter
    (import "env" "one" (func $one (result i32)))
    (memory (export "memory") 1)
    (table (export "table") 2 funcref)
    (global $g (export "g") (mut i32) (i32.const 0))
    (global (export "seed") i64 (i64.const -7))
    (func (export "bump") (result i32)
      global.get $g
      call $one
      i32.add
      global.set $g
      i32.const 0
      i32.const 0
      i32.load
      call $one
      i32.add
      i32.store
      global.get $g)
    (func (export "peek") (result i32)
      i32.const 0
      i32.load))
  (core instance $c (instantiate $counter (with "env" (instance $e))))
  (func (export "bump") (result u32) (canon lift (core func $c "bump")))
  (func (export "peek") (result u32) (canon lift (core func $c "peek"))))
"""


def counter_wasm() -> bytes:
    import wasmtime

    return bytes(wasmtime.wat2wasm(COUNTER_WAT))


def reassemble(split: SplitComponent) -> bytes:
    """Put the shared modules back where the splitter cut them out (its inverse, for tests).

    Each cut is a core type section followed by an import section with one runtime import.
    """
    by_sha = {module.sha256: module.wasm for module in split.shared}
    thin = split.thin
    top = list(sections(thin, PREAMBLE_SIZE, len(thin), max_sections=100_000))
    out = bytearray(thin[:PREAMBLE_SIZE])
    i = 0
    while i < len(top):
        section = top[i]
        if section.id == 3 and i + 1 < len(top) and top[i + 1].id == 10:
            reader = Reader(thin, top[i + 1].payload_start, top[i + 1].end)
            assert reader.count() == 1
            assert reader.byte() == 0x00
            sha = runtime_module_sha256(reader.name())
            if sha is not None:
                out += encode_section(1, by_sha[sha])
                i += 2
                continue
        out += thin[section.start : section.end]
        i += 1
    return bytes(out)
