"""The official code-quality plugin's commands, run on CPython: its own Python over real files.

`CPythonHost` (cpython_host.py) runs code_quality.py and quality_checks in this process
with PROJECT pointing at the test's project. test_code_quality_component.py runs every
command in the real component, with what only the sandbox decides (the project as WASI
shows it, a missing fs grant, the host's input checks) and the guest's own Python.
What is planted and expected is in quality_kit.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PLUGIN_SOURCES
from tests.official.cpython_host import CPythonHost
from tests.official.quality_kit import (
    ASSIGNED_KEY,
    BAD_FINDINGS,
    COMPLEXITY,
    DB_PASSWORD,
    DYNAMIC,
    ENTROPY_BLOB,
    ENV_KEY,
    LAZY,
    LINT_BAD,
    LINT_GOOD,
    NO_SKIPS,
    NOT_SECRETS,
    PACKAGE_INIT,
    SETTINGS,
    STAR,
    Quality,
    finding,
    function,
)


@pytest.fixture
def quality(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Quality]:
    root = tmp_path / "project"
    root.mkdir()
    host = CPythonHost(root, tmp_path / "state", monkeypatch, installed=("code-quality",))
    yield Quality(host, root, host.logs)
    host.close()


# -- complexity -------------------------------------------------------------------------------


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


# -- what gets read ---------------------------------------------------------------------------


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
        "shapes.py:5; lint: 26 finding(s), 0 allowed; secrets: 9 found, 0 allowed"
    )
    assert failed["checks"]["complexity"] == {
        "passed": False,
        "max_complexity": 10,
        "functions": 16,
        "over_threshold": 1,
        "worst": [function("branches", 5, 31, 14)],
    }
    lint = failed["checks"]["lint"]
    assert (lint["passed"], lint["findings"], lint["first"]) == (False, 26, [BAD_FINDINGS[0]])
    assert (failed["checks"]["secrets"]["passed"], failed["checks"]["secrets"]["found"]) == (False, 9)

    relaxed = quality.run("report", max_complexity=14, max_lint_findings=26, max_secrets=9)
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


# -- pyflakes, bundled from PyPI ---------------------------------------------------------------


def test_the_bundled_pyflakes_is_the_one_tests_run_and_loads_without_doctest() -> None:
    """plugin.toml pins the pyflakes the component bundles; these tests must run that version.
    The guest imports it without doctest (pdb, unittest, inspect: 5 MB of the memory
    snapshot), and the stand-in does not stay behind for anyone else's `import doctest`."""
    import pyflakes

    manifest = tomllib.loads((PLUGIN_SOURCES["code-quality"] / "plugin.toml").read_text())
    assert manifest["python"]["packages"] == [f"pyflakes=={pyflakes.__version__}"]
    probe = (
        "import sys\n"
        "from quality_checks.lint import lint\n"
        "from quality_checks.source import parse\n"
        "loaded = sorted({'doctest', 'pdb', 'unittest'} & set(sys.modules))\n"
        "found = [f.code for f in lint(parse('m.py', 'import os\\nx = f\"a\"\\n'), max_function_lines=80).findings]\n"
        "import doctest\n"
        "print(loaded, found, doctest.DocTestParser().get_examples('>>> 1\\n1\\n')[0].source.strip())\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(PLUGIN_SOURCES['code-quality'])!r}]\n{probe}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[] ['CQ101', 'CQ109'] 1"


#: Where pyflakes' own bookkeeping matters: `from __future__` after a docstring, late, and in a
#: function; builtins rebound, redefined and deleted; names unused, undefined and re-exported.
FUTURES_AND_BUILTINS = '''\
"""A module docstring, then futures: allowed."""
from __future__ import annotations
from __future__ import division
import os
from __future__ import generators
from __future__ import no_such_feature

list = [1]
print = print
del list


def open(path):
    from __future__ import generators
    len = 3
    return path


def open(path):
    return _ + undefined_here


import os
__all__ = ["open", "missing"]
'''


def test_the_quicker_pyflakes_checker_reports_exactly_what_pyflakes_does() -> None:
    """quality_checks.names runs pyflakes 3.4.0's Checker with two costs cut (the futures check
    asked only at the top level, builtins bound straight into the empty module scope): every
    message, position and argument is the stock Checker's, on the planted sources, the plugin's
    own, and pyflakes' checker module itself."""
    sources = {
        "futures.py": FUTURES_AND_BUILTINS,
        "bad.py": LINT_BAD,
        "good.py": LINT_GOOD,
        "complexity.py": COMPLEXITY,
        "pkg/__init__.py": PACKAGE_INIT,
        "lazy.py": LAZY,
        "star.py": STAR,
        "dynamic.py": DYNAMIC,
    }
    probe = (
        "import ast, json, pathlib, sys\n"
        "import pyflakes.checker\n"
        "from quality_checks import names\n"
        "sources = json.loads(sys.stdin.read())\n"
        "for path in [*sorted(pathlib.Path(sys.path[0], 'quality_checks').glob('*.py')), pyflakes.checker.__file__]:\n"
        "    sources[str(path)] = pathlib.Path(path).read_text()\n"
        "def messages(checker, path, text):\n"
        "    found = checker(ast.parse(text), filename=path, builtins=names._EXTRA_BUILTINS, withDoctest=False)\n"
        "    return [[type(m).__name__, m.lineno, m.col, [repr(a) for a in m.message_args]] for m in found.messages]\n"
        "stock = {p: messages(pyflakes.checker.Checker, p, t) for p, t in sources.items()}\n"
        "quicker = {p: messages(names.Checker, p, t) for p, t in sources.items()}\n"
        "print(json.dumps([names.Checker is not pyflakes.checker.Checker, stock, quicker]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(PLUGIN_SOURCES['code-quality'])!r}]\n{probe}"],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    quicker_in_use, stock, quicker = json.loads(result.stdout)
    assert quicker_in_use
    assert quicker == stock
    kinds = {message[0] for found in stock.values() for message in found}
    assert {"LateFutureImport", "FutureFeatureNotDefined", "RedefinedWhileUnused", "UnusedImport"} <= kinds
    assert {"UndefinedName", "UndefinedExport", "UnusedVariable", "ImportStarUsage"} <= kinds
