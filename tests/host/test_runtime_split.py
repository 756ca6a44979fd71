"""The component splitter (pure): what it cuts out, what it leaves byte for byte, what it refuses."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.runtime.module_type import code_section_size, module_type
from host.runtime.split import (
    RUNTIME_IMPORT_PREFIX,
    SplitPolicy,
    runtime_import_name,
    runtime_module_sha256,
    split_component,
)
from host.runtime.wasm_binary import PREAMBLE_SIZE, WasmFormatError, encode_section, sections
from tests.runtime_kit import counter_wasm, reassemble

EVERY_MODULE = SplitPolicy(min_code_bytes=1)


def _wasm(wat: str) -> bytes:
    import wasmtime

    return bytes(wasmtime.wat2wasm(wat))


def _core_modules(component: bytes) -> list[bytes]:
    return [
        component[s.payload_start : s.end]
        for s in sections(component, PREAMBLE_SIZE, len(component), max_sections=1000)
        if s.id == 1
    ]


def test_modules_with_enough_code_become_imports_named_by_their_hash() -> None:
    original = counter_wasm()
    split = split_component(original, EVERY_MODULE)
    modules = _core_modules(original)
    assert [m.wasm for m in split.shared] == modules
    assert [m.sha256 for m in split.shared] == [hashlib.sha256(m).hexdigest() for m in modules]
    assert split.import_names == {runtime_import_name(hashlib.sha256(m).hexdigest()) for m in modules}
    assert _core_modules(split.thin) == []


def test_everything_but_the_cut_modules_stays_byte_for_byte() -> None:
    original = counter_wasm()
    split = split_component(original, EVERY_MODULE)
    assert split.thin != original
    assert reassemble(split) == original


def test_modules_under_the_threshold_stay_inline_and_nothing_changes() -> None:
    original = counter_wasm()
    split = split_component(original, SplitPolicy(min_code_bytes=1 << 20))
    assert split.shared == ()
    assert split.thin == original


def test_the_threshold_is_on_code_size_not_module_size() -> None:
    # A module of data only (a memory snapshot, like componentize-py's main module) has no code to compile.
    data_only = _wasm(
        '(component (core module (memory 1) (data (i32.const 0) "' + "x" * 4000 + '")) (core module (func)))'
    )
    data_module, code_module = _core_modules(data_only)
    assert code_section_size(data_module) == 0 < code_section_size(code_module)
    split = split_component(data_only, EVERY_MODULE)
    assert [m.wasm for m in split.shared] == [code_module]
    assert reassemble(split) == data_only


def test_a_second_copy_of_a_module_stays_inline_so_import_names_stay_unique() -> None:
    twice = _wasm('(component (core module (func (export "f"))) (core module (func (export "f"))))')
    first, second = _core_modules(twice)
    assert first == second
    split = split_component(twice, EVERY_MODULE)
    assert [m.wasm for m in split.shared] == [first]
    assert _core_modules(split.thin) == [second]
    assert reassemble(split) == twice


def test_the_module_type_lists_the_modules_types_imports_and_exports() -> None:
    module = _core_modules(counter_wasm())[1]
    encoded = module_type(module)
    # What the WAT toolchain encodes for the same type: types first, so the module's own
    # type indices hold inside it, then its imports and its exports in order.
    expected = _wasm(
        """(component (core type (module
             (type (func (result i32)))
             (import "env" "one" (func (type 0)))
             (export "memory" (memory 1))
             (export "table" (table 2 funcref))
             (export "g" (global (mut i32)))
             (export "seed" (global i64))
             (export "bump" (func (type 0)))
             (export "peek" (func (type 0))))))"""
    )
    core_type_section = next(s for s in sections(expected, PREAMBLE_SIZE, len(expected), max_sections=10) if s.id == 3)
    assert expected[core_type_section.payload_start + 1 : core_type_section.end] == encoded


@pytest.mark.parametrize(
    "wat",
    [
        pytest.param("(component (core type (func)) (core module (func)))", id="core-type-section"),
        pytest.param(
            "(component (core module $m (func)) (core type $t (module)) (core module (func)))",
            id="core-type-after-the-modules",
        ),
        pytest.param(
            f'(component (import "{RUNTIME_IMPORT_PREFIX}{"0" * 64}" (core module)) (core module (func)))',
            id="import-using-the-runtime-prefix",
        ),
    ],
)
def test_components_that_could_make_the_split_ambiguous_are_refused(wat: str) -> None:
    with pytest.raises(WasmFormatError):
        split_component(_wasm(wat), EVERY_MODULE)


def test_a_module_importing_one_name_twice_is_refused_not_mistyped() -> None:
    wat = '(component (core module (import "a" "b" (func)) (import "a" "b" (func)) (func)))'
    with pytest.raises(WasmFormatError, match="twice"):
        split_component(_wasm(wat), EVERY_MODULE)


def test_a_core_module_is_not_a_component() -> None:
    with pytest.raises(WasmFormatError, match="supported version"):
        split_component(_wasm("(module (func))"), EVERY_MODULE)


def test_runtime_import_names_round_trip_and_lookalikes_are_not_ours() -> None:
    sha = hashlib.sha256(b"libpython").hexdigest()
    assert runtime_module_sha256(runtime_import_name(sha)) == sha
    for lookalike in (
        runtime_import_name(sha.upper()),
        runtime_import_name(sha[:-1]),
        runtime_import_name(sha) + "0",
        runtime_import_name(sha) + "\n",
        "x" + runtime_import_name(sha),
        "wasi:cli/stdout@0.2.0",
    ):
        assert runtime_module_sha256(lookalike) is None


def test_every_truncation_is_refused_or_split_faithfully() -> None:
    original = counter_wasm()
    boundaries = {PREAMBLE_SIZE} | {s.end for s in sections(original, PREAMBLE_SIZE, len(original), max_sections=100)}
    for cut in range(len(original)):
        if cut in boundaries:  # whole sections: a shorter component, for wasmtime to judge
            assert reassemble(split_component(original[:cut], EVERY_MODULE)) == original[:cut]
            continue
        with pytest.raises(WasmFormatError):
            split_component(original[:cut], EVERY_MODULE)


def test_a_section_length_past_the_end_is_a_format_error() -> None:
    original = counter_wasm()
    first = next(sections(original, PREAMBLE_SIZE, len(original), max_sections=10))
    lying = original[:PREAMBLE_SIZE] + encode_section(first.id, b"")[:1] + b"\xff\xff\xff\xff\x0f"
    with pytest.raises(WasmFormatError):
        split_component(lying + original[first.payload_start :], EVERY_MODULE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_components_are_split_or_refused_never_crash(data: st.DataObject) -> None:
    original = bytearray(counter_wasm())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(PREAMBLE_SIZE, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    try:
        split = split_component(bytes(original), EVERY_MODULE)
    except WasmFormatError:
        return
    assert reassemble(split) == bytes(original)
