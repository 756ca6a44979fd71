"""The github plugin in its sandbox: the built component in the real host, against the scripted
GitHub on loopback.

The plugin is installed with a manifest whose http grant lists the stand-in's origin
(`http://127.0.0.1:PORT`) instead of api.github.com: the same component, a different
grant. The shipped manifest's grant (api.github.com only) is tried too, with base_url
pointed at the stand-in: refused, and nothing reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import TEST_CACHE, install_unsigned
from tests.official.github_standin import GOOD_TOKEN, REPO, FakeGitHub
from tests.official.plugin_kit import with_http_grant

pytestmark = pytest.mark.slow


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def open_host(
    tmp_path: Path, github: FakeGitHub, built_archives: Callable[[str], Path]
) -> Iterator[Callable[..., PluginHost]]:
    hosts: list[PluginHost] = []

    def open_(*, token: str | None = GOOD_TOKEN, shipped: bool = False, deny: tuple[str, ...] = ()) -> PluginHost:
        archive = built_archives("github")
        if not shipped:
            archive = with_http_grant(archive, tmp_path / f"github-{len(hosts)}.plugin", [github.origin_grant])
        paths = HostPaths(home=tmp_path / f"home-{len(hosts)}", cache=TEST_CACHE)
        install_unsigned(paths, archive, grant=tuple(k for k in ("http", "secrets") if k not in deny), deny=deny)
        secrets = {"GITHUB_TOKEN": token} if token else {}
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        host = PluginHost(paths, RunOptions(project_dir=project, secret_source=secrets))
        hosts.append(host)
        return host

    yield open_
    for host in hosts:
        host.close()


def test_each_command_reaches_github_through_the_grant_with_the_token(
    github: FakeGitHub, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host()
    at = {"repo": REPO, "base_url": github.url}
    created = host.run("github", "create-pull-request", {**at, "head": "fix-subtract", "title": "Fix subtract"})
    assert (created["number"], created["base"]["branch"]) == (11, "main")
    assert [p["number"] for p in host.run("github", "pull-requests", at)["pull_requests"]] == [11, 1]
    assert host.run("github", "pull-request", {**at, "number": 1, "include_files": True})["files"][0]["path"] == (
        "calc/ops.py"
    )
    assert [i["number"] for i in host.run("github", "issues", at)["issues"]] == [2]
    assert host.run("github", "issue", {**at, "number": 2})["comment_list"][1]["body"] == "It swaps a and b."
    assert host.run("github", "comment", {**at, "number": 11, "body": "Ready."})["body"] == "Ready."
    reviewed = host.run("github", "review-comments", {**at, "number": 1})
    assert reviewed["comments"][0]["path"] == "calc/ops.py" and reviewed["reviews"][0]["state"] == "CHANGES_REQUESTED"

    assert {r.headers.get("authorization") for r in github.received} == {f"Bearer {GOOD_TOKEN}"}
    posts = [(r.path, r.json()) for r in github.received if r.method == "POST"]
    assert posts == [
        (
            "/repos/octo/calc/pulls",
            {"title": "Fix subtract", "head": "fix-subtract", "base": "main", "body": "", "draft": False},
        ),
        ("/repos/octo/calc/issues/11/comments", {"body": "Ready."}),
    ]


def test_without_a_token_reads_work_and_writes_are_refused_before_anything_is_sent(
    github: FakeGitHub, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(token=None)
    listed = host.run("github", "pull-requests", {"repo": REPO, "base_url": github.url})
    assert listed["authenticated"] is False
    github.received.clear()
    with pytest.raises(PluginFailed) as refused:
        host.run(
            "github",
            "create-pull-request",
            {"repo": REPO, "head": "fix-subtract", "title": "Fix", "base_url": github.url},
        )
    assert refused.value.kind == "denied"
    assert "needs a GitHub token" in refused.value.detail and "GITHUB_TOKEN is not set" in refused.value.detail
    assert github.received == []


def test_without_the_secrets_grant_the_token_is_not_read_and_writes_are_refused(
    github: FakeGitHub, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(deny=("secrets",))
    with pytest.raises(PluginFailed) as refused:
        host.run("github", "comment", {"repo": REPO, "number": 2, "body": "Hi", "base_url": github.url})
    assert refused.value.kind == "denied" and "acc plugin grant github secrets" in refused.value.detail
    assert github.received == []


def test_the_shipped_grant_reaches_only_api_github_com_whatever_base_url_says(
    github: FakeGitHub, open_host: Callable[..., PluginHost]
) -> None:
    host = open_host(shipped=True)
    for command, value in [
        ("pull-requests", {"repo": REPO}),
        ("create-pull-request", {"repo": REPO, "head": "fix-subtract", "title": "Fix"}),
    ]:
        with pytest.raises(PluginFailed) as refused:
            host.run("github", command, {**value, "base_url": github.url})
        assert refused.value.kind == "denied"
        assert "not in the plugin's http grant" in refused.value.detail
    assert github.received == [], "no request, and so no token, left for a host the user did not grant"
