"""The github commands as plain functions over a `GitHub` client (see `client`)."""

from __future__ import annotations

from typing import Any

from acc_plugin import Denied, Invalid

from acc_github import inputs, shapes
from acc_github.client import GitHub, repo_path

MAX_FILES = 300
MAX_COMMENTS = 100


def require_token(gh: GitHub, what: str, problem: str = "") -> None:
    """Writes need a token; refuse before any request is made."""
    if not gh.authenticated:
        why = f" ({problem})" if problem else ""
        raise Denied(
            f"{what} needs a GitHub token and none is available{why}: export GITHUB_TOKEN (a token allowed to "
            "write pull requests and issues) in the environment that runs acc, and grant it with "
            "`acc plugin grant github secrets`. Nothing was sent to GitHub"
        )


def create_pull_request(
    gh: GitHub,
    repo: str,
    head: str,
    title: str,
    base: str | None = None,
    body: str = "",
    draft: bool = False,
    token_problem: str = "",
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    inputs.branch(head, "head")
    if base is not None:
        inputs.branch(base, "base")
    if not title.strip():
        raise Invalid("title must not be blank")
    require_token(gh, "create-pull-request", token_problem)
    if base is None:
        base = str(gh.get(repo_path(owner, name))["default_branch"])
    if ":" not in head:
        _require_pushed(gh, owner, name, head)
    if head == base:
        raise Invalid(f"head and base are both {head!r}: a pull request needs two different branches")
    created = gh.post(
        repo_path(owner, name, "pulls"), {"title": title, "head": head, "base": base, "body": body, "draft": draft}
    )
    return {"created": True, **shapes.pull_summary(created)}


def _require_pushed(gh: GitHub, owner: str, name: str, branch: str) -> None:
    try:
        gh.get(repo_path(owner, name, "branches", branch))
    except Invalid as e:
        if "GitHub has no" not in str(e):
            raise
        raise Invalid(
            f"branch {branch!r} is not on GitHub ({owner}/{name}): push it first, e.g. `git push -u origin "
            f"{branch}` (acc's git plugin has no network access)"
        ) from None


def list_pull_requests(
    gh: GitHub,
    repo: str,
    state: str = "open",
    base: str | None = None,
    head: str | None = None,
    per_page: int = 30,
    page: int = 1,
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    params = {"state": state, "base": base, "head": head, "per_page": per_page, "page": page}
    listed = gh.page(repo_path(owner, name, "pulls"), params)
    return {
        "repo": repo,
        "pull_requests": [shapes.pull_summary(pr) for pr in listed.items],
        "page": page,
        "has_more": listed.has_more,
        "authenticated": gh.authenticated,
    }


def get_pull_request(
    gh: GitHub, repo: str, number: int, include_files: bool = False, max_files: int = MAX_FILES
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    result = shapes.pull_detail(gh.get(repo_path(owner, name, "pulls", number)))
    if include_files:
        files: list[dict[str, Any]] = []
        page, more = 1, True
        while more and len(files) < max_files:
            listed = gh.page(repo_path(owner, name, "pulls", number, "files"), {"per_page": 100, "page": page})
            files += [shapes.pull_file(item) for item in listed.items]
            more, page = listed.has_more, page + 1
        result["files"] = files[:max_files]
        result["files_truncated"] = more or len(files) > max_files
    result["authenticated"] = gh.authenticated
    return result


def list_issues(
    gh: GitHub,
    repo: str,
    state: str = "open",
    labels: list[str] | None = None,
    include_pull_requests: bool = False,
    per_page: int = 30,
    page: int = 1,
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    params = {"state": state, "labels": ",".join(labels) if labels else None, "per_page": per_page, "page": page}
    listed = gh.page(repo_path(owner, name, "issues"), params)
    issues = [shapes.issue_summary(item) for item in listed.items]
    if not include_pull_requests:
        issues = [issue for issue in issues if not issue["is_pull_request"]]
    return {
        "repo": repo,
        "issues": issues,
        "page": page,
        "has_more": listed.has_more,
        "authenticated": gh.authenticated,
    }


def get_issue(
    gh: GitHub, repo: str, number: int, include_comments: bool = True, max_comments: int = MAX_COMMENTS
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    result = shapes.issue_detail(gh.get(repo_path(owner, name, "issues", number)))
    if include_comments:
        listed = gh.page(repo_path(owner, name, "issues", number, "comments"), {"per_page": max_comments})
        result["comment_list"] = [shapes.comment(item) for item in listed.items]
        result["comments_truncated"] = listed.has_more
    result["authenticated"] = gh.authenticated
    return result


def add_comment(gh: GitHub, repo: str, number: int, body: str, token_problem: str = "") -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    if not body.strip():
        raise Invalid("body must not be blank")
    require_token(gh, "comment", token_problem)
    created = gh.post(repo_path(owner, name, "issues", number, "comments"), {"body": body})
    return {"number": number, **shapes.comment(created)}


def review_comments(
    gh: GitHub, repo: str, number: int, include_reviews: bool = True, per_page: int = 100, page: int = 1
) -> dict[str, Any]:
    owner, name = inputs.repository(repo)
    listed = gh.page(repo_path(owner, name, "pulls", number, "comments"), {"per_page": per_page, "page": page})
    result: dict[str, Any] = {
        "repo": repo,
        "number": number,
        "comments": [shapes.review_comment(item) for item in listed.items],
        "page": page,
        "has_more": listed.has_more,
    }
    if include_reviews:
        reviews = gh.page(repo_path(owner, name, "pulls", number, "reviews"), {"per_page": 100})
        result["reviews"] = [shapes.review(item) for item in reviews.items]
        result["reviews_truncated"] = reviews.has_more
    result["authenticated"] = gh.authenticated
    return result
