"""github: the plugin's commands (the manifest's `module`), the http and secrets capabilities
handed to `acc_github`."""

from __future__ import annotations

from typing import Any

import acc_plugin
from acc_github import inputs, ops
from acc_github.client import GitHub
from acc_plugin import Denied, Failed

TOKEN = "GITHUB_TOKEN"


def _transport(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    response = acc_plugin.http.fetch(url, method=method, headers=headers, body=body)
    return response.status, response.headers, response.body


def _client(base_url: str | None) -> tuple[GitHub, str]:
    """A client with the token if there is one, and why there is none otherwise."""
    base = inputs.base_url(base_url)
    try:
        return GitHub(base, acc_plugin.secrets.get(TOKEN), _transport), ""
    except (Denied, Failed) as e:  # not granted, or not set where acc runs
        return GitHub(base, None, _transport), str(e)


@acc_plugin.command("create-pull-request")
def create_pull_request(
    repo: str,
    head: str,
    title: str,
    base: str | None = None,
    body: str = "",
    draft: bool = False,
    base_url: str | None = None,
) -> dict[str, Any]:
    gh, problem = _client(base_url)
    return ops.create_pull_request(gh, repo, head, title, base, body, draft, token_problem=problem)


@acc_plugin.command("pull-requests")
def pull_requests(
    repo: str,
    state: str = "open",
    base: str | None = None,
    head: str | None = None,
    per_page: int = 30,
    page: int = 1,
    base_url: str | None = None,
) -> dict[str, Any]:
    return ops.list_pull_requests(_client(base_url)[0], repo, state, base, head, per_page, page)


@acc_plugin.command("pull-request")
def pull_request(
    repo: str, number: int, include_files: bool = False, max_files: int = 300, base_url: str | None = None
) -> dict[str, Any]:
    return ops.get_pull_request(_client(base_url)[0], repo, number, include_files, max_files)


@acc_plugin.command("issues")
def issues(
    repo: str,
    state: str = "open",
    labels: list[str] | None = None,
    include_pull_requests: bool = False,
    per_page: int = 30,
    page: int = 1,
    base_url: str | None = None,
) -> dict[str, Any]:
    return ops.list_issues(_client(base_url)[0], repo, state, labels, include_pull_requests, per_page, page)


@acc_plugin.command("issue")
def issue(
    repo: str, number: int, include_comments: bool = True, max_comments: int = 100, base_url: str | None = None
) -> dict[str, Any]:
    return ops.get_issue(_client(base_url)[0], repo, number, include_comments, max_comments)


@acc_plugin.command("comment")
def comment(repo: str, number: int, body: str, base_url: str | None = None) -> dict[str, Any]:
    gh, problem = _client(base_url)
    return ops.add_comment(gh, repo, number, body, token_problem=problem)


@acc_plugin.command("review-comments")
def review_comments(
    repo: str,
    number: int,
    include_reviews: bool = True,
    per_page: int = 100,
    page: int = 1,
    base_url: str | None = None,
) -> dict[str, Any]:
    return ops.review_comments(_client(base_url)[0], repo, number, include_reviews, per_page, page)
