"""The `--data` option every `acc registry` command takes, and the config it selects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from registry.config import RegistryConfig

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The registry's data directory (default: registry-data/, or $REGISTRY_DATA_DIR).",
)


def registry_config(data_dir: Path | None) -> RegistryConfig:
    """The registry's config: `--data` if given, else the environment and the defaults."""
    from registry.config import load_config

    return load_config({"data_dir": data_dir} if data_dir is not None else None)
