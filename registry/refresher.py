"""The process `acc registry serve` runs beside gunicorn: `acc registry refresh` every
`refresh_interval_minutes`, until gunicorn stops (started and stopped by
registry/gunicorn_hooks.py). Configuration comes from the same REGISTRY_* environment."""

from __future__ import annotations

import logging
import os
import sys
import time

from registry.config import load_config
from registry.context import Registry
from registry.refresh import refresh_repository

logger = logging.getLogger("registry.refresher")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s refresher %(levelname)s %(message)s")
    config = load_config()
    interval = config.refresh_interval_minutes * 60
    parent = os.getppid()
    registry = Registry.open(config)
    next_run = time.monotonic()
    while os.getppid() == parent:  # gunicorn is gone: so is this
        if time.monotonic() >= next_run:
            try:
                logger.info(refresh_repository(registry).summary())
            except Exception:
                logger.exception("refreshing the metadata failed; trying again at the next interval")
            next_run = time.monotonic() + interval
        time.sleep(1.0)
    registry.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
