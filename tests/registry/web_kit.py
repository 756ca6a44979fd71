"""Driving the registry's web pages through the Flask test client, as a browser would."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"  # what make_publisher gives every account


class Page(HTMLParser):
    """Just enough of an HTML page to check structure: every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.h1: list[str] = []
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1[-1] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    @property
    def title(self) -> str:
        return " ".join(self.h1[0].split()) if self.h1 else ""


def page_of(response: Any) -> Page:
    assert response.mimetype == "text/html", (response.status, response.get_data(as_text=True)[:300])
    return Page(response.get_data(as_text=True))


def csrf_of(response: Any) -> str:
    fields = page_of(response).find("input", name="csrf_token")
    assert fields, "the page has no form with a CSRF token"
    return fields[0]["value"]


def log_in(client: FlaskClient, name: str, password: str = PASSWORD, next_page: str = "") -> Any:
    token = csrf_of(client.get("/login"))
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password, "next": next_page})


def register(client: FlaskClient, name: str, password: str = "a long enough password", **extra: str) -> Any:
    """Register `name` and follow the confirmation link mailed to it; the link's response
    (or the form's, when registering is refused)."""
    token = csrf_of(client.get("/register"))
    data = {
        "csrf_token": token,
        "name": name,
        "email": f"{name}@example.org",
        "password": password,
        "confirm": password,
        **extra,
    }
    response = client.post("/register", data=data)
    if response.status_code != 200 or "Check your email" not in response.get_data(as_text=True):
        return response
    return client.get(mailed_link(client, f"{name}@example.org", "/confirm/"))


def mailed_link(client: FlaskClient, to: str, kind: str) -> str:
    """The path of the newest link of `kind` (e.g. "/confirm/") mailed to `to` (a LogMailer's outbox)."""
    import re

    outbox = client.application.extensions["acc_registry"].mailer.outbox
    for mail in reversed(outbox):
        found = re.search(r"https?://[^/\s]+(" + re.escape(kind) + r"\S+)", mail.body)
        if mail.to == to and found:
            return found.group(1)
    raise AssertionError(f"no {kind} link was mailed to {to}")


def post_form(client: FlaskClient, page_url: str, action: str, **data: str | list[str]) -> Any:
    """POST `data` to `action` with the CSRF token of `page_url`, as a browser would."""
    return client.post(action, data={"csrf_token": csrf_of(client.get(page_url)), **data})
