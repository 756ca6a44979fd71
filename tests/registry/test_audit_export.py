"""`acc registry audit`: the audit log read back, filtered, as a table or JSON Lines, and
never able to drive the terminal with the text users put in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete

from registry.audit_export import parse_since
from registry.config import RegistryConfig
from registry.errors import ApiError
from registry.models import AuditEntry
from tests.registry.operator_cli import FIXED, acc_registry

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2w", NOW - timedelta(weeks=2)),
        (" 1d ", NOW - timedelta(days=1)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T08:00", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("2026-12-01T08:00+02:00", datetime(2026, 12, 1, 6, 0, tzinfo=UTC)),
        ("999999w", datetime.min.replace(tzinfo=UTC)),  # before year 1: from the beginning
    ],
)
def test_since_takes_a_duration_back_from_now_or_a_utc_date(text: str, moment: datetime) -> None:
    assert parse_since(text, NOW) == moment


@pytest.mark.parametrize("text", ["", "7", "d", "7y", "-7d", "1.5h", "yesterday", "2026-13-01", "9999999d"])
def test_since_refuses_what_is_neither_with_examples(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_since(text, NOW)
    assert caught.value.message == f"--since {text.strip()!r} is neither a duration nor a date"
    assert caught.value.hint is not None and "--since 7d" in caught.value.hint


@pytest.fixture
def logged(app: Flask) -> None:
    """An audit log of four fixed entries, one with hostile text from a user."""
    with app.extensions["acc_registry"].db.write() as session:
        session.execute(delete(AuditEntry))
        session.add_all(
            [
                AuditEntry(
                    at=FIXED, actor="operator", action="create_user", target="alice", detail={}, remote_addr="local"
                ),
                AuditEntry(
                    at=FIXED + timedelta(hours=1),
                    actor="alice",
                    action="publish",
                    target="project-stats 1.0.0",
                    detail={"sha256": "ab12"},
                    remote_addr="203.0.113.9",
                    token_id=1,
                    token_prefix="acc_AliceTst",
                ),
                AuditEntry(
                    at=FIXED + timedelta(days=2),
                    actor="mallory",
                    action="review",
                    target="project-stats \x1b[2J\x1b]52;c;cm0gLXJm\x07",
                    detail={"text": "great\r\x1b[1A\u202eevil"},
                    remote_addr="198.51.100.7",
                ),
                AuditEntry(
                    at=FIXED + timedelta(days=3),
                    actor="operator",
                    action="disable_user",
                    target="mallory",
                    detail={"reason": "abuse"},
                    remote_addr="local",
                ),
            ]
        )


@pytest.mark.usefixtures("logged")
def test_audit_prints_a_table_with_users_text_escaped(registry_config: RegistryConfig) -> None:
    assert acc_registry(registry_config, "audit").stdout == (
        "AT                   ACTOR     ACTION        TARGET                                       FROM          "
        "TOKEN         DETAIL\n"
        "2026-11-02 09:30:00  operator  create_user   alice                                        local         "
        "-             -\n"
        "2026-11-02 10:30:00  alice     publish       project-stats 1.0.0                          203.0.113.9   "
        'acc_AliceTst  {"sha256": "ab12"}\n'
        "2026-11-04 09:30:00  mallory   review        project-stats \\x1b[2J\\x1b]52;c;cm0gLXJm\\x07  198.51.100.7  "
        '-             {"text": "great\\r\\u001b[1A\\u202eevil"}\n'
        "2026-11-05 09:30:00  operator  disable_user  mallory                                      local         "
        '-             {"reason": "abuse"}\n'
    )


@pytest.mark.usefixtures("logged")
def test_audit_json_is_one_ascii_object_per_line_and_filters_combine(registry_config: RegistryConfig) -> None:
    out = acc_registry(registry_config, "audit", "--json").stdout
    assert out.isascii() and "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 4
    review = json.loads(lines[2])
    assert review == {
        "id": review["id"],
        "at": "2026-11-04T09:30:00Z",
        "actor": "mallory",
        "action": "review",
        "target": "project-stats \x1b[2J\x1b]52;c;cm0gLXJm\x07",
        "detail": {"text": "great\r\x1b[1A\u202eevil"},
        "remote_addr": "198.51.100.7",
        "token_id": None,
        "token_prefix": None,
    }
    publish = json.loads(lines[1])
    assert (publish["token_id"], publish["token_prefix"]) == (1, "acc_AliceTst")

    def actions(*flags: str) -> list[str]:
        text = acc_registry(registry_config, "audit", "--json", *flags).stdout
        return [json.loads(line)["action"] for line in text.splitlines()]

    assert actions("--actor", "operator") == ["create_user", "disable_user"]
    assert actions("--action", "publish") == ["publish"]
    assert actions("--since", "2026-11-04") == ["review", "disable_user"]
    assert actions("--since", "2026-11-04", "--actor", "operator") == ["disable_user"]
    assert actions("--since", "1d") == []  # every entry is older than a day
    assert acc_registry(registry_config, "audit", "--actor", "nobody").stdout == "no audit entries match\n"


def test_audit_since_refusal_is_named(registry_config: RegistryConfig) -> None:
    assert acc_registry(registry_config, "audit", "--since", "last week", code=1).stderr == (
        "error: --since 'last week' is neither a duration nor a date\n"
        "  hint: e.g. --since 7d (also 30m, 12h, 2w), --since 2026-12-01 or --since 2026-12-01T08:00 (UTC)\n"
    )


def test_operator_commands_show_up_in_the_audit_log_as_the_operator(registry_config: RegistryConfig) -> None:
    acc_registry(registry_config, "user", "create", "carol", "--email", "carol@example.com")
    acc_registry(registry_config, "user", "disable", "carol", "--reason", "test")
    acc_registry(registry_config, "user", "enable", "carol")
    lines = acc_registry(registry_config, "audit", "--json", "--actor", "operator", "--since", "1h").stdout
    entries = [json.loads(line) for line in lines.splitlines()]
    assert [(e["action"], e["target"], e["remote_addr"]) for e in entries if e["action"] != "init"] == [
        ("create_user", "carol", "local"),
        ("disable_user", "carol", "local"),
        ("enable_user", "carol", "local"),
    ]
