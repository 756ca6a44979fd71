"""Server-side web sessions: logging out, a password change and "log out everywhere" end
them for good (a copied cookie stops working), on every worker and host; registration and
password reset say nothing about which addresses are registered; failed logins are
throttled per account, whatever the address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.app import create_app
from registry.config import RegistryConfig
from registry.models import User, WebSession
from tests.registry.web_kit import PASSWORD, csrf_of, log_in, mailed_link, page_of, post_form, register
from tests.registry_kit import Publisher, config_for

COOKIE = "session"


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> str:
    cookie = source.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    target.set_cookie(COOKIE, cookie.value)
    return cookie.value


def _logged_in_as(client: FlaskClient) -> str | None:
    response = client.get("/account")
    if response.status_code != 200:
        return None
    return page_of(response).title.removeprefix("Your account: ")


@pytest.fixture
def other_client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.usefixtures("database_url")
def test_a_copied_session_cookie_stops_working_when_its_session_logs_out(
    client: FlaskClient, other_client: FlaskClient, alice: Publisher
) -> None:
    assert log_in(client, "alice").status_code == 303
    _copy_cookie(client, other_client)
    assert _logged_in_as(other_client) == "alice", "the copy works while the session lives"
    post_form(client, "/account", "/logout")
    assert _logged_in_as(client) is None
    assert _logged_in_as(other_client) is None, "the copied cookie names an ended session"


def test_the_cookie_from_before_login_is_not_the_logged_in_session(
    app: Flask, client: FlaskClient, other_client: FlaskClient, alice: Publisher
) -> None:
    client.get("/login")  # an anonymous session (it holds the form's CSRF secret)
    before = client.get_cookie(COOKIE)
    assert before is not None
    log_in(client, "alice")
    after = client.get_cookie(COOKIE)
    assert after is not None and after.value != before.value
    other_client.set_cookie(COOKIE, before.value)
    assert _logged_in_as(other_client) is None, "a fixed session id never becomes a login"
    with app.extensions["acc_registry"].db.read() as session:
        rows = session.execute(select(WebSession)).scalars().all()
    assert [r.user_id for r in rows] == [rows[0].user_id] and rows[0].user_id is not None
    assert before.value not in {r.id for r in rows} | {r.data for r in rows}, "only the cookie's hash is stored"


def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    client: FlaskClient, other_client: FlaskClient, app: Flask, alice: Publisher
) -> None:
    log_in(client, "alice")
    log_in(other_client, "alice")
    stolen = app.test_client()
    _copy_cookie(client, stolen)
    new = "a brand new password"
    response = post_form(
        client, "/account", "/account/password", current_password=PASSWORD, new_password=new, confirm=new
    )
    assert response.status_code == 303
    assert _logged_in_as(client) == "alice"
    assert _logged_in_as(other_client) is None
    assert _logged_in_as(stolen) is None, "the cookie from before the change is dead too"
    fresh = app.test_client()
    assert log_in(fresh, "alice", PASSWORD).status_code == 401
    assert log_in(fresh, "alice", new).status_code == 303
    wrong = post_form(client, "/account", "/account/password", current_password="nope", new_password=new, confirm=new)
    assert wrong.status_code == 401 and "That is not your current password." in wrong.get_data(as_text=True)


def test_log_out_everywhere_ends_every_session_of_the_account_only(
    client: FlaskClient, other_client: FlaskClient, app: Flask, alice: Publisher, bob: Publisher
) -> None:
    log_in(client, "alice")
    log_in(other_client, "alice")
    bobs = app.test_client()
    log_in(bobs, "bob")
    response = post_form(other_client, "/account", "/account/sessions/end")
    assert response.status_code == 303
    assert "You are logged out everywhere (2 sessions ended)." in other_client.get("/").get_data(as_text=True)
    assert _logged_in_as(client) is None and _logged_in_as(other_client) is None
    assert _logged_in_as(bobs) == "bob"


def test_sessions_are_shared_by_every_worker_and_host_on_the_database(
    registry_config: RegistryConfig, alice: Publisher
) -> None:
    """Two apps on one database (two workers, or two hosts): a login on one works on the
    other, and a logout on either ends it on both."""
    first, second = create_app(registry_config), create_app(registry_config)
    on_first, on_second = first.test_client(), second.test_client()
    log_in(on_first, "alice")
    _copy_cookie(on_first, on_second)
    assert _logged_in_as(on_second) == "alice"
    post_form(on_second, "/account", "/logout")
    assert _logged_in_as(on_first) is None
    for app in (first, second):
        app.extensions["acc_registry"].db.dispose()


# -- no enumeration of email addresses -------------------------------------------------------


def _register_page(client: FlaskClient, name: str, email: str) -> str:
    data = {"name": name, "email": email, "password": "a long enough password", "confirm": "a long enough password"}
    response = client.post("/register", data={"csrf_token": csrf_of(client.get("/register")), **data})
    assert response.status_code == 200
    return response.get_data(as_text=True).replace(email, "EMAIL")


def test_registering_answers_the_same_whether_or_not_the_address_is_registered(
    app: Flask, client: FlaskClient, alice: Publisher
) -> None:
    taken = _register_page(client, "mallory", "alice@example.com")
    fresh = _register_page(app.test_client(), "carol", "carol@example.org")
    assert taken == fresh and "Check your email" in taken
    with app.extensions["acc_registry"].db.read() as session:
        assert session.execute(select(func.count(User.id)).where(User.name == "mallory")).scalar_one() == 0
    outbox = app.extensions["acc_registry"].mailer.outbox
    [to_alice] = [m for m in outbox if m.to == "alice@example.com" and "Registration attempt" in m.subject]
    assert "belongs to the account alice" in to_alice.body and "/reset" in to_alice.body
    # The new account cannot log in before its address is confirmed, then can.
    pending = log_in(client, "carol", "a long enough password")
    assert pending.status_code == 403 and "Confirm your email address first" in pending.get_data(as_text=True)
    confirmed = client.get(mailed_link(client, "carol@example.org", "/confirm/"))
    assert confirmed.status_code == 303 and _logged_in_as(client) == "carol"
    again = client.get(mailed_link(client, "carol@example.org", "/confirm/"))
    assert again.status_code == 400, "a link works once"


def test_a_taken_user_name_is_said_whatever_the_address(client: FlaskClient, alice: Publisher) -> None:
    for email in ("alice@example.com", "someone@example.org"):
        response = register(client, "alice", email=email)
        assert response.status_code == 409 and "The name is already registered" in response.get_data(as_text=True)


def test_a_password_reset_answers_the_same_for_any_address_and_its_link_works_once(
    app: Flask, client: FlaskClient, other_client: FlaskClient, alice: Publisher
) -> None:
    log_in(other_client, "alice")
    pages = []
    for email in ("alice@example.com", "nobody@example.org"):
        response = client.post("/reset", data={"csrf_token": csrf_of(client.get("/reset")), "email": email})
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True).replace(email, "EMAIL"))
    assert pages[0] == pages[1]
    outbox = app.extensions["acc_registry"].mailer.outbox
    assert [m.to for m in outbox if "Reset" in m.subject] == ["alice@example.com"]
    link = mailed_link(client, "alice@example.com", "/reset/")
    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password for alice" in form.get_data(as_text=True)
    new = "reset to something long"
    done = client.post(link, data={"csrf_token": csrf_of(form), "password": new, "confirm": new})
    assert done.status_code == 303
    assert _logged_in_as(client) == "alice"
    assert _logged_in_as(other_client) is None, "the reset ended the other sessions"
    assert client.get(link).status_code == 400, "the link was used"
    assert log_in(app.test_client(), "alice", new).status_code == 303


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:80", "localhost.attacker.example", "[2001:db8::1]"]
)
def test_without_a_public_url_no_link_is_mailed_for_a_host_the_client_chose(
    app: Flask, client: FlaskClient, alice: Publisher, host: str
) -> None:
    """Host-header poisoning: the reset link must not point wherever the request's Host says."""
    form = csrf_of(client.get("/reset", headers={"Host": host}))
    response = client.post("/reset", data={"csrf_token": form, "email": "alice@example.com"}, headers={"Host": host})
    assert response.status_code == 503
    assert "public URL is not configured" in response.get_data(as_text=True)
    outbox = app.extensions["acc_registry"].mailer.outbox
    assert not [m for m in outbox if "Reset" in m.subject]


