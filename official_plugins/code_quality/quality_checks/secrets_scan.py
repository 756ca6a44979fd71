"""Secrets in text: known token formats, private keys, credentials in assignments and URLs,
and high-entropy strings. A finding carries a redacted form, never the secret itself.

A line containing `pragma: allowlist secret` (detect-secrets) or `gitleaks:allow` is
skipped: that is how a user marks a known false positive.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

DEFAULT_ENTROPY_THRESHOLD = 4.5
MIN_ENTROPY_LENGTH = 20


@dataclass(frozen=True)
class TokenRule:
    id: str
    description: str
    pattern: re.Pattern[str]  # group 1 is the secret
    hints: tuple[str, ...]  # literal text every match contains: files without any are not searched


TOKEN_RULES = (
    TokenRule(
        "aws-access-key-id",
        "AWS access key ID",
        re.compile(r"(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])"),
        ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    TokenRule(
        "github-token",
        "GitHub token (personal, OAuth, app or refresh)",
        re.compile(r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,255})(?![A-Za-z0-9_])"),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    TokenRule(
        "github-fine-grained-token",
        "GitHub fine-grained personal access token",
        re.compile(r"(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9_]{22,255})"),
        ("github_pat_",),
    ),
    TokenRule(
        "slack-token", "Slack token", re.compile(r"(?<![A-Za-z0-9_])(xox[abeoprs]-[A-Za-z0-9-]{10,250})"), ("xox",)
    ),
    TokenRule(
        "slack-webhook",
        "Slack incoming webhook URL",
        re.compile(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_]{6,}/B[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{16,})"),
        ("hooks.slack.com",),
    ),
    TokenRule(
        "anthropic-api-key",
        "Anthropic API key",
        re.compile(r"(?<![A-Za-z0-9_])(sk-ant-[A-Za-z0-9_-]{20,})"),
        ("sk-ant-",),
    ),
    TokenRule(
        "openai-api-key",
        "OpenAI API key",
        re.compile(r"(?<![A-Za-z0-9_])(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,})"),
        ("T3BlbkFJ",),
    ),
    TokenRule(
        "stripe-secret-key",
        "Stripe live secret key",
        re.compile(r"(?<![A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{20,})"),
        ("_live_",),
    ),
    TokenRule(
        "google-api-key",
        "Google API key",
        re.compile(r"(?<![A-Za-z0-9_])(AIza[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])"),
        ("AIza",),
    ),
    TokenRule(
        "json-web-token",
        "JSON Web Token",
        re.compile(r"(?<![A-Za-z0-9_])(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"),
        ("eyJ",),
    ),
)

RULE_DESCRIPTIONS = {rule.id: rule.description for rule in TOKEN_RULES} | {
    "private-key": "Private key block",
    "url-credentials": "Password in a URL",
    "secret-assignment": "Hard-coded credential assigned to a secret-looking name",
    "high-entropy-string": "High-entropy string (random-looking, like a key or token)",
}

_PRIVATE_KEY = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
# PEM: the header ends its line, optional "Name: value" headers follow, then base64 lines.
_KEY_BODY = re.compile(r"[ \t]*\r?\n(?:[A-Za-z-]+:[^\n]*\n|\s)*[A-Za-z0-9+/=]{32,}")
_URL_CREDENTIALS = re.compile(r"://[^\s:/@'\"]+:([^\s:/@'\"]{3,})@")  # scheme://user:PASSWORD@host
# `name = "value"`: found value first (an assignment operator, then a quoted string: a cheap
# pattern to search for), then the name before it must end in a secret-ish word, with an
# optional type annotation (`password: str = "..."`) or closing quote (`"api_key": "..."`).
_SECRET_WORD = (
    r"(?:api[_.-]?key|apikey|secret[_.-]?key|client[_.-]?secret|secret|access[_.-]?key|auth[_.-]?key|"
    r"private[_.-]?key|token|passwd|password|pwd|credentials?)"
)
_ASSIGNED_STRING = re.compile(r"(?::=|=>|=|:)[ \t]*[bru]?([\"'])([^\"'\s]{8,200})\1")
_SECRET_NAME_BEFORE = re.compile(
    rf"{_SECRET_WORD}[\"']?[ \t]*(?::[ \t]*[A-Za-z_][\w\[\]., |]*?[ \t]*)?$", re.IGNORECASE
)
_NAME_LOOKBACK = 120
# KEY=value in .env / ini / yaml files, where values need no quotes
_BARE_ASSIGNMENT = re.compile(
    rf"^[ \t]*(?:export[ \t]+)?([A-Za-z0-9_.-]*{_SECRET_WORD})[ \t]*[=:][ \t]*([^\s\"'#]{{8,200}})[ \t]*(?:#.*)?$",
    re.IGNORECASE | re.MULTILINE,
)
_CONFIG_VALUE = re.compile(r"^[^=:\n]*[=:]([^\n]*)$", re.MULTILINE)
_CONFIG_SUFFIXES = (".env", ".ini", ".cfg", ".conf", ".properties", ".yaml", ".yml")
_PLACEHOLDER_WORDS = (
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "dummy",
    "redacted",
    "replace",
    "sample",
    "xxxx",
    "****",
    "....",
    "todo",
    "fixme",
    "<",
    ">",
    "${",
    "{",
    "}",
    "%(",
    "%s",
    "$(",
    "#{",
)
_TRIVIAL_PASSWORDS = frozenset(
    {
        "password",
        "pass",
        "passwd",
        "secret",
        "postgres",
        "root",
        "admin",
        "user",
        "guest",
        "test",
        "tests",
        "testing",
        "changeme",
        "example",
        "tiger",
    }
)  # scott:tiger, the classic documentation login
_STRING = re.compile(rf"\"([^\"\n]{{{MIN_ENTROPY_LENGTH},}})\"|'([^'\n]{{{MIN_ENTROPY_LENGTH},}})'")
_TOKEN = re.compile(rf"[A-Za-z0-9+/=_-]{{{MIN_ENTROPY_LENGTH},}}")
_NOT_SECRET_PREFIXES = ("base64,", "sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "sha512:")
_NO_ENTROPY_NAMES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "cargo.lock",
        "go.sum",
        "composer.lock",
        "gemfile.lock",
    }
)
_NO_ENTROPY_SUFFIXES = (".lock", ".svg", ".min.js", ".min.css", ".map")
_URL_TOKEN = re.compile(rf"[A-Za-z0-9+=_-]{{{MIN_ENTROPY_LENGTH},}}")  # inside URLs, "/" separates path segments
# Public material in base64 DER: certificates, and SubjectPublicKeyInfo / PKCS#1 public keys.
_PUBLIC_DER = re.compile(
    r"MII[A-Za-z0-9+/]{3}CCA|MII[A-Za-z0-9+/]{2}gKC|MFkwEwYHKoZIzj0|MHYwEAYHKoZIzj0|MCowBQYDK2V"
    r"|MI[A-Za-z0-9+/]{2}jANBgkqhkiG9w0BAQEFAA"
)
# The name a string is assigned to, e.g. "keyId": "..." or public_key = "...".
_ASSIGNED_NAME = re.compile(r"([A-Za-z0-9_.-]+)[\"']?[ \t]*[:=][ \t]*[bru]?[\"']?$")
# Names whose values are public or derived: public keys, certificates, hashes, key IDs, signatures.
_PUBLIC_WORDS = re.compile(
    r"public|cert|fingerprint|checksum|digest|hash|integrity|signature|key_?id|sha\d*|md5|"
    r"uuid|guid|etag|accept",
    re.IGNORECASE,
)
_SECRET_WORDS = re.compile(r"private|secret|passw|token", re.IGNORECASE)
_PUBLIC_BLOCK = re.compile(r"BEGIN (?:[A-Z0-9]+ )*(?:PUBLIC KEY|CERTIFICATE)")
_ALLOW_MARKER = re.compile(r"pragma: allowlist secret|gitleaks:allow")


@dataclass(frozen=True)
class SecretFinding:
    rule: str
    line: int
    column: int  # 1-based, in characters
    redacted: str
    entropy: float | None = None

    @property
    def description(self) -> str:
        return RULE_DESCRIPTIONS[self.rule]


def redact(secret: str) -> str:
    """Enough to recognise a secret (its first characters and its length), never enough to use it."""
    shown = secret[: min(4, len(secret) // 4)]
    return f"{shown}…({len(secret)} chars)"


def shannon_entropy(text: str) -> float:
    """Bits per character; random base64 reaches about 5, English words about 3 to 4."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def scan(text: str, path: str, *, entropy_threshold: float = DEFAULT_ENTROPY_THRESHOLD) -> list[SecretFinding]:
    """Every secret in `text` (the contents of the file at `path`), in line order.

    Each pattern runs once over the whole text (the regex engine is much faster than a
    Python loop over lines); offsets are mapped to lines and columns afterwards. Rules
    run from the most specific to the most general, and a span already reported is not
    reported again: `token = "ghp_..."` is a GitHub token, not also an assignment.
    """
    name = path.rsplit("/", 1)[-1].lower()
    config = name.endswith(_CONFIG_SUFFIXES) or name.startswith(".env")
    found = _Found(text)
    _private_keys(text, found)
    _tokens(text, found)
    _url_credentials(text, found)
    _assignments(text, found, config)
    if name not in _NO_ENTROPY_NAMES and not name.endswith(_NO_ENTROPY_SUFFIXES):
        _high_entropy(text, found, config, entropy_threshold)
    return sorted(found.findings, key=lambda f: (f.line, f.column))


