"""A scripted stand-in for GitHub's REST API (the parts the github plugin uses), on loopback.

One repository, `octo/calc`: branches main and fix-subtract (pushed), pull request #1 from
`feature` with review comments and reviews, issue #2 with comments. It checks tokens as
GitHub does (a wrong one is 401, writes without one are 401, reads without one work),
answers `octo/limited` with a spent rate limit, and records every request.
"""

from __future__ import annotations

import re
from typing import Any

from tests.official.scripted_api import Received, Reply, ScriptedApi

GOOD_TOKEN = "ghp_test_token_0123456789"
REPO = "octo/calc"
_REPO = r"/repos/octo/calc"
_ISSUE_FIELDS = ("number", "title", "state", "user", "labels", "html_url", "created_at", "updated_at")


def _user(login: str) -> dict[str, Any]:
    return {"login": login, "id": hash(login) % 10_000, "type": "User"}


def _side(branch: str, sha: str) -> dict[str, Any]:
    return {"ref": branch, "sha": sha, "repo": {"full_name": REPO}}


class FakeGitHub(ScriptedApi):
    def __init__(self) -> None:
        self.branches = {"main": "a" * 40, "feature": "b" * 40, "fix-subtract": "c" * 40}
        self.pulls: list[dict[str, Any]] = [self._pull(1, "Add multiply", "feature", "ada", body="Adds mul().")]
        self.issues: dict[int, dict[str, Any]] = {
            2: {
                "number": 2,
                "title": "Subtraction is wrong",
                "state": "open",
                "user": _user("grace"),
                "labels": [{"name": "bug"}],
                "assignees": [_user("ada")],
                "comments": 2,
                "body": "subtract(3, 1) gives -2.",
                "html_url": "https://github.com/octo/calc/issues/2",
                "created_at": "2024-05-01T10:00:00Z",
                "updated_at": "2024-05-02T10:00:00Z",
            }
        }
        self.comments: dict[int, list[dict[str, Any]]] = {
            2: [self._comment(201, "ada", "Confirmed."), self._comment(202, "grace", "It swaps a and b.")],
            1: [],
        }
        self.review_comments = [
            {
                **self._comment(301, "grace", "Name it product?"),
                "path": "calc/ops.py",
                "line": 12,
                "original_line": 12,
                "side": "RIGHT",
                "commit_id": "b" * 40,
                "in_reply_to_id": None,
                "pull_request_review_id": 401,
                "diff_hunk": "@@ -9,3 +9,6 @@\n+def mul(a, b):",
            }
        ]
        self.reviews = [
            {"id": 401, "user": _user("grace"), "state": "CHANGES_REQUESTED", "body": "One nit.",
             "submitted_at": "2024-05-03T09:00:00Z", "commit_id": "b" * 40}
        ]  # fmt: skip
        super().__init__(
            [
                ("GET", r"/repos/octo/limited(/.*)?", self._rate_limited),
                ("GET", _REPO, self._repo),
                ("GET", _REPO + r"/branches/(.+)", self._branch),
                ("GET", _REPO + r"/pulls", self._list_pulls),
                ("POST", _REPO + r"/pulls", self._create_pull),
                ("GET", _REPO + r"/pulls/(\d+)", self._get_pull),
                ("GET", _REPO + r"/pulls/(\d+)/files", self._pull_files),
                ("GET", _REPO + r"/pulls/(\d+)/comments", self._review_comments),
                ("GET", _REPO + r"/pulls/(\d+)/reviews", self._reviews),
                ("GET", _REPO + r"/issues", self._list_issues),
                ("GET", _REPO + r"/issues/(\d+)", self._get_issue),
                ("GET", _REPO + r"/issues/(\d+)/comments", self._list_comments),
                ("POST", _REPO + r"/issues/(\d+)/comments", self._add_comment),
            ]
        )

    # -- what the stand-in holds ----------------------------------------------------------------

    def _pull(
        self, number: int, title: str, head: str, author: str, body: str = "", draft: bool = False
    ) -> dict[str, Any]:
        return {
            "number": number,
            "title": title,
            "state": "open",
            "draft": draft,
            "merged_at": None,
            "user": _user(author),
            "head": _side(head, self.branches[head]),
            "base": _side("main", self.branches["main"]),
            "body": body,
            "html_url": f"https://github.com/octo/calc/pull/{number}",
            "created_at": "2024-05-01T12:00:00Z",
            "updated_at": "2024-05-01T12:00:00Z",
            "mergeable": True,
            "labels": [],
            "requested_reviewers": [_user("grace")],
            "commits": 1,
            "additions": 3,
            "deletions": 0,
            "changed_files": 1,
            "comments": 0,
            "review_comments": 1,
        }

    @staticmethod
    def _comment(comment_id: int, author: str, body: str) -> dict[str, Any]:
        return {
            "id": comment_id,
            "user": _user(author),
            "body": body,
            "html_url": f"https://github.com/octo/calc/issues/2#issuecomment-{comment_id}",
            "created_at": "2024-05-02T08:00:00Z",
            "updated_at": "2024-05-02T08:00:00Z",
        }

    # -- the rules GitHub applies ------------------------------------------------------------------

    def answer(self, request: Received) -> Reply:
        auth = request.headers.get("authorization")
        if auth is not None and auth != f"Bearer {GOOD_TOKEN}":
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if request.method != "GET" and auth is None:
            return 401, {"message": "Requires authentication"}
        return super().answer(request)

    @staticmethod
    def _paged(request: Received, items: list[Any], path: str) -> Reply:
        per_page = int(request.param("per_page", "30") or 30)
        page = int(request.param("page", "1") or 1)
        chosen = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<https://api.github.com{path}?page={page + 1}>; rel="next"'
        return 200, chosen, headers

    def _rate_limited(self, request: Received, match: re.Match[str]) -> Reply:
        return (
            403,
            {"message": "API rate limit exceeded"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714560000"},
        )

    def _repo(self, request: Received, match: re.Match[str]) -> Reply:
        return 200, {"full_name": REPO, "default_branch": "main", "private": False}

    def _branch(self, request: Received, match: re.Match[str]) -> Reply:
        name = match[1]
        if name not in self.branches:
            return 404, {"message": "Branch not found"}
        return 200, {"name": name, "commit": {"sha": self.branches[name]}}

    def _list_pulls(self, request: Received, match: re.Match[str]) -> Reply:
        state = request.param("state", "open")
        chosen = [p for p in reversed(self.pulls) if state == "all" or p["state"] == state]
        return self._paged(request, chosen, request.path)

    def _create_pull(self, request: Received, match: re.Match[str]) -> Reply:
        payload = request.json()
        head, base = payload["head"], payload["base"]
        if head not in self.branches or base not in self.branches:
            return 422, {
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
            }
        if any(p["head"]["ref"] == head and p["state"] == "open" for p in self.pulls):
            return 422, {
                "message": "Validation Failed",
                "errors": [{"message": f"A pull request already exists for octo:{head}."}],
            }
        pull = self._pull(
            len(self.pulls) + 10, payload["title"], head, "ada", payload.get("body", ""), payload.get("draft", False)
        )
        self.pulls.append(pull)
        return 201, pull

    def _find_pull(self, number: str) -> dict[str, Any] | None:
        return next((p for p in self.pulls if p["number"] == int(number)), None)

    def _get_pull(self, request: Received, match: re.Match[str]) -> Reply:
        pull = self._find_pull(match[1])
        return (200, pull) if pull else (404, {"message": "Not Found"})

    def _pull_files(self, request: Received, match: re.Match[str]) -> Reply:
        files = [
            {"filename": "calc/ops.py", "status": "modified", "additions": 3, "deletions": 0,
             "patch": "@@ -9,3 +9,6 @@\n+def mul(a, b):\n+    return a * b\n"},
            {"filename": "calc/new.py", "status": "added", "additions": 1, "deletions": 0,
             "patch": "@@ -0,0 +1 @@\n+X = 1\n"},
        ]  # fmt: skip
        return self._paged(request, files, request.path)

    def _review_comments(self, request: Received, match: re.Match[str]) -> Reply:
        return self._paged(request, self.review_comments if match[1] == "1" else [], request.path)

    def _reviews(self, request: Received, match: re.Match[str]) -> Reply:
        return self._paged(request, self.reviews if match[1] == "1" else [], request.path)

    def _issue_items(self) -> list[dict[str, Any]]:
        as_issues = [
            {**{k: p[k] for k in _ISSUE_FIELDS},
             "assignees": [], "comments": 0, "body": p["body"], "pull_request": {"url": p["html_url"]}}
            for p in self.pulls
        ]  # fmt: skip
        return sorted([*self.issues.values(), *as_issues], key=lambda i: -i["number"])

    def _list_issues(self, request: Received, match: re.Match[str]) -> Reply:
        labels = [label for label in (request.param("labels") or "").split(",") if label]
        chosen = [i for i in self._issue_items() if all(label in [x["name"] for x in i["labels"]] for label in labels)]
        return self._paged(request, chosen, request.path)

    def _get_issue(self, request: Received, match: re.Match[str]) -> Reply:
        found = next((i for i in self._issue_items() if i["number"] == int(match[1])), None)
        return (200, found) if found else (404, {"message": "Not Found"})

    def _list_comments(self, request: Received, match: re.Match[str]) -> Reply:
        return self._paged(request, self.comments.get(int(match[1]), []), request.path)

    def _add_comment(self, request: Received, match: re.Match[str]) -> Reply:
        number = int(match[1])
        if self._find_pull(str(number)) is None and number not in self.issues:
            return 404, {"message": "Not Found"}
        created = self._comment(500 + len(self.comments.get(number, [])), "ada", request.json()["body"])
        self.comments.setdefault(number, []).append(created)
        return 201, created
