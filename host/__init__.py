"""The acc host: the local plugin store, the wasmtime sandbox, capabilities, and the CLI for users."""
