"""The registry's web pages through the Flask test client: every page, search, a plugin's
page, sanitized READMEs, accounts, CSRF, reviews, tokens, keys, rate limits and headers.

Publishing costs seconds (the component is checked), so the plugins are published once
per module into a template registry that each test copies: every test still gets its
own data directory and database.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry import catalog
from registry.app import create_app
from registry.config import RegistryConfig
from registry.models import AbuseReport, AuditEntry, Plugin
from sdk.archive import PluginArchive, archive_bytes
from sdk.signing import generate_keypair
from tests.registry.web_kit import PASSWORD, Page, csrf_of, log_in, page_of, post_form, register
from tests.registry_kit import Publisher, make_config, make_publisher, publish, variant

HOSTILE_README = """# Hostile readme

<script>alert('readme-script')</script>
<img src="https://example.com/x.png" alt="chart" onerror="alert('img-onerror')">

[markdown link](javascript:alert('md-link'))

<a href="javascript:alert('html-link')">raw javascript link</a>
<a href="https://example.com/docs" onclick="alert('onclick')">the docs</a>
<iframe src="https://example.com/frame"></iframe>
<style>body { display: none }</style>
<div style="position: fixed" onmouseover="alert('div')">raw <em>emphasis</em> kept</div>

Some **bold** words and a [safe link](https://example.com/safe).
"""
HOSTILE_DESCRIPTION = "Counts <b>files</b> & <script>alert(1)</script> lines"


# -- fixtures ---------------------------------------------------------------------------------


def _manifest_variant(
    base: PluginArchive, *, name: str, categories: list[str], extra_toml: str = "", drop_fs: bool = False
) -> bytes:
    text = re.sub(r'^name = ".*"$', f'name = "{name}"', base.manifest_text, count=1, flags=re.M)
    text = re.sub(
        r"^categories = .*$",
        "categories = [" + ", ".join(f'"{c}"' for c in categories) + "]",
        text,
        count=1,
        flags=re.M,
    )
    if drop_fs:
        text = re.sub(r"^\[capabilities\.fs\]\n(?:[^\[\n].*\n)*\n?", "", text, flags=re.M)
    if extra_toml:
        text = text.replace("[limits]", extra_toml + "\n[limits]", 1)
    return archive_bytes(text, base.wasm, base.readme)


@pytest.fixture(scope="module")
def published_template(
    tmp_path_factory: pytest.TempPathFactory, example_archive: PluginArchive
) -> tuple[RegistryConfig, Publisher]:
    """A registry where alice published project-stats 1.0.0 and 1.1.0, git-count (process only,
    category vcs), net-stats (adds http, category network) and xss-demo (a hostile README)."""
    root = tmp_path_factory.mktemp("web-template")
    config = make_config(root / "registry-data")
    alice = make_publisher(config, "alice", root / "keys")
    app = create_app(config)
    client = app.test_client()
    http = '[capabilities.http]\nhosts = ["api.example.com"]\nreason = "Fetches public statistics to compare with."\n'
    archives = [
        variant(example_archive, version="1.0.0"),
        variant(example_archive, version="1.1.0"),
        _manifest_variant(example_archive, name="git-count", categories=["vcs"], drop_fs=True),
        _manifest_variant(example_archive, name="net-stats", categories=["network"], extra_toml=http),
        variant(example_archive, name="xss-demo", description=HOSTILE_DESCRIPTION, readme=HOSTILE_README),
    ]
    for data in archives:
        response = publish(client, alice, data)
        assert response.status_code == 201, response.get_json()
    app.extensions["acc_registry"].db.dispose()
    return config, alice


@pytest.fixture
def registry_config(tmp_path: Path, published_template: tuple[RegistryConfig, Publisher]) -> RegistryConfig:
    """A private copy of the published template registry (overrides the package's fresh one)."""
    template, _ = published_template
    data_dir = tmp_path / "registry-data"
    shutil.copytree(template.data_dir, data_dir)
    return replace(template, data_dir=data_dir)


@pytest.fixture
def alice(published_template: tuple[RegistryConfig, Publisher]) -> Publisher:
    return published_template[1]


# -- helpers ----------------------------------------------------------------------------------


def assert_accessible(page: Page) -> None:
    """The structure every page promises: lang, landmarks, one h1, a skip link, labelled inputs, no scripts."""
    assert page.find("html")[0].get("lang") == "en"
    for landmark in ("header", "nav", "main", "footer"):
        assert page.find(landmark), f"no <{landmark}>"
    assert page.find("main")[0].get("id") == "main"
    assert page.tags[[t for t, _ in page.tags].index("a")][1].get("href") == "#main", "the first link skips to main"
    assert len(page.h1) == 1, f"{len(page.h1)} h1 elements"
    labels = {a.get("for") for a in page.find("label")}
    for tag, attrs in page.tags:
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            assert attrs.get("id") in labels, f"<{tag} name={attrs.get('name')}> has no label"
    assert_only_own_script(page)


#: The one script a page may load: the copy buttons' enhancement, from the registry itself.
OWN_SCRIPT = {"src": "/static/web/copy.js", "defer": ""}


def assert_only_own_script(page: Page) -> None:
    """No inline or foreign script: at most the registry's own copy.js (pages work without it)."""
    assert [attrs for tag, attrs in page.tags if tag == "script"] in ([], [OWN_SCRIPT])


def assert_harmless(page: Page) -> None:
    """No active content anywhere: no script/style/iframe elements, no on* handlers, no javascript: URLs."""
    assert_only_own_script(page)
    names = {t for t, _ in page.tags}
    assert not names & {"style", "iframe", "object", "embed"}, names
    for tag, attrs in page.tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), f"<{tag} {key}=...> survived"
            assert not value.strip().lower().startswith("javascript:"), f"<{tag} {key}={value!r}> survived"
            assert key != "style", f"<{tag} style=...> survived"


def audit_actions(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["acc_registry"].db.read() as session:
        return [(e.actor, e.action, e.target) for e in session.execute(select(AuditEntry)).scalars()]


# -- pages ------------------------------------------------------------------------------------


def test_every_page_renders_accessibly_for_visitors_and_logged_in_users(client: FlaskClient) -> None:
    visitor_pages = {
        "/": "Plugins for Automatic Claude Code",
        "/search?q=stats": "Plugins matching “stats”",
        "/plugins/project-stats": "project-stats 1.1.0",
        "/publishers/alice": "alice",
        "/login": "Log in",
        "/register": "Register",
    }
    for url, title in visitor_pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = page_of(response)
        assert page.title == title, url
        assert_accessible(page)
        assert "script-src 'self';" in response.headers["Content-Security-Policy"], "no inline or foreign script"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]

    assert log_in(client, "alice").status_code == 303
    for url, title in {"/account": "Your account: alice", "/plugins/project-stats": "project-stats 1.1.0"}.items():
        page = page_of(client.get(url))
        assert page.title == title
        assert_accessible(page)
    assert client.get("/static/web/style.css").status_code == 200


def test_pages_have_a_meta_description_a_served_favicon_and_declare_both_color_schemes(client: FlaskClient) -> None:
    page = page_of(client.get("/plugins/project-stats"))
    [description] = page.find("meta", name="description")
    assert "signed by their publishers" in description["content"]
    assert page.find("meta", name="color-scheme", content="light dark")
    [icon] = page.find("link", rel="icon")
    favicon = client.get(icon["href"])
    assert favicon.status_code == 200 and favicon.mimetype == "image/svg+xml"
    assert "prefers-color-scheme: dark" in client.get("/static/web/style.css").get_data(as_text=True)


def test_the_api_reference_page_renders_every_operation_and_schema_of_the_openapi_document(
    client: FlaskClient,
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = page_of(response)
    assert page.title == "API reference"
    assert_accessible(page)
    headings = set(re.findall(r'<h3 id="op-[^"]+"><code>([A-Z]+ [^<]+)</code></h3>', page.html))
    assert headings == {f"{m.upper()} {path}" for path, ops in document["paths"].items() for m in ops}
    for name in document["components"]["schemas"]:
        assert f'<h3 id="schema-{name}">{name}</h3>' in page.html
    search = page.html[page.html.index("<code>GET /api/v1/plugins</code></h3>") :]
    search = search[: search.index("</article>")]
    assert '<th scope="row"><code>per_page (query)</code></th><td>integer</td>' in search
    assert '(<a href="#schema-SearchResults">SearchResults</a>)' in search
    assert page.find("a", href="#schema-PluginSummary"), "a field's schema is a link"
    assert page_of(client.get("/")).find("a", href="/api/docs"), "the footer links the reference"


def test_home_lists_each_plugin_once_with_the_categories_and_a_search_box(client: FlaskClient, app: Flask) -> None:
    page = page_of(client.get("/"))
    assert "4 plugins" in page.html
    assert page.find("form", action="/search", method="get")
    assert page.find("input", name="q", type="search")
    for name in ("git-count", "net-stats", "project-stats", "xss-demo"):
        assert page.html.count(f'href="/plugins/{name}"') == 1, f"{name} is listed once"
    assert ">Popular</h2>" in page.html and ">Recently updated</h2>" not in page.html, "no plugin is left to list"
    categories = page.html[page.html.index('id="categories-heading"') :]
    links = re.findall(r'<a href="/search\?category=([a-z]+)">\1</a> <span class="muted">\((\d+)\)</span>', categories)
    assert links == [("analysis", "2"), ("network", "1"), ("vcs", "1")], "most plugins first, then by name"

    with app.extensions["acc_registry"].db.read() as session:
        popular, recent = catalog.popular_and_recent(session, count=2)
    assert len(popular) == len(recent) == 2 and not {p.name for p in popular} & {p.name for p in recent}


def test_the_search_heading_says_every_filter_and_categories_are_a_list_with_counts(client: FlaskClient) -> None:
    for query, heading in (
        ("", "All plugins"),
        ("q=stats", "Plugins matching “stats”"),
        ("category=vcs", "Plugins in vcs"),
        ("network=none", "Plugins without network access"),
        (
            "q=stats&category=analysis&capability=fs&network=none",
            "Plugins matching “stats” in analysis using fs, without network access",
        ),
    ):
        assert page_of(client.get("/search?" + query)).title == heading, query

    page = page_of(client.get("/search?category=vcs"))
    options = [(o["value"], o.get("selected")) for o in page.find("option") if o["value"] in ("", "analysis", "vcs")]
    assert options[:3] == [("", None), ("analysis", None), ("vcs", "")]
    assert ">analysis (2)</option>" in page.html and ">vcs (1)</option>" in page.html
    unknown = page_of(client.get("/search?category=nothing-here"))
    assert unknown.find("option", value="nothing-here")[0].get("selected") == "", "what was asked stays selected"
    assert ">nothing-here (0)</option>" in unknown.html


def test_search_filters_by_words_category_capability_and_network(client: FlaskClient) -> None:
    def names(query: str) -> list[str]:
        page = page_of(client.get("/search?" + query))
        links = [a.get("href", "") for a in page.find("a")]
        return [href.removeprefix("/plugins/") for href in links if href.startswith("/plugins/")]

    assert names("sort=name") == ["git-count", "net-stats", "project-stats", "xss-demo"]
    assert names("q=git&sort=name") == ["git-count", "net-stats", "project-stats"]  # xss-demo's description differs
    assert names("q=count") == ["git-count", "net-stats", "project-stats", "xss-demo"], "a name match ranks first"
    assert names("category=vcs") == ["git-count"]
    assert names("category=network") == ["net-stats"]
    assert names("capability=http") == ["net-stats"]
    assert names("capability=fs&sort=name") == ["net-stats", "project-stats", "xss-demo"]
    assert names("network=none&sort=name") == ["git-count", "project-stats", "xss-demo"]
    assert names("q=nothing-like-this") == []

    # The form keeps the filters it was sent.
    page = page_of(client.get("/search?q=stats&capability=http&network=none&sort=recent"))
    assert page.find("input", name="q")[0]["value"] == "stats"
    assert page.find("option", value="http")[0].get("selected") == ""
    assert page.find("option", value="recent")[0].get("selected") == ""
    assert page.find("input", name="network")[0].get("checked") == ""


def test_a_search_that_finds_nothing_suggests_the_words_that_would(client: FlaskClient) -> None:
    page = page_of(client.get("/search?q=projcet+stast&network=none"))
    assert "No plugins match." in page.html
    [link] = [a for a in page.find("a") if a.get("href", "").startswith("/search?q=project")]
    assert link["href"] == "/search?q=project+stats&network=none", "the filters are kept"
    assert "Did you mean" in page.html and "“project stats”" in page.html
    assert page_of(client.get(link["href"])).title == "Plugins matching “project stats” without network access"

    assert "Did you mean" not in client.get("/search?q=zzzzqqqq").get_data(as_text=True), "nothing close"
    # A close word that still finds nothing (with the filter) is not suggested.
    assert "Did you mean" not in client.get("/search?q=stast&capability=llm").get_data(as_text=True)
    assert "Did you mean" not in client.get("/search?q=stats").get_data(as_text=True), "results: nothing to fix"


def test_search_results_are_paginated_with_links_that_keep_the_filters(client: FlaskClient) -> None:
    page = page_of(client.get("/search?sort=name&per_page=2&capability=process"))
    assert "4 results, page 1 of 2" in page.html
    next_links = page.find("a", rel="next")
    assert next_links and next_links[0]["href"] == "/search?capability=process&sort=name&page=2&per_page=2"
    second = page_of(client.get(next_links[0]["href"]))
    assert [a["href"] for a in second.find("a") if a.get("href", "").startswith("/plugins/")] == [
        "/plugins/project-stats",
        "/plugins/xss-demo",
    ]
    assert second.find("a", rel="prev")
    assert second.find("a", **{"aria-current": "page"})[0]["href"].endswith("page=2&per_page=2")


def test_a_bad_search_gets_a_friendly_error_page_and_json_clients_keep_json(client: FlaskClient) -> None:
    response = client.get("/search?sort=bogus")
    assert response.status_code == 400
    page = page_of(response)
    assert page.title == "That request could not be handled"
    assert "Unknown sort &#39;bogus&#39;." in page.html and "sort by one of: relevance" in page.html
    assert response.headers["Cache-Control"] == "no-store"

    missing = client.get("/plugins/no-such-plugin")
    assert missing.status_code == 404 and page_of(missing).title == "Page not found"
    assert "search for it: /search?q=no-such-plugin" in missing.get_data(as_text=True)
    assert page_of(client.get("/no/such/page")).title == "Page not found"

    as_json = client.get("/plugins/no-such-plugin", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/plugins/no-such-plugin").get_json()["error"]["code"] == "not_found"


def test_an_unexpected_failure_renders_the_500_page(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-test", view_func=broken)
    response = app.test_client().get("/broken-for-test")
    assert response.status_code == 500
    page = page_of(response)
    assert page.title == "Something went wrong"
    assert "The registry failed to handle this request." in page.html and "boom" not in page.html


def test_the_plugin_page_puts_capabilities_and_reasons_first_and_shows_the_install_command(client: FlaskClient) -> None:
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    capabilities = html.index('id="capabilities-heading"')
    assert capabilities < html.index('id="readme-heading"') < html.index('id="versions-heading"')
    section = html[capabilities : html.index('id="install-heading"')]
    assert '<strong>process</strong> <span class="tag tag-warn">High risk</span>' in section
    assert "Runs programs on your computer" in section and "run programs: git" in section
    assert "Asks git for its version and the number of commits in the project." in section
    assert "<strong>fs</strong>" in section
    assert "Reads the project&#39;s files to count them and their lines." in section
    assert section.index("<strong>process</strong>") < section.index("<strong>fs</strong>"), "riskiest first"
    assert '<pre><code id="install-command">acc plugin install project-stats</code></pre>' in html
    assert '<a href="/publishers/alice">alice</a>' in html
    assert "<h3>project-stats</h3>" in html, "the README's h1 becomes an h3 under the README's h2"

    network = client.get("/plugins/net-stats").get_data(as_text=True)
    assert '<strong>http</strong> <span class="tag tag-warn">High risk</span>' in network
    assert "connect to: api.example.com" in network and "Fetches public statistics to compare with." in network


def test_the_home_and_plugin_pages_publish_the_root_pin_of_the_served_first_root(
    registry_config: RegistryConfig,
) -> None:
    """The pin on the pages is the sha256 of the very bytes /tuf/metadata/1.root.json serves,
    in one command for the URL users reach (the configured public URL, else the request's host)."""
    for public_url, expected_url, market_name in (
        ("", "http://localhost", "localhost"),
        ("https://plugins.example.com/", "https://plugins.example.com", "plugins.example.com"),
    ):
        app = create_app(replace(registry_config, public_url=public_url))
        try:
            client = app.test_client()
            root = hashlib.sha256(client.get("/tuf/metadata/1.root.json").get_data()).hexdigest()
            command = f"acc marketplace add {expected_url} --name {market_name} --root-sha256 {root}"
            for url in ("/", "/plugins/project-stats"):
                html = client.get(url).get_data(as_text=True)
                install = html[html.index('id="install-heading"') :]
                assert f'<code id="add-marketplace">{command}</code>' in install, url
                assert f'<code class="wrap root-sha256">{root}</code>' in install, url
            plugin_page = client.get("/plugins/project-stats").get_data(as_text=True)
            steps = plugin_page[plugin_page.index('class="install-steps"') :]
            assert steps.index('id="add-marketplace"') < steps.index('id="install-command"'), "add first, then install"
            assert f"<code>project-stats@{market_name}</code>" in steps
        finally:
            app.extensions["acc_registry"].db.dispose()


def test_declared_license_authors_homepage_and_repository_are_on_the_page_and_in_the_api(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    declared = (
        'homepage = "https://docs.example.com/meta-demo"\n'
        "repository = \"javascript:alert('repo')\"\n"
        'authors = ["Ada <ada@example.com>", "Grace"]\n'
    )
    text = re.sub(r'^name = ".*"$', 'name = "meta-demo"', example_archive.manifest_text, count=1, flags=re.M)
    text = re.sub(r"^authors = .*\n", "", text, count=1, flags=re.M).replace("api = ", declared + "api = ", 1)
    response = publish(client, alice, archive_bytes(text, example_archive.wasm, example_archive.readme))
    assert response.status_code == 201, response.get_json()

    expected = {
        "license": "Apache-2.0",
        "authors": ["Ada <ada@example.com>", "Grace"],
        "homepage": "https://docs.example.com/meta-demo",
        "repository": "javascript:alert('repo')",
    }
    detail = client.get("/api/v1/plugins/meta-demo").get_json()
    assert {key: detail[key] for key in expected} == expected
    version = client.get("/api/v1/plugins/meta-demo/versions/1.0.0").get_json()
    assert {key: version[key] for key in expected} == expected

    page = page_of(client.get("/plugins/meta-demo"))
    assert "<dt>Authors</dt><dd>Ada &lt;ada@example.com&gt;, Grace</dd>" in page.html
    assert "<dt>License</dt><dd>Apache-2.0</dd>" in page.html
    assert page.find("a", href="https://docs.example.com/meta-demo")
    assert "<dt>Repository</dt><dd>javascript:alert(&#39;repo&#39;)</dd>" in page.html, "shown as text, not a link"
    assert_harmless(page)

    bare = client.get("/api/v1/plugins/git-count").get_json()
    assert (bare["homepage"], bare["repository"]) == (None, None)


def test_the_plugin_page_lists_each_command_with_its_parameters_and_cards_say_when_updated(
    client: FlaskClient, app: Flask
) -> None:
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    commands = html[html.index('id="commands-heading"') : html.index('id="about-heading"')]
    assert commands.index("<code>summary</code>") < commands.index("<code>git-info</code>"), "the author's order"
    assert "Count files and lines per file extension under a directory of the project." in commands
    assert (
        '<tr><th scope="row"><code>path</code></th><td>string</td><td></td><td><code>&#34;.&#34;</code></td>'
        "<td>Directory inside the project, relative to its root.</td></tr>"
    ) in commands
    assert "<td>integer 1..100000</td><td></td><td><code>20000</code></td>" in commands
    git_info = commands[commands.index("<code>git-info</code>") :]
    assert "No parameters." in git_info and "acc plugin run project-stats git-info</code>" in git_info

    with app.extensions["acc_registry"].db.read() as session:
        updated = session.execute(select(Plugin.updated_at).where(Plugin.name == "project-stats")).scalar_one()
    home = client.get("/").get_data(as_text=True)
    card = home[home.index('href="/plugins/project-stats"') :]
    card = card[: card.index("</article>")]
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<dt>Updated</dt><dd><time datetime="{stamp}">{updated:%Y-%m-%d}</time></dd>' in card


def test_each_version_has_a_page_with_what_it_asks_for_beyond_the_previous_one(
    client: FlaskClient, alice: Publisher, example_archive: PluginArchive
) -> None:
    http = '[capabilities.http]\nhosts = ["api.example.com"]\nreason = "Fetches public statistics to compare with."\n'
    for data in (
        variant(example_archive, name="grows", version="1.0.0"),
        variant(example_archive, name="grows", version="1.1.0", extra_toml=http),
    ):
        response = publish(client, alice, data)
        assert response.status_code == 201, response.get_json()

    plugin_page = page_of(client.get("/plugins/grows"))
    assert plugin_page.find("a", href="/plugins/grows/versions/1.0.0")
    assert plugin_page.find("a", href="/plugins/grows/versions/1.1.0")

    newer = page_of(client.get("/plugins/grows/versions/1.1.0"))
    assert newer.title == "grows 1.1.0"
    assert_accessible(newer)
    widening = newer.html[newer.html.index('id="widening-heading"') : newer.html.index('id="capabilities-heading"')]
    assert "What it asks for beyond 1.0.0" in widening
    assert (
        "<strong>http</strong>: new capability http: connect to: api.example.com "
        "(why: Fetches public statistics to compare with.)" in widening
    )
    assert "process" not in widening, "an unchanged capability is not news"
    size = len(variant(example_archive, name="grows", version="1.1.0", extra_toml=http))
    assert f'<dt>Size</dt><dd>{size / 1e6:.1f} MB <span class="muted">({size} bytes)</span></dd>' in newer.html
    assert '<code id="install-command">acc plugin install grows==1.1.0</code>' in newer.html
    assert "<code>summary</code>" in newer.html and "<h3>project-stats</h3>" in newer.html, "commands and README"
    assert "not the newest version" not in newer.html

    older = client.get("/plugins/grows/versions/1.0.0").get_data(as_text=True)
    assert "There is no earlier version" in older and "not the newest version" in older
    assert "<strong>http</strong>" not in older

    missing = client.get("/plugins/grows/versions/9.9.9")
    assert missing.status_code == 404
    assert "has no version" in missing.get_data(as_text=True) and "listed on /plugins/grows" in missing.get_data(
        as_text=True
    )


def test_versions_are_newest_first_and_a_yanked_one_shows_its_reason(client: FlaskClient, alice: Publisher) -> None:
    response = client.post(
        "/api/v1/plugins/project-stats/versions/1.1.0/yank",
        headers=alice.auth,
        json={"reason": "miscounts <lines> in CRLF files"},
    )
    assert response.status_code == 200, response.get_json()
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    rows = re.findall(r"<tr( class=\"yanked\")?>\s*<th scope=\"row\"><a href=\"[^\"]+\">([0-9.]+)</a></th>", html)
    assert rows == [(' class="yanked"', "1.1.0"), ("", "1.0.0")]
    assert "<strong>Yanked:</strong> miscounts &lt;lines&gt; in CRLF files" in html
    assert '<h1>project-stats <span class="version">1.0.0</span></h1>' in html, "the newest available version leads"


def test_a_deprecated_plugin_shows_a_banner(client: FlaskClient, alice: Publisher) -> None:
    response = client.post(
        "/api/v1/plugins/net-stats/deprecate", headers=alice.auth, json={"message": "use project-stats <instead>"}
    )
    assert response.status_code == 200, response.get_json()
    html = client.get("/plugins/net-stats").get_data(as_text=True)
    assert '<h2 id="deprecated-heading">Deprecated</h2>' in html
    assert "use project-stats &lt;instead&gt;" in html
    assert html.index("deprecated-heading") < html.index("capabilities-heading")


def test_a_hostile_readme_and_description_are_neutralised(client: FlaskClient) -> None:
    response = client.get("/plugins/xss-demo")
    page = page_of(response)
    assert_harmless(page)
    html = page.html
    assert "readme-script" not in html and "img-onerror" not in html and "display: none" not in html
    links = {a["href"]: a for a in page.find("a") if a.get("href", "").startswith("https://example.com")}
    assert set(links) == {"https://example.com/docs", "https://example.com/safe"}
    for link in links.values():
        assert {"nofollow", "noopener"} <= set(link["rel"].split())
    assert page.find("img", src="https://example.com/x.png", alt="chart")
    assert "raw <em>emphasis</em> kept" in html and "<strong>bold</strong>" in html
    assert ">raw javascript link</a>" in html, "the link text stays, its javascript: URL goes"
    assert "Counts &lt;b&gt;files&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; lines" in html

    listing = page_of(client.get("/search?q=xss"))
    assert_harmless(listing)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.html


# -- accounts ---------------------------------------------------------------------------------


def test_register_log_out_and_log_in_again(client: FlaskClient, app: Flask) -> None:
    response = register(client, "carol", next="/plugins/project-stats")
    assert response.status_code == 303 and response.headers["Location"] == "/plugins/project-stats"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = page_of(client.get("/plugins/project-stats"))
    assert "Welcome, carol! Your account is ready." in page.html
    assert page.find("a", href="/account")

    response = post_form(client, "/account", "/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "You are logged out." in client.get("/").get_data(as_text=True)
    assert client.get("/account").headers["Location"] == "/login?next=/account"

    response = log_in(client, "carol", "a long enough password", next_page="/account")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert page_of(client.get("/account")).title == "Your account: carol"
    assert ("carol", "register", "carol") in audit_actions(app)


def test_registration_refusals_keep_the_form_filled_in(client: FlaskClient) -> None:
    cases = [
        ({"name": "Not Valid"}, 400, "Invalid user name"),
        ({"name": "dave", "password": "short", "confirm": "short"}, 400, "shorter than 10 characters"),
        (
            {"name": "dave", "confirm": "something else entirely"},
            400,
            "The two passwords differ. Type the same password in both fields.",
        ),
        ({"name": "alice"}, 409, "The name is already registered"),
    ]
    for fields, status, message in cases:
        token = csrf_of(client.get("/register"))
        data = {
            "csrf_token": token,
            "email": "dave@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
            **fields,
        }
        response = client.post("/register", data=data)
        assert response.status_code == status, fields
        page = page_of(response)
        assert message in page.html, fields
        assert page.find("input", name="email")[0]["value"] == "dave@example.org"
    assert client.get("/account").status_code == 303, "no account was logged in"


def test_registration_shows_every_problem_at_once_beside_its_field(client: FlaskClient, app: Flask) -> None:
    token = csrf_of(client.get("/register"))
    data = {"csrf_token": token, "name": "alice", "email": "not-an-address", "password": "short", "confirm": "other"}
    response = client.post("/register", data=data)
    assert response.status_code == 400, "a taken name among malformed fields is a 400"
    page = page_of(response)
    expected = {
        "name": "The name is already registered. Log in instead, or choose another name.",
        "email": "Invalid email address &#39;not-an-address&#39;.",
        "password": "The password is shorter than 10 characters.",
        "confirm": "The two passwords differ. Type the same password in both fields.",
    }
    assert "4 things to fix" in page.html
    assert_accessible(page)
    for name, message in expected.items():
        assert f'<p class="form-error" id="{name}-error">{message}</p>' in page.html, name
        assert f'<li><a href="#{name}">{message}</a></li>' in page.html, name
        [field] = page.find("input", name=name)
        assert field["aria-invalid"] == "true" and f"{name}-error" in field["aria-describedby"].split()
    assert page.find("input", name="name")[0]["value"] == "alice"
    assert not [a for a in audit_actions(app) if a[1] == "register"], "nothing was registered"

    fine = {"email": "dave@example.org", "password": "a long enough password", "confirm": "a long enough password"}
    only_taken = client.post("/register", data={**data, **fine})
    assert only_taken.status_code == 409
    taken = page_of(only_taken)
    assert "1 thing to fix" in taken.html and "aria-invalid" not in taken.find("input", name="email")[0]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client: FlaskClient) -> None:
    for name, password in (("alice", "not her password"), ("nobody", PASSWORD)):
        response = log_in(client, name, password)
        assert response.status_code == 401
        assert "Wrong user name or password." in response.get_data(as_text=True)
        assert "WWW-Authenticate" not in response.headers
    assert client.get("/account").status_code == 303


def test_logging_in_rotates_the_session_and_its_csrf_token(client: FlaskClient) -> None:
    before = csrf_of(client.get("/login"))
    assert log_in(client, "alice").status_code == 303
    after = csrf_of(client.get("/account"))
    assert after != before
    stale = client.post("/account/tokens", data={"csrf_token": before})
    assert stale.status_code == 400 and "csrf_failed" in stale.get_data(as_text=True)


def test_posts_without_the_right_csrf_token_are_refused(client: FlaskClient, app: Flask) -> None:
    assert log_in(client, "alice").status_code == 303
    audited = audit_actions(app)
    valid = csrf_of(client.get("/account"))
    forms = {
        "/login": {"name": "alice", "password": PASSWORD},
        "/register": {"name": "eve"},
        "/logout": {},
        "/account/tokens": {},
        "/account/keys": {"public_key": "x"},
        "/plugins/project-stats/review": {"stars": "1"},
        "/plugins/project-stats/report": {"reason": "x"},
        "/plugins/project-stats/review/delete": {"confirmed": "yes"},
        "/account/tokens/1/revoke": {"confirmed": "yes"},
    }
    for action, data in forms.items():
        for token in (None, "", "wrong" + valid, valid[:-1]):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            response = client.post(action, data=sent)
            assert response.status_code == 400, (action, token)
            page = page_of(response)
            assert "This form was not sent from a page of this registry" in page.html
            assert "reload the page and send the form again" in page.html
    assert page_of(client.get("/account")).title == "Your account: alice", "still logged in: logout was refused"
    assert audit_actions(app) == audited, "nothing was written"


def test_after_login_only_local_pages_are_followed(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = log_in(client, "alice", next_page=target)
        assert response.status_code == 303 and response.headers["Location"] == "/account", target
        post_form(client, "/account", "/logout")


def test_logins_are_rate_limited_per_client(registry_config: RegistryConfig) -> None:
    limit = 2
    app = create_app(replace(registry_config, login_rate_per_minute=limit))
    client = app.test_client()
    statuses = [log_in(client, "alice", "wrong password!").status_code for _ in range(limit)]
    assert statuses == [401] * limit
    # A fixed window may roll over once during the test: then the next window fills up too.
    for _ in range(limit + 1):
        response = log_in(client, "alice", "wrong password!")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = page_of(response)
    assert page.title == "Too many requests" and "Too many login requests; try again in" in page.html
    app.extensions["acc_registry"].db.dispose()


def test_oversized_fields_and_bodies_are_refused_clearly(client: FlaskClient) -> None:
    assert log_in(client, "alice").status_code == 303
    response = post_form(client, "/plugins/project-stats", "/plugins/project-stats/review", stars="4", text="x" * 5001)
    assert response.status_code == 400
    assert "The review is longer than 5000 characters" in response.get_data(as_text=True)
    response = post_form(
        client, "/plugins/project-stats", "/plugins/project-stats/review", stars="4", text="nul \x00 byte"
    )
    assert response.status_code == 400 and "The review holds characters the registry cannot store" in response.get_data(
        as_text=True
    )
    response = post_form(client, "/account", "/account/identities", identity="i" * 255, issuer="https://example.com")
    assert response.status_code == 400 and "The identity is longer than 254 characters" in response.get_data(
        as_text=True
    )

    token = csrf_of(client.get("/account"))
    huge = client.post("/account/keys", data={"csrf_token": token, "public_key": "k" * 300_000})
    assert huge.status_code == 413
    assert page_of(huge).title == "That was too large"


def test_pages_for_a_logged_in_user_are_private_and_not_stored(client: FlaskClient) -> None:
    anonymous = client.get("/plugins/project-stats")
    assert anonymous.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in anonymous.headers["Vary"]
    assert client.get("/login").headers["Cache-Control"] == "private, no-store", "it carries a CSRF token"
    log_in(client, "alice")
    for url in ("/", "/search", "/plugins/project-stats", "/publishers/alice", "/account"):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url


# -- reviews and reports ----------------------------------------------------------------------


def test_a_review_is_created_then_edited_one_per_account_and_the_aggregate_follows(
    client: FlaskClient, app: Flask
) -> None:
    page = page_of(client.get("/plugins/project-stats"))
    assert "No reviews yet" in page.html and not page.find("form", action="/plugins/project-stats/review")
    assert page.find("a", href="/login?next=/plugins/project-stats")

    log_in(client, "alice")
    response = post_form(
        client, "/plugins/project-stats", "/plugins/project-stats/review", stars="5", text="Counts everything."
    )
    assert response.status_code == 303 and response.headers["Location"] == "/plugins/project-stats#reviews"
    page = page_of(client.get("/plugins/project-stats"))
    assert "5.0 out of 5 (1 review)" in page.html and "Counts everything." in page.html
    assert "Your review is saved. Thank you!" in page.html
    # The form is now the edit form, filled in with the review.
    assert "Edit your review" in page.html
    assert page.find("input", name="stars", value="5")[0].get("checked") == ""
    assert ">Counts everything.</textarea>" in page.html

    post_form(client, "/plugins/project-stats", "/plugins/project-stats/review", stars="3", text="Slower on big repos.")
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    assert "3.0 out of 5 (1 review)" in html and "Slower on big repos." in html and "Counts everything." not in html

    post_form(client, "/account", "/logout")
    register(client, "carol")
    post_form(client, "/plugins/project-stats", "/plugins/project-stats/review", stars="4", text="")
    html = client.get("/plugins/project-stats").get_data(as_text=True)
    assert "3.5 out of 5 (2 reviews)" in html
    assert "Rate this plugin" not in html and "Edit your review" in html
    reviews = client.get("/api/v1/plugins/project-stats/reviews").get_json()
    assert (reviews["rating"], reviews["rating_count"]) == (3.5, 2)
    assert sorted((r["user"], r["stars"]) for r in reviews["reviews"]) == [("alice", 3), ("carol", 4)]
    assert [a for a in audit_actions(app) if a[1] == "review"] == [
        ("alice", "review", "project-stats"),
        ("alice", "review", "project-stats"),
        ("carol", "review", "project-stats"),
    ]


def test_deleting_your_review_takes_a_confirm_step_and_the_rating_is_counted_again(
    client: FlaskClient, app: Flask
) -> None:
    page, delete = "/plugins/project-stats", "/plugins/project-stats/review/delete"
    register(client, "carol")
    post_form(client, page, "/plugins/project-stats/review", stars="2", text="Too slow.")
    post_form(client, "/account", "/logout")
    log_in(client, "alice")
    assert not page_of(client.get(page)).find("a", href=delete), "no review of hers: nothing to delete"
    post_form(client, page, "/plugins/project-stats/review", stars="5", text="Counts everything.")
    assert "3.5 out of 5 (2 reviews)" in client.get(page).get_data(as_text=True)
    assert page_of(client.get(page)).find("a", href=delete)

    # A POST that skips the confirm page (no `confirmed`) changes nothing and leads to it.
    skipped = post_form(client, page, delete)
    assert skipped.status_code == 303 and skipped.headers["Location"] == delete
    confirm = page_of(client.get(delete))
    assert confirm.title == "Delete your review of project-stats?"
    assert "gives project-stats 5 out of 5 and says: “Counts everything.”" in confirm.html
    assert confirm.find("a", href="/plugins/project-stats#reviews"), "cancel goes back"
    assert_accessible(confirm)
    assert "3.5 out of 5 (2 reviews)" in client.get(page).get_data(as_text=True)

    done = post_form(client, delete, delete, confirmed="yes")
    assert done.status_code == 303 and done.headers["Location"] == "/plugins/project-stats#reviews"
    html = client.get(page).get_data(as_text=True)
    assert "Your review is deleted." in html and "2.0 out of 5 (1 review)" in html
    assert "Counts everything." not in html and "Rate this plugin" in html
    reviews = client.get("/api/v1/plugins/project-stats/reviews").get_json()
    assert (reviews["rating"], reviews["rating_count"]) == (2.0, 1)
    assert [r["user"] for r in reviews["reviews"]] == ["carol"]
    with app.extensions["acc_registry"].db.read() as session:
        plugin = session.execute(select(Plugin).where(Plugin.name == "project-stats")).scalar_one()
        assert (plugin.rating_count, plugin.rating_sum, plugin.rating_hundredths) == (1, 2, 200)
    assert ("alice", "delete_review", "project-stats") in audit_actions(app)

    # Nothing left to delete: the confirm page says so, and a confirmed POST is a 404.
    gone = client.get(delete)
    assert gone.status_code == 303 and "You have no review of project-stats to delete." in client.get(page).get_data(
        as_text=True
    )
    assert post_form(client, page, delete, confirmed="yes").status_code == 404
    assert client.get("/api/v1/plugins/project-stats/reviews").get_json()["rating_count"] == 1, "carol's stays"


def test_a_review_without_stars_is_refused_on_the_page_with_the_draft_kept(client: FlaskClient) -> None:
    log_in(client, "alice")
    for stars in ("", "0", "6", "five"):
        response = post_form(
            client, "/plugins/project-stats", "/plugins/project-stats/review", stars=stars, text="my draft"
        )
        assert response.status_code == 400, stars
        page = page_of(response)
        assert "The rating must be a whole number from 1 to 5" in page.html
        assert ">my draft</textarea>" in page.html
    assert client.get("/api/v1/plugins/project-stats/reviews").get_json()["rating_count"] == 0


def test_review_text_is_escaped(client: FlaskClient) -> None:
    log_in(client, "alice")
    hostile = "<script>alert('review')</script><img src=x onerror=alert(2)> <b>bold?</b>"
    post_form(client, "/plugins/project-stats", "/plugins/project-stats/review", stars="2", text=hostile)
    page = page_of(client.get("/plugins/project-stats"))
    assert_harmless(page)
    assert "&lt;script&gt;alert(&#39;review&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page.html


def test_a_review_needs_a_login(client: FlaskClient) -> None:
    response = post_form(client, "/login", "/plugins/project-stats/review", stars="5")
    assert response.status_code == 401
    assert page_of(response).title == "Please log in first"


def test_an_abuse_report_is_recorded_and_audited(client: FlaskClient, app: Flask) -> None:
    log_in(client, "alice")
    response = post_form(client, "/plugins/xss-demo", "/plugins/xss-demo/report", reason="Hostile README")
    assert response.status_code == 303
    assert "the registry&#39;s operators will look at your report" in client.get("/plugins/xss-demo").get_data(
        as_text=True
    )
    with app.extensions["acc_registry"].db.read() as session:
        assert [r.reason for r in session.execute(select(AbuseReport)).scalars()] == ["Hostile README"]
    assert ("alice", "report", "xss-demo") in audit_actions(app)
    empty = post_form(client, "/plugins/xss-demo", "/plugins/xss-demo/report", reason="  ")
    assert empty.status_code == 400 and "The report is required" in empty.get_data(as_text=True)


# -- tokens, keys, identities -----------------------------------------------------------------


def test_a_new_token_is_shown_once_works_against_the_api_and_revoking_it_gives_401(
    client: FlaskClient, app: Flask
) -> None:
    log_in(client, "alice")
    response = post_form(
        client,
        "/account",
        "/account/tokens",
        description="laptop",
        plugins="project-stats",
        expires_days="30",
        permissions=["publish", "yank"],  # the boxes checked by default
    )
    # Post/redirect/get: the POST answers with a redirect, so a refresh cannot send it again.
    assert response.status_code == 303 and response.headers["Location"] == "/account/tokens/new"
    response = client.get("/account/tokens/new")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = page_of(response)
    token = page.find("input", id="token-text")[0]["value"]
    assert token.startswith("acc_") and len(token) > 40
    assert "it is shown only this once" in page.html and "project-stats" in page.html

    listed = client.get("/api/v1/account/tokens", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    mine = [t for t in listed.get_json()["tokens"] if t["prefix"] == token[:12]]
    assert mine and mine[0]["plugins"] == ["project-stats"] and mine[0]["description"] == "laptop"
    assert mine[0]["permissions"] == ["publish", "yank"]

    account = client.get("/account").get_data(as_text=True)
    assert token not in account and f"<code>{token[:12]}…</code>" in account
    with app.extensions["acc_registry"].db.read() as session:
        from registry.models import ApiToken

        assert all(
            token not in (t.token_hash, t.prefix, t.description) for t in session.execute(select(ApiToken)).scalars()
        )

    revoke = f"/account/tokens/{mine[0]['id']}/revoke"
    assert page_of(client.get("/account")).find("a", href=revoke), "the table links to the confirm step"
    confirm = page_of(client.get(revoke))
    assert confirm.title == f"Revoke the token {token[:12]}…?"
    assert_accessible(confirm)
    assert "may publish, yank on project-stats" in confirm.html and "stops working at once" in confirm.html
    assert confirm.find("a", href="/account#tokens"), "cancel goes back"
    assert confirm.find("input", name="confirmed", value="yes")
    response = post_form(client, revoke, revoke, confirmed="yes")
    assert response.status_code == 303
    assert f"The token {token[:12]}… is revoked" in client.get("/account").get_data(as_text=True)
    refused = client.get("/api/v1/account/tokens", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "revoked" in refused.get_json()["error"]["message"]
    actions = [a[1] for a in audit_actions(app) if a[0] == "alice"]
    assert "create_token" in actions and "revoke_token" in actions


def test_refreshing_the_new_token_page_mints_nothing_and_shows_the_token_no_more(
    client: FlaskClient, app: Flask
) -> None:
    from registry.models import ApiToken, User, WebSession

    def alices_tokens() -> int:
        with app.extensions["acc_registry"].db.read() as session:
            return len(session.execute(select(ApiToken.id).join(User).where(User.name == "alice")).all())

    log_in(client, "alice")
    before = alices_tokens()
    created = post_form(client, "/account", "/account/tokens", description="ci", permissions=["publish"])
    assert created.status_code == 303 and created.headers["Location"] == "/account/tokens/new"
    # The token waits for its page sealed with the session's cookie, which the database never holds.
    with app.extensions["acc_registry"].db.read() as session:
        stored = " ".join(row.data for row in session.execute(select(WebSession)).scalars())
    first = page_of(client.get("/account/tokens/new"))
    token = first.find("input", id="token-text")[0]["value"]
    assert token.startswith("acc_") and token not in stored

    again = client.get("/account/tokens/new")  # a refresh, a back button, a second tab
    assert again.status_code == 303 and again.headers["Location"] == "/account#tokens"
    account = client.get("/account").get_data(as_text=True)
    assert token not in account and "A new token is shown only once" in account
    assert alices_tokens() == before + 1, "exactly one token was made"
    assert client.get("/api/v1/account/tokens", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_revoke_without_the_confirm_step_only_leads_to_it(client: FlaskClient, alice: Publisher) -> None:
    log_in(client, "alice")
    tokens = client.get("/api/v1/account/tokens", headers=alice.auth).get_json()["tokens"]
    revoke = f"/account/tokens/{tokens[0]['id']}/revoke"
    response = post_form(client, "/account", revoke)
    assert response.status_code == 303 and response.headers["Location"] == revoke
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 200, "still works"
    assert post_form(client, revoke, revoke, confirmed="yes").status_code == 303
    assert client.get("/api/v1/account/tokens", headers=alice.auth).status_code == 401
    already = client.get(revoke)
    assert already.status_code == 303 and "is already revoked" in client.get("/account").get_data(as_text=True)


def test_token_form_refusals_are_shown_beside_the_form(client: FlaskClient, bob: Publisher) -> None:
    log_in(client, "alice")
    cases = {
        ("not a name!", "30"): "Invalid plugin name",
        ("", "0"): "The expiry in days must be a whole number",
        ("", "forever"): "The expiry in days must be a whole number",
    }
    for (plugins, days), message in cases.items():
        response = post_form(
            client, "/account", "/account/tokens", plugins=plugins, expires_days=days, permissions=["publish"]
        )
        assert response.status_code == 400
        page = page_of(response)
        assert message in page.html and page.title == "Your account: alice"
    # Another user's token cannot be revoked from alice's session.
    with client.application.extensions["acc_registry"].db.read() as session:
        from registry.models import ApiToken, User

        bobs = session.execute(select(ApiToken).join(User).where(User.name == "bob")).scalars().first()
        assert bobs is not None
    assert client.get(f"/account/tokens/{bobs.id}/revoke").status_code == 404
    response = post_form(client, "/account", f"/account/tokens/{bobs.id}/revoke", confirmed="yes")
    assert response.status_code == 404
    assert client.get("/api/v1/account/tokens", headers=bob.auth).status_code == 200


def test_keys_and_sigstore_identities_are_added_and_listed_on_the_publisher_page(
    client: FlaskClient, tmp_path: Path, app: Flask
) -> None:
    key = tmp_path / "new.key"
    generate_keypair(key)
    pem = key.with_name("new.key.pub").read_text()
    assert "BEGIN PUBLIC KEY" in pem
    log_in(client, "alice")
    response = post_form(client, "/account", "/account/keys", public_key=pem)
    assert response.status_code == 303 and response.headers["Location"] == "/account#keys"
    flashed = client.get("/account").get_data(as_text=True)
    key_id = re.search(r"The key (\S+) is on your account", flashed)
    assert key_id is not None

    bad = post_form(client, "/account", "/account/keys", public_key="ed25519:not-base64!")
    assert bad.status_code == 400 and "not valid base64" in bad.get_data(as_text=True)
    private = post_form(client, "/account", "/account/keys", public_key=key.read_text())
    assert private.status_code == 400 and "This is a private key" in private.get_data(as_text=True)

    response = post_form(
        client, "/account", "/account/identities", identity="alice@example.com", issuer="https://github.com/login/oauth"
    )
    assert response.status_code == 303
    no_https = post_form(
        client, "/account", "/account/identities", identity="alice@example.com", issuer="http://insecure.example"
    )
    assert no_https.status_code == 400 and "https://" in no_https.get_data(as_text=True)

    publisher = client.get("/publishers/alice").get_data(as_text=True)
    assert f"<strong>{key_id.group(1)}</strong>" in publisher
    assert "<strong>alice@example.com</strong>, vouched for by https://github.com/login/oauth" in publisher
    assert publisher.count('<article class="card">') == 4, "alice's four listed plugins"
    actions = [a[1] for a in audit_actions(app)]
    assert "add_key" in actions and "add_identity" in actions
