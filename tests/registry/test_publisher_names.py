"""Look-alike publisher names: the pure rule (shared with plugin names), then every way an
account is made refusing them with the account they imitate, without telling whether an
email address is registered."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.config import RegistryConfig
from registry.errors import ApiError
from registry.names_policy import first_imitated, imitates
from registry.operator import create_user_command
from sdk.names import confusable_key
from tests.registry.web_kit import csrf_of, page_of


@pytest.mark.parametrize(
    ("new", "taken"),
    [
        ("acc-offical", "acc-official"),  # a letter dropped (the three)
        ("acc-officia1", "acc-official"),  # 1 reads as l
        ("acc_official", "acc-official"),  # _ reads as -
        ("acc-officlal", "acc-official"),  # l for i
        ("acc-official2", "acc-official"),  # a number at the end
        ("acc-official_2", "acc-official"),
        ("acc-offcial", "acc-official"),
        ("acc-ofifcial", "acc-official"),  # neighbours swapped
        ("accofficial", "acc-official"),  # separators dropped
        ("alice", "alice_"),
        ("allce", "alice"),
        ("bob2", "bob"),
        ("bobb", "bob"),
    ],
)
def test_look_alikes_of_a_taken_publisher_name_imitate_it(new: str, taken: str) -> None:
    assert confusable_key(new) == confusable_key(taken) or imitates(new, taken) is not None


@pytest.mark.parametrize(
    ("new", "taken"),
    [
        ("acc-community", "acc-official"),
        ("alice", "alicia"),  # a changed letter between short names is another name
        ("bob", "rob"),
        ("carol", "caroline"),
        ("dave", "eve"),
    ],
)
def test_distinct_publisher_names_do_not_imitate(new: str, taken: str) -> None:
    assert confusable_key(new) != confusable_key(taken)
    assert imitates(new, taken) is None


def test_the_first_imitated_name_is_named_with_how() -> None:
    assert first_imitated("acc-offical", ["alice", "acc-official", "acc-officials"]) == (
        "acc-official",
        "is one typo away from",
    )
    assert first_imitated("acc-official-2", ["acc-official"]) == ("acc-official", "differs only by a number from")
    assert first_imitated("carol", ["alice", "bob"]) is None


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("acc-official", "account_exists", "the name is already registered"),
        (
            "acc_official",
            "confusable_name",
            "the name 'acc_official' is too easily confused with the existing account 'acc-official'",
        ),
        (
            "acc-officia1",
            "confusable_name",
            "the name 'acc-officia1' is too easily confused with the existing account 'acc-official'",
        ),
        (
            "acc-offical",
            "typosquat_name",
            "the name 'acc-offical' is one typo away from the existing account 'acc-official'",
        ),
        (
            "acc-official2",
            "typosquat_name",
            "the name 'acc-official2' differs only by a number from the existing account 'acc-official'",
        ),
    ],
)
def test_the_operator_cannot_create_a_look_alike_account(
    registry_config: RegistryConfig, name: str, code: str, message: str
) -> None:
    create_user_command(registry_config, "acc-official", "official@example.com", None)
    with pytest.raises(ApiError) as refused:
        create_user_command(registry_config, name, f"{name}@example.com", None)
    assert (refused.value.status, refused.value.code, refused.value.message) == (409, code, message)


def test_registration_names_the_imitated_account_whether_or_not_the_address_is_registered(
    app: Flask, client: FlaskClient, registry_config: RegistryConfig
) -> None:
    create_user_command(registry_config, "acc-official", "official@example.com", None)
    answers = []
    for email in ("official@example.com", "someone@example.org"):
        response = client.post(
            "/register",
            data={
                "csrf_token": csrf_of(client.get("/register")),
                "name": "acc-offical",
                "email": email,
                "password": "a long enough password",
                "confirm": "a long enough password",
            },
        )
        assert response.status_code == 409
        page = page_of(response)
        said = "The name 'acc-offical' is one typo away from the existing account 'acc-official'."
        assert said in html.unescape(page.html)
        # The same page but for the address typed and the form's CSRF token (signed with the time).
        answers.append(re.sub(r'name="csrf_token" value="[^"]*"', "", page.html.replace(email, "EMAIL")))
    assert answers[0] == answers[1], "the answer does not tell whether the address is registered"
    outbox = app.extensions["acc_registry"].mailer.outbox
    assert list(outbox) == [], "nothing was mailed: no account was made, nobody was told of an attempt"
