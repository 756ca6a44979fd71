"""The web pages in a real headless Chromium (Debian's, driven by Selenium through Debian's
chromedriver; nothing is downloaded) against a real gunicorn server on loopback.

One server and one browser for the module: a visitor finds a plugin, checks what it may
do, is told every problem of its registration form at once, registers, logs out and in
again, rates it, sees the rating and deletes the review after confirming, all without any
JavaScript on the pages; only an admin finds the moderation page, and takes a plugin down
(and restores it) through its confirmation steps.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.version import Version
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from registry import takedown
from registry.app import create_app
from registry.community import report_plugin
from registry.context import Registry
from registry.models import Plugin
from registry.moderation_commands import set_admin
from registry.operator import create_user_command
from registry.publisher_verification import verify_user_command
from sdk.archive import read_archive
from tests.helpers import REPO
from tests.registry_kit import config_for, make_config, make_publisher, publish, variant

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: install Debian's packages with "
        "`apt-get install -y chromium chromium-driver` (.ci/run does)",
    ),
]


#: A README wider than any phone: a many-column table, a long code line and a long inline word.
WIDE_README = (
    "# wide-readme\n\n"
    + "| "
    + " | ".join(f"column {i}" for i in range(14))
    + " |\n"
    + "|"
    + "---|" * 14
    + "\n"
    + "| "
    + " | ".join(f"value-{i}-without-spaces" for i in range(14))
    + " |\n\n"
    + "```\n"
    + "acc plugin run wide-readme "
    + "--a-very-long-option=value " * 12
    + "\n```\n\n"
    + "Inline `"
    + "x" * 160
    + "` code.\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the registry did not answer /api/v1/health within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, built_archives: Callable[[str], Path]) -> Iterator[str]:
    """A registry with project-stats 1.0.0 published by alice, served by gunicorn; its base URL."""
    root = tmp_path_factory.mktemp("browser-registry")
    config = make_config(root / "registry-data")
    alice = make_publisher(config, "alice", root / "keys")
    app = create_app(config)
    archive = built_archives("project-stats")
    assert read_archive(archive).manifest.version == Version("1.0.0")
    response = publish(app.test_client(), alice, archive.read_bytes())
    assert response.status_code == 201, response.get_json()
    wide = variant(read_archive(archive), name="wide-readme", readme=WIDE_README)
    response = publish(app.test_client(), alice, wide)
    assert response.status_code == 201, response.get_json()
    app.extensions["acc_registry"].db.dispose()
    verify_user_command(config, "alice", "known to the operator")  # the verified-publisher mark

    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
    env.update(
        REGISTRY_DATA_DIR=str(config.data_dir.absolute()),
        REGISTRY_BIN_BITS=str(config.bin_bits),
        REGISTRY_COMPILE_CACHE_DIR=str(config.compiled_dir),
        REGISTRY_MAIL_LOG=str(root / "mail.jsonl"),  # the development mailer writes each mail here
    )
    log = root / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                # Threads, as `acc registry serve` runs: Chromium keeps idle (preconnected)
                # sockets open, and one sync worker would wait on them while a test's own
                # request queues behind.
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "registry.wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _MAIL_LOGS[base] = root / "mail.jsonl"
    _DATA_DIRS[base] = config.data_dir
    try:
        _wait_for_health(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _mailed_link(base: str, to: str) -> str:
    """The link in the newest mail to `to`, from the development mailer's log (REGISTRY_MAIL_LOG)."""
    import json
    import re

    log = _MAIL_LOGS[base]
    for line in reversed(log.read_text().splitlines()):
        mail = json.loads(line)
        found = re.search(r"(https?://\S+/confirm/\S+)", mail["body"])
        if mail["to"] == to and found:
            return found.group(1)
    raise AssertionError(f"no confirmation link was mailed to {to}")


