"""The github plugin's logic on CPython, against a scripted GitHub on loopback reached through
the host's real http capability code: what each command sends (recorded by the stand-in)
and returns, and each refusal (no token, a wrong token, a branch not pushed, a host not
granted) with what reached GitHub, if anything.

The sandbox (the component, its http and secrets grants) is in test_github_component.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.official.github_standin import GOOD_TOKEN, REPO, FakeGitHub
from tests.official.plugin_kit import host_transport, use_plugin_sources

use_plugin_sources("github")

from acc_github import inputs, ops  # noqa: E402
from acc_github.client import GitHub, clean, github_message  # noqa: E402
from acc_plugin import Denied, Invalid, LimitExceeded  # noqa: E402


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().running() as server:
        yield server  # type: ignore[misc]


Client = Callable[..., GitHub]


@pytest.fixture
def client(github: FakeGitHub) -> Client:
    """A client of the stand-in, granted exactly its origin; with the good token unless told."""

    def make(token: str | None = GOOD_TOKEN, *, grant: tuple[str, ...] = ()) -> GitHub:
        return GitHub(github.url, token, host_transport(*(grant or (github.origin_grant,))))

    return make


# --- pull requests ------------------------------------------------------------------------------


def test_create_pull_request_opens_one_from_a_pushed_branch_into_the_default_branch(
    github: FakeGitHub, client: Client
) -> None:
    result = ops.create_pull_request(client(), REPO, "fix-subtract", "Fix subtract", body="It swapped a and b.")
    assert result["created"] is True
    assert (result["number"], result["title"], result["state"], result["draft"]) == (11, "Fix subtract", "open", False)
    assert result["head"] == {"branch": "fix-subtract", "sha": "c" * 40, "repo": REPO}
    assert result["base"]["branch"] == "main"
    assert result["url"] == "https://github.com/octo/calc/pull/11"

    assert [(r.method, r.path) for r in github.received] == [
        ("GET", "/repos/octo/calc"),
        ("GET", "/repos/octo/calc/branches/fix-subtract"),
        ("POST", "/repos/octo/calc/pulls"),
    ]
    posted = github.received[-1]
    assert posted.json() == {
        "title": "Fix subtract",
        "head": "fix-subtract",
        "base": "main",
        "body": "It swapped a and b.",
        "draft": False,
    }
    assert posted.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert posted.headers["accept"] == "application/vnd.github+json"
    assert posted.headers["x-github-api-version"] == "2022-11-28"
    assert posted.headers["content-type"] == "application/json"


def test_create_pull_request_with_a_base_asks_nothing_about_the_repository(github: FakeGitHub, client: Client) -> None:
    ops.create_pull_request(client(), REPO, "fix-subtract", "Fix", base="feature", draft=True)
    assert [r.path for r in github.received] == ["/repos/octo/calc/branches/fix-subtract", "/repos/octo/calc/pulls"]
    assert github.received[-1].json()["base"] == "feature" and github.received[-1].json()["draft"] is True


def test_create_pull_request_refuses_a_branch_that_is_not_pushed_and_posts_nothing(
    github: FakeGitHub, client: Client
) -> None:
    with pytest.raises(Invalid, match=r"branch 'local-only' is not on GitHub .*git push -u origin local-only"):
        ops.create_pull_request(client(), REPO, "local-only", "Nope", base="main")
    assert "POST" not in [r.method for r in github.received]


def test_create_pull_request_passes_githubs_refusal_on(github: FakeGitHub, client: Client) -> None:
    with pytest.raises(Invalid, match="A pull request already exists for octo:feature"):
        ops.create_pull_request(client(), REPO, "feature", "Again", base="main")


def test_writes_without_a_token_are_refused_before_anything_is_sent(github: FakeGitHub, client: Client) -> None:
    problem = "secret GITHUB_TOKEN is not set: export GITHUB_TOKEN in the environment that runs acc"
    with pytest.raises(Denied) as refused:
        ops.create_pull_request(client(None), REPO, "fix-subtract", "Fix", token_problem=problem)
    assert "create-pull-request needs a GitHub token" in str(refused.value)
    assert problem in str(refused.value) and "Nothing was sent to GitHub" in str(refused.value)
    with pytest.raises(Denied, match="comment needs a GitHub token"):
        ops.add_comment(client(None), REPO, 2, "Hello")
    assert github.received == []


def test_a_token_github_refuses_is_denied_with_advice(github: FakeGitHub, client: Client) -> None:
    with pytest.raises(Denied, match=r"GitHub refused the token \(Bad credentials\): check GITHUB_TOKEN"):
        ops.list_pull_requests(client("ghp_wrong"), REPO)
    assert github.received[0].headers["authorization"] == "Bearer ghp_wrong"


def test_pull_requests_are_listed_newest_first_a_page_at_a_time(github: FakeGitHub, client: Client) -> None:
    ops.create_pull_request(client(), REPO, "fix-subtract", "Fix subtract", base="main")
    first = ops.list_pull_requests(client(), REPO, per_page=1)
    assert [pr["number"] for pr in first["pull_requests"]] == [11]
    assert (first["page"], first["has_more"], first["authenticated"]) == (1, True, True)
    second = ops.list_pull_requests(client(), REPO, per_page=1, page=2)
    assert [pr["number"] for pr in second["pull_requests"]] == [1] and second["has_more"] is False
    assert second["pull_requests"][0]["author"] == "ada"
    assert github.received[-1].query == {"state": ["open"], "per_page": ["1"], "page": ["2"]}


def test_reads_work_without_a_token_and_say_so(github: FakeGitHub, client: Client) -> None:
    listed = ops.list_pull_requests(client(None), REPO)
    assert listed["authenticated"] is False and len(listed["pull_requests"]) == 1
    assert "authorization" not in github.received[0].headers


def test_a_pull_request_is_read_with_its_changed_files(github: FakeGitHub, client: Client) -> None:
    result = ops.get_pull_request(client(), REPO, 1, include_files=True)
    assert (result["number"], result["body"], result["mergeable"]) == (1, "Adds mul().", True)
    assert result["requested_reviewers"] == ["grace"]
    assert [(f["path"], f["status"]) for f in result["files"]] == [
        ("calc/ops.py", "modified"),
        ("calc/new.py", "added"),
    ]
    assert result["files"][0]["patch"].startswith("@@ -9,3 +9,6 @@")
    assert result["files_truncated"] is False
    with pytest.raises(Invalid, match="GitHub has no /repos/octo/calc/pulls/99"):
        ops.get_pull_request(client(), REPO, 99)


def test_review_comments_and_reviews_of_a_pull_request(github: FakeGitHub, client: Client) -> None:
    result = ops.review_comments(client(), REPO, 1)
    assert result["comments"] == [
        {
            "id": 301,
            "author": "grace",
            "body": "Name it product?",
            "url": "https://github.com/octo/calc/issues/2#issuecomment-301",
            "created_at": "2024-05-02T08:00:00Z",
            "updated_at": "2024-05-02T08:00:00Z",
            "path": "calc/ops.py",
            "line": 12,
            "original_line": 12,
            "side": "RIGHT",
            "commit_id": "b" * 40,
            "in_reply_to_id": None,
            "review_id": 401,
            "diff_hunk": "@@ -9,3 +9,6 @@\n+def mul(a, b):",
        }
    ]
    assert [(r["author"], r["state"], r["body"]) for r in result["reviews"]] == [
        ("grace", "CHANGES_REQUESTED", "One nit.")
    ]


# --- issues and comments ------------------------------------------------------------------------


def test_issues_leave_pull_requests_out_unless_asked_and_filter_by_label(github: FakeGitHub, client: Client) -> None:
    plain = ops.list_issues(client(), REPO)
    assert [(i["number"], i["is_pull_request"]) for i in plain["issues"]] == [(2, False)]
    both = ops.list_issues(client(), REPO, include_pull_requests=True)
    assert [(i["number"], i["is_pull_request"]) for i in both["issues"]] == [(2, False), (1, True)]
    bugs = ops.list_issues(client(), REPO, labels=["bug"], state="all")
    assert [i["number"] for i in bugs["issues"]] == [2]
    assert github.received[-1].query["labels"] == ["bug"] and github.received[-1].query["state"] == ["all"]


def test_an_issue_is_read_with_its_comments(github: FakeGitHub, client: Client) -> None:
    result = ops.get_issue(client(), REPO, 2)
    assert (result["title"], result["author"], result["labels"], result["assignees"]) == (
        "Subtraction is wrong",
        "grace",
        ["bug"],
        ["ada"],
    )
    assert [(c["author"], c["body"]) for c in result["comment_list"]] == [
        ("ada", "Confirmed."),
        ("grace", "It swaps a and b."),
    ]
    assert result["comments_truncated"] is False


def test_comment_posts_on_an_issue_and_returns_it(github: FakeGitHub, client: Client) -> None:
    result = ops.add_comment(client(), REPO, 2, "Fixed in #11.")
    assert (result["number"], result["author"], result["body"]) == (2, "ada", "Fixed in #11.")
    posted = github.received[-1]
    assert (posted.method, posted.path, posted.json()) == (
        "POST",
        "/repos/octo/calc/issues/2/comments",
        {"body": "Fixed in #11."},
    )
    assert ops.get_issue(client(), REPO, 2)["comment_list"][-1]["body"] == "Fixed in #11."


# --- refusals and limits ------------------------------------------------------------------------


def test_a_host_not_granted_is_refused_by_the_host_before_any_connection(github: FakeGitHub) -> None:
    """The shipped manifest grants api.github.com only: pointing base_url elsewhere does not widen it."""
    shipped = GitHub(github.url, GOOD_TOKEN, host_transport("api.github.com"))
    with pytest.raises(Denied, match="not in the plugin's http grant"):
        ops.list_pull_requests(shipped, REPO)
    with pytest.raises(Denied):
        ops.create_pull_request(shipped, REPO, "fix-subtract", "Fix", base="main")
    assert github.received == [], "nothing, and so no token, reached a host the user did not grant"


def test_a_spent_rate_limit_is_a_limit_error_saying_when_it_resets(github: FakeGitHub, client: Client) -> None:
    with pytest.raises(LimitExceeded, match=r"rate limit is used up \(it resets at 1714560000"):
        ops.list_issues(client(), "octo/limited")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda gh: ops.list_issues(gh, "octo"), "is not owner/name"),
        (lambda gh: ops.list_issues(gh, "octo/calc/extra"), "is not owner/name"),
        (lambda gh: ops.list_issues(gh, "../calc"), "is not owner/name"),
        (lambda gh: ops.create_pull_request(gh, REPO, "-x", "t"), "not a valid branch name"),
        (lambda gh: ops.create_pull_request(gh, REPO, "a..b", "t"), "not a valid branch name"),
        (lambda gh: ops.create_pull_request(gh, REPO, "fix", "  "), "title must not be blank"),
        (lambda gh: ops.add_comment(gh, REPO, 2, " \n"), "body must not be blank"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    github: FakeGitHub, client: Client, call: Callable[[GitHub], object], message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        call(client())
    assert github.received == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://api.github.com", "must be an http"),
        ("https://user:pw@api.github.com", "user info"),
        ("https://api.github.com/?x=1", "query"),
        ("api.github.com", "must be an http"),
    ],
)
def test_base_url_is_checked_for_shape(value: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        inputs.base_url(value)
    assert inputs.base_url(None) == "https://api.github.com"
    assert inputs.base_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/v3"


def test_githubs_error_text_is_cut_and_cleaned_before_anyone_reads_it() -> None:
    hostile = b'{"message": "\\u001b[31mred\\u0007 ' + b"x" * 2000 + b'", "errors": [{"message": "detail"}]}'
    message = github_message(hostile)
    assert "\x1b" not in message and "\x07" not in message
    assert len(message) <= 501 and message.endswith("…")
    assert github_message(b"<html>oops</html>") == "<html>oops</html>"
    assert clean("a\x00b") == "a b"