@pytest.mark.parametrize("host", ["localhost:5000", "127.0.0.1:8080", "[::1]:8080"])
def test_without_a_public_url_a_registry_on_loopback_mails_links_to_itself(
    app: Flask, client: FlaskClient, alice: Publisher, host: str
) -> None:
    form = csrf_of(client.get("/reset", headers={"Host": host}))
    response = client.post("/reset", data={"csrf_token": form, "email": "alice@example.com"}, headers={"Host": host})
    assert response.status_code == 200
    (mail,) = [m for m in app.extensions["acc_registry"].mailer.outbox if "Reset" in m.subject]
    assert f"http://{host}/reset/" in mail.body


# -- per-account throttling ------------------------------------------------------------------


@pytest.fixture
def strict_app(registry_config: RegistryConfig) -> Iterator[Flask]:
    app = create_app(config_for(registry_config.data_dir, registry_config.database_url, login_failures_per_account=3))
    yield app
    app.extensions["acc_registry"].db.dispose()


@pytest.mark.usefixtures("database_url")
def test_failed_logins_are_limited_per_account_whatever_the_address(strict_app: Flask, alice: Publisher) -> None:
    def attempt(address: str, name: str, password: str) -> int:
        client = strict_app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return int(log_in(client, name, password).status_code)

    # Three guesses from three addresses: each address is far below its own limit.
    assert [attempt(f"10.0.0.{i}", "alice", "guess number one") for i in range(3)] == [401, 401, 401]
    assert attempt("10.0.1.1", "alice", "guess number two") == 429
    assert attempt("10.0.1.2", "alice", PASSWORD) == 429, "refused even with the right password"
    assert attempt("10.0.1.3", "bob", "any guess at all") == 401, "other accounts are not affected"
    # A name with no account is limited the same way, so the limit reveals nothing.
    assert [attempt(f"10.0.2.{i}", "nobody", "guess") for i in range(4)] == [401, 401, 401, 429]
