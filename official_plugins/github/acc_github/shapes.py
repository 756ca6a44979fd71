"""What GitHub answers, cut down to the fields an agent or a script needs. Pure.

Every string that came from GitHub stays as it is (titles and bodies are the
repository's text), but long bodies, patches and diff hunks are capped.
"""

from __future__ import annotations

from typing import Any

MAX_BODY_CHARS = 20_000
MAX_PATCH_CHARS = 20_000
MAX_HUNK_CHARS = 4_000


def _cap(text: Any, limit: int) -> Any:
    if isinstance(text, str) and len(text) > limit:
        return text[:limit] + "\n… (cut)"
    return text


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _ref(side: Any) -> dict[str, Any] | None:
    if not isinstance(side, dict):
        return None
    repo = side.get("repo")
    return {
        "branch": side.get("ref"),
        "sha": side.get("sha"),
        "repo": repo.get("full_name") if isinstance(repo, dict) else None,
    }


def pull_summary(pr: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": pr.get("number"),
        "title": pr.get("title"),
        "state": pr.get("state"),
        "draft": bool(pr.get("draft")),
        "merged": pr.get("merged_at") is not None,
        "author": _login(pr.get("user")),
        "head": _ref(pr.get("head")),
        "base": _ref(pr.get("base")),
        "url": pr.get("html_url"),
        "created_at": pr.get("created_at"),
        "updated_at": pr.get("updated_at"),
    }


def pull_detail(pr: dict[str, Any]) -> dict[str, Any]:
    return {
        **pull_summary(pr),
        "body": _cap(pr.get("body") or "", MAX_BODY_CHARS),
        "mergeable": pr.get("mergeable"),
        "merged_at": pr.get("merged_at"),
        "labels": [label.get("name") for label in pr.get("labels") or [] if isinstance(label, dict)],
        "requested_reviewers": [_login(u) for u in pr.get("requested_reviewers") or []],
        "commits": pr.get("commits"),
        "additions": pr.get("additions"),
        "deletions": pr.get("deletions"),
        "changed_files": pr.get("changed_files"),
        "comments": pr.get("comments"),
        "review_comments": pr.get("review_comments"),
    }


def pull_file(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": item.get("filename"),
        "status": item.get("status"),
        "previous_path": item.get("previous_filename"),
        "additions": item.get("additions"),
        "deletions": item.get("deletions"),
        "patch": _cap(item.get("patch"), MAX_PATCH_CHARS),
    }


def issue_summary(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": issue.get("number"),
        "title": issue.get("title"),
        "state": issue.get("state"),
        "author": _login(issue.get("user")),
        "labels": [label.get("name") for label in issue.get("labels") or [] if isinstance(label, dict)],
        "assignees": [_login(u) for u in issue.get("assignees") or []],
        "comments": issue.get("comments"),
        "is_pull_request": "pull_request" in issue,
        "url": issue.get("html_url"),
        "created_at": issue.get("created_at"),
        "updated_at": issue.get("updated_at"),
    }


def issue_detail(issue: dict[str, Any]) -> dict[str, Any]:
    return {**issue_summary(issue), "body": _cap(issue.get("body") or "", MAX_BODY_CHARS)}


def comment(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "author": _login(item.get("user")),
        "body": _cap(item.get("body") or "", MAX_BODY_CHARS),
        "url": item.get("html_url"),
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
    }


def review_comment(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **comment(item),
        "path": item.get("path"),
        "line": item.get("line"),
        "original_line": item.get("original_line"),
        "side": item.get("side"),
        "commit_id": item.get("commit_id"),
        "in_reply_to_id": item.get("in_reply_to_id"),
        "review_id": item.get("pull_request_review_id"),
        "diff_hunk": _cap(item.get("diff_hunk") or "", MAX_HUNK_CHARS),
    }


def review(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "author": _login(item.get("user")),
        "state": item.get("state"),
        "body": _cap(item.get("body") or "", MAX_BODY_CHARS),
        "submitted_at": item.get("submitted_at"),
        "commit_id": item.get("commit_id"),
    }
