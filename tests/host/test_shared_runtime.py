"""The shared runtime in wasmtime, on small WAT components: same behaviour, separate state, exact checks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from host.components import check_interface
from host.engine import EngineSettings
from host.errors import LoadError
from host.runtime.loader import LoadedComponent, load_plugin_component
from host.runtime.split import SplitPolicy, runtime_import_name, split_component
from sdk.manifest import load_manifest
from tests.helpers import TRAPS_ON_START_WAT
from tests.runtime_kit import counter_wasm

EVERY_MODULE = SplitPolicy(min_code_bytes=1)
SETTINGS = EngineSettings()


def _engine() -> Any:
    """A fresh engine: nothing compiled in this process is reused through it, only the disk cache."""
    import wasmtime

    config = wasmtime.Config()
    config.epoch_interruption = True
    config.consume_fuel = SETTINGS.fuel
    config.cranelift_opt_level = SETTINGS.opt_level
    return wasmtime.Engine(config)


class Instance:
    """One instantiation of a loaded component in its own store (as each sandbox has)."""

    def __init__(self, engine: Any, loaded: LoadedComponent) -> None:
        from wasmtime import Store
        from wasmtime.component import Linker

        self.store = Store(engine)
        self.store.set_epoch_deadline(1_000_000)
        linker = Linker(engine)
        loaded.define_runtime(linker)
        self.instance = linker.instantiate(self.store, loaded.component)

    def call(self, name: str) -> int:
        func = self.instance.get_func(self.store, name)
        assert func is not None
        result = func(self.store)
        func.post_return(self.store)
        return int(result)


def _load(engine: Any, wasm: bytes, cache: Path, **kwargs: Any) -> LoadedComponent:
    return load_plugin_component(engine, SETTINGS, wasm, cache, policy=EVERY_MODULE, **kwargs)


def test_the_split_component_behaves_like_the_whole(tmp_path: Path) -> None:
    from wasmtime.component import Component

    engine = _engine()
    wasm = counter_wasm()
    loaded = _load(engine, wasm, tmp_path)
    assert loaded.runtime_imports == split_component(wasm, EVERY_MODULE).import_names != set()
    whole = LoadedComponent(Component(engine, wasm))
    results = []
    for variant in (whole, loaded):
        instance = Instance(engine, variant)
        results.append([instance.call("bump"), instance.call("bump"), instance.call("peek"), instance.call("bump")])
    assert results[0] == results[1] == [1, 2, 2, 3]


def test_instances_sharing_runtime_modules_do_not_share_globals_or_memory(tmp_path: Path) -> None:
    engine = _engine()
    first = _load(engine, counter_wasm(), tmp_path)
    second = _load(engine, counter_wasm(), tmp_path)
    # The same compiled code in both...
    assert first.runtime_modules.keys() == second.runtime_modules.keys()
    assert all(first.runtime_modules[n] is second.runtime_modules[n] for n in first.runtime_modules)
    a, b = Instance(engine, first), Instance(engine, second)
    for _ in range(5):
        a.call("bump")
    # ...but b's global and memory are its own: a's five bumps are invisible to it.
    assert b.call("peek") == 0
    assert b.call("bump") == 1
    assert a.call("peek") == 5
    assert a.call("bump") == 6


def test_two_instances_of_one_loaded_component_are_separate(tmp_path: Path) -> None:
    engine = _engine()
    loaded = _load(engine, counter_wasm(), tmp_path)
    a, b = Instance(engine, loaded), Instance(engine, loaded)
    assert [a.call("bump"), a.call("bump"), b.call("bump"), a.call("peek"), b.call("peek")] == [1, 2, 1, 2, 1]


def test_runtime_modules_are_compiled_once_and_then_loaded_from_disk(tmp_path: Path) -> None:
    wasm = counter_wasm()
    _load(_engine(), wasm, tmp_path)
    compiled = sorted(p.name for p in tmp_path.glob("*.cwasm"))
    runtime = [name for name in compiled if "-runtime-" in name]
    assert len(runtime) == 2
    thin = [name for name in compiled if "-thin1-" in name]
    assert len(thin) == 1
    assert thin[0].startswith(hashlib.sha256(wasm).hexdigest())
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.cwasm")}
    engine = _engine()  # a new engine: nothing compiled in memory can answer, only the disk
    again = _load(engine, wasm, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.cwasm")} == stamps
    assert Instance(engine, again).call("bump") == 1


def test_a_component_compiled_whole_before_the_shared_runtime_is_loaded_as_it_is(tmp_path: Path) -> None:
    """Installs compiled whole by an earlier acc keep working: no split, no second compile."""
    from host.compiled_cache import load_component

    wasm = counter_wasm()
    engine = _engine()
    load_component(engine, SETTINGS, wasm, tmp_path)
    before = sorted(p.name for p in tmp_path.glob("*.cwasm"))
    assert len(before) == 1 and "-thin1-" not in before[0]
    loaded = _load(engine, wasm, tmp_path, wasm_sha256=hashlib.sha256(wasm).hexdigest())
    assert loaded.runtime_modules == {}
    assert sorted(p.name for p in tmp_path.glob("*.cwasm")) == before
    assert Instance(engine, loaded).call("bump") == 1


def test_a_damaged_runtime_compilation_is_compiled_again(tmp_path: Path) -> None:
    wasm = counter_wasm()
    _load(_engine(), wasm, tmp_path)
    for path in tmp_path.glob("*-runtime-*.cwasm"):
        path.write_bytes(b"not native code")
    engine = _engine()
    loaded = _load(engine, wasm, tmp_path)
    assert Instance(engine, loaded).call("bump") == 1
    assert all(p.stat().st_size > 100 for p in tmp_path.glob("*-runtime-*.cwasm"))


def test_module_types_are_kept_beside_the_runtime_and_match_the_modules(tmp_path: Path) -> None:
    from host.runtime.module_type import module_type

    wasm = counter_wasm()
    _load(_engine(), wasm, tmp_path)
    kept = {p.name.split("-")[0]: p.read_bytes() for p in tmp_path.glob("*-runtime-mtype1.bin")}
    assert kept == {m.sha256: module_type(m.wasm) for m in split_component(wasm, EVERY_MODULE).shared}


@pytest.mark.parametrize("damage", [b"\x50", b"\x50" + bytes(range(200)), b"", b"not a type"])
def test_a_damaged_module_type_file_is_parsed_again_and_the_plugin_still_split(tmp_path: Path, damage: bytes) -> None:
    wasm = counter_wasm()
    _load(_engine(), wasm, tmp_path)
    types = sorted(tmp_path.glob("*-runtime-mtype1.bin"))
    good = [p.read_bytes() for p in types]
    for path in types:
        path.write_bytes(damage)
    for path in tmp_path.glob("*-thin1-*.cwasm"):
        path.unlink()  # the next load splits and compiles the thin component again
    engine = _engine()
    loaded = _load(engine, wasm, tmp_path)
    assert loaded.runtime_imports  # split, not compiled whole
    assert [Instance(engine, loaded).call("bump") for _ in range(2)] == [1, 1]
    assert [p.read_bytes() for p in types] == good


def test_a_compilation_written_to_a_file_is_what_serialize_returns(tmp_path: Path) -> None:
    import wasmtime

    from host.wasmtime_compat import write_serialized

    engine = _engine()
    module = wasmtime.Module(engine, '(module (func (export "f") (result i32) i32.const 7))')
    write_serialized(module, tmp_path / "m.cwasm")
    assert (tmp_path / "m.cwasm").read_bytes() == bytes(module.serialize())
    again = wasmtime.Module.deserialize_file(engine, str(tmp_path / "m.cwasm"))
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1)
    f = wasmtime.Instance(store, again, []).exports(store)["f"]
    assert isinstance(f, wasmtime.Func) and f(store) == 7


def test_compiling_a_component_from_its_own_bytes_keeps_wasmtimes_errors() -> None:
    import wasmtime

    from host.wasmtime_compat import compile_component

    engine = _engine()
    assert compile_component(engine, bytes(wasmtime.wat2wasm("(component)"))).type.exports(engine) == {}
    with pytest.raises(wasmtime.WasmtimeError, match="failed to parse"):
        compile_component(engine, b"\0asm\x0d\x00\x01\x00not a section")


def test_a_wasm_changed_after_install_is_refused_on_a_cache_miss(tmp_path: Path) -> None:
    wasm = counter_wasm()
    with pytest.raises(LoadError, match="does not match the hash"):
        _load(_engine(), wasm + b"\0", tmp_path, wasm_sha256=hashlib.sha256(wasm).hexdigest())


GUEST_MANIFEST = """
name = "trap-on-start"
version = "1.0.0"
description = "a test component"
api = ">=1.0,<2"

