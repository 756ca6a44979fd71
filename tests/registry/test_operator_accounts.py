"""`acc registry user list/disable/enable/reset-password` on a real registry database, and
what a disabled account can still do through the real app: nothing, by token or session."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry.config import RegistryConfig
from registry.models import ApiToken, AuditEntry, Notification, Plugin, User, WebSession
from tests.registry.operator_cli import FIXED, acc_registry
from tests.registry.web_kit import PASSWORD, csrf_of, log_in, page_of
from tests.registry_kit import Publisher


def _fix_dates(app: Flask) -> None:
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(User).values(created_at=FIXED, email_confirmed_at=FIXED))


def _notifications(app: Flask, name: str) -> list[tuple[str, str]]:
    with app.extensions["acc_registry"].db.read() as session:
        user_id = session.execute(select(User.id).where(User.name == name)).scalar_one()
        rows = session.execute(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        return [(n.kind, n.message) for n in rows.scalars()]


def _audit(app: Flask, action: str) -> list[tuple[str, str, dict[str, object]]]:
    with app.extensions["acc_registry"].db.read() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(e.actor, e.target, e.detail) for e in rows.scalars()]


def test_user_list_on_an_empty_registry_says_how_to_make_one(registry_config: RegistryConfig) -> None:
    assert acc_registry(registry_config, "user", "list").stdout == (
        "no accounts yet: create one with `acc registry user create NAME --email ADDRESS`\n"
    )
    assert acc_registry(registry_config, "user", "list", "--json").stdout == "[]\n"


def test_user_list_shows_state_keys_usable_tokens_and_owned_plugins(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, bob: Publisher
) -> None:
    reg = app.extensions["acc_registry"]
    with reg.db.write() as session:
        alice_id = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        session.add(Plugin(name="owned-one", confusable_key="owned-one", owner_id=alice_id))
        session.add(Plugin(name="owned-two", confusable_key="owned-two", owner_id=alice_id))
        session.execute(update(User).where(User.name == "bob").values(is_admin=True, verified_by="dns:bob.example"))
        session.execute(update(User).where(User.name == "bob").values(verified_at=FIXED))
        # A revoked token is not counted as usable.
        bob_id = session.execute(select(User.id).where(User.name == "bob")).scalar_one()
        session.execute(update(ApiToken).where(ApiToken.user_id == bob_id).values(revoked_at=FIXED))
    acc_registry(registry_config, "user", "disable", "alice", "--reason", "spam \x1b]0;owned\x07 reviews")
    _fix_dates(app)
    with reg.db.write() as session:
        session.execute(update(User).where(User.name == "alice").values(disabled_at=FIXED))

    assert acc_registry(registry_config, "user", "list").stdout == (
        "NAME   EMAIL              CREATED     CONFIRMED  STATE                                               "
        "ADMIN  VERIFIED         KEYS  TOKENS  PLUGINS\n"
        "alice  alice@example.com  2026-11-02  yes        disabled 2026-11-02: spam \\x1b]0;owned\\x07 reviews  "
        "no     -                1     1       2\n"
        "bob    bob@example.com    2026-11-02  yes        active                                              "
        "yes    dns:bob.example  1     0       0\n"
    )
    listed = json.loads(acc_registry(registry_config, "user", "list", "--json").stdout)
    assert listed[0] == {
        "name": "alice",
        "email": "alice@example.com",
        "created_at": "2026-11-02T09:30:00Z",
        "email_confirmed_at": "2026-11-02T09:30:00Z",
        "disabled_at": "2026-11-02T09:30:00Z",
        "disabled_reason": "spam \x1b]0;owned\x07 reviews",
        "is_admin": False,
        "verified_at": None,
        "verified_by": None,
        "keys": 1,
        "active_tokens": 1,
        "plugins_owned": 2,
    }
    assert [(u["name"], u["is_admin"], u["verified_by"], u["active_tokens"]) for u in listed] == [
        ("alice", False, None, 1),
        ("bob", True, "dns:bob.example", 0),
    ]


def test_a_disabled_accounts_token_acts_on_nothing_until_it_is_enabled(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig, alice: Publisher
) -> None:
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 200

    result = acc_registry(registry_config, "user", "disable", "alice", "--reason", "leaked credentials")
    assert result.stdout == "disabled alice; 0 web sessions ended, its API tokens act on nothing\n"

    for method, path, body in (
        ("GET", "/api/v1/account/tokens", None),
        ("POST", "/api/v1/plugins/anything/versions/1.0.0/yank", {"reason": "x"}),
        ("POST", "/api/v1/plugins", None),
    ):
        response = client.open(path, method=method, json=body, headers=alice.auth)
        assert response.status_code == 403, (path, response.get_json())
        error = response.get_json()["error"]
        assert error == {
            "code": "account_disabled",
            "message": "the account alice was disabled by the registry's operator",
            "hint": "contact the registry's operator to have it enabled again",
        }
    # The operator's reason is for the records, not for the token holder.
    assert "leaked" not in client.get("/api/v1/account/tokens", headers=alice.auth).get_data(as_text=True)

    assert acc_registry(registry_config, "user", "enable", "alice").stdout == (
        "enabled alice; it can log in again and its unexpired API tokens work\n"
    )
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 200  # not revoked by disabling
    assert [a for a, _, _ in _audit(app, "disable_user")] == ["operator"]
    assert _audit(app, "enable_user") == [("operator", "alice", {"was_disabled_for": "leaked credentials"})]
    assert [kind for kind, _ in _notifications(app, "alice")][-2:] == ["account_disabled", "account_enabled"]


def test_disabling_ends_the_accounts_web_sessions_and_refuses_its_logins(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, bob: Publisher
) -> None:
    browser, other_browser, bobs = app.test_client(), app.test_client(), app.test_client()
    for client, name in ((browser, "alice"), (other_browser, "alice"), (bobs, "bob")):
        assert log_in(client, name).status_code == 303
        assert client.get("/account").status_code == 200

    result = acc_registry(registry_config, "user", "disable", "alice", "--reason", "abuse")
    assert result.stdout == "disabled alice; 2 web sessions ended, its API tokens act on nothing\n"

    for client in (browser, other_browser):
        response = client.get("/account")
        assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert bobs.get("/account").status_code == 200  # other accounts' sessions are untouched

    refused = log_in(app.test_client(), "alice")
    assert refused.status_code == 403
    assert (
        "The account alice was disabled by the registry&#39;s operator. Contact the registry&#39;s operator to "
        "have it enabled again." in refused.get_data(as_text=True)
    )
    wrong = log_in(app.test_client(), "alice", "not the password")
    assert wrong.status_code == 401  # said only to someone who knows the password

    acc_registry(registry_config, "user", "enable", "alice")
    again = app.test_client()
    assert log_in(again, "alice", PASSWORD).status_code == 303
    assert page_of(again.get("/account")).title


def test_a_session_that_outlived_disabling_resolves_to_nobody(
    app: Flask, registry_config: RegistryConfig, alice: Publisher
) -> None:
    """A session row written after the disable (a request racing it) still logs nobody in."""
    browser = app.test_client()
    log_in(browser, "alice")
    reg = app.extensions["acc_registry"]
    with reg.db.read() as session:
        rows = [
            (r.id, r.user_id, r.data, r.created_at, r.expires_at) for r in session.execute(select(WebSession)).scalars()
        ]
    acc_registry(registry_config, "user", "disable", "alice", "--reason", "race")
    with reg.db.write() as session:
        for row_id, user_id, data, created, expires in rows:
            session.add(WebSession(id=row_id, user_id=user_id, data=data, created_at=created, expires_at=expires))
    response = browser.get("/account")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_a_reset_link_followed_by_a_disabled_account_logs_nobody_in(
    app: Flask, registry_config: RegistryConfig, alice: Publisher
) -> None:
    link = acc_registry(registry_config, "user", "reset-password", "alice", "--print-link").stdout.strip()
    acc_registry(registry_config, "user", "disable", "alice", "--reason", "locked")
    browser = app.test_client()
    form = browser.get(link)
    assert form.status_code == 200

    response = browser.post(
        link, data={"csrf_token": csrf_of(form), "password": "a brand new password", "confirm": "a brand new password"}
    )
    assert response.status_code == 403
    assert browser.get("/account").status_code == 303


def test_disable_and_enable_refusals_and_repeats_are_named(
    app: Flask, registry_config: RegistryConfig, alice: Publisher
) -> None:
    assert acc_registry(registry_config, "user", "disable", "alice", "--reason", "  ", code=1).stderr == (
        "error: disabling an account needs a reason\n  hint: say why with --reason, for the records\n"
    )
    assert acc_registry(registry_config, "user", "disable", "zed", "--reason", "x", code=1).stderr == (
        "error: no user named 'zed'\n"
    )
    assert "Missing option '--reason'" in acc_registry(registry_config, "user", "disable", "alice", code=2).stderr
    assert acc_registry(registry_config, "user", "enable", "alice").stdout == "alice is not disabled: nothing to do\n"

    acc_registry(registry_config, "user", "disable", "alice", "--reason", "first")
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(update(User).where(User.name == "alice").values(disabled_at=FIXED))
    assert acc_registry(registry_config, "user", "disable", "alice", "--reason", "second").stdout == (
        "alice was already disabled (since 2026-11-02 09:30 UTC: first)\n"
    )
    assert len(_audit(app, "disable_user")) == 1


def test_reset_password_refuses_a_registry_that_mails_nowhere(
    registry_config: RegistryConfig, alice: Publisher
) -> None:
    assert acc_registry(registry_config, "user", "reset-password", "alice", code=1).stderr == (
        "error: this registry sends no mail (mailer = log, and no mail_log file): the link would reach nobody\n"
        "  hint: configure SMTP (mailer = smtp, docs/registry.md), or pass --print-link and hand the link over "
        "yourself\n"
    )
    result = acc_registry(
        registry_config, "user", "reset-password", "alice", code=1, env={"REGISTRY_MAIL_LOG": "mail.jsonl"}
    )
    assert result.stderr == (
        "error: this registry has no public_url, so a mailed link could not say where to go\n"
        "  hint: set public_url (REGISTRY_PUBLIC_URL) to the registry's address, or pass --print-link and hand "
        "the link to alice yourself\n"
    )


def test_reset_password_mails_a_working_link_and_says_where_it_went(
    app: Flask, registry_config: RegistryConfig, alice: Publisher, tmp_path: Path
) -> None:
    mail_log = tmp_path / "mail.jsonl"
    env = {"REGISTRY_MAIL_LOG": str(mail_log), "REGISTRY_PUBLIC_URL": "https://plugins.example.org/"}
    result = acc_registry(registry_config, "user", "reset-password", "alice", env=env)
    assert result.stdout == (
        f"mailed a password reset link for alice to alice@example.com through the mail log {mail_log} "
        "(mailer = log: nothing leaves this machine)\n"
        "it works once, within 1 hour\n"
    )
    (mail,) = [json.loads(line) for line in mail_log.read_text().splitlines()]
    assert (mail["to"], mail["subject"]) == ("alice@example.com", "Reset your registry password")
    link = next(word for word in mail["body"].split() if word.startswith("https://plugins.example.org/reset/"))
    browser = app.test_client()
    path = link.removeprefix("https://plugins.example.org")
    assert "alice" in browser.get(path).get_data(as_text=True)
    assert _audit(app, "reset_link") == [("operator", "alice", {"delivery": "mail"})]


def test_reset_password_print_link_prints_a_working_link_and_tells_the_holder(
    app: Flask, registry_config: RegistryConfig, alice: Publisher
) -> None:
    result = acc_registry(registry_config, "user", "reset-password", "alice", "--print-link")
    link = result.stdout.strip()
    assert link.startswith("/reset/") and result.stdout == link + "\n"
    assert result.stderr == (
        "note: the registry has no public_url: put its address in front of this path\n"
        "note: the link sets alice's password: it works once, within 1 hour; alice was notified\n"
    )
    browser = app.test_client()
    assert browser.get(link).status_code == 200
    assert _notifications(app, "alice")[-1][0] == "password_reset_link"

    with_url = acc_registry(
        registry_config,
        "user",
        "reset-password",
        "alice",
        "--print-link",
        env={"REGISTRY_PUBLIC_URL": "https://plugins.example.org"},
    )
    assert with_url.stdout.startswith("https://plugins.example.org/reset/")
    assert browser.get(link).status_code == 400  # a new link replaces the older one


def test_reset_password_says_when_the_mail_server_cannot_be_reached(
    registry_config: RegistryConfig, alice: Publisher
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    env = {
        "REGISTRY_MAILER": "smtp",
        "REGISTRY_SMTP_HOST": "127.0.0.1",
        "REGISTRY_SMTP_PORT": str(port),
        "REGISTRY_SMTP_FROM": "registry@example.org",
        "REGISTRY_PUBLIC_URL": "https://plugins.example.org",
    }
    result = acc_registry(registry_config, "user", "reset-password", "alice", code=1, env=env)
    assert result.stderr.startswith("error: could not mail the reset link to alice@example.com: ")
    assert result.stderr.endswith(
        "  hint: check the smtp_* settings, or pass --print-link and hand the link over yourself\n"
    )
