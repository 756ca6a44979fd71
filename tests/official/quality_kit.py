"""What the code-quality tests plant in a project, and what they expect back.

Every project is made by a test, so each expected number is known: the complexity values
are the ones `radon cc` reports for the same source (except `except*`, which radon does
not count and we count like `except`), the lint findings were checked against pyflakes,
and the tricky-but-correct sources must produce nothing at all.

The planted secrets are fakes built at run time from hashes and split literals, so this
file holds nothing that looks like a secret to a scanner (this plugin included).
"""

from __future__ import annotations

import base64
import hashlib
import json
import string
from pathlib import Path
from typing import Any, Protocol

import pytest

from host.errors import PluginFailed


class Host(Protocol):
    """PluginHost (the component) or CPythonHost (the plugin's Python in this process)."""

    def run(self, plugin: str, command: str, value: dict[str, Any]) -> Any: ...


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


class Quality:
    """Runs code-quality commands over one project directory and keeps every output."""

    def __init__(self, host: Host, root: Path, logs: list[str]) -> None:
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
    # A class body's names are invisible in its methods (and comprehensions: line 60 raises
    # NameError too, but pyflakes, which finds names for the plugin, does not see that one).
    finding("CQ103", 63, 16, "undefined name 'attribute'"),
    finding("CQ103", 66, 20, "'missing_name' is listed in __all__ but never defined"),
]
NO_SKIPS = {"skipped": [], "skipped_total": 0, "truncated": False}
