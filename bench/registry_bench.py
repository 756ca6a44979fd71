"""Registry benchmarks of the design's budgets; writes the registry section of docs/performance.md.

Run: .venv/bin/python bench/registry_bench.py [--quick] [--bits 6,8,9,10] [--plugins 10000]

For each hashed-bin size it creates a registry, fills it with `--plugins` plugins
(bench/registry_gen.py: bulk rows + TUF metadata signed by the registry's own code) and
serves it with `acc registry serve` (gunicorn, 2 workers). Then:

1. TUF bytes: a real `tuf.ngclient.Updater` installs one plugin (the returning client),
   one new version is published through the HTTP API, and the client installs that
   version; a counting fetcher records every response it downloads.
2. Publish latency through the HTTP API (the client `acc plugin publish` uses): with the
   component already in the compile cache, and (at the default bin size) with the
   first compile.
3. Cached GETs (at the default bin size): wrk on loopback against TUF metadata, an index
   target and search; requests/s and p95 latency.

Nothing here is a test; every number is a median of repeated runs, with its range.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import urllib3  # noqa: E402
from tuf.api import exceptions as tuf_exceptions  # noqa: E402
from tuf.api.metadata import Metadata, MetaFile, Snapshot, SuccinctRoles, TargetFile, Targets  # noqa: E402
from tuf.ngclient import Updater  # noqa: E402
from tuf.ngclient.fetcher import FetcherInterface  # noqa: E402

from bench.registry_gen import CATEGORIES, generate  # noqa: E402
from bench.report import load_average, machine, write_section  # noqa: E402
from registry.catalog import SearchQuery, search  # noqa: E402
from registry.config import RegistryConfig  # noqa: E402
from registry.context import Registry  # noqa: E402
from registry.models import TufMetadata  # noqa: E402
from sdk.archive import PluginArchive, read_archive  # noqa: E402
from sdk.build import build_plugin  # noqa: E402
from sdk.index_format import index_path  # noqa: E402
from tests.registry_kit import Publisher, make_config, make_publisher, sign, variant  # noqa: E402

CACHE = REPO / ".acc-test-cache"
DEFAULT_BITS = RegistryConfig().bin_bits
TUF_BUDGET_BYTES = 20 * 1024
GET_BUDGET_RPS = 1000
GET_BUDGET_P95_MS = 50.0
GZIP_LEVEL = 6
WRK_CONNECTIONS = 16
SEARCH_WORD = "coverage"  # one of registry_gen.KEYWORDS: about 3% of plugins
SEARCH_CATEGORY = CATEGORIES[0]  # about 10% of plugins
#: The searches measured: path, and the query it asks (for timing catalog.search itself).
SEARCHES = (
    (f"/api/v1/plugins?q={SEARCH_WORD}", SearchQuery(q=SEARCH_WORD)),
    (f"/api/v1/plugins?q={SEARCH_CATEGORY}", SearchQuery(q=SEARCH_CATEGORY)),
    ("/api/v1/plugins", SearchQuery()),
    (
        f"/api/v1/plugins?category={SEARCH_CATEGORY}&sort=downloads",
        SearchQuery(category=SEARCH_CATEGORY, sort="downloads"),
    ),
    (f"/search?q={SEARCH_WORD}", SearchQuery(q=SEARCH_WORD)),
)


# -- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """A median and the range it came from."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def show(self, unit: str, scale: float = 1.0, digits: int = 0) -> str:
        lo, hi = min(self.samples) * scale, max(self.samples) * scale
        text = f"{self.median * scale:,.{digits}f} {unit}"
        if len(self.samples) > 1:
            text += f" ({lo:,.{digits}f}–{hi:,.{digits}f}, n={len(self.samples)})"
        return text


@dataclass
class Notes:
    """Load averages seen while measuring: the machine is shared with other builds."""

    loads: list[float] = field(default_factory=list)

    def sample(self) -> None:
        self.loads.append(load_average()[0])

    def show(self) -> str:
        if not self.loads:
            return "n/a"
        return f"{min(self.loads):.1f}–{max(self.loads):.1f} (median {statistics.median(self.loads):.1f})"


