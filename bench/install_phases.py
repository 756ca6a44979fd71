"""Run the real `acc` CLI in this process and write where an install's time went.

Run: python bench/install_phases.py PHASES.json acc-arguments...   (e.g. `plugin install git --yes`)

bench/install_bench.py runs this beside the plain `acc` to split an install's wall time
without instrumenting the product: it wraps a few of the installer's own functions with
timers (module attributes, replaced in this process only), then calls the console script's
`main()` with the arguments given. The phases, in seconds:

- `imports`: loading the CLI and the installer (what `acc plugin install` imports before
  its first request; python-tuf included);
- `tuf`: the TUF refresh (timestamp, snapshot, bins) and the signed indexes
  (`find_plugin`, and `resolve_install` for the dependencies' indexes);
- `download`: each archive and signature downloaded through TUF, hashed, unpacked and its
  publisher signature verified (`download_verified`);
- `decide`: ABI, store checks and consent (`decide_verified`);
- `compile`: the compile and import check of each plugin (`host.install._compile`), on the
  install's compile thread, so it may overlap a later download; `compile_wait` is how long
  the main thread waited for it;
- `store`: writing the plugins to ACC_HOME (`LocalStore.install`, with fsync);
- `total`: from the start of this script to the end of `main()`.

Nothing here is a test: the phases go to PHASES.json, the CLI's output where it always goes.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PHASES: dict[str, float] = {}
_LOCK = threading.Lock()


def _add(phase: str, seconds: float) -> None:
    with _LOCK:
        PHASES[phase] = PHASES.get(phase, 0.0) + seconds


def _timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(phase, time.perf_counter() - started)

    return wrapper


def _instrument() -> None:
    imports_started = time.perf_counter()
    import acc_cli.plugin.install
    import acc_cli.root  # noqa: F401
    import host.install
    import host.marketplace.install as market_install
    from host.store import LocalStore

    _add("imports", time.perf_counter() - imports_started)
    for name, phase in (
        ("find_plugin", "tuf"),
        ("resolve_install", "tuf"),
        ("download_verified", "download"),
        ("decide_verified", "decide"),
    ):
        setattr(market_install, name, _timed(phase, getattr(market_install, name)))
    host.install._compile = _timed("compile", host.install._compile)
    host.install.CompileQueue.wait = _timed("compile_wait", host.install.CompileQueue.wait)  # type: ignore[method-assign]
    LocalStore.install = _timed("store", LocalStore.install)  # type: ignore[method-assign]


def main() -> None:
    out = Path(sys.argv[1])
    sys.argv = ["acc", *sys.argv[2:]]
    _instrument()
    from acc_cli.fast import main as acc_main

    status: str | int | None = 0
    try:
        acc_main()
    except SystemExit as e:
        status = e.code
    PHASES["total"] = time.perf_counter() - STARTED
    out.write_text(json.dumps(PHASES))
    sys.exit(status)


if __name__ == "__main__":
    main()