def _private_keys(text: str, found: _Found) -> None:
    if "PRIVATE KEY" not in text:
        return
    for match in _PRIVATE_KEY.finditer(text):
        # "\\n" escapes count as line breaks: keys are often pasted into one string literal.
        following = text[match.end() : match.end() + 600].replace("\\n", "\n")
        if _KEY_BODY.match(following):  # else a mention of the header (docs, a scanner's patterns), not a key
            found.add("private-key", match.start(), match.end(), redacted=f"{match.group(0)} …(key material hidden)")


def _tokens(text: str, found: _Found) -> None:
    for rule in TOKEN_RULES:
        if not any(hint in text for hint in rule.hints):
            continue
        for match in rule.pattern.finditer(text):
            if "EXAMPLE" not in match.group(1).upper():  # documentation keys such as AWS's AKIAIOSFODNN7EXAMPLE
                found.add(rule.id, match.start(1), match.end(1), secret=match.group(1))


def _url_credentials(text: str, found: _Found) -> None:
    for match in _URL_CREDENTIALS.finditer(text):
        password = match.group(1)
        if _placeholder(password) or password.lower() in _TRIVIAL_PASSWORDS or any(c in password for c in "{}$%"):
            continue  # a template (f"...:{port}@..."), not a password
        found.add("url-credentials", match.start(1), match.end(1), secret=password)