# -- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and workers."""
        return sum(_cpu_seconds(pid) for pid in (self.pid, *_children(self.pid)))


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(config: RegistryConfig, log: Path) -> Iterator[Server]:
    """`acc registry serve` (gunicorn, 2 workers) on a loopback port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["REGISTRY_COMPILE_CACHE_DIR"] = str(config.compiled_dir)
    if config.database_url:
        env["REGISTRY_DATABASE_URL"] = config.database_url
    acc = str(Path(sys.executable).parent / "acc")
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [acc, "registry", "serve", "--data", str(config.data_dir), "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the registry server did not start; see {log}") from None
                time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- 1. TUF bytes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetch:
    url: str
    step: str
    status: int
    body: int  # bytes of the (decoded) response body
    wire: int  # bytes of the body as sent: less than `body` when the server gzipped it
    headers: int  # bytes of the status line and response headers
    gzipped: int  # `body` compressed with gzip -6 here: what a gzipping server would send


class CountingFetcher(FetcherInterface):
    """urllib3, like ngclient's default fetcher, recording the size of every response.

    With `accept_gzip` it sends `Accept-Encoding: gzip` (ngclient's own fetcher sends no
    Accept-Encoding); urllib3 decodes, so ngclient checks lengths and hashes as always.
    """

    def __init__(self, *, accept_gzip: bool = False) -> None:
        self._pool = urllib3.PoolManager()
        self._headers = {"Accept-Encoding": "gzip"} if accept_gzip else {"Accept-Encoding": "identity"}
        self.fetches: list[Fetch] = []
        self.step = ""

    def _fetch(self, url: str) -> Iterator[bytes]:
        response = self._pool.request(
            "GET", url, headers=self._headers, preload_content=False, timeout=urllib3.Timeout(30)
        )
        headers = (
            len(f"HTTP/1.1 {response.status} {response.reason}\r\n")
            + sum(len(k) + len(v) + 4 for k, v in response.headers.items())
            + 2
        )
        if response.status >= 400:
            body = response.read()
            self._record(url, response, len(body), headers, body)
            response.release_conn()
            raise tuf_exceptions.DownloadHTTPError(
                f"HTTP error occurred with status {response.status}", response.status
            )
        return self._counted(url, response, headers)

    def _counted(self, url: str, response: Any, headers: int) -> Iterator[bytes]:
        chunks: list[bytes] = []
        try:
            for chunk in response.stream(1 << 20):
                chunks.append(chunk)
                yield chunk
        finally:
            body = b"".join(chunks)
            self._record(url, response, len(body), headers, body)
            response.release_conn()

    def _record(self, url: str, response: Any, length: int, headers: int, body: bytes) -> None:
        self.fetches.append(
            Fetch(
                url,
                self.step,
                response.status,
                length,
                int(response.tell()),
                headers,
                len(gzip.compress(body, GZIP_LEVEL)),
            )
        )


@dataclass(frozen=True)
class Install:
    """What one install downloaded, by step."""

    fetches: tuple[Fetch, ...]

    def of(self, *steps: str) -> list[Fetch]:
        return [f for f in self.fetches if f.step in steps]

    @staticmethod
    def total(fetches: list[Fetch], kind: str = "body") -> int:
        return sum(getattr(f, kind) for f in fetches)


def tuf_install(
    base: str, client_dir: Path, name: str, *, bootstrap: bytes | None, download: bool = True, accept_gzip: bool = False
) -> Install:
    """Install `name`'s newest version the way a client must: everything through ngclient.

    Steps: `refresh` (root, timestamp, snapshot, targets), `index` (the bin naming
    NAME/index.json, then the index target), `archive-info` (the bins naming the archive
    and its signature), `archive` (the archive and signature themselves, unless not
    `download`: generated plugins have no archive blobs).
    """
    fetcher = CountingFetcher(accept_gzip=accept_gzip)
    (client_dir / "metadata").mkdir(parents=True, exist_ok=True)
    (client_dir / "targets").mkdir(parents=True, exist_ok=True)
    updater = Updater(
        str(client_dir / "metadata"),
        f"{base}/tuf/metadata/",
        str(client_dir / "targets"),
        f"{base}/tuf/targets/",
        fetcher=fetcher,
        bootstrap=bootstrap,
    )
    fetcher.step = "refresh"
    updater.refresh()
    fetcher.step = "index"
    info = updater.get_targetinfo(index_path(name))
    assert info is not None, f"{name} has no index target"
    index = json.loads(Path(updater.download_target(info)).read_bytes())
    newest = index["versions"][-1]
    fetcher.step = "archive-info"
    archive = updater.get_targetinfo(newest["archive"])
    signature = updater.get_targetinfo(newest["signature"])
    assert archive is not None and signature is not None
    fetcher.step = "archive"
    for target in (archive, signature) if download else ():
        if updater.find_cached_target(target) is None:
            updater.download_target(target)
    return Install(tuple(fetcher.fetches))


class _GzipProxyHandler(BaseHTTPRequestHandler):
    """Forwards GETs to the registry; gzips TUF metadata and index targets for clients that ask."""

    server: _GzipProxy

    def do_GET(self) -> None:
        try:
            with urllib.request.urlopen(self.server.upstream + self.path, timeout=30) as response:
                status, body, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, kind = e.code, e.read(), e.headers.get("Content-Type", "")
        compress = "gzip" in self.headers.get("Accept-Encoding", "") and (
            self.path.startswith("/tuf/metadata/") or self.path.endswith(".index.json")
        )
        if compress:
            body = gzip.compress(body, GZIP_LEVEL)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _GzipProxy(ThreadingHTTPServer):
    upstream = ""


@contextmanager
def gzip_proxy(upstream: str) -> Iterator[str]:
    """A loopback proxy that serves the registry's metadata gzip-compressed; yields its URL."""
    proxy = _GzipProxy(("127.0.0.1", 0), _GzipProxyHandler)
    proxy.upstream = upstream
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


