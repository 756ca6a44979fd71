"""Tools for plugin authors, and the plugin formats every part of acc shares.

`sdk.manifest` (plugin.toml), `sdk.archive` (NAME-VERSION.plugin), `sdk.signing`
(Ed25519 and Sigstore), `sdk.abi` (the WIT package) and `sdk.index_format` (the
marketplace's index and target names) are read by the host and the registry too, so
there is one definition of each format.
"""
