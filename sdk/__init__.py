"""Tools for plugin authors, and the plugin formats every part of acc shares.

`sdk.manifest` (plugin.toml), `sdk.archive` (NAME-VERSION.plugin), `sdk.signing`
(Ed25519 and Sigstore) and `sdk.abi` (the WIT package) are read by the host and the
registry too, so there is one parser for each format.
"""
