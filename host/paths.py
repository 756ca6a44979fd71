"""Where the host keeps its state. Environment variables are read here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostPaths:
    """The directories of one acc home (ACC_HOME)."""

    home: Path
    cache: Path

    @property
    def plugins(self) -> Path:
        return self.home / "plugins"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.home / ".lock"

    @property
    def staging(self) -> Path:
        return self.home / "tmp"

    @property
    def trust_file(self) -> Path:
        return self.home / "trusted-keys.json"

    @property
    def marketplaces(self) -> Path:
        return self.home / "marketplaces"

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"

    @property
    def kv(self) -> Path:
        return self.home / "kv"

    @property
    def compiled(self) -> Path:
        return self.cache / "compiled"

    @property
    def builds(self) -> Path:
        return self.cache / "builds"


def host_paths(environ: dict[str, str] | None = None) -> HostPaths:
    """Resolve ACC_HOME (default: the platform's user data dir) and ACC_CACHE_DIR.

    ACC_CACHE_DIR defaults to ACC_HOME/cache; it exists separately so that several homes
    (e.g. a test suite's) can share compiled code, which is keyed by content anyway.
    """
    env = os.environ if environ is None else environ
    home_value = env.get("ACC_HOME")
    if home_value:
        home = Path(home_value).expanduser().absolute()
    else:
        import platformdirs  # only when no ACC_HOME is set: keeps start-up lean

        home = Path(platformdirs.user_data_dir("acc", appauthor=False))
    cache_value = env.get("ACC_CACHE_DIR")
    cache = Path(cache_value).expanduser().absolute() if cache_value else home / "cache"
    return HostPaths(home=home, cache=cache)