[[commands]]
name = "x"
"""


def test_the_import_check_accepts_exactly_the_runtime_imports_the_host_made(tmp_path: Path) -> None:
    import wasmtime

    engine = _engine()
    manifest = load_manifest(GUEST_MANIFEST)
    loaded = _load(engine, bytes(wasmtime.wat2wasm(TRAPS_ON_START_WAT)), tmp_path)
    assert len(loaded.runtime_imports) == 1
    check_interface(loaded.component, engine, manifest, loaded.runtime_imports)
    # Not told they are the host's own, the same imports are refused like any unknown import.
    with pytest.raises(LoadError, match="which acc does not provide"):
        check_interface(loaded.component, engine, manifest)
    # Told of one the component does not import, the check refuses too.
    other = runtime_import_name(hashlib.sha256(b"other").hexdigest())
    with pytest.raises(LoadError, match="does not import the runtime module"):
        check_interface(loaded.component, engine, manifest, {*loaded.runtime_imports, other})


def test_a_component_that_imports_a_runtime_name_itself_is_compiled_whole_and_refused(tmp_path: Path) -> None:
    import wasmtime

    name = runtime_import_name(hashlib.sha256(b"libpython").hexdigest())
    wat = TRAPS_ON_START_WAT.replace("(component", f'(component (import "{name}" (core module))', 1)
    engine = _engine()
    loaded = _load(engine, bytes(wasmtime.wat2wasm(wat)), tmp_path)
    assert loaded.runtime_imports == frozenset()
    with pytest.raises(LoadError, match="which acc does not provide"):
        check_interface(loaded.component, engine, load_manifest(GUEST_MANIFEST), loaded.runtime_imports)


def test_a_background_runtime_compile_leaves_the_foreground_load_nothing_to_compile(tmp_path: Path) -> None:
    from host.runtime.loader import compile_runtime_in_background

    engine = _engine()
    wasm = counter_wasm()
    compile_runtime_in_background(engine, SETTINGS, wasm, tmp_path, policy=EVERY_MODULE).join(timeout=60)
    runtime = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*-runtime-*.cwasm")}
    assert len(runtime) == 2
    loaded = _load(engine, wasm, tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*-runtime-*.cwasm")} == runtime
    assert Instance(engine, loaded).call("bump") == 1


def test_a_background_compile_of_bytes_that_are_not_a_component_is_quiet(tmp_path: Path) -> None:
    from host.runtime.loader import compile_runtime_in_background

    thread = compile_runtime_in_background(_engine(), SETTINGS, b"not wasm", tmp_path)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert list(tmp_path.iterdir()) == []


def test_winch_compiles_the_runtime_and_the_thin_component_alike(tmp_path: Path) -> None:
    from host.engine import shared_engine

    winch = EngineSettings(strategy="winch")
    engine = shared_engine(winch)
    loaded = load_plugin_component(engine, winch, counter_wasm(), tmp_path, policy=EVERY_MODULE)
    assert loaded.runtime_imports
    instance = Instance(engine, loaded)
    assert [instance.call("bump"), instance.call("bump"), instance.call("peek")] == [1, 2, 2]
    # Its compilations are keyed apart from Cranelift's: the two never load each other's code.
    assert all(winch.fingerprint() in p.name for p in tmp_path.glob("*.cwasm"))


def test_cranelift_cache_keys_are_the_ones_from_before_there_was_a_strategy() -> None:
    import json

    before = json.dumps({"epoch_interruption": True, "fuel": False, "opt_level": "speed"}, sort_keys=True)
    assert EngineSettings().fingerprint() == hashlib.sha256(before.encode()).hexdigest()[:16]
    assert EngineSettings(strategy="winch").fingerprint() != EngineSettings().fingerprint()


def test_the_register_allocator_is_in_the_cache_key_only_when_not_the_default() -> None:
    assert EngineSettings(regalloc="backtracking").fingerprint() == EngineSettings().fingerprint()
    assert EngineSettings(regalloc="single_pass").fingerprint() != EngineSettings().fingerprint()


def test_a_thin_component_compiled_for_speed_of_compiling_runs_in_the_hosts_engine(tmp_path: Path) -> None:
    """The thin component is compiled without optimizations (host.runtime.loader._thin_compiler)
    and then loaded into the engine its runtime modules were compiled by, optimized."""
    from host.engine import shared_engine
    from host.runtime.loader import THIN_OPT_LEVEL, THIN_REGALLOC

    assert (SETTINGS.opt_level, SETTINGS.regalloc) != (THIN_OPT_LEVEL, THIN_REGALLOC)
    engine = shared_engine(SETTINGS)
    loaded = load_plugin_component(engine, SETTINGS, counter_wasm(), tmp_path, policy=EVERY_MODULE)
    instance = Instance(engine, loaded)
    assert [instance.call("bump"), instance.call("bump"), instance.call("peek")] == [1, 2, 2]


def test_cache_keys_name_the_installed_wasmtime_version_without_importlib_metadata() -> None:
    import importlib.metadata

    from host.compiled_cache import cache_key

    assert f"-wasmtime{importlib.metadata.version('wasmtime')}-" in cache_key("0" * 64, SETTINGS)
