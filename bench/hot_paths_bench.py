"""The registry's hot paths, each with and without what makes it cheap, in one run.

Run: .venv/bin/python bench/hot_paths_bench.py [--quick] [--plugins 10000] [--no-write]

A registry with `--plugins` plugins (bench/registry_gen.py, the default bin size) served by
`acc registry serve` (gunicorn, 2 sync workers) on loopback, driven by wrk (1 thread, 16
connections) as in bench/registry_bench.py. Measured, A against B on the same server:

1. GET /tuf/metadata/timestamp.json with the generation file (no database read while it
   is unchanged), and with the file removed (one primary-key read per request, as before);
2. GET /search?q=coverage for a visitor who is not logged in (the page rendered once per
   query and repository generation), and for a logged-in visitor (rendered on every
   request, which is what every visitor got before).

Reported: requests per second, p95 latency, and gunicorn's CPU time per request (which
does not depend on the machine's load, unlike the other two). Nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.registry_bench import CACHE, WRK_SCRIPT, Notes, Server, Spread, WrkRun, serve, wrk  # noqa: E402
from bench.registry_gen import generate  # noqa: E402
from bench.report import load_average, machine, write_section  # noqa: E402
from registry.config import RegistryConfig  # noqa: E402
from registry.context import Registry  # noqa: E402
from sdk.archive import read_archive  # noqa: E402
from sdk.build import build_plugin  # noqa: E402
from tests.registry_kit import make_config, make_publisher  # noqa: E402

BUDGET_RPS = 1000
BUDGET_P95_MS = 50.0


def session_cookie(base: str, name: str, password: str) -> str:
    """Log in through the web form as a browser would; return the Cookie header it earns."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login") as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    assert token is not None, "the login page has no CSRF token"
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "name": name, "password": password, "next": ""})
    opener.open(f"{base}/login", data=form.encode()).close()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookies, "logging in gave no session cookie"
    return f"Cookie: {cookies}"


def measure(
    server: Server, path: str, runs: int, seconds: int, script: Path, headers: tuple[str, ...] = ()
) -> list[WrkRun]:
    wrk(server, path, 2, script, headers)  # warm-up: both workers fill their caches
    results = []
    for _ in range(runs):
        run = wrk(server, path, seconds, script, headers)
        results.append(run)
        print(
            f"GET {path}{' (logged in)' if headers else ''}: {run.rps:.0f} req/s, p95 {run.p95_ms:.1f} ms, "
            f"{run.server_cpu_ms:.2f} CPU ms/req, load {load_average()[0]:.1f}",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/performance.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="acc-hot-paths-"))
    notes = Notes()
    notes.sample()
    runs, seconds = (1, 4) if args.quick else (3, 10)
    try:
        template = read_archive(
            build_plugin(REPO / "official_plugins" / "example", work, cache_dir=CACHE / "builds").archive
        )
        config = make_config(
            work / "data", testing=False, compile_cache_dir=work / "compiled", bin_bits=RegistryConfig().bin_bits
        )
        make_publisher(config, "bench", work / "keys")
        registry = Registry.open(config)
        print(f"generating {args.plugins} plugins", flush=True)
        generate(registry, "bench", template, args.plugins)
        registry.db.dispose()
        script = work / "wrk-report.lua"
        script.write_text(WRK_SCRIPT)
        results: dict[str, list[WrkRun]] = {}
        with serve(config, work / "server.log") as server:
            generation_file = config.generation_file
            assert generation_file.is_file()
            notes.sample()
            results["timestamp.json, generation file"] = measure(
                server, "/tuf/metadata/timestamp.json", runs, seconds, script
            )
            saved = generation_file.read_bytes()
            generation_file.unlink()
            notes.sample()
            results["timestamp.json, no file (the database read at most once a second)"] = measure(
                server, "/tuf/metadata/timestamp.json", runs, seconds, script
            )
            generation_file.write_bytes(saved)
            cookie = session_cookie(server.url, "bench", "correct horse battery")
            notes.sample()
            results["/search?q=coverage, not logged in (rendered once per query)"] = measure(
                server, "/search?q=coverage", runs, seconds, script
            )
            notes.sample()
            results["/search?q=coverage, logged in (rendered per request, as before for all)"] = measure(
                server, "/search?q=coverage", runs, seconds, script, (cookie,)
            )
        notes.sample()
        body = report(results, args, notes)
        print(body)
        if not args.no_write:
            write_section("registry-hot-paths", body)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(results: dict[str, list[WrkRun]], args: argparse.Namespace, notes: Notes) -> str:
    import importlib.metadata as md

    lines = [
        "## Registry hot paths",
        "",
        f"Measured by `bench/hot_paths_bench.py` on {datetime.now(UTC):%Y-%m-%d}: {machine()}, gunicorn "
        f"{md.version('gunicorn')} (2 sync workers), SQLite; {args.plugins:,} plugins; wrk 1 thread, 16 "
        f"connections, on the same 2 cores. 1-minute load average {notes.show()} while measuring (other "
        "agents' builds share the cores: req/s and latency are lower and noisier than on an idle machine; "
        "the CPU time per request is not). Each pair ran back to back on one server. Medians, with (range, n).",
        "",
        "| GET | throughput | p95 | gunicorn CPU per request | ceiling on 2 idle cores | budget |",
        "|---|---|---|---|---|---|",
    ]
    for label, runs in results.items():
        rps = Spread(tuple(r.rps for r in runs))
        p95 = Spread(tuple(r.p95_ms for r in runs))
        cpu = Spread(tuple(r.server_cpu_ms for r in runs))
        ceiling = 2 * 1000 / cpu.median if cpu.median else float("nan")
        met = rps.median >= BUDGET_RPS and p95.median < BUDGET_P95_MS
        budget = f"≥ {BUDGET_RPS:,} req/s, p95 < {BUDGET_P95_MS:.0f} ms: {'met' if met else '**missed**'}"
        lines.append(
            f"| {label} | {rps.show('req/s', digits=0)} | {p95.show('ms', digits=1)} | {cpu.show('ms', digits=2)} | "
            f"{ceiling:,.0f} req/s | {budget} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