@dataclass(frozen=True)
class BytesResult:
    bits: int
    returning: Install
    returning_gzip: Install
    cold: Install


# -- 2. publishing ---------------------------------------------------------------------------


def publish_http(base: str, publisher: Publisher, data: bytes) -> float:
    """One publish through the HTTP API with the SDK's client; returns seconds."""
    from sdk.registry_client import request_json

    signature = sign(data, publisher.key)
    started = time.perf_counter()
    status, body = request_json(
        "POST",
        f"{base}/api/v1/plugins",
        token=publisher.token,
        multipart={"archive": ("p.plugin", data), "signature": ("p.sig", signature)},
        fields={"signature_kind": "ed25519"},
    )
    elapsed = time.perf_counter() - started
    assert status == 201 and body.get("created"), (status, body)
    return elapsed


def precompile(config: RegistryConfig, template: PluginArchive) -> float:
    """Compile the template's component into the registry's compile cache, as a first publish would."""
    from host.compiled_cache import load_component
    from host.engine import EngineSettings, shared_engine

    started = time.perf_counter()
    settings = EngineSettings()
    load_component(shared_engine(settings), settings, template.wasm, config.compiled_dir)
    return time.perf_counter() - started


# -- 3. GETs ---------------------------------------------------------------------------------

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.0f %.0f %.0f %.0f %.0f %.0f\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class WrkRun:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bad: int
    server_cpu_ms: float  # gunicorn's CPU time per request
    wrk_cpu_ms: float  # the load generator's CPU time per request (it shares the 2 cores)


def wrk(server: Server, path: str, seconds: int, script: Path, headers: tuple[str, ...] = ()) -> WrkRun:
    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    server_before, wrk_before = server.cpu_seconds(), children_cpu()
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            *(arg for header in headers for arg in ("-H", header)),
            server.url + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    server_cpu, wrk_cpu = server.cpu_seconds() - server_before, children_cpu() - wrk_before
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, duration_us, p50, p95, p99, status_errors, socket_errors = (float(x) for x in line.split()[1:])
    return WrkRun(
        rps=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p95_ms=p95 / 1000,
        p99_ms=p99 / 1000,
        bad=int(status_errors + socket_errors),
        server_cpu_ms=server_cpu / max(requests, 1) * 1000,
        wrk_cpu_ms=wrk_cpu / max(requests, 1) * 1000,
    )


# -- the bin-size model ----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    bits: int
    snapshot: int
    snapshot_gz: int
    bin_mean: int
    bin_gz: int


