"""Moderation through the Flask test client: take-downs in the signed index, listings, the
plugin page, the API and the publisher's refusals; restore; review removal and the rating;
abuse reports; the admins-only /admin/moderation page and its confirmation steps.

(The take-down as a real `acc` client sees it: tests/cli/test_moderate_commands.py; the
page in Chromium: tests/e2e/test_browser.py.)
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry import community, moderation, takedown
from registry.admin_role import is_admin, set_admin
from registry.app import create_app
from registry.config import RegistryConfig
from registry.context import Registry
from registry.errors import ApiError
from registry.models import AbuseReport, AuditEntry, Plugin, User, utcnow
from registry.names_policy import check_new_name
from sdk.archive import PluginArchive
from tests.registry.web_kit import log_in, page_of, post_form
from tests.registry_kit import Publisher, error_code, make_config, make_publisher, publish, variant


@pytest.fixture(scope="module")
def moderated_template(
    tmp_path_factory: pytest.TempPathFactory, example_archive: PluginArchive
) -> tuple[RegistryConfig, Publisher]:
    """A registry where alice published project-stats 1.0.0 and 1.1.0 and spam-stats 1.0.0;
    bob and carol have accounts (no admin yet)."""
    root = tmp_path_factory.mktemp("moderation-template")
    config = make_config(root / "registry-data")
    alice = make_publisher(config, "alice", root / "keys")
    for name in ("bob", "carol"):
        make_publisher(config, name, root / "keys")
    app = create_app(config)
    client = app.test_client()
    for data in (
        variant(example_archive, version="1.0.0"),
        variant(example_archive, version="1.1.0"),
        variant(example_archive, name="spam-stats", description="Counts lines, and much more!"),
    ):
        response = publish(client, alice, data)
        assert response.status_code == 201, response.get_json()
    app.extensions["acc_registry"].db.dispose()
    return config, alice


@pytest.fixture
def registry_config(tmp_path: Path, moderated_template: tuple[RegistryConfig, Publisher]) -> RegistryConfig:
    """A private copy of the template registry."""
    template, _ = moderated_template
    data_dir = tmp_path / "registry-data"
    shutil.copytree(template.data_dir, data_dir)
    return replace(template, data_dir=data_dir)


@pytest.fixture
def alice(moderated_template: tuple[RegistryConfig, Publisher]) -> Publisher:
    return moderated_template[1]


def _registry(app: Flask) -> Registry:
    registry = app.extensions["acc_registry"]
    assert isinstance(registry, Registry)
    return registry


def _signed_index(app: Flask, client: FlaskClient, name: str) -> dict[str, Any]:
    """The plugin's index.json as the signed metadata names it now."""
    registry = _registry(app)
    with registry.db.read() as session:
        role = registry.tuf._succinct_roles(session).get_role_for_target(f"{name}/index.json")
        target = registry.tuf.latest(session, role).signed.targets[f"{name}/index.json"]
    index = json.loads(client.get(f"/tuf/targets/{name}/{target.hashes['sha256']}.index.json").data)
    assert isinstance(index, dict)
    return index


def _yanks(app: Flask, client: FlaskClient, name: str) -> dict[str, str | None]:
    """Each version of `name` in the signed index -> its yank reason (None: not yanked)."""
    return {
        v["version"]: v["yank_reason"] if v["yanked"] else None for v in _signed_index(app, client, name)["versions"]
    }


def _timestamp_version(client: FlaskClient) -> int:
    return int(json.loads(client.get("/tuf/metadata/timestamp.json").data)["signed"]["version"])


def _make_admin(app: Flask, name: str) -> None:
    with _registry(app).db.write() as session:
        assert set_admin(session, name, True, "operator", "local")