#: The mail log of each server, by its base URL.
_MAIL_LOGS: dict[str, Path] = {}
#: The data directory of each server, by its base URL (for what an operator does in a shell).
_DATA_DIRS: dict[str, Path] = {}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    assert CHROMEDRIVER.exists(), f"Chromium is installed but {CHROMEDRIVER} is not: apt-get install chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def page_readers(driver: WebDriver) -> tuple[Callable[[], str], Callable[[str], WebElement], Callable[[], str]]:
    """(the page's h1, the input a visible label names as a screen reader finds it, the status notice)."""

    def heading() -> str:
        return str(driver.find_element(By.TAG_NAME, "h1").text)

    def field(label: str) -> WebElement:
        target = driver.find_element(By.XPATH, f"//label[normalize-space()='{label}']").get_attribute("for")
        return driver.find_element(By.ID, str(target))

    def notice() -> str:
        found = driver.find_elements(By.CSS_SELECTOR, "[role=status]")
        return str(found[0].text) if found else ""

    return heading, field, notice


def test_a_visitor_finds_a_plugin_sees_its_capabilities_registers_and_rates_it(server: str, browser: WebDriver) -> None:
    driver = browser
    # A page that is being replaced can hand back an element that goes stale mid-read: keep waiting.
    wait = WebDriverWait(driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

    heading, field, notice = page_readers(driver)

    # Home: the first Tab stop is the skip link; search from the box.
    driver.get(server + "/")
    assert heading() == "Plugins for Automatic Claude Code"
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to main content"
    box = field("Search plugins")
    box.send_keys("stats")
    box.send_keys(Keys.ENTER)
    wait.until(lambda d: heading() == "Plugins matching “stats”")
    assert "1 result" in driver.find_element(By.ID, "results-heading").text

    # The plugin's page: what it may do is on the first screen, with the publisher's reasons.
    driver.find_element(By.LINK_TEXT, "project-stats").click()
    wait.until(lambda d: heading().startswith("project-stats"))
    capabilities = driver.find_element(By.CSS_SELECTOR, "section.capabilities")
    assert capabilities.location["y"] < driver.get_window_size()["height"] / 2
    assert "process High risk — Runs programs on your computer: run programs: git" in capabilities.text
    assert "Asks git for its version and the number of commits in the project." in capabilities.text
    assert driver.find_element(By.ID, "install-command").text == "acc plugin install project-stats"
    assert "No reviews yet" in driver.find_element(By.ID, "reviews").text
    mark = driver.find_element(By.CSS_SELECTOR, ".verified-mark")
    assert mark.text == "✓ verified publisher (checked by the marketplace's operator)"

    # Register from the plugin's page. A look-alike of alice's name and two different passwords
    # (both long enough for the browser's own checks) are refused together, in one answer.
    driver.find_element(By.LINK_TEXT, "Register").click()
    wait.until(lambda d: heading() == "Register")
    for label, value in (
        ("User name", "a1ice"),
        ("Email address", "carol@example.org"),
        ("Password", "a long enough password"),
        ("Password again", "another long password"),
    ):
        field(label).send_keys(value)
    driver.find_element(By.XPATH, "//button[normalize-space()='Create the account']").click()
    wait.until(lambda d: driver.find_elements(By.ID, "register-errors"))
    summary = driver.find_element(By.ID, "register-errors")
    assert summary.find_element(By.TAG_NAME, "h2").text == "2 things to fix"
    assert "too easily confused with the existing account 'alice'" in summary.text
    assert "the two passwords differ" in summary.text.lower()
    assert field("User name").get_attribute("aria-invalid") == "true"
    for label in ("User name", "Email address", "Password", "Password again"):
        field(label).clear()
    for label, value in (
        ("User name", "carol"),
        ("Email address", "carol@example.org"),
        ("Password", "a long enough password"),
        ("Password again", "a long enough password"),
    ):
        field(label).send_keys(value)
    driver.find_element(By.XPATH, "//button[normalize-space()='Create the account']").click()
    wait.until(lambda d: heading() == "Check your email")
    assert "carol@example.org" in notice()
    driver.get(_mailed_link(server, "carol@example.org"))
    wait.until(lambda d: heading().startswith("project-stats"))
    assert "Welcome, carol! Your account is ready." in notice()

    # Log out, then log in again from the reviews section.
    driver.find_element(By.XPATH, "//button[normalize-space()='Log out']").click()
    wait.until(lambda d: "You are logged out." in notice())
    driver.get(server + "/plugins/project-stats")
    driver.find_element(By.CSS_SELECTOR, "#reviews a").click()
    wait.until(lambda d: heading() == "Log in")
    field("User name").send_keys("carol")
    field("Password").send_keys("a long enough password")
    driver.find_element(By.XPATH, "//main//button[normalize-space()='Log in']").click()
    wait.until(lambda d: heading().startswith("project-stats"))
    assert "You are logged in as carol." in notice()

    # Rate it: 4 stars and a few words; the page then shows the new aggregate and the review.
    driver.find_element(By.CSS_SELECTOR, "label[for='stars-4']").click()
    assert driver.find_element(By.ID, "stars-4").is_selected()
    field("Your review (optional)").send_keys("Quick & accurate <3")
    driver.find_element(By.XPATH, "//button[normalize-space()='Publish your review']").click()
    wait.until(lambda d: "Your review is saved" in notice())
    reviews = driver.find_element(By.ID, "reviews")
    assert "4.0 out of 5 (1 review)" in driver.find_element(By.CSS_SELECTOR, ".rating-summary").text
    assert "carol" in reviews.text and "Quick & accurate <3" in reviews.text
    assert driver.find_element(By.ID, "stars-4").is_selected(), "the edit form is filled in with the review"
    assert "Edit your review" in reviews.text

    # Delete it: the link leads to a confirm page (no JavaScript); only its button deletes.
    driver.find_element(By.LINK_TEXT, "Delete your review…").click()
    wait.until(lambda d: driver.find_elements(By.CSS_SELECTOR, "main form button.danger"))
    driver.get(server + "/plugins/project-stats")
    assert "carol" in driver.find_element(By.ID, "reviews").text, "leaving the confirm page deleted nothing"
    driver.find_element(By.LINK_TEXT, "Delete your review…").click()
    wait.until(lambda d: driver.find_elements(By.CSS_SELECTOR, "main form button.danger"))
    driver.find_element(By.CSS_SELECTOR, "main form button.danger").click()
    wait.until(lambda d: "Your review is deleted." in notice())
    assert "No reviews yet" in driver.find_element(By.ID, "reviews").text


def test_the_install_box_shows_the_served_root_pin_with_copy_buttons_that_are_optional(
    server: str, browser: WebDriver
) -> None:
    driver = browser
    with urllib.request.urlopen(server + "/tuf/metadata/1.root.json") as response:
        root = hashlib.sha256(response.read()).hexdigest()
    name = server.removeprefix("http://").replace(":", "-")
    add = f"acc marketplace add {server} --name {name} --root-sha256 {root}"

    # Without JavaScript: the two commands are on the page as text, and there is no button.
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        driver.get(server + "/plugins/project-stats")
        box = driver.find_element(By.CSS_SELECTOR, "section.install")
        assert [c.text for c in box.find_elements(By.CSS_SELECTOR, ".copyable code")] == [
            add,
            "acc plugin install project-stats",
        ]
        assert not box.find_elements(By.TAG_NAME, "button")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})

    # With it: each command gets a Copy button that puts exactly that command on the clipboard.
    driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": server, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    for page in ("/", "/plugins/project-stats"):
        driver.get(server + page)
        button = WebDriverWait(driver, 10).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "section.install .copyable button")
        )
        assert button.text == "Copy"
        button.click()
        WebDriverWait(driver, 10).until(lambda d, clicked=button: clicked.text == "Copied")
        copied = driver.execute_async_script("navigator.clipboard.readText().then(arguments[0])")
        assert copied == add, page


