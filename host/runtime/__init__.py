"""The shared Python runtime: compile libpython and its companions once per host, not per plugin.

Every componentize-py component embeds the same large core modules (libpython, libc, the
componentize-py runtime), byte for byte. Compiling them is ~90% of a plugin's compile.
This package splits a verified component into those shared modules and a thin component
that imports each of them as a core module named by its sha256 (`split`, pure), compiles
each shared module once per (sha256, wasmtime version, engine settings) and the thin
component per plugin (`loader`), and hands the sandbox both, to be linked with
`LinkerInstance.add_module`. Each plugin instance still instantiates its own copies of
the shared modules: only compiled code is shared, never memory, tables or globals.

Modules:
    wasm_binary   a bounded reader for the WebAssembly binary format (untrusted bytes)
    module_type   a core module's type (imports, exports) encoded as a component `core:moduletype`
    split         the component rewriter: thin component + shared modules, nothing else changed
    loader        compile and cache (on disk and per process); what the sandbox instantiates
"""