def bin_model(registry: Registry, bits_range: range, plugins: int) -> list[ModelRow]:
    """Re-bucket the registry's targets into 2**bits bins and measure the signed metadata sizes.

    Role versions are set as a one-by-one history would leave them (each publish signs
    the one to three bins its targets fall in), so the snapshot's version numbers have
    realistic widths.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from securesystemslib.signer import CryptoSigner, SSlibKey
    from tuf.api.serialization.json import JSONSerializer

    private = Ed25519PrivateKey.generate()
    signer = CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))
    serializer = JSONSerializer(compact=True)
    targets: dict[str, TargetFile] = {}
    with registry.db.read() as session:
        rows = (
            session.query(TufMetadata.role, TufMetadata.version, TufMetadata.data)
            .filter(TufMetadata.role.like("bins-%"))
            .all()
        )
    newest: dict[str, tuple[int, bytes]] = {}
    for role, version, data in rows:
        if role not in newest or version > newest[role][0]:
            newest[role] = (version, data)
    for _, data in newest.values():
        signed = Metadata.from_bytes(data).signed
        assert isinstance(signed, Targets)
        targets.update(signed.targets)
    expires = datetime.now(UTC).replace(microsecond=0)
    out: list[ModelRow] = []
    for bits in bits_range:
        succinct = SuccinctRoles(keyids=[], threshold=1, bit_length=bits, name_prefix="bins")
        by_bin: dict[str, dict[str, TargetFile]] = {name: {} for name in succinct.get_roles()}
        for path, target in targets.items():
            by_bin[succinct.get_role_for_target(path)][path] = target
        version = 1 + min(plugins, round(3 * plugins / 2**bits))
        sizes, gz = [], []
        for contents in by_bin.values():
            md = Metadata(Targets(version=version, expires=expires, targets=contents))
            md.sign(signer)
            data = md.to_bytes(serializer)
            sizes.append(len(data))
            gz.append(len(gzip.compress(data, GZIP_LEVEL)))
        meta = {"targets.json": MetaFile(version=1)} | {f"{name}.json": MetaFile(version=version) for name in by_bin}
        snap = Metadata(Snapshot(version=plugins + 1, expires=expires, meta=meta))
        snap.sign(signer)
        snapshot = snap.to_bytes(serializer)
        out.append(
            ModelRow(
                bits,
                len(snapshot),
                len(gzip.compress(snapshot, GZIP_LEVEL)),
                round(statistics.mean(sizes)),
                round(statistics.mean(gz)),
            )
        )
    return out


# -- the run ---------------------------------------------------------------------------------


@dataclass
class GetResult:
    runs: list[WrkRun] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    matches: int | None = None

    def spread(self, attribute: str) -> Spread:
        return Spread(tuple(getattr(run, attribute) for run in self.runs))


@dataclass
class BitsResult:
    bits: int
    generate_s: float
    batches: int
    tuf: BytesResult
    publish_cached: Spread
    publish_first: Spread | None = None
    gets: dict[str, GetResult] = field(default_factory=dict)
    refresh_check_ms: Spread | None = None
    tuf_rows: int = 0
    model: list[ModelRow] = field(default_factory=list)


def run_bits(bits: int, args: argparse.Namespace, work: Path, template: PluginArchive, notes: Notes) -> BitsResult:
    rng = random.Random(bits)
    root = work / f"bins-{bits}"
    config = make_config(root / "data", bin_bits=bits, testing=False, compile_cache_dir=work / "compiled")
    publisher = make_publisher(config, "bench", root / "keys")
    registry = Registry.open(config)
    print(f"[{bits} bits] generating {args.plugins} plugins", flush=True)
    generated = generate(registry, "bench", template, args.plugins)
    print(f"[{bits} bits] generated in {generated.seconds:.1f} s ({generated.batches} batches)", flush=True)
    names = generated.names
    returning_name, new_name = rng.sample(names, 2)
    timed_names = iter(n for n in names if n not in (returning_name, new_name))

    with serve(config, root / "server.log") as server:
        base = server.url
        # 1. A returning client: it installed a plugin before; then one new version is published.
        root_bytes = http_get(f"{base}/tuf/metadata/1.root.json")
        client = root / "client"
        tuf_install(base, client, returning_name, bootstrap=root_bytes, download=False)
        shutil.copytree(client, root / "client-gzip")
        notes.sample()
        publish_http(base, publisher, variant(template, name=new_name, version="1.1.0"))
        returning = tuf_install(base, client, new_name, bootstrap=None)
        with gzip_proxy(base) as proxy:
            returning_gzip = tuf_install(proxy, root / "client-gzip", new_name, bootstrap=None, accept_gzip=True)
        cold = tuf_install(base, root / "cold-client", new_name, bootstrap=root_bytes)
        result = BitsResult(
            bits=bits,
            generate_s=generated.seconds,
            batches=generated.batches,
            tuf=BytesResult(bits, returning, returning_gzip, cold),
            publish_cached=Spread((0.0,)),
        )

        # 2. Publish latency with the component in the compile cache (after warming both workers).
        samples = []
        runs = 3 if args.quick else 7
        for i in range(runs + 2):
            notes.sample()
            elapsed = publish_http(base, publisher, variant(template, name=next(timed_names), version="1.1.0"))
            if i >= 2:
                samples.append(elapsed)
        result.publish_cached = Spread(tuple(samples))
        print(f"[{bits} bits] publish (compile cached): {result.publish_cached.show('ms', 1000)}", flush=True)

        if bits == args.get_bits:
            # ... and with the first compile: an empty compile cache each time.
            firsts = []
            for _ in range(1 if args.quick else 3):
                shutil.rmtree(config.compiled_dir)
                config.compiled_dir.mkdir()
                notes.sample()
                firsts.append(publish_http(base, publisher, variant(template, name=next(timed_names), version="1.1.0")))
            result.publish_first = Spread(tuple(firsts))
            print(f"[{bits} bits] publish (first compile): {result.publish_first.show('s', 1, 1)}", flush=True)
            measure_gets(result, server, registry, new_name, args, work, notes)

    with registry.db.read() as session:
        result.tuf_rows = session.query(TufMetadata).count()
        checks = []
        for _ in range(20):
            started = time.perf_counter()
            registry.tuf.needs_refresh(session, datetime.now(UTC))
            checks.append(time.perf_counter() - started)
        result.refresh_check_ms = Spread(tuple(checks))
    if bits == args.get_bits:
        result.model = bin_model(registry, range(4, 13), args.plugins)
    registry.db.dispose()
    return result


def measure_gets(
    result: BitsResult,
    server: Server,
    registry: Registry,
    name: str,
    args: argparse.Namespace,
    work: Path,
    notes: Notes,
) -> None:
    base = server.url
    with registry.db.read() as session:
        role = registry.tuf._succinct_roles(session).get_role_for_target(index_path(name))
        bin_version = registry.tuf.latest_row(session, role).version
        snapshot_version = registry.tuf.latest_row(session, "snapshot").version
    bin_path = f"/tuf/metadata/{bin_version}.{role}.json"
    snapshot_path = f"/tuf/metadata/{snapshot_version}.snapshot.json"
    bin_bytes = http_get(base + bin_path)
    signed = Metadata.from_bytes(bin_bytes).signed
    assert isinstance(signed, Targets)
    digest = signed.targets[index_path(name)].hashes["sha256"]
    paths = {
        "/tuf/metadata/timestamp.json": "/tuf/metadata/timestamp.json",
        f"/tuf/metadata/N.snapshot.json ({len(http_get(base + snapshot_path)) / 1024:.1f} KB)": snapshot_path,
        f"/tuf/metadata/N.{role}.json ({len(bin_bytes) / 1024:.1f} KB)": bin_path,
        "/tuf/targets/NAME/HASH.index.json": f"/tuf/targets/{name}/{digest}.index.json",
        **{path: path for path, _ in SEARCHES},
    }
    result.gets.update(wrk_paths(server, paths, args, work, notes, f"{result.bits} bits"))


def wrk_paths(
    server: Server, paths: dict[str, str], args: argparse.Namespace, work: Path, notes: Notes, tag: str
) -> dict[str, GetResult]:
    """wrk against each of `paths` (label: path), after a warm-up run."""
    script = work / "wrk-report.lua"
    script.write_text(WRK_SCRIPT)
    seconds = 4 if args.quick else 10
    results: dict[str, GetResult] = {}
    for label, path in paths.items():
        get = results[label] = GetResult()
        if path.startswith("/api/v1/plugins"):
            get.matches = int(json.loads(http_get(server.url + path))["total"])
        wrk(server, path, 2, script)  # warm-up: both workers cache what they cache
        for _ in range(1 if args.quick else 3):
            get.loads.append(load_average()[0])
            notes.sample()
            run = wrk(server, path, seconds, script)
            get.runs.append(run)
            print(
                f"[{tag}] GET {label}: {run.rps:.0f} req/s, p50 {run.p50_ms:.1f} ms, "
                f"p95 {run.p95_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, bad {run.bad}, "
                f"gunicorn {run.server_cpu_ms:.2f} CPU ms/req, wrk {run.wrk_cpu_ms:.2f} CPU ms/req, "
                f"load {get.loads[-1]:.1f}",
                flush=True,
            )
    return results


# -- search alone ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRun:
    """Search on one database: catalog.search timed in-process (no cache), and wrk through gunicorn."""

    database: str
    generate_s: float
    matches: dict[str, int]
    wall_ms: dict[str, Spread]
    cpu_ms: dict[str, Spread]
    gets: dict[str, GetResult]


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server at `admin_url`, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"acc_bench_{os.getpid()}_{random.randrange(1 << 30):08x}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def search_times(registry: Registry, runs: int) -> tuple[dict[str, int], dict[str, Spread], dict[str, Spread]]:
    """Each of SEARCHES through catalog.search without a cache, plus the JSON summaries
    of the page (what the API adds): wall and CPU milliseconds, one read session each."""
    from registry.catalog import plugin_summary

    matches, wall, cpu = {}, {}, {}
    for path, query in SEARCHES:
        walls, cpus = [], []
        for _ in range(runs + 1):
            with registry.db.read() as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                rows, total = search(session, query)
                [plugin_summary(p) for p in rows]
                walls.append((time.perf_counter() - started) * 1000)
                cpus.append((time.process_time() - started_cpu) * 1000)
        matches[path] = total
        wall[path], cpu[path] = Spread(tuple(walls[1:])), Spread(tuple(cpus[1:]))  # the first warms caches
        print(
            f"[search, in-process] {path}: {total} matches, {wall[path].show('ms', digits=1)} "
            f"(CPU {cpu[path].show('ms', digits=1)})",
            flush=True,
        )
    return matches, wall, cpu


def run_search(
    args: argparse.Namespace, work: Path, template: PluginArchive, notes: Notes, database: str, database_url: str = ""
) -> SearchRun:
    root = work / f"search-{database}"
    config = make_config(
        root / "data", database_url, bin_bits=args.get_bits, testing=False, compile_cache_dir=work / "compiled"
    )
    make_publisher(config, "bench", root / "keys")
    registry = Registry.open(config)
    print(f"[search, {database}] generating {args.plugins} plugins", flush=True)
    generated = generate(registry, "bench", template, args.plugins)
    try:
        matches, wall, cpu = search_times(registry, 5 if args.quick else 21)
        with serve(config, root / "server.log") as server:
            gets = wrk_paths(server, {path: path for path, _ in SEARCHES}, args, work, notes, f"search, {database}")
    finally:
        registry.db.dispose()
    return SearchRun(database, generated.seconds, matches, wall, cpu, gets)


def search_report(runs: list[SearchRun], args: argparse.Namespace, notes: Notes) -> str:
    import importlib.metadata as md
    import sqlite3

    lines = [
        f"Search at {args.plugins:,} plugins, measured by `bench/registry_bench.py --search-only` on "
        f"{datetime.now(UTC):%Y-%m-%d}: {machine()}, gunicorn {md.version('gunicorn')} (2 threaded workers), "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {md.version('sqlalchemy')}; 1-minute load average "
        f"{notes.show()} while measuring (the machine is shared with other work).",
        "",
        "| GET | database | matches | req/s | p50 | p95 | p99 | gunicorn CPU per request | errors | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for path, get in run.gets.items():
            lines.append(
                f"| {path} | {run.database} | {run.matches[path]:,} | {get.spread('rps').show('req/s')} | "
                f"{get.spread('p50_ms').median:,.1f} ms | {get.spread('p95_ms').show('ms', digits=1)} | "
                f"{get.spread('p99_ms').median:,.1f} ms | {get.spread('server_cpu_ms').show('ms', digits=2)} "
                f"| {sum(r.bad for r in get.runs)} | {min(get.loads):.1f}–{max(get.loads):.1f} |"
            )
    lines += [
        "",
        "`catalog.search` in-process, without the cache (a new read session each; the page's JSON summaries included):",
        "",
        "| query | database | matches | wall | CPU (this process) |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        for path, _ in SEARCHES:
            lines.append(
                f"| {path} | {run.database} | {run.matches[path]:,} | "
                f"{run.wall_ms[path].show('ms', digits=1)} | {run.cpu_ms[path].show('ms', digits=1)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--bits", default="6,8,9,10", help="bin_bits values to measure (comma-separated)")
    parser.add_argument(
        "--get-bits",
        type=int,
        default=DEFAULT_BITS,
        help="the bin size at which GETs and first-compile publishes are measured",
    )
    parser.add_argument("--plugins", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/performance.md")
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="measure only search (in-process and through gunicorn) at --get-bits; prints a report "
        "and never writes docs/performance.md",
    )
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default="",
        help="with --search-only, also measure on PostgreSQL: a scratch database is created on "
        "this server and dropped afterwards (e.g. postgresql+psycopg://acc:acc@127.0.0.1/postgres)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="acc-registry-bench-"))
    notes = Notes()
    notes.sample()
    template = read_archive(
        build_plugin(REPO / "official_plugins" / "example", work, cache_dir=CACHE / "builds").archive
    )
    if args.search_only:
        runs = [run_search(args, work, template, notes, "SQLite")]
        if args.postgres:
            with scratch_postgres(args.postgres) as url:
                runs.append(run_search(args, work, template, notes, "PostgreSQL", url))
        notes.sample()
        print(search_report(runs, args, notes))
        shutil.rmtree(work, ignore_errors=True)
        return
    config0 = RegistryConfig(data_dir=work, compile_cache_dir=work / "compiled")
    print("compiling the example component once (the compile cache of every registry below)", flush=True)
    precompile(config0, template)
    results = [run_bits(int(b), args, work, template, notes) for b in args.bits.split(",")]
    notes.sample()
    body = report(results, args, template, notes)
    print(body)
    if not args.no_write:
        write_section("registry", body)
    shutil.rmtree(work, ignore_errors=True)


# -- the report ------------------------------------------------------------------------------


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def budget_kb(n: int) -> str:
    return kb(n) if n <= TUF_BUDGET_BYTES else f"{kb(n)} ✗"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


@dataclass(frozen=True)
class TufRow:
    """One returning-client install, four ways: as the client fetches today (three bins)
    or with the archive and signature hashes taken from the signed index (one bin);
    plain, or gzip-compressed on the wire (measured through the gzip proxy)."""

    three: int
    one: int
    three_gz: int
    one_gz: int

    @classmethod
    def of(cls, r: BitsResult) -> TufRow:
        plain, gz = r.tuf.returning, r.tuf.returning_gzip
        return cls(
            three=plain.total(plain.of("refresh", "index", "archive-info")),
            one=plain.total(plain.of("refresh", "index")),
            three_gz=gz.total(gz.of("refresh", "index", "archive-info"), "wire"),
            one_gz=gz.total(gz.of("refresh", "index"), "wire"),
        )


def report(results: list[BitsResult], args: argparse.Namespace, template: PluginArchive, notes: Notes) -> str:
    import importlib.metadata as md
    import sqlite3

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    by_bits = {r.bits: r for r in results}
    gets_run = by_bits.get(args.get_bits)
    lines = [
        "## Registry",
        "",
        f"Measured by `bench/registry_bench.py` on {datetime.now(UTC):%Y-%m-%d}: {machine()}, "
        f"gunicorn {md.version('gunicorn')} (`acc registry serve`: 2 threaded workers, 8 threads each), "
        f"SQLite {sqlite3.sqlite_version}, "
        f"python-tuf {md.version('tuf')}, wrk {wrk_version} (Debian's). The 2 cores were shared with the load "
        f"generator and with other agents' builds: the 1-minute load average was {notes.show()} while measuring, "
        "so throughput and latency are lower and noisier than on an idle machine; the CPU time per request "
        "does not depend on that. Medians, with (range, n) of repeated runs.",
        "",
        f"Method: each registry holds {args.plugins:,} plugins with one version each ({args.plugins * 3:,} TUF "
        "targets: index, archive, signature), made by `bench/registry_gen.py`: the rows a publish writes, and "
        "TUF metadata signed by the registry's `TufRepository.update_targets`, one transaction per 1,000 plugins. "
        "Publishes go through the HTTP API with `sdk.registry_client` (what `acc plugin publish` uses) and the "
        f"real pipeline; the archive is the example plugin ({len(template.wasm) / 1e6:.0f} MB component). TUF "
        "bytes: a real `tuf.ngclient.Updater` with a counting fetcher installs one plugin, then one new version "
        "of another plugin is published through the API and the same client installs it; counted are response "
        "bodies (HTTP headers add about 200 B per response). The gzip figures are measured through a loopback "
        "proxy that gzips (level 6) metadata and index targets for a client sending `Accept-Encoding: gzip`; "
        'ngclient verified every response as usual. "One bin" is the same install without the lookups of the '
        "archive and signature in their bins, which is what a client taking their hashes from the signed index "
        f"would fetch. GETs: wrk, 1 thread, {WRK_CONNECTIONS} connections, "
        f"10 s per run, on the registry with bin_bits {args.get_bits}.",
        "",
        "### Against the budgets",
        "",
        "| what | measured | budget | |",
        "|---|---|---|---|",
    ]
    if gets_run is not None:
        for label, get in gets_run.gets.items():
            rps, p95 = get.spread("rps"), get.spread("p95_ms")
            matched = f" ({get.matches:,} matches)" if get.matches is not None else ""
            ok = rps.median >= GET_BUDGET_RPS and p95.median < GET_BUDGET_P95_MS
            lines.append(
                f"| GET {label}{matched} | {rps.show('req/s')}; p95 {p95.show('ms', digits=0)} | "
                f"≥ 1,000 req/s, p95 < 50 ms | {verdict(ok)} |"
            )
    for r in results:
        row = TufRow.of(r)
        default = ", the default" if r.bits == DEFAULT_BITS else ""
        lines.append(
            f"| TUF bytes of a returning client's install, bin_bits {r.bits} ({2**r.bits} bins{default}) "
            f"| {kb(row.three)} | ≤ 20 KB | {verdict(row.three <= TUF_BUDGET_BYTES)} |"
        )
    for r in results:
        row = TufRow.of(r)
        lines.append(
            f"| … gzip on the wire and one bin per install (recommended), bin_bits {r.bits} | "
            f"{kb(row.one_gz)} | ≤ 20 KB | {verdict(row.one_gz <= TUF_BUDGET_BYTES)} |"
        )
    if gets_run is not None and gets_run.publish_first is not None:
        lines.append(
            f"| publish through the HTTP API, with the first compile | "
            f"{gets_run.publish_first.show('s', digits=1)} | (none) | |"
        )
    for r in results:
        lines.append(
            f"| publish through the HTTP API, component already compiled, bin_bits {r.bits} | "
            f"{r.publish_cached.show('ms', 1000)} | (none) | |"
        )

    if gets_run is not None:
        lines += [
            "",
            f"### Cached GETs (bin_bits {args.get_bits})",
            "",
            "| GET | req/s | p50 | p95 | p99 | gunicorn CPU per request | ceiling on 2 idle cores | "
            "wrk CPU per request | errors | load |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, get in gets_run.gets.items():
            cpu = get.spread("server_cpu_ms")
            lines.append(
                f"| {label} | {get.spread('rps').median:,.0f} | {get.spread('p50_ms').median:,.1f} ms | "
                f"{get.spread('p95_ms').median:,.1f} ms | {get.spread('p99_ms').median:,.1f} ms | "
                f"{cpu.show('ms', digits=2)} | {2000 / cpu.median:,.0f} req/s | "
                f"{get.spread('wrk_cpu_ms').median:.2f} ms | {sum(run.bad for run in get.runs)} | "
                f"{min(get.loads):.1f}–{max(get.loads):.1f} |"
            )

    lines += [
        "",
        "### TUF bytes of a returning client's install",
        "",
        "| bin_bits | as fetched today: 3 bins | 1 bin | 3 bins, gzip | 1 bin, gzip | budget |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        row = TufRow.of(r)
        cells = [budget_kb(n) for n in (row.three, row.one, row.three_gz, row.one_gz)]
        lines.append(f"| {r.bits} ({2**r.bits} bins) | " + " | ".join(cells) + " | ≤ 20 KB |")
    lines += [
        "",
        "Per response (body bytes; gzip: bytes on the wire through the gzip proxy):",
        "",
        "| bin_bits | step | response | body | gzip |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        gz = {f.url.split("/tuf/", 1)[1]: f.wire for f in r.tuf.returning_gzip.fetches}
        for f in r.tuf.returning.of("refresh", "index", "archive-info"):
            path = f.url.split("/tuf/", 1)[1]
            status = "" if f.status == 200 else f" ({f.status})"
            shown = path if len(path) < 60 else path.split("/")[0] + "/" + path.split("/")[1][:12] + "….index.json"
            lines.append(f"| {r.bits} | {f.step} | `{shown}`{status} | {f.body:,} | {gz.get(path, 0):,} |")
    lines += [
        "",
        "A new client's first install (root bootstrapped; root, timestamp, snapshot, targets, 3 bins, "
        "index), for scale; the archive itself is "
        f"{Install.total(results[0].tuf.returning.of('archive')) / 1e6:.1f} MB:",
        "",
        "| bin_bits | plain | gzip (estimated: gzip -6 of each body) |",
        "|---|---|---|",
    ]
    for r in results:
        meta = r.tuf.cold.of("refresh", "index", "archive-info")
        lines.append(f"| {r.bits} | {kb(Install.total(meta))} | {kb(Install.total(meta, 'gzipped'))} |")
    if gets_run is not None and gets_run.model:
        lines += [
            "",
            f"Bin size model: the {args.plugins * 3:,} targets of the bin_bits {args.get_bits} registry "
            "re-bucketed into 2^N bins and signed, with role versions as a one-by-one publish history would "
            "leave them; install = timestamp + snapshot + bin(s) + index (gzip: -6 of each body):",
            "",
            "| bin_bits | bins | snapshot | one bin (mean) | install, 3 bins | install, 1 bin | "
            "3 bins, gzip | 1 bin, gzip |",
            "|---|---|---|---|---|---|---|---|",
        ]
        fetched = gets_run.tuf.returning.of("refresh", "index")
        timestamp = next(f for f in fetched if f.url.endswith("timestamp.json"))
        index = next(f for f in fetched if "/tuf/targets/" in f.url)
        for m in gets_run.model:
            one = timestamp.body + m.snapshot + m.bin_mean + index.body
            one_gz = timestamp.gzipped + m.snapshot_gz + m.bin_gz + index.gzipped
            sizes = (one + 2 * m.bin_mean, one, one_gz + 2 * m.bin_gz, one_gz)
            lines.append(
                f"| {m.bits} | {2**m.bits} | {kb(m.snapshot)} | {kb(m.bin_mean)} | "
                + " | ".join(budget_kb(n) for n in sizes)
                + " |"
            )
    lines += ["", "Other measurements:", ""]
    for r in results:
        check = r.refresh_check_ms.show("ms", 1000, 1) if r.refresh_check_ms else "n/a"
        lines.append(
            f"- bin_bits {r.bits}: generating {args.plugins:,} plugins took {r.generate_s:.0f} s "
            f"({r.batches} transactions); the database then held {r.tuf_rows:,} TUF metadata rows (before "
            f"any pruning), and `TufRepository.needs_refresh` (run by `acc registry refresh`, off the "
            f"request path) took {check}."
        )
    notes_file = REPO / "docs" / "performance-registry-notes.md"
    if notes_file.exists():
        lines += ["", notes_file.read_text().strip()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