def test_cards_share_rows_and_at_375_px_a_wide_readme_scrolls_in_its_own_boxes_and_dark_mode_follows(
    server: str, browser: WebDriver
) -> None:
    driver = browser
    # At 1280 px the cards sit side by side; at 375 px one a row.
    driver.get(server + "/")
    first, second = driver.find_elements(By.CSS_SELECTOR, ".card-grid .card")[:2]
    assert first.location["y"] == second.location["y"] and first.location["x"] < second.location["x"]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 375, "height": 800, "deviceScaleFactor": 2, "mobile": True}
    )
    driver.get(server + "/")
    first, second = driver.find_elements(By.CSS_SELECTOR, ".card-grid .card")[:2]
    assert first.location["y"] < second.location["y"]
    try:
        for page in ("/", "/plugins/project-stats", "/plugins/project-stats/versions/1.0.0", "/plugins/wide-readme"):
            driver.get(server + page)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 375, f"{page} is {width} px wide at 375 px"
        readme = driver.find_element(By.CSS_SELECTOR, ".readme")
        for selector in ("table", "pre"):
            element = readme.find_element(By.CSS_SELECTOR, selector)
            overflow = driver.execute_script(
                "const e = arguments[0]; return [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]",
                element,
            )
            assert overflow[0] > overflow[1] and overflow[2] == "auto", (selector, overflow)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def background() -> str:
        return str(driver.execute_script("return getComputedStyle(document.documentElement).backgroundColor"))

    driver.get(server + "/")
    assert background() == "rgb(255, 255, 255)"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    try:
        driver.get(server + "/")
        assert background() == "rgb(18, 20, 23)"
        text = driver.execute_script("return getComputedStyle(document.body).color")
        assert text == "rgb(232, 232, 232)"
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_the_versions_table_leads_to_the_page_of_each_version(server: str, browser: WebDriver) -> None:
    driver = browser
    driver.get(server + "/plugins/project-stats")
    driver.find_element(By.CSS_SELECTOR, "table.versions").find_element(By.LINK_TEXT, "1.0.0").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "project-stats 1.0.0")
    assert driver.current_url == server + "/plugins/project-stats/versions/1.0.0"
    assert driver.find_element(By.ID, "widening-heading").text == "The first version"
    assert driver.find_element(By.ID, "install-command").text == "acc plugin install project-stats==1.0.0"
    assert "process" in driver.find_element(By.CSS_SELECTOR, "section.capabilities").text


