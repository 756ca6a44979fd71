"""READMEs: Markdown to HTML (markdown-it-py), then sanitized (nh3) against an allowlist.

Raw HTML in a README is allowed through Markdown and then cleaned: only the tags and
attributes below survive, URLs must be http(s) or mailto, and links get
`rel="nofollow noopener noreferrer"`. Headings move down two levels (a README's `#` is
an h3 under the page's "README" h2), so the page keeps one h1 and a sound outline; raw
`<h1>`/`<h2>` tags are not on the list and keep only their text.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "samp",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
#: Dropped with everything inside them, not just their tags.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select", "svg", "math"}
)

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_readme(text: str) -> str:
    """Safe HTML for a README (cached: a version's README never changes)."""
    return _render(text)


@lru_cache(maxsize=64)
def _render(text: str) -> str:
    tokens = _markdown.parse(text)
    _demote_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return sanitize(html)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _demote_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
