"""What the CLI tests share: `acc` run in process (click's CliRunner) against an isolated
ACC_HOME, and real registries served on loopback ports from threads of this process.

A registry here is the real Flask app on its own SQLite database and TUF repository,
served by werkzeug's threaded server, so the CLI reaches it over HTTP exactly as it
reaches a deployed one (TUF metadata, targets, the search API). Every plugin is the
example plugin's component (compiled once, cached by content) with plugin.toml edited.

Two catalogs are published once per session (tests/cli/conftest.py):

    CATALOG (read only: search, info; nothing is installed from it, so its download
    counts stay 0 and outputs stay exact)
        project-stats  1.0.0, 1.1.0   fs, process; category analysis
        file-stats     1.0.0          fs, process; category reporting
        web-stats      1.0.0          fs, process and http (a network capability)
        stats-next     1.0.0          fs, process; a description longer than the table shows

    SHOP (installs)
        project-stats  1.0.0, 1.1.0
        file-stats     1.0.0
        stats-old      1.0.0          needs project-stats <1.1

and a test that changes its registry (publishing, to see `marketplace update` notice)
gets an empty one of its own.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result
from werkzeug.serving import make_server

from acc_cli.root import cli
from registry.app import create_app
from sdk.archive import PluginArchive, archive_bytes
from tests.registry_kit import Publisher, make_config, make_publisher, publish

HTTP_TOML = '[capabilities.http]\nhosts = ["api.example.com"]\nreason = "Posts the summary to a dashboard."\n'
NEEDS_OLD_STATS = '[dependencies]\nproject-stats = "<1.1"\n'


@dataclass(frozen=True)
class Plugin:
    name: str
    version: str
    description: str
    category: str = "analysis"
    extra_toml: str = ""


STATS = "Counts a project's files and lines by language."
CATALOG = [
    Plugin("project-stats", "1.0.0", STATS),
    Plugin("project-stats", "1.1.0", STATS),
    Plugin("file-stats", "1.0.0", "Counts files per extension for a report.", "reporting"),
    Plugin("web-stats", "1.0.0", "Counts lines and posts the summary to a dashboard over HTTP.", "analysis", HTTP_TOML),
    Plugin("stats-next", "1.0.0", "The next version of the statistics plugin, with a much longer description."),
]
SHOP = [
    Plugin("project-stats", "1.0.0", STATS),
    Plugin("project-stats", "1.1.0", STATS),
    Plugin("file-stats", "1.0.0", "Counts files per extension for a report.", "reporting"),
    Plugin("stats-old", "1.0.0", "Reports through project-stats 1.0.", "analysis", NEEDS_OLD_STATS),
]


@dataclass(frozen=True)
class Published:
    name: str
    version: str
    sha256: str
    length: int


@dataclass
class ServedRegistry:
    """A registry on a loopback port: its URL, its pinned root's sha256, its publisher
    (alice) and an app client to publish more with."""

    url: str
    root_sha256: str
    data: Path
    publisher: Publisher
    published: list[Published]
    base: PluginArchive
    app: object

    def version(self, name: str, version: str) -> Published:
        return next(p for p in self.published if p.name == name and p.version == version)

    def publish(self, plugin: Plugin) -> Published:
        """Publish one more plugin version through the app (as alice)."""
        data = plugin_bytes(self.base, plugin)
        response = publish(self.app.test_client(), self.publisher, data)  # type: ignore[attr-defined]
        assert response.status_code == 201, (plugin, response.get_json())
        published = Published(plugin.name, plugin.version, hashlib.sha256(data).hexdigest(), len(data))
        self.published.append(published)
        return published


def publisher_key_id(registry: ServedRegistry) -> str:
    """The key id of the key alice signs with on `registry`."""
    from cryptography.hazmat.primitives import serialization

    from sdk.signing import PublicKey, load_private_key

    private = load_private_key(registry.publisher.key)
    return PublicKey(
        private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).key_id


_packed: dict[tuple[str, Plugin], bytes] = {}


def plugin_bytes(base: PluginArchive, plugin: Plugin) -> bytes:
    """The example plugin's archive with plugin.toml edited (same component); packed once a session."""
    key = (base.sha256, plugin)
    if key not in _packed:
        text = base.manifest_text
        for field, value in (("name", plugin.name), ("version", plugin.version), ("description", plugin.description)):
            text = re.sub(rf'^{field} = ".*"$', f'{field} = "{value}"', text, count=1, flags=re.M)
        text = text.replace('categories = ["analysis"]', f'categories = ["{plugin.category}"]')
        text = text.replace(
            'license = "Apache-2.0"\n', f'license = "Apache-2.0"\nhomepage = "https://example.com/{plugin.name}"\n'
        )
        if plugin.extra_toml:
            text = text.replace("[limits]", plugin.extra_toml + "\n[limits]", 1)
        _packed[key] = archive_bytes(text, base.wasm, base.readme, base.license)
    return _packed[key]


@contextmanager
def served_registry(work: Path, base: PluginArchive, catalog: Sequence[Plugin]) -> Iterator[ServedRegistry]:
    """Publish `catalog` to a fresh registry in `work`, then serve it until the block ends."""
    # The server's request log would go to whatever stderr was current when werkzeug first
    # logged: with the CLI run in process, that could be the stderr a test asserts on.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    config = make_config(work / "registry-data")
    publisher = make_publisher(config, "alice", work)
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{url}/tuf/metadata/1.root.json", timeout=10) as response:
            root = response.read()
        served = ServedRegistry(url, hashlib.sha256(root).hexdigest(), config.data_dir, publisher, [], base, app)
        for plugin in catalog:
            served.publish(plugin)
        yield served
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["acc_registry"].db.dispose()


class Acc:
    """`acc` in this process with its own ACC_HOME (and the suite's compiled cache)."""

    def __init__(self, home: Path, cache: Path) -> None:
        self.home = home
        self.env = {
            "ACC_HOME": str(home),
            "ACC_CACHE_DIR": str(cache),
            "ACC_REGISTRY_TOKEN": "",
            "ACC_REGISTRY_URL": "",
        }

    def __call__(self, *args: str, input: str | bytes | None = None, code: int = 0) -> Result:
        """Run `acc ARGS` (stdin: `input`, not a terminal); assert its exit status (0 unless `code`)."""
        result = CliRunner().invoke(cli, list(args), env=self.env, input=input, prog_name="acc")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, (
            f"acc {' '.join(args)} exited {result.exit_code}, not {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def add(self, registry: ServedRegistry, name: str = "local") -> None:
        """Add `registry` as marketplace `name`, pinned to its root."""
        self("marketplace", "add", registry.url, "--name", name, "--root-sha256", registry.root_sha256)

    def complete(self, words: Sequence[str], incomplete: str = "") -> list[tuple[str, str]]:
        """(value, help) of each completion bash would offer after `acc WORDS INCOMPLETE`
        (click's bash protocol: `type,value` lines; help is not sent to bash, so it is
        read from zsh's protocol instead)."""
        line = ["acc", *words, incomplete]
        env = {
            **self.env,
            "_ACC_COMPLETE": "zsh_complete",
            "COMP_WORDS": " ".join(line),
            "COMP_CWORD": str(len(words) + 1),
        }
        result = CliRunner().invoke(cli, [], env=env, prog_name="acc")
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        if lines == [""]:  # nothing to offer: zsh's protocol prints one empty line
            return []
        # zsh: three lines per item: type, value, help ("_" for none).
        return [(lines[i + 1], "" if lines[i + 2] == "_" else lines[i + 2]) for i in range(0, len(lines), 3)]
