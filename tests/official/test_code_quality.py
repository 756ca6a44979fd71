"""The official code-quality plugin, built with componentize-py and run in the real host.

Every project here is made by the test, so each expected number is known: the
complexity values are the ones `radon cc` reports for the same source (except `except*`,
which radon does not count and we count like `except`), the lint findings were checked
against pyflakes, and the tricky-but-correct sources must produce nothing at all.

The planted secrets are fakes built at run time from hashes and split literals, so this
file holds nothing that looks like a secret to a scanner (this plugin included).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import string
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.errors import InputError, PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE, install_unsigned

pytestmark = pytest.mark.slow

Archives = Callable[[str], Path]


COMPLEXITY = """\
def simple():
    return 1


def branches(x, items):
    if x > 0 and x < 10:
        pass
    elif x < 0:
        pass
    for item in items:
        pass
    else:
        pass
    while x:
        x -= 1
    try:
        pass
    except ValueError:
        pass
    except (TypeError, KeyError):
        pass
    else:
        pass
    finally:
        pass
    with open("f") as handle:
        pass
    y = 1 if x else 2
    z = [i for i in items if i]
    assert x or y
    return y, z, item, handle


def matcher(command):
    match command:
        case "go":
            return 1
        case "stop" | "halt":
            return 2
        case [x, y] if x > y:
            return 3
        case _:
            return 0


def outer(a):
    def inner(b):
        if b:
            return 1
        return 0
    key = lambda v: v if v else 0
    return inner(a) if a else key


class Shape:
    def area(self, kind):
        if kind == "square":
            return 1
        elif kind == "circle":
            return 2
        return 0

    async def fetch(self, urls):
        async for u in urls:
            if u:
                yield u


def groups(run):
    try:
        run()
    except* ValueError:
        pass
    except* OSError:
        pass
"""

LINT_BAD = """\
import os
import sys, json
from collections import OrderedDict, defaultdict
import xml.etree.ElementTree


def unused_local():
    result = compute()
    total: int = 5
    return None


def handler():
    try:
        return 1
    except ValueError as error:
        return 2


def unreachable(x):
    if x:
        return 1
        print("never")
    for i in range(3):
        continue
        i += 1
    if x:
        raise ValueError()
    else:
        return 3
    print("also never")


def defaults(a=[], b={}, *, c=set(), d=defaultdict(list)):
    return a, b, c, d


def bare():
    try:
        pass
    except:
        pass


def comparisons(x):
    if x == None or None != x:
        return f"constant"
    if x is "literal" or x is not 1:
        return {"a": 1, "b": 2, "a": 3}
    assert (x, "message")
    raise NotImplemented


def uses_undefined():
    return undefined_thing + sys.argv


class Klass:
    attribute = 1
    doubled = [attribute * 2 for _ in range(2)]

    def method(self):
        return attribute


