"""docs/performance.md is written by more than one benchmark: each owns one marked section.

`bench/run.py` writes the runtime section, `bench/registry_bench.py` the registry section,
`bench/install_bench.py` the install section, `bench/shared_runtime_bench.py` the shared-runtime
section, `bench/hot_paths_bench.py` the registry-hot-paths section, `bench/author_loop_bench.py`
the author-loop section, `bench/confinement_bench.py` the confinement section and
`bench/mcp_bench.py` the MCP section;
rewriting one keeps the others as they are. The prose under the runtime and registry tables
is hand-written in docs/performance-notes.md and docs/performance-registry-notes.md: those
files are the sources, copied in on each run; edit them, never the generated copy. The
confinement section's prose is written by bench/confinement_bench.py itself.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = REPO / "docs" / "performance.md"
SECTION_ORDER = (
    "runtime",
    "shared-runtime",
    "author-loop",
    "registry",
    "registry-hot-paths",
    "install",
    "confinement",
    "mcp",
)


def write_section(name: str, body: str, path: Path = PERFORMANCE_MD) -> None:
    """Replace the section `name` of `path` with `body`, or add it in `SECTION_ORDER`'s place."""
    text = path.read_text() if path.exists() else ""
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        later = [
            _markers(other)[0]
            for other in SECTION_ORDER[SECTION_ORDER.index(name) + 1 :]
            if name in SECTION_ORDER and _markers(other)[0] in text
        ]
        if later:
            before, after = text.split(later[0], 1)
            text = f"{before}{block}\n\n{later[0]}{after}"
        else:
            text = f"{text.rstrip()}\n\n{block}" if text.strip() else block
    path.write_text(text.rstrip() + "\n")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}"


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section:{name} (written by bench/) -->", f"<!-- /section:{name} -->"
