"""`acc marketplace list --json / update`, a URL added twice, `acc plugin publish --registry
NAME` and its page, `acc plugin validate`, and shell completion: exact output, refusals named."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sdk.scaffold import new_plugin
from sdk.signing import sign_archive
from tests.cli.cli_kit import Acc, Plugin, ServedRegistry, plugin_bytes


def test_marketplace_list_json_has_every_field(acc: Acc, catalog: ServedRegistry) -> None:
    assert json.loads(acc("marketplace", "list", "--json").stdout) == []
    acc.add(catalog, "catalog")
    [market] = json.loads(acc("marketplace", "list", "--json").stdout)
    assert set(market) == {"name", "url", "root_sha256", "added_at"}
    assert (market["name"], market["url"], market["root_sha256"]) == ("catalog", catalog.url, catalog.root_sha256)


def test_a_url_already_added_under_another_name_is_refused(acc: Acc, catalog: ServedRegistry) -> None:
    acc.add(catalog, "catalog")
    pin = catalog.root_sha256
    refused = acc("marketplace", "add", catalog.url + "/", "--name", "other", "--root-sha256", pin, code=1)
    assert refused.stderr == (
        f"error: {catalog.url} is already added as marketplace catalog: not adding it again as other\n"
        "  hint: keep using catalog, or `acc marketplace remove catalog` first to add it under another name\n"
    )
    assert [m["name"] for m in json.loads(acc("marketplace", "list", "--json").stdout)] == ["catalog"]
    # the same name again is no second name: it is said to be added already
    acc.add(catalog, "catalog")


def test_marketplace_update_says_what_moved_and_what_to_update(acc: Acc, fresh_registry: ServedRegistry) -> None:
    fresh_registry.publish(Plugin("project-stats", "1.0.0", "Counts lines."))
    acc.add(fresh_registry, "fresh")
    first = acc("marketplace", "update").stdout
    assert first.startswith("fresh: first refresh: root 1, timestamp ")
    assert acc("marketplace", "update").stdout.startswith("fresh: up to date (root 1, timestamp ")

    acc("plugin", "install", "project-stats", "--yes")
    fresh_registry.publish(Plugin("project-stats", "1.1.0", "Counts lines."))
    moved = acc("marketplace", "update", "FRESH").stdout.splitlines()
    # the index lives in a delegated role: the top-level targets stay, the snapshot moves
    assert re.fullmatch(
        r"fresh: updated: timestamp (\d+) -> \d+, snapshot (\d+) -> \d+ \(plugins were published, updated or yanked\)",
        moved[0],
    ), moved[0]
    assert moved[1:] == ["  project-stats 1.0.0 -> 1.1.0 is available (`acc plugin update project-stats`)"]

    [report] = json.loads(acc("marketplace", "update", "--json").stdout)
    assert report["status"] == "current" and report["error"] is None and report["changes"] == []
    assert report["updates"] == [{"name": "project-stats", "installed": "1.0.0", "available": "1.1.0"}]
    assert set(report["versions"]) == {"root", "timestamp", "snapshot", "targets"}

    [check] = json.loads(acc("plugin", "update", "--check", "--json").stdout)
    assert (check["name"], check["installed"], check["status"], check["available"]) == (
        "project-stats",
        "1.0.0",
        "update",
        "1.1.0",
    )
    assert set(check) == {"name", "installed", "status", "available", "changes", "note"}
    assert "--json reports what --check finds" in acc("plugin", "update", "--json", code=2).stderr


def test_marketplace_update_of_an_unknown_name_suggests_the_added_one(acc: Acc, catalog: ServedRegistry) -> None:
    acc.add(catalog, "catalog")
    refused = acc("marketplace", "update", "catalgo", code=1)
    assert refused.stderr == "error: no marketplace named 'catalgo' (added: catalog)\n  hint: did you mean catalog?\n"


def test_publish_to_an_added_marketplace_by_name_prints_its_page(
    acc: Acc, fresh_registry: ServedRegistry, tmp_path: Path
) -> None:
    archive = tmp_path / "hello-stats-1.0.0.plugin"
    archive.write_bytes(plugin_bytes(fresh_registry.base, Plugin("hello-stats", "1.0.0", "Says hello.")))
    sign_archive(archive, fresh_registry.publisher.key)
    acc.add(fresh_registry, "fresh")
    token = fresh_registry.publisher.token
    published = acc("plugin", "publish", str(archive), "--registry", "Fresh", "--token", token)
    lines = published.stdout.splitlines()
    assert lines[0].startswith("published hello-stats 1.0.0 (sha256 ")
    assert lines[1:] == [f"  page: {fresh_registry.url}/plugins/hello-stats"]
    again = acc("plugin", "publish", str(archive), "--registry", fresh_registry.url + "/", "--token", token)
    assert again.stdout == (
        "hello-stats 1.0.0 was already published with these exact bytes; nothing changed\n"
        f"  page: {fresh_registry.url}/plugins/hello-stats\n"
    )
    assert published.stderr == again.stderr == "", "its README says what plugin.toml asks for"

    # plugin.toml asks for http, which the README's Capabilities section does not name: the
    # registry publishes it and says so, and the warning reaches the publisher's terminal.
    http = '[capabilities.http]\nhosts = ["api.example.com"]\nreason = "Compares with public statistics."\n'
    archive = tmp_path / "net-stats-1.0.0.plugin"
    archive.write_bytes(plugin_bytes(fresh_registry.base, Plugin("net-stats", "1.0.0", "Counts.", extra_toml=http)))
    sign_archive(archive, fresh_registry.publisher.key)
    warned = acc("plugin", "publish", str(archive), "--registry", "fresh", "--token", token)
    assert warned.stdout.startswith("published net-stats 1.0.0 (sha256 ")
    assert warned.stderr == (
        "warning: README.md's capabilities do not name http, which plugin.toml asks for\n"
        "  hint: in README.md, list each capability plugin.toml asks for under a `## Capabilities` heading, "
        "one line each: - `kind`: why the plugin needs it\n"
    )


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("nowhere", "error: --registry 'nowhere' is neither a registry URL nor the name of an added marketplace"),
        ("ftp://example.com", "error: 'ftp://example.com' is not a registry URL"),
        ("http://example.com:port", "error: 'http://example.com:port' is not a registry URL"),
        ("https://u:p@example.com", "error: 'https://u:p@example.com': a registry URL has no query"),
    ],
)
def test_a_bad_registry_is_a_clear_error_before_anything_is_sent(
    acc: Acc, tmp_path: Path, registry: str, message: str
) -> None:
    archive = tmp_path / "x-1.0.0.plugin"
    archive.write_bytes(b"not read: the registry is refused first")
    refused = acc("plugin", "publish", str(archive), "--registry", registry, "--token", "acc_x", code=1)
    assert refused.stdout == ""
    assert refused.stderr.startswith(message)
    assert "\n  hint: " in refused.stderr and "Traceback" not in refused.stderr


def test_validate_prints_every_finding_and_exits_1_on_an_error(acc: Acc, tmp_path: Path) -> None:
    source = new_plugin("my-plugin", tmp_path / "my-plugin")
    assert acc("plugin", "validate", str(source)).stdout == (
        "warning: README.md is still the one `acc plugin new` wrote\n"
        "  hint: describe what this plugin does, its commands, and why it needs each capability: "
        "users read it before installing\n"
        "my-plugin 0.1.0: valid: plugin.toml, README.md, my_plugin.py, commands (1 warning)\n"
    )
    (source / "README.md").write_text("# my-plugin\n\nGreets and counts visits.\n\nCapabilities: none\n")
    assert acc("plugin", "validate", str(source)).stdout == (
        "warning: README.md says the plugin asks for no capabilities, but plugin.toml asks for kv\n"
        "  hint: in README.md, list each capability plugin.toml asks for under a `## Capabilities` heading, "
        "one line each: - `kind`: why the plugin needs it\n"
        "my-plugin 0.1.0: valid: plugin.toml, README.md, my_plugin.py, commands (1 warning)\n"
    )
    (source / "my_plugin.py").unlink()
    invalid = acc("plugin", "validate", str(source), code=1)
    assert invalid.stdout.endswith("my-plugin 0.1.0: not valid (1 error, 1 warning)\n")
    document = json.loads(acc("plugin", "validate", str(source), "--json", code=1).stdout)
    assert (document["name"], document["version"], document["valid"]) == ("my-plugin", "0.1.0", False)
    assert [f["level"] for f in document["findings"]] == ["warning", "error"]


def test_completion_offers_commands_aliases_aside_installed_plugins_and_marketplaces(
    acc: Acc, catalog: ServedRegistry, built_archives: object
) -> None:
    assert acc.complete(["plugin"], "re") == [
        ("remove", "Remove an installed plugin."),
        ("revoke", "Revoke a capability from a plugin."),
    ]
    assert acc.complete(["plugin", "run"], "") == []  # nothing installed: nothing offered, no error
    archive = built_archives("project-stats")  # type: ignore[operator]
    acc("plugin", "install", str(archive), "--allow-unsigned-DANGEROUS", "--yes")
    assert acc.complete(["plugin", "run"], "pro") == [("project-stats", "1.0.0")]
    assert acc.complete(["plugin", "run", "project-stats"], "") == [("summary", ""), ("git-info", "")]
    assert acc.complete(["plugin", "grant", "project-stats"], "") == [("fs", ""), ("process", "")]
    acc("plugin", "disable", "project-stats")
    assert acc.complete(["plugin", "info"], "") == [("project-stats", "1.0.0 (disabled)")]
    acc.add(catalog, "catalog")
    assert acc.complete(["marketplace", "remove"], "c") == [("catalog", catalog.url)]


def test_completion_with_a_damaged_home_offers_nothing(acc: Acc) -> None:
    acc.home.mkdir(parents=True, exist_ok=True)
    (acc.home / "state.json").write_text("{not json")
    assert acc.complete(["plugin", "run"], "") == []