def test_a_new_token_survives_no_refresh_and_revoking_asks_first_without_javascript(
    server: str, browser: WebDriver
) -> None:
    """Post/redirect/get on the token page: the token is shown once and a refresh makes no
    second one; revoking goes through a confirm page that needs no script. The development
    mailer prints a reset link to the server's log."""
    import json
    import urllib.error

    driver = browser
    wait = WebDriverWait(driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

    heading, field, notice = page_readers(driver)

    def tokens_described(token: str, description: str) -> int:
        request = urllib.request.Request(
            server + "/api/v1/account/tokens", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return sum(t["description"] == description for t in json.load(response)["tokens"])

    driver.delete_all_cookies()  # whoever an earlier test left logged in
    driver.get(server + "/login?next=/account")
    field("User name").send_keys("alice")
    field("Password").send_keys("correct horse battery")
    driver.find_element(By.XPATH, "//main//button[normalize-space()='Log in']").click()
    wait.until(lambda d: heading() == "Your account: alice")

    field("Description (optional)").send_keys("from chromium")
    driver.find_element(By.XPATH, "//button[normalize-space()='Create the token']").click()
    wait.until(lambda d: heading() == "Your new API token")
    assert driver.current_url == server + "/account/tokens/new"
    token = str(driver.find_element(By.ID, "token-text").get_attribute("value"))
    assert token.startswith("acc_")

    driver.refresh()  # repeats the GET the form redirected to, never the POST
    wait.until(lambda d: heading() == "Your account: alice")
    assert driver.current_url == server + "/account#tokens"
    assert "A new token is shown only once" in notice()
    assert token not in driver.page_source
    assert tokens_described(token, "from chromium") == 1

    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        row = driver.find_element(By.XPATH, "//tr[td[normalize-space()='from chromium']]")
        row.find_element(By.PARTIAL_LINK_TEXT, "Revoke").click()
        wait.until(lambda d: heading() == f"Revoke the token {token[:12]}…?")
        assert tokens_described(token, "from chromium") == 1, "asking revokes nothing"
        driver.find_element(By.XPATH, "//button[normalize-space()='Revoke the token']").click()
        wait.until(lambda d: heading() == "Your account: alice")
        assert f"The token {token[:12]}… is revoked" in notice()
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    with pytest.raises(urllib.error.HTTPError) as refused:
        tokens_described(token, "from chromium")
    assert refused.value.code == 401

    driver.get(server + "/reset")
    reset_label = driver.find_element(By.CSS_SELECTOR, "label[for=email]")
    assert reset_label.text == "Your account's email address"
    driver.find_element(By.ID, "email").send_keys("alice@example.com")
    driver.find_element(By.XPATH, "//button[normalize-space()='Mail me a link']").click()
    wait.until(lambda d: heading() == "Check your email")
    log = _MAIL_LOGS[server].with_name("gunicorn.log").read_text()
    printed = [json.loads(line)["message"] for line in log.splitlines() if '"logger": "registry.mail"' in line]
    assert any(
        m.startswith("mail to alice@example.com: Reset your registry password") and f"{server}/reset/" in m
        for m in printed
    ), printed


def test_only_an_admin_finds_the_moderation_page_and_takes_a_plugin_down_after_confirming(
    server: str, browser: WebDriver
) -> None:
    driver = browser
    wait = WebDriverWait(driver, 10, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    config = config_for(_DATA_DIRS[server])
    password = "moderators moderate"
    for name in ("mona", "nora"):
        create_user_command(config, name, f"{name}@example.org", password)
    set_admin(config, "mona", True)
    registry = Registry.open(config)

    heading, _, _ = page_readers(driver)

    def log_in_as(name: str) -> None:
        driver.get(server + "/")
        driver.delete_all_cookies()
        driver.get(server + "/login")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.XPATH, "//main//button[normalize-space()='Log in']").click()
        wait.until(lambda d: f"You are logged in as {name}." in d.find_element(By.CSS_SELECTOR, "[role=status]").text)

    try:
        with registry.db.write() as session:
            wide = session.execute(select(Plugin).where(Plugin.name == "wide-readme")).scalar_one()
            report_plugin(session, None, wide, "Wide README hides a <script> link", "")

        # A visitor and a logged-in user who is not an admin get the page-not-found page.
        driver.get(server + "/")
        driver.delete_all_cookies()
        driver.get(server + "/admin/moderation")
        assert heading() == "Page not found"
        log_in_as("nora")
        assert not driver.find_elements(By.LINK_TEXT, "Moderation"), "no way there for a non-admin"
        driver.get(server + "/admin/moderation")
        assert heading() == "Page not found"

        # The admin finds the page from the menu, sees the open report, and takes the plugin
        # down after confirming.
        log_in_as("mona")
        driver.find_element(By.CSS_SELECTOR, "nav").find_element(By.LINK_TEXT, "Moderation").click()
        wait.until(lambda d: heading() == "Moderation")
        assert "Wide README hides a <script> link" in driver.find_element(By.ID, "reports").text
        driver.find_element(By.ID, "take-down-plugin").send_keys("wide-readme")
        driver.find_element(By.ID, "take-down-reason").send_keys("Spam")
        driver.find_element(By.XPATH, "//button[normalize-space()='Take down…']").click()
        wait.until(lambda d: heading() == "Take wide-readme down?")
        assert "Spam" in driver.find_element(By.CSS_SELECTOR, "main dl").text
        driver.find_element(By.XPATH, "//button[normalize-space()='Yes, take wide-readme down']").click()
        wait.until(lambda d: heading() == "Moderation")
        assert driver.find_element(By.CSS_SELECTOR, "[role=status]").text == (
            "wide-readme is taken down (versions yanked: 1.0.0)."
        )
        assert "wide-readme" in driver.find_element(By.ID, "taken-down").text

        # Its page says so; search no longer finds it.
        driver.find_element(By.ID, "taken-down").find_element(By.LINK_TEXT, "wide-readme").click()
        wait.until(lambda d: heading().startswith("wide-readme"))
        assert "Spam" in driver.find_element(By.ID, "taken-down-heading").find_element(By.XPATH, "..").text
        driver.get(server + "/search?q=wide-readme")
        assert driver.find_element(By.ID, "results-heading").text == "0 results"

        # Restoring asks too.
        driver.get(server + "/admin/moderation")
        driver.find_element(By.ID, "taken-down").find_element(By.TAG_NAME, "button").click()
        wait.until(lambda d: heading() == "Restore wide-readme?")
        driver.find_element(By.XPATH, "//button[normalize-space()='Yes, restore wide-readme']").click()
        wait.until(lambda d: heading() == "Moderation")
        assert "wide-readme is restored" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    finally:
        with registry.db.read() as session:
            still_down = any(row.plugin == "wide-readme" for row in takedown.taken_down(session))
        if still_down:  # the module's other tests show wide-readme
            takedown.restore(registry, "wide-readme", "tests", "")
        registry.db.dispose()
        driver.delete_all_cookies()