def _without_csrf(html: str) -> str:
    """The page without its CSRF tokens (signed with the time, so they differ from page to page)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def _listed_names(client: FlaskClient) -> set[str]:
    return {p["name"] for p in client.get("/api/v1/plugins?per_page=100").get_json()["plugins"]}


# -- take-down -------------------------------------------------------------------------------


def test_a_take_down_yanks_every_version_in_signed_metadata_and_leaves_every_listing_but_not_the_page(
    app: Flask, client: FlaskClient, alice: Publisher
) -> None:
    before = _timestamp_version(client)
    assert _listed_names(client) == {"project-stats", "spam-stats"}

    yanked = takedown.take_down(_registry(app), "spam-stats", "  mines   crypto ", "mod", "10.0.0.9")

    assert yanked == ["1.0.0"]
    reason = "taken down by the registry's moderators: mines crypto"
    assert _yanks(app, client, "spam-stats") == {"1.0.0": reason}
    assert _timestamp_version(client) == before + 1, "a new timestamp, as for a publisher's yank"
    # Out of search, the home page, the publisher's page and the category counts.
    assert _listed_names(client) == {"project-stats"}
    assert "spam-stats" not in client.get("/").get_data(as_text=True)
    assert "spam-stats" not in client.get("/search?q=stats").get_data(as_text=True)
    assert "spam-stats" not in client.get("/publishers/alice").get_data(as_text=True)
    # The page and the API say so (not a 404).
    page = client.get("/plugins/spam-stats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Taken down" in html and "mines crypto" in html and "acc plugin install spam-stats" not in html
    version_page = client.get("/plugins/spam-stats/versions/1.0.0").get_data(as_text=True)
    assert "This version is yanked:" in version_page and "mines crypto" in version_page
    assert "acc plugin install spam-stats==1.0.0" not in version_page
    detail = client.get("/api/v1/plugins/spam-stats").get_json()
    assert detail["taken_down"]["reason"] == "mines crypto"
    assert client.get("/api/v1/plugins/project-stats").get_json()["taken_down"] is None
    with _registry(app).db.read() as session:
        [entry] = session.execute(select(AuditEntry).where(AuditEntry.action == "take_down")).scalars()
        assert (entry.actor, entry.target, entry.remote_addr) == ("mod", "spam-stats", "10.0.0.9")
        assert entry.detail == {"reason": "mines crypto", "yanked_versions": ["1.0.0"]}

    with pytest.raises(ApiError) as again:
        takedown.take_down(_registry(app), "spam-stats", "twice", "mod", "")
    assert again.value.code == "already_taken_down"


def test_while_taken_down_the_owner_can_neither_publish_nor_unyank_and_the_name_stays_reserved(
    app: Flask, client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    takedown.take_down(_registry(app), "spam-stats", "malware", "mod", "")
    newer = publish(client, alice, variant(example_archive, name="spam-stats", version="2.0.0"))
    assert newer.status_code == 403 and error_code(newer) == "taken_down"
    assert "malware" in newer.get_json()["error"]["message"]
    unyank = client.delete("/api/v1/plugins/spam-stats/versions/1.0.0/yank", headers=alice.auth)
    assert unyank.status_code == 403 and error_code(unyank) == "taken_down"
    for look_alike, code in (
        ("spam-stats", "confusable_name"),
        ("spam-stat5", "confusable_name"),
        ("spam-stat", "typosquat_name"),
    ):
        with pytest.raises(ApiError) as taken, _registry(app).db.read() as session:
            check_new_name(session, look_alike)
        assert taken.value.code == code, look_alike


def test_restore_unyanks_only_what_the_take_down_yanked(app: Flask, client: FlaskClient, alice: Publisher) -> None:
    response = client.post(
        "/api/v1/plugins/project-stats/versions/1.0.0/yank", headers=alice.auth, json={"reason": "miscounts"}
    )
    assert response.status_code == 200, response.get_json()
    assert takedown.take_down(_registry(app), "project-stats", "stolen code", "mod", "") == ["1.1.0"]
    assert takedown.restore(_registry(app), "project-stats", "mod", "") == ["1.1.0"]
    assert _yanks(app, client, "project-stats") == {"1.0.0": "miscounts", "1.1.0": None}
    assert "project-stats" in _listed_names(client)
    assert client.get("/api/v1/plugins/project-stats").get_json()["taken_down"] is None
    with pytest.raises(ApiError) as not_down:
        takedown.restore(_registry(app), "project-stats", "mod", "")
    assert not_down.value.code == "not_taken_down"


# -- reviews and reports ---------------------------------------------------------------------


def _review(app: Flask, user: str, plugin: str, stars: int, text: str) -> None:
    with _registry(app).db.write() as session:
        who = session.execute(select(User).where(User.name == user)).scalar_one()
        what = session.execute(select(Plugin).where(Plugin.name == plugin)).scalar_one()
        community.save_review(session, who, what, stars, text, "")


def _rating(client: FlaskClient, plugin: str) -> tuple[float | None, int]:
    detail = client.get(f"/api/v1/plugins/{plugin}").get_json()
    return detail["rating"], detail["rating_count"]


def test_removing_a_review_counts_the_rating_again_and_keeps_its_text_in_the_audit_log(
    app: Flask, client: FlaskClient
) -> None:
    _review(app, "bob", "project-stats", 1, "BUY CHEAP PILLS")
    _review(app, "carol", "project-stats", 4, "Works well")
    _review(app, "alice", "project-stats", 5, "Mine")
    assert _rating(client, "project-stats") == (3.33, 3)
    with _registry(app).db.write() as session:
        removed = moderation.remove_review(session, "project-stats", "bob", "spam", "mod", "")
    assert (removed.user, removed.stars, removed.text) == ("bob", 1, "BUY CHEAP PILLS")
    assert _rating(client, "project-stats") == (4.5, 2)
    with _registry(app).db.read() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == "project-stats")).scalar_one()
        assert (plugin.rating_sum, plugin.rating_hundredths) == (9, 450)
        [entry] = session.execute(select(AuditEntry).where(AuditEntry.action == "remove_review")).scalars()
        assert (entry.actor, entry.target) == ("mod", "project-stats bob")
        assert entry.detail == {"stars": 1, "text": "BUY CHEAP PILLS", "reason": "spam"}
    for user in ("carol", "alice"):
        with _registry(app).db.write() as session:
            moderation.remove_review(session, "project-stats", user, "test", "mod", "")
    assert _rating(client, "project-stats") == (None, 0)
    with _registry(app).db.read() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == "project-stats")).scalar_one()
        assert (plugin.rating_sum, plugin.rating_hundredths) == (0, 0)
    with pytest.raises(ApiError) as gone, _registry(app).db.write() as session:
        moderation.remove_review(session, "project-stats", "bob", "again", "mod", "")
    assert gone.value.status == 404


def test_abuse_reports_are_listed_with_their_reporter_and_closed_once_with_a_resolution(app: Flask) -> None:
    with _registry(app).db.write() as session:
        spam = session.execute(select(Plugin).where(Plugin.name == "spam-stats")).scalar_one()
        carol = session.execute(select(User).where(User.name == "carol")).scalar_one()
        community.report_plugin(session, carol, spam, "It mines crypto", "")
        community.report_plugin(session, None, spam, "Spam", "")
    with _registry(app).db.read() as session:
        listed = moderation.reports(session)
    assert [(r.plugin, r.reporter, r.reason) for r in listed] == [
        ("spam-stats", "carol", "It mines crypto"),
        ("spam-stats", "anonymous", "Spam"),
    ]
    with _registry(app).db.write() as session:
        closed = moderation.close_report(session, listed[0].id, " taken down ", "mod", "")
    assert (closed.resolved_by, closed.resolution) == ("mod", "taken down")
    with _registry(app).db.read() as session:
        assert [r.reason for r in moderation.reports(session)] == ["Spam"]
        assert len(moderation.reports(session, include_closed=True)) == 2
        report = session.get(AbuseReport, listed[0].id)
        assert report is not None and report.resolved_at is not None
    for report_id, code in ((listed[0].id, "already_closed"), (9999, "not_found")):
        with pytest.raises(ApiError) as refused, _registry(app).db.write() as session:
            moderation.close_report(session, report_id, "again", "mod", "")
        assert refused.value.code == code
    with pytest.raises(ApiError) as empty, _registry(app).db.write() as session:
        moderation.close_report(session, listed[1].id, "  ", "mod", "")
    assert empty.value.status == 400


# -- the page --------------------------------------------------------------------------------


def test_the_moderation_page_is_the_same_404_as_an_unknown_page_for_everyone_but_a_working_admin(
    app: Flask, client: FlaskClient
) -> None:
    unknown = client.get("/admin/nothing-here")
    assert unknown.status_code == 404

    def refused(form_page: str) -> None:
        response = client.get("/admin/moderation")
        same_page = _without_csrf(unknown.get_data(as_text=True).replace("/admin/nothing-here", "/admin/moderation"))
        assert (response.status_code, _without_csrf(response.get_data(as_text=True))) == (404, same_page)
        posted = post_form(
            client, form_page, "/admin/moderation/take-down", plugin="spam-stats", reason="x", confirmed="yes"
        )
        assert posted.status_code == 404

    refused("/login")  # a visitor
    assert log_in(client, "bob").status_code == 303
    client.get("/account")  # shows (and so drops) the "logged in" message
    unknown = client.get("/admin/nothing-here")  # the same page, now for a logged-in user
    refused("/account")
    assert 'href="/admin/moderation"' not in client.get("/account").get_data(as_text=True), "no way there"
    _make_admin(app, "bob")
    assert 'href="/admin/moderation"' in client.get("/account").get_data(as_text=True), "the menu leads there"
    assert client.get("/admin/moderation").status_code == 200
    with _registry(app).db.write() as session:
        bob = session.execute(select(User).where(User.name == "bob")).scalar_one()
        bob.disabled_at = utcnow()
        assert bob.is_admin and not is_admin(bob), "the role is kept but cannot be used"
    # A disabled account's session resolves to nobody (registry/web/security.py): a visitor again.
    unknown = client.get("/admin/nothing-here")
    refused("/login")
    with _registry(app).db.read() as session:
        assert session.execute(select(Plugin.taken_down_at).where(Plugin.name == "spam-stats")).scalar_one() is None


def test_every_action_on_the_page_asks_to_confirm_then_acts_as_the_admin(app: Flask, client: FlaskClient) -> None:
    from tests.registry.test_web import assert_accessible

    _review(app, "bob", "project-stats", 1, "spam spam")
    with _registry(app).db.write() as session:
        spam = session.execute(select(Plugin).where(Plugin.name == "spam-stats")).scalar_one()
        community.report_plugin(session, None, spam, "It mines <b>crypto</b>", "")
    _make_admin(app, "carol")
    assert log_in(client, "carol").status_code == 303
    page = client.get("/admin/moderation")
    html = page.get_data(as_text=True)
    assert page_of(page).title == "Moderation"
    assert_accessible(page_of(page))
    assert "It mines &lt;b&gt;crypto&lt;/b&gt;" in html and "spam spam" in html
    with _registry(app).db.read() as session:
        [report] = moderation.reports(session)

    steps: list[tuple[str, dict[str, str], str, str]] = [
        ("take-down", {"plugin": "spam-stats", "reason": "mines crypto"}, "Take spam-stats down?", "is taken down"),
        ("close-report", {"report_id": str(report.id), "resolution": "taken down"}, "Close report", "is closed"),
        ("remove-review", {"plugin": "project-stats", "user": "bob", "reason": "spam"}, "Remove bob", "is removed"),
        ("restore", {"plugin": "spam-stats"}, "Restore spam-stats?", "is restored"),
    ]
    for action, fields, question, done in steps:
        ask = post_form(client, "/admin/moderation", f"/admin/moderation/{action}", **fields)
        assert ask.status_code == 200, action
        if action == "take-down":
            assert "spam-stats" in _listed_names(client), "asking is not doing"
        confirm = page_of(ask)
        assert confirm.title.startswith(question), (action, confirm.title)
        assert_accessible(confirm)
        carried = {a["name"]: a["value"] for a in confirm.find("input", type="hidden") if a["name"] != "csrf_token"}
        assert carried == {**fields, "confirmed": "yes"}, action
        token = confirm.find("input", name="csrf_token")[0]["value"]
        acted = client.post(f"/admin/moderation/{action}", data={"csrf_token": token, **carried})
        assert acted.status_code == 303, (action, acted.get_data(as_text=True)[:300])
        assert done in client.get("/admin/moderation").get_data(as_text=True), action

    with _registry(app).db.read() as session:
        actions = [(e.actor, e.action) for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions[-4:] == [
        ("carol", "take_down"),
        ("carol", "close_report"),
        ("carol", "remove_review"),
        ("carol", "restore"),
    ]
    # A refusal comes back on the page, beside nothing changed.
    refused = post_form(client, "/admin/moderation", "/admin/moderation/restore", plugin="spam-stats", confirmed="yes")
    assert refused.status_code == 409 and "Spam-stats is not taken down." in refused.get_data(as_text=True)