__all__ = ["json", "missing_name"]
"""

LINT_GOOD = '''\
"""Tricky code that must produce no findings."""
from __future__ import annotations

import json
import os.path
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Optional, cast

try:
    import ujson
except ImportError:
    ujson = None

if TYPE_CHECKING:
    from decimal import Decimal
    from fractions import Fraction
    from numbers import Rational

from collections import OrderedDict as OrderedDict  # explicit re-export

Handler = Callable[["Rational"], None]


def annotated(value: Decimal) -> "Fraction":
    return cast("Fraction", value), cast(Optional["Fraction"], None)


class Response:
    json_module = json  # the module: the method below is not bound yet

    def json(self):
        return self.json_module


def closures():
    counter = 0

    def bump():
        nonlocal counter
        counter += 1
        return counter
    return bump


def globals_used():
    global CONFIG
    CONFIG = {}


def read_config():
    return CONFIG, os.path.join("a", "b")


def comprehension_scopes(items):
    pairs = [(i, j) for i in items for j in range(i)]
    table = {k: v for k, v in pairs}
    return table, [x for x in items if (y := x)], y


def defaults_fine(a=None, b=(), c=frozenset(), d=tuple(), e="", f=0):
    return a, b, c, d, e, f


def dynamic_locals():
    secret_sauce = 1
    return locals()


def underscore():
    _ignored = compute_later()
    __tracebackhide__ = True


def compute_later():
    return typing.Any


def empty_generator():
    return
    yield


def format_specs(width, value):
    return f"{value:>{width}}", f"{value!r:10}", "plain" f"{value}"


def name_error_guard():
    try:
        maybe_defined
    except NameError:
        return None


def builtins_and_dunders():
    return __file__, __name__, print, len, ExceptionGroup, __debug__


class Properties:
    x = 1
    y = [x]

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, new):
        self._value = new

    def sup(self):
        return super().__init__, __class__


def match_bindings(command):
    match command:
        case {"action": action, **rest}:
            return action, rest
        case [first, *others]:
            return first, others
        case Point(x=px) as whole:
            return px, whole
    return None


class Point:
    x: int
    y: int


def loop_and_unpacking(items):
    for index, item in enumerate(items):
        pass
    with open("x") as handle:
        pass
    a, b = 1, 2
    return None


def identity_is_fine(x):
    return x is None, x is not None, x is True, x is ...


def noqa_suppressed():
    unused_here = 1  # noqa: F841
    return None == None  # noqa


def function_import():
    import json as js
    return js.dumps({})


def deleted():
    temp = 1
    del temp


def augmented():
    count = 0
    count += 1


__all__ = ["ujson", "OrderedDict", "annotated", "Handler"]
'''

PACKAGE_INIT = """\
from good.shapes import Point, annotated
"""

LAZY = """\
__all__ = ["later"]


def __getattr__(name):
    if name == "later":
        return 1
    raise AttributeError(name)
"""

STAR = """\
from os.path import *