def _assignments(text: str, found: _Found, config: bool) -> None:
    for match in _ASSIGNED_STRING.finditer(text):
        operator = match.start()
        if operator and text[operator - 1] in "=!<>":
            continue  # ==, !=, <=, >=: a comparison, not an assignment
        window = max(0, operator - _NAME_LOOKBACK)
        line_start = text.rfind("\n", window, operator) + 1
        if _SECRET_NAME_BEFORE.search(text, max(line_start, window), operator) and _credible(match.group(2)):
            found.add("secret-assignment", match.start(2), match.end(2), secret=match.group(2))
    if config:
        for match in _BARE_ASSIGNMENT.finditer(text):
            value = match.group(2)
            if _credible(value) and _mixes(value, r"\d", r"[A-Za-z]"):
                found.add("secret-assignment", match.start(2), match.end(2), secret=value)


def _high_entropy(text: str, found: _Found, config: bool, threshold: float) -> None:
    for start, token in _entropy_candidates(text, config):
        bits = shannon_entropy(token)
        if bits >= threshold:
            found.add("high-entropy-string", start, start + len(token), secret=token, entropy=bits)


class _Found:
    """Findings so far, by line; a span already reported by a more specific rule is not reported again."""

    def __init__(self, text: str) -> None:
        self.starts = [0]  # offset of each line's first character
        for line in text.split("\n")[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.allowed = {self.line_of(m.start()) for m in _ALLOW_MARKER.finditer(text)}
        self.findings: list[SecretFinding] = []
        self.taken: dict[int, list[tuple[int, int]]] = {}

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def add(
        self, rule: str, start: int, end: int, *, secret: str = "", redacted: str = "", entropy: float | None = None
    ) -> None:
        line = self.line_of(start)
        if line in self.allowed:
            return
        spans = self.taken.setdefault(line, [])
        if any(start < t_end and t_start < end for t_start, t_end in spans):
            return
        spans.append((start, end))
        column = start - self.starts[line - 1] + 1
        self.findings.append(
            SecretFinding(
                rule, line, column, redacted or redact(secret), None if entropy is None else round(entropy, 2)
            )
        )


def _placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(word in lowered for word in _PLACEHOLDER_WORDS) or len(set(value)) <= 2


def _credible(value: str) -> bool:
    """Whether an assigned value could be a real credential (not a placeholder, a name or a path)."""
    if (
        _placeholder(value)
        or re.fullmatch(r"[A-Z][A-Z0-9_]*", value)  # the name of an environment variable, not its value
        or value.startswith(("/", "./", "../", "http://", "https://", "file:"))
        or value.lower() in _TRIVIAL_PASSWORDS
    ):
        return False
    # Words ("NoCredentials", "upgrades") are labels; credentials have digits, or are long and random.
    return bool(re.search(r"\d", value)) or (len(value) >= 16 and shannon_entropy(value) >= 4.0 and not _wordy(value))


def _mixes(value: str, *classes: str) -> bool:
    return all(re.search(c, value) for c in classes)


def _entropy_candidates(text: str, config: bool) -> list[tuple[int, str]]:
    """Random-looking tokens inside string literals (and bare values in config files)."""
    spans = [
        (m.start(1), m.group(1)) if m.group(1) is not None else (m.start(2), m.group(2)) for m in _STRING.finditer(text)
    ]
    if config:
        spans += [(m.start(1), m.group(1)) for m in _CONFIG_VALUE.finditer(text)]
    candidates = []
    for offset, content in spans:
        if not (_PUBLIC_BLOCK.search(content) or _public_name(text, offset)):
            candidates += _tokens_in(offset, content)
    return candidates


def _public_name(text: str, offset: int) -> bool:
    match = _ASSIGNED_NAME.search(text, max(0, offset - 60), offset)
    if match is None:
        return False
    name = match.group(1)
    return bool(_PUBLIC_WORDS.search(name)) and not _SECRET_WORDS.search(name)


def _tokens_in(offset: int, content: str) -> list[tuple[int, str]]:
    tokens = _URL_TOKEN if "://" in content else _TOKEN
    return [(offset + t.start(), t.group(0)) for t in tokens.finditer(content) if _random_looking(content, t)]


def _random_looking(content: str, token: re.Match[str]) -> bool:
    value = token.group(0)
    before = content[max(0, token.start() - 8) : token.start()].lower()
    if before.endswith(_NOT_SECRET_PREFIXES) or _PUBLIC_DER.match(value):
        return False  # a data: URI, an integrity hash, a certificate or public key
    # Random keys mix all three classes; words, paths and hex digests do not.
    return (
        _mixes(value, "[a-z]", "[A-Z]", r"\d")
        and not _ascending(value)
        and not _wordy(value)
        and not _encoded_text(value)
    )


def _ascending(value: str) -> bool:
    """An alphabet ("ABC...xyz0123456789") has maximal entropy and nothing secret."""
    steps = sum(1 for a, b in itertools.pairwise(value) if ord(b) - ord(a) == 1)
    return steps >= len(value) // 2


def _wordy(value: str) -> bool:
    """Identifiers ("NFCISO15693CustomCommandConfiguration") are mostly runs of lower-case letters."""
    in_words = sum(len(run) for run in re.findall(r"[a-z]{3,}", value))
    return in_words >= len(value) // 2


def _encoded_text(value: str) -> bool:
    """Base64 of plain text ("VGhlc2Ug..." is "These ...") is an encoding, not a key."""
    if len(value) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9+/_-]+=*", value):
        return False
    padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except ValueError:
        return False
    printable = sum(1 for b in decoded if 32 <= b < 127 or b in (9, 10, 13))
    return len(decoded) >= 12 and printable == len(decoded)
