"""`acc registry init`: a new registry (data directory, database, TUF keys and root)."""

from __future__ import annotations

from pathlib import Path

import click

from acc_cli.registry._options import data_option
from acc_cli.terminal import echo, err


@click.command()
@data_option
@click.option(
    "--bins",
    "bin_bits",
    type=click.IntRange(1, 14),
    default=None,
    help="Hashed-bin delegation: 2**N bins (default 9: 512 bins, sized for ~10,000 plugins).",
)
@click.option(
    "--root-keys",
    type=click.IntRange(1, 16),
    default=None,
    help="How many root keys to make (default 1, or $REGISTRY_ROOT_KEYS); e.g. 3 with --root-threshold 2.",
)
@click.option(
    "--root-threshold",
    type=click.IntRange(1, 16),
    default=None,
    help="How many root keys must sign a new root (default 1, or $REGISTRY_ROOT_THRESHOLD).",
)
def init(data_dir: Path | None, bin_bits: int | None, root_keys: int | None, root_threshold: int | None) -> None:
    """Create a registry: data directory, database, TUF keys and root. Thresholds of the other
    roles come from the configuration (REGISTRY_TARGETS_THRESHOLD, ...)."""
    from registry.config import load_config
    from registry.operator import first_root_sha256_of
    from registry.repository_admin import init_registry
    from registry.root_pin import root_pin

    mapping: dict[str, object] = {}
    if data_dir is not None:
        mapping["data_dir"] = data_dir
    if bin_bits is not None:
        mapping["bin_bits"] = bin_bits
    if root_threshold is not None:
        mapping["root_threshold"] = root_threshold
        mapping["root_keys"] = max(root_threshold, root_keys or 1)
    if root_keys is not None:
        mapping["root_keys"] = root_keys
    config = load_config(mapping)
    warning = init_registry(config)
    root = config.data_dir.absolute()
    echo(f"created a registry in {root}")
    err(f"warning: {warning}")
    pin = root_pin(config.public_url or "http://127.0.0.1:8080", first_root_sha256_of(config))
    echo(f"root sha256: {pin.root_sha256}")
    echo(f"next: acc registry serve --data {config.data_dir}")
    echo(f"users add it with: {pin.add_command}")