print(join("a", "b"), defined_somewhere_by_the_star)
"""

DYNAMIC = """\
exec("generated = 1")
print(generated)
"""

# -- fake secrets: built here, never written out whole in this file ---------------------------

ALNUM = string.ascii_letters + string.digits


def chars(seed: str, count: int, alphabet: str = ALNUM) -> str:
    """`count` characters drawn deterministically from `alphabet`: random-looking, reproducible."""
    out: list[str] = []
    block = 0
    while len(out) < count:
        out += [alphabet[b % len(alphabet)] for b in hashlib.sha256(f"{seed}/{block}".encode()).digest()]
        block += 1
    return "".join(out[:count])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


AWS_KEY = "AKIA" + chars("aws", 16, string.ascii_uppercase + "234567")
GITHUB_TOKEN = "ghp" + "_" + chars("github", 36)
FINE_GRAINED_TOKEN = "github" + "_pat_" + chars("pat", 82, ALNUM + "_")
SLACK_TOKEN = "-".join(["xox" + "b", chars("s1", 12, string.digits), chars("s2", 13, string.digits), chars("s3", 24)])
ANTHROPIC_KEY = "sk-" + "ant-" + "api03-" + chars("anthropic", 93, ALNUM + "-_") + "AA"
ASSIGNED_KEY = chars("assigned", 18)
DB_PASSWORD = chars("db-password", 14)
ENV_KEY = chars("env", 24)
ENTROPY_BLOB = b64(hashlib.sha256(b"code-quality high-entropy fixture").digest())
KEY_BODY = [b64(hashlib.sha512(f"key line {n}".encode()).digest()) for n in range(3)]
PRIVATE_KEY = "\n".join(["-----BEGIN " + "RSA PRIVATE KEY-----", *KEY_BODY, "-----END " + "RSA PRIVATE KEY-----"])
PLANTED = [
    AWS_KEY,
    GITHUB_TOKEN,
    FINE_GRAINED_TOKEN,
    SLACK_TOKEN,
    ANTHROPIC_KEY,
    ASSIGNED_KEY,
    DB_PASSWORD,
    ENV_KEY,
    ENTROPY_BLOB,
    *KEY_BODY,
]

SETTINGS = "\n".join(
    [
        '"""Deployment settings (with secrets that should not be here)."""',
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"',
        f'GITHUB = "{GITHUB_TOKEN}"',
        f'FINE_GRAINED = "{FINE_GRAINED_TOKEN}"',
        f'SLACK = "{SLACK_TOKEN}"',
        f'client = dict(api_key="{ANTHROPIC_KEY}")',
        f'api_key = "{ASSIGNED_KEY}"',
        f'blob = "{ENTROPY_BLOB}"',
        f'DATABASE_URL = "postgresql://app:{DB_PASSWORD}@db.internal/app"',
        f'ALLOWED = "{GITHUB_TOKEN}"  # pragma: allowlist secret',
        f'KEY = """{PRIVATE_KEY}"""',
        "",
    ]
)

NOT_SECRETS = "\n".join(
    [
        "import os",
        'doc_key = "AKIA" "IOSFODNN7EXAMPLE"',
        'documented = "' + "AKIA" + "IOSFODNN7" + "EXAMPLE" + '"',
        'api_key = os.environ["API_KEY"]',
        'api_key = "ANTHROPIC_API_KEY"',
        'password = "${DB_PASSWORD}"',
        'token = "<your-token-here>"',
        'NO_CREDENTIALS = "NoCredentials"',
        'upgrade_token = "upgrades"',
        'if password == "hunter2hunter2":',
        "    pass",
        'digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
        'uuid = "123e4567-e89b-12d3-a456-426614174000"',
        'name = "NFCISO15693CustomCommandConfiguration"',
        'alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"',
        'quote = "' + b64(b"These aren't the droids you're looking for") + '"',
        'page = "https://github.com/tox-dev/platformdirs/blob/3ce6ea843bd961589f5d3c2c4415ed9b00d318b0/LICENSE"',
        'demo_db = "postgresql://scott:tiger@localhost/test"',
        'template = f"http://127.0.0.1:{port}@127.0.0.2/ok"',
        'pattern = r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----"',
        'mention = "a -----BEGIN ' + 'PRIVATE KEY----- header alone is not a key"',
        'image = "data:image/png;base64,' + b64(hashlib.sha256(b"png").digest() * 2) + '"',
        'integrity = "sha384-' + b64(hashlib.sha384(b"script").digest()) + '"',
        'public_key = "' + b64(hashlib.sha256(b"public").digest()) + '"',
        "",
    ]
)


# -- running the plugin -----------------------------------------------------------------------


class Quality:
    """Runs code-quality commands over one project directory and keeps every output."""

    def __init__(self, host: PluginHost, root: Path, logs: list[str]) -> None:
        self.host = host
        self.root = root
        self.logs = logs
        self.results: list[str] = []

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def run(self, command: str, **inputs: Any) -> dict[str, Any]:
        result = self.host.run("code-quality", command, inputs)
        self.results.append(json.dumps(result, ensure_ascii=False))
        assert isinstance(result, dict)
        return result

    def refused(self, command: str, **inputs: Any) -> PluginFailed:
        with pytest.raises(PluginFailed) as caught:
            self.host.run("code-quality", command, inputs)
        self.results.append(str(caught.value))
        return caught.value

    def transcript(self) -> str:
        """Every result, error and log line the plugin produced: where a leaked secret would show."""
        return "\n".join(self.results + self.logs)


@pytest.fixture(scope="module")
def quality_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("code-quality-home"), cache=TEST_CACHE)
    install_unsigned(paths, built_archives("code-quality"), yes=True)
    return paths


@pytest.fixture
def quality(quality_home: HostPaths, tmp_path: Path) -> Iterator[Quality]:
    root = tmp_path / "project"
    root.mkdir()
    logs: list[str] = []
    options = RunOptions(project_dir=root, emit_log=lambda _plugin, level, message: logs.append(f"{level}: {message}"))
    with PluginHost(quality_home, options) as host:
        yield Quality(host, root, logs)


def function(
    name: str,
    line: int,
    end_line: int,
    complexity: int,
    *,
    kind: str = "function",
    column: int = 1,
    file: str = "shapes.py",
    threshold: int = 10,
) -> dict[str, Any]:
    rank = next(
        letter
        for letter, top in (("A", 5), ("B", 10), ("C", 20), ("D", 30), ("E", 40), ("F", 10**9))
        if complexity <= top
    )
    return {
        "file": file,
        "name": name,
        "kind": kind,
        "line": line,
        "column": column,
        "end_line": end_line,
        "complexity": complexity,
        "rank": rank,
        "over_threshold": complexity > threshold,
    }


def finding(code: str, line: int, column: int, message: str, file: str = "bad.py") -> dict[str, Any]:
    return {"code": code, "name": NAMES[code], "message": message, "file": file, "line": line, "column": column}


NAMES = {
    "CQ100": "syntax-error",
    "CQ101": "unused-import",
    "CQ102": "unused-variable",
    "CQ103": "undefined-name",
    "CQ104": "unreachable-code",
    "CQ105": "mutable-default-argument",
    "CQ106": "bare-except",
    "CQ107": "function-too-long",
    "CQ108": "compare-to-none",
    "CQ109": "fstring-without-placeholders",
    "CQ110": "assert-on-tuple",
    "CQ111": "is-literal",
    "CQ112": "duplicate-dict-key",
    "CQ113": "raise-not-implemented",
}
MUTABLE = (
    "mutable default argument: one object is shared by every call; default to None and create it inside the function"
)
BAD_FINDINGS = [
    finding("CQ101", 1, 8, "'os' is imported but never used"),
    finding("CQ101", 3, 25, "'collections.OrderedDict' is imported but never used"),
    finding("CQ101", 4, 8, "'xml.etree.ElementTree' is imported but never used"),
    finding("CQ102", 8, 5, "local variable 'result' is assigned but never used"),
    finding("CQ103", 8, 14, "undefined name 'compute'"),
    finding("CQ102", 9, 5, "local variable 'total' is assigned but never used"),
    finding("CQ102", 16, 5, "'error' is bound by `except ... as error` but never used"),
    finding("CQ104", 23, 9, "unreachable code after `return`"),
    finding("CQ104", 26, 9, "unreachable code after `continue`"),
    finding("CQ104", 31, 5, "unreachable code after an if whose every branch leaves"),
    finding("CQ105", 34, 16, MUTABLE),
    finding("CQ105", 34, 22, MUTABLE),
    finding("CQ105", 34, 31, MUTABLE),
    finding("CQ105", 34, 40, MUTABLE),
    finding(
        "CQ106",
        41,
        5,
        "bare `except:` also catches KeyboardInterrupt and SystemExit; catch Exception or something narrower",
    ),
    finding("CQ108", 46, 8, "comparison to None with ==; use `is None`"),
    finding("CQ108", 46, 21, "comparison to None with !=; use `is not None`"),
    finding("CQ109", 47, 16, "f-string without any placeholders; drop the f prefix"),
    finding("CQ111", 48, 8, "`is` with a literal compares identity, not value; use `==`"),
    finding("CQ111", 48, 26, "`is not` with a literal compares identity, not value; use `!=`"),
    finding("CQ112", 49, 33, "dict key 'a' is repeated; the earlier value is lost"),
    finding("CQ110", 50, 5, 'assert on a non-empty tuple is always true; write `assert x, "message"`'),
    finding("CQ113", 51, 5, "`raise NotImplemented` raises a TypeError; raise NotImplementedError"),
    finding("CQ103", 55, 12, "undefined name 'undefined_thing'"),
    # A class body's names are invisible in its comprehensions and methods: both raise NameError.
    finding("CQ103", 60, 16, "undefined name 'attribute'"),
    finding("CQ103", 63, 16, "undefined name 'attribute'"),
    finding("CQ103", 66, 20, "'missing_name' is listed in __all__ but never defined"),
]
NO_SKIPS = {"skipped": [], "skipped_total": 0, "truncated": False}


# -- complexity -------------------------------------------------------------------------------


def test_complexity_counts_decision_points_like_radon_worst_first(quality: Quality) -> None:
    quality.write("shapes.py", COMPLEXITY)
    result = quality.run("complexity")
    assert result == {
        "path": ".",
        "max_complexity": 10,
        "functions": [
            # 1 + if, and, elif, for, for-else, while, 2 excepts, try-else, ternary, comprehension for+if, assert
            function("branches", 5, 31, 14),
            function("matcher", 34, 43, 4),  # 3 cases and the catch-all; the guard adds nothing
            function("outer", 46, 52, 3),  # the lambda's ternary counts; inner's if does not
            function("Shape.area", 56, 61, 3, kind="method", column=5),
            function("Shape.fetch", 63, 66, 3, kind="method", column=5),
            function("groups", 69, 75, 3),  # except* clauses count like except
            function("outer.inner", 47, 50, 2, column=5),
            function("simple", 1, 2, 1),
        ],
        "total_functions": 8,
        "over_threshold": 1,
        "average": 4.12,
        "max": 14,
        "errors": [],
        "errors_total": 0,
        "scan": {"files": 1, **NO_SKIPS},
    }


def test_complexity_flags_only_functions_above_the_threshold_and_limit_keeps_the_worst(quality: Quality) -> None:
    quality.write("shapes.py", COMPLEXITY)
    result = quality.run("complexity", max_complexity=3, limit=2)
    assert result["functions"] == [
        function("branches", 5, 31, 14, threshold=3),
        function("matcher", 34, 43, 4, threshold=3),
    ]
    assert (result["total_functions"], result["over_threshold"], result["max"]) == (8, 2, 14)


def test_a_syntax_error_is_reported_as_a_finding_not_a_crash(quality: Quality) -> None:
    quality.write("broken.py", "def fine():\n    return 1\n\nvalue = (1,\n")
    quality.write("shapes.py", COMPLEXITY)
    error = {"file": "broken.py", "line": 4, "column": 9, "message": "syntax error: '(' was never closed"}
    complexity = quality.run("complexity")
    assert (complexity["errors"], complexity["errors_total"]) == ([error], 1)
    assert complexity["total_functions"] == 8 and complexity["scan"]["files"] == 2
    lint = quality.run("lint", path="broken.py")
    assert lint["findings"] == [finding("CQ100", 4, 9, "syntax error: '(' was never closed", file="broken.py")]
    report = quality.run("report", path="broken.py")
    assert report["checks"]["lint"]["findings"] == 1 and report["passed"] is False


# -- lint -------------------------------------------------------------------------------------


def test_lint_reports_every_check_with_its_code_position_and_message(quality: Quality) -> None:
    quality.write("bad.py", LINT_BAD)
    result = quality.run("lint")
    assert result["findings"] == BAD_FINDINGS
    assert result["total"] == len(BAD_FINDINGS)
    assert result["by_code"] == {
        "CQ101": 3,
        "CQ102": 3,
        "CQ103": 5,
        "CQ104": 3,
        "CQ105": 4,
        "CQ106": 1,
        "CQ108": 2,
        "CQ109": 1,
        "CQ110": 1,
        "CQ111": 2,
        "CQ112": 1,
        "CQ113": 1,
    }
    assert result["suppressed"] == 0
    assert result["scan"] == {"files": 1, **NO_SKIPS}


def test_lint_stays_silent_on_tricky_correct_code(quality: Quality) -> None:
    # Annotations and forward references, TYPE_CHECKING and guarded imports, re-exports,
    # global/nonlocal, comprehension scopes, walrus, class bodies read in order, locals(),
    # match bindings, format specs, the empty-generator idiom, __init__ re-exports, a module
    # __getattr__, star imports and exec: every one is a classic false positive.
    quality.write("good/shapes.py", LINT_GOOD)
    quality.write("good/__init__.py", PACKAGE_INIT)
    quality.write("good/lazy.py", LAZY)
    quality.write("good/star.py", STAR)
    quality.write("good/dynamic.py", DYNAMIC)
    result = quality.run("lint")
    assert result == {
        "path": ".",
        "findings": [],
        "total": 0,
        "by_code": {},
        "suppressed": 2,
        "scan": {"files": 5, **NO_SKIPS},
    }


def test_noqa_comments_and_ignore_suppress_exactly_what_they_name(quality: Quality) -> None:
    quality.write(
        "noqa.py",
        "\n".join(
            [
                "import os  # noqa: F401",  # the pyflakes code works
                "import sys  # noqa: CQ101",  # so does ours
                "import json  # noqa",  # bare: everything on the line
                "import re  # noqa: E711",  # another check's code: still reported
                "x = 1 if re else 2",
                "import glob",
                "",
            ]
        ),
    )
    result = quality.run("lint")
    assert [(f["code"], f["line"]) for f in result["findings"]] == [("CQ101", 6)]
    assert result["suppressed"] == 3
    assert quality.run("lint", ignore=["unused-import"])["total"] == 0
    quality.write("generated.py", "# ruff: noqa: F401\nimport os\nimport sys\n")
    assert [f["file"] for f in quality.run("lint")["findings"]] == ["noqa.py"]


def test_function_too_long_counts_code_lines_not_docstrings_comments_or_blanks(quality: Quality) -> None:
    body = "\n".join(f"    step_{n} = {n}\n    # a comment\n" for n in range(5))
    quality.write(
        "long.py",
        f'def long():\n    """A docstring\n\n    on several lines.\n    """\n{body}'
        "    return step_0, step_1, step_2, step_3, step_4\n",
    )
    # def + 5 assignments + return = 7 lines of code, in 22 lines
    assert quality.run("lint", max_function_lines=7)["findings"] == []
    assert quality.run("lint", max_function_lines=6)["findings"] == [
        finding(
            "CQ107",
            1,
            1,
            "function 'long' has 7 lines of code (more than 6); split it into smaller functions",
            file="long.py",
        )
    ]


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_are_found_with_rule_position_and_a_redacted_form(quality: Quality) -> None:
    quality.write("settings.py", SETTINGS)
    quality.write(".env", f"DEBUG=true\nAPI_KEY={ENV_KEY}\nSECRET_KEY=changeme\n")
    result = quality.run("secrets")

    def secret(
        rule: str, description: str, line: int, column: int, redacted: str, file: str = "settings.py", **extra: Any
    ) -> dict[str, Any]:
        return {
            "rule": rule,
            "description": description,
            "file": file,
            "line": line,
            "column": column,
            "redacted": redacted,
            **extra,
        }

    assigned = "Hard-coded credential assigned to a secret-looking name"
    assert result["findings"] == [
        secret("secret-assignment", assigned, 2, 9, f"{ENV_KEY[:4]}…(24 chars)", file=".env"),
        secret("aws-access-key-id", "AWS access key ID", 2, 22, "AKIA…(20 chars)"),
        secret("github-token", "GitHub token (personal, OAuth, app or refresh)", 3, 11, "ghp_…(40 chars)"),
        secret("github-fine-grained-token", "GitHub fine-grained personal access token", 4, 17, "gith…(93 chars)"),
        secret("slack-token", "Slack token", 5, 10, "xoxb…(56 chars)"),
        secret("anthropic-api-key", "Anthropic API key", 6, 24, "sk-a…(108 chars)"),
        secret("secret-assignment", assigned, 7, 12, f"{ASSIGNED_KEY[:4]}…(18 chars)"),
        secret(
            "high-entropy-string",
            "High-entropy string (random-looking, like a key or token)",
            8,
            9,
            f"{ENTROPY_BLOB[:4]}…(44 chars)",
            entropy=pytest.approx(5.0, abs=0.5),
        ),
        secret("url-credentials", "Password in a URL", 9, 34, f"{DB_PASSWORD[:3]}…(14 chars)"),
        secret("private-key", "Private key block", 11, 10, "-----BEGIN RSA PRIVATE KEY----- …(key material hidden)"),
    ]
    assert result["total"] == 10
    assert result["by_rule"] == {
        "anthropic-api-key": 1,
        "aws-access-key-id": 1,
        "github-fine-grained-token": 1,
        "github-token": 1,
        "high-entropy-string": 1,
        "private-key": 1,
        "secret-assignment": 2,
        "slack-token": 1,
        "url-credentials": 1,
    }
    assert result["scan"] == {"files": 2, **NO_SKIPS}


def test_the_secret_scanner_ignores_placeholders_hashes_and_public_material(quality: Quality) -> None:
    quality.write("config.py", NOT_SECRETS)
    result = quality.run("secrets")
    assert result["findings"] == [] and result["total"] == 0


def test_no_output_of_any_command_contains_a_planted_secret(quality: Quality) -> None:
    quality.write("settings.py", SETTINGS)
    quality.write(".env", f"API_KEY={ENV_KEY}\n")
    # A secret on a line Python cannot parse: the syntax error must not quote the line.
    quality.write("broken.py", f'token = "{GITHUB_TOKEN}" +\n')
    for command in ("complexity", "lint", "secrets", "report"):
        quality.run(command)
    assert quality.run("secrets")["total"] == 11
    transcript = quality.transcript()
    assert "ghp_" in transcript and "AKIA" in transcript  # the redacted forms are there...
    for planted in PLANTED:
        assert planted not in transcript  # ...the secrets are not


# -- what gets read ---------------------------------------------------------------------------


def test_binary_large_linked_and_vendored_files_are_skipped_and_reported(quality: Quality, tmp_path: Path) -> None:
    quality.write("app.py", "def main():\n    return 1\n")
    quality.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00" + GITHUB_TOKEN.encode())  # binary: never scanned
    quality.write("big.py", "x = 1\n" * 500)
    quality.write("latin.py", b"name = '\xe9t\xe9'\n")  # Latin-1 without a coding line: not Python source
    quality.write(".git/config", f"token = {GITHUB_TOKEN}\n")
    quality.write("node_modules/pkg/index.js", f'const key = "{GITHUB_TOKEN}";\n')
    quality.write("env/pyvenv.cfg", "home = /usr/bin\n")
    quality.write("env/lib/site.py", "import os\n")
    quality.write("build/lib/app.py", "import os\n")
    quality.write("tests/fixtures/key.txt", f"{GITHUB_TOKEN}\n")
    outside = tmp_path / "outside.py"
    outside.write_text(f'leak = "{GITHUB_TOKEN}"\n')
    os.symlink(outside, quality.root / "linked.py")

    result = quality.run("report", max_file_bytes=2048, exclude=["fixtures"])
    assert result["scan"] == {
        "files": 2,  # app.py, and latin.py as text for the secret scan
        "skipped": [
            {"path": ".git", "reason": "hidden"},
            {"path": "build", "reason": "build-output"},
            {"path": "env", "reason": "virtualenv"},
            {"path": "linked.py", "reason": "symlink"},
            {"path": "node_modules", "reason": "dependencies"},
            {"path": "tests/fixtures", "reason": "excluded"},
            {"path": "big.py", "reason": "too-large"},
            {"path": "latin.py", "reason": "undecodable"},
            {"path": "logo.png", "reason": "binary"},
        ],
        "skipped_total": 9,
        "truncated": False,
        "python_files": 1,
    }
    assert result["passed"] is True
    assert GITHUB_TOKEN not in quality.transcript()


def test_max_files_stops_the_walk_and_says_so(quality: Quality) -> None:
    for name in ("a.py", "b.py", "c.py"):
        quality.write(f"pkg/{name}", "def f():\n    return 1\n")
    result = quality.run("complexity", max_files=2)
    assert [f["file"] for f in result["functions"]] == ["pkg/a.py", "pkg/b.py"]
    assert result["scan"] == {"files": 2, "skipped": [], "skipped_total": 0, "truncated": True}


def test_a_path_names_a_file_or_directory_inside_the_project(quality: Quality) -> None:
    quality.write("src/app/bad.py", LINT_BAD)
    quality.write("other.py", "import os\n")
    by_directory = quality.run("lint", path="src")
    by_file = quality.run("lint", path="./src/app/bad.py")
    assert by_directory["path"] == "src" and by_file["path"] == "src/app/bad.py"
    expected = [{**f, "file": "src/app/bad.py"} for f in BAD_FINDINGS]
    assert by_directory["findings"] == expected and by_file["findings"] == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside", "path '../outside' leads outside the project"),
        ("src/../../etc", "path 'src/../../etc' leads outside the project"),
        ("/etc/passwd", "path '/etc/passwd' is absolute; give a path relative to the project root"),
        ("missing", "there is no file or directory 'missing' in the project"),
    ],
)
def test_paths_outside_the_project_or_missing_are_refused_clearly(quality: Quality, path: str, message: str) -> None:
    for command in ("complexity", "lint", "secrets", "report"):
        error = quality.refused(command, path=path)
        assert error.kind == "invalid"
        assert message in error.detail


def test_without_the_fs_grant_every_command_is_denied_with_the_way_to_grant_it(
    built_archives: Archives, tmp_path: Path, project: Path
) -> None:
    paths = HostPaths(home=tmp_path / "denied-home", cache=TEST_CACHE)
    install_unsigned(paths, built_archives("code-quality"), deny=("fs",))
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        for command in ("complexity", "lint", "secrets", "report"):
            with pytest.raises(PluginFailed) as caught:
                host.run("code-quality", command, {})
            assert caught.value.kind == "denied"
            assert "acc plugin grant code-quality fs" in caught.value.detail


# -- report -----------------------------------------------------------------------------------


def test_report_passes_a_clean_project(quality: Quality) -> None:
    quality.write("clean.py", '"""A clean module."""\n\n\ndef add(a, b):\n    return a + b\n')
    result = quality.run("report")
    assert result == {
        "path": ".",
        "passed": True,
        "summary": "PASSED: complexity: no function over 10; lint: 0 finding(s), 0 allowed; "
        "secrets: 0 found, 0 allowed",
        "checks": {
            "complexity": {
                "passed": True,
                "max_complexity": 10,
                "functions": 1,
                "over_threshold": 0,
                "worst": [function("add", 4, 5, 1, file="clean.py")],
            },
            "lint": {"passed": True, "max_findings": 0, "findings": 0, "by_code": {}, "suppressed": 0, "first": []},
            "secrets": {"passed": True, "max_secrets": 0, "found": 0, "by_rule": {}, "findings": []},
        },
        "scan": {"files": 1, **NO_SKIPS, "python_files": 1},
    }


def test_report_fails_each_check_against_its_threshold_and_passes_when_they_allow_it(quality: Quality) -> None:
    quality.write("shapes.py", COMPLEXITY)
    quality.write("bad.py", LINT_BAD)
    quality.write("settings.py", SETTINGS)
    failed = quality.run("report", limit=1)
    assert failed["passed"] is False
    assert failed["summary"] == (
        "FAILED (complexity, lint, secrets): complexity: 1 function(s) over 10, worst branches (14) at "
        "shapes.py:5; lint: 27 finding(s), 0 allowed; secrets: 9 found, 0 allowed"
    )
    assert failed["checks"]["complexity"] == {
        "passed": False,
        "max_complexity": 10,
        "functions": 16,
        "over_threshold": 1,
        "worst": [function("branches", 5, 31, 14)],
    }
    lint = failed["checks"]["lint"]
    assert (lint["passed"], lint["findings"], lint["first"]) == (False, 27, [BAD_FINDINGS[0]])
    assert (failed["checks"]["secrets"]["passed"], failed["checks"]["secrets"]["found"]) == (False, 9)

    relaxed = quality.run("report", max_complexity=14, max_lint_findings=27, max_secrets=9)
    assert relaxed["passed"] is True
    assert relaxed["summary"].startswith("PASSED: complexity: no function over 14;")


# -- the manifest: agent-ready schemas and a read-only grant ----------------------------------


def test_every_command_input_is_a_closed_described_schema_and_fs_is_read_only() -> None:
    manifest = tomllib.loads((PLUGIN_SOURCES["code-quality"] / "plugin.toml").read_text())
    assert manifest["capabilities"] == {"fs": {"access": "read", "reason": manifest["capabilities"]["fs"]["reason"]}}
    assert "never writes" in manifest["capabilities"]["fs"]["reason"]
    assert [c["name"] for c in manifest["commands"]] == ["complexity", "lint", "secrets", "report"]
    for command in manifest["commands"]:
        schema = command["input"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert command["description"]
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{command['name']}.{name} has no description"
            assert "type" in prop and "default" in prop
            if prop["type"] in ("integer", "number"):
                assert "minimum" in prop and "maximum" in prop, f"{command['name']}.{name} is unbounded"
            if prop["type"] in ("string", "array"):
                assert "maxLength" in prop or "maxItems" in prop, f"{command['name']}.{name} is unbounded"


def test_the_host_refuses_unknown_or_out_of_range_input_before_the_plugin_runs(quality: Quality) -> None:
    with pytest.raises(InputError, match="Additional properties are not allowed"):
        quality.host.run("code-quality", "lint", {"paths": "."})
    with pytest.raises(InputError, match="is not one of"):
        quality.host.run("code-quality", "lint", {"ignore": ["E501"]})
    with pytest.raises(InputError, match="is greater than the maximum"):
        quality.host.run("code-quality", "complexity", {"max_files": 10**9})
