"""The official docs plugin, built with componentize-py and run in the real host.

Python sources, README files and git repositories are made here, so every expected
result is known exactly. The changelog runs the real git plugin (called by docs through
the `plugins` capability) against a real repository made with the git binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from host.errors import PluginFailed
from host.paths import HostPaths
from host.runner import PluginHost, RunOptions
from sdk.archive import archive_bytes, read_archive
from tests.helpers import PLUGIN_SOURCES, TEST_CACHE, install_unsigned

pytestmark = pytest.mark.slow

Archives = Callable[[str], Path]

SHAPES = '''\
"""Shapes and their areas."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Circle:
    """A circle of a given radius."""

    radius: float

    def __init__(self, radius: float = 1.0, /, *, label: str | None = None) -> None:
        self.radius = radius

    @property
    def area(self) -> float:
        """The area, pi r squared."""
        return math.pi * self.radius**2

    @area.setter
    def area(self, value: float) -> None:
        raise AttributeError("read only")

    @staticmethod
    def unit() -> Circle:
        return Circle(1.0)

    @classmethod
    def from_diameter(cls, diameter: float) -> Circle:
        """A circle from its diameter."""
        return cls(diameter / 2)

    def _scale(self, k):
        return Circle(self.radius * k)

    def __repr__(self) -> str:
        return f"Circle({self.radius})"


async def total_area(*shapes: Circle, precision: int = 2, **options: object) -> float:
    """Sum the areas of `shapes`.

    Rounded to `precision` digits.
    """
    return round(sum(s.area for s in shapes), precision)


def describe(shape, verbose=False, sep="```") -> str:
    return str(shape)


def _helper():
    """Private: never listed."""
'''

SHAPES_MARKDOWN = """\
# `shapes`

Shapes and their areas.

## class `Circle`

```python
@dataclass(frozen=True)
class Circle
```

A circle of a given radius.

### `Circle.__init__`

```python
def __init__(self, radius: float = 1.0, /, *, label: str | None = None) -> None
```

### `Circle.area`

```python
@property
def area(self) -> float
```

The area, pi r squared.

### `Circle.unit`

```python
@staticmethod
def unit() -> Circle
```

### `Circle.from_diameter`

```python
@classmethod
def from_diameter(cls, diameter: float) -> Circle
```

A circle from its diameter.

## `total_area`

```python
async def total_area(*shapes: Circle, precision: int = 2, **options: object) -> float
```

Sum the areas of `shapes`.

Rounded to `precision` digits.

## `describe`

````python
def describe(shape, verbose=False, sep='```') -> str
````
"""

README = """\
# geometry

Intro text that must survive.

## API

<!-- acc:docs:api start -->
stale text
<!-- acc:docs:api end -->

## Usage

```markdown
<!-- acc:docs:api start -->
an example of the markers, inside a code block: never rewritten
<!-- acc:docs:api end -->
```

The end.
"""


def line_of(text: str, fragment: str) -> int:
    """1-based line number of the first line containing `fragment`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def write_files(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def install(tmp_path_factory: pytest.TempPathFactory, archives: list[Path], **grants: Any) -> HostPaths:
    paths = HostPaths(home=tmp_path_factory.mktemp("acc-home"), cache=TEST_CACHE)
    for archive in archives:
        install_unsigned(paths, archive, **grants.get(archive.name.split("-")[0], {"yes": True}))
    return paths


def run(paths: HostPaths, project: Path, command: str, value: dict[str, Any]) -> Any:
    with PluginHost(paths, RunOptions(project_dir=project)) as host:
        return host.run("docs", command, value)


def run_failing(paths: HostPaths, project: Path, command: str, value: dict[str, Any]) -> PluginFailed:
    with pytest.raises(PluginFailed) as failure:
        run(paths, project, command, value)
    return failure.value


@pytest.fixture(scope="module")
def docs_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    """docs alone, with everything it asks for (fs read-write, plugins)."""
    return install(tmp_path_factory, [built_archives("docs")])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", {"shapes.py": SHAPES, "README.md": README})


# --- the manifest: commands usable as agent tools --------------------------------------------


def test_every_input_property_is_described_bounded_and_closed() -> None:
    manifest = tomllib.loads((PLUGIN_SOURCES["docs"] / "plugin.toml").read_text())
    assert sorted(c["name"] for c in manifest["commands"]) == ["api", "changelog", "coverage", "readme-section"]
    assert manifest["capabilities"]["fs"]["access"] == "read-write"
    assert manifest["capabilities"]["plugins"]["plugins"] == ["git"]
    for command in manifest["commands"]:
        schema = command["input"]
        assert schema["additionalProperties"] is False, command["name"]
        for name, prop in schema["properties"].items():
            where = f"{command['name']}.{name}"
            assert prop.get("description"), where
            assert "type" in prop, where
            if prop["type"] == "string" and "enum" not in prop:
                assert "maxLength" in prop or "pattern" in prop, where
            if prop["type"] in ("integer", "number"):
                assert "minimum" in prop and "maximum" in prop, where
            if prop["type"] == "array":
                assert "maxItems" in prop and "maxLength" in prop["items"], where


# --- api ---------------------------------------------------------------------------------------


def test_api_renders_a_small_module_as_markdown_exactly(docs_home: HostPaths, project: Path) -> None:
    result = run(docs_home, project, "api", {"path": "shapes.py"})
    assert result["markdown"] == SHAPES_MARKDOWN
    assert result["errors"] == [] and result["files"] == 1 and result["truncated"] is False


def test_api_returns_each_member_with_kind_signature_decorators_and_line(docs_home: HostPaths, project: Path) -> None:
    module = run(docs_home, project, "api", {"path": "shapes.py"})["modules"][0]
    assert (module["name"], module["path"], module["docstring"]) == ("shapes", "shapes.py", "Shapes and their areas.")
    circle = module["members"][0]
    assert {k: v for k, v in circle.items() if k != "members"} == {
        "name": "Circle",
        "qualname": "Circle",
        "line": line_of(SHAPES, "class Circle"),
        "kind": "class",
        "signature": "class Circle",
        "decorators": ["@dataclass(frozen=True)"],
        "docstring": "A circle of a given radius.",
    }
    assert [(m["qualname"], m["kind"], m["line"]) for m in circle["members"]] == [
        ("Circle.__init__", "method", line_of(SHAPES, "def __init__")),
        ("Circle.area", "property", line_of(SHAPES, "def area")),
        ("Circle.unit", "staticmethod", line_of(SHAPES, "def unit")),
        ("Circle.from_diameter", "classmethod", line_of(SHAPES, "def from_diameter")),
    ]
    total_area = module["members"][1]
    assert total_area == {
        "name": "total_area",
        "qualname": "total_area",
        "line": line_of(SHAPES, "async def total_area"),
        "kind": "function",
        "signature": "async def total_area(*shapes: Circle, precision: int = 2, **options: object) -> float",
        "decorators": [],
        "docstring": "Sum the areas of `shapes`.\n\nRounded to `precision` digits.",
    }
    assert [m["name"] for m in module["members"]] == ["Circle", "total_area", "describe"]


def test_api_shows_private_and_special_names_only_when_asked(docs_home: HostPaths, project: Path) -> None:
    module = run(docs_home, project, "api", {"path": "shapes.py", "include_private": True})["modules"][0]
    assert [m["name"] for m in module["members"]] == ["Circle", "total_area", "describe", "_helper"]
    assert [m["name"] for m in module["members"][0]["members"]] == [
        "__init__",
        "area",
        "unit",
        "from_diameter",
        "_scale",
        "__repr__",
    ]


def test_api_names_modules_as_python_imports_them_in_a_stable_order(docs_home: HostPaths, tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "src/geo/__init__.py": '"""Geometry."""\n',
            "src/geo/shapes.py": "def area():\n    pass\n",
            "src/geo/io/__init__.py": "",
            "src/geo/io/read.py": "def load():\n    pass\n",
            "src/geo/_impl.py": "def hidden():\n    pass\n",
            "src/geo/_vendor/lib.py": "def vendored():\n    pass\n",
            "src/geo/__pycache__/junk.py": "x = 1\n",
            "scripts/tool.py": '"""A script, not in a package."""\n',
            ".venv/lib/site.py": "def hidden():\n    pass\n",
            "README.md": "# x\n",
        },
    )
    listed = run(docs_home, project, "api", {})
    assert [(m["name"], m["path"]) for m in listed["modules"]] == [
        ("geo", "src/geo/__init__.py"),
        ("geo.io", "src/geo/io/__init__.py"),
        ("geo.io.read", "src/geo/io/read.py"),
        ("geo.shapes", "src/geo/shapes.py"),
        ("tool", "scripts/tool.py"),
    ]
    with_private = run(docs_home, project, "api", {"path": "src", "include_private": True})
    assert [m["name"] for m in with_private["modules"]] == [
        "geo",
        "geo._impl",
        "geo.io",
        "geo.io.read",
        "geo.shapes",
        "lib",
    ]
    # _vendor has no __init__.py: it is not a package, so Python would import the file as `lib`
    assert with_private["modules"][5]["path"] == "src/geo/_vendor/lib.py"
    excluded = run(docs_home, project, "api", {"exclude": ["scripts/*", "src/geo/io/*"]})
    assert [m["name"] for m in excluded["modules"]] == ["geo", "geo.shapes"]
    assert run(docs_home, project, "api", {"path": "src/geo/io", "heading_level": 2})["markdown"] == (
        "## `geo.io`\n\n## `geo.io.read`\n\n### `load`\n\n```python\ndef load()\n```\n"
    )


def test_api_follows_a_modules_dunder_all(docs_home: HostPaths, tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "lib.py": (
                '__all__ = ["exported", "Listed"]\n'
                "def exported(): pass\n"
                "def public_but_unlisted(): pass\n"
                "class Listed: pass\n"
            )
        },
    )
    result = run(docs_home, project, "api", {"path": "lib.py"})
    assert [m["name"] for m in result["modules"][0]["members"]] == ["exported", "Listed"]


def test_a_syntax_error_is_reported_for_its_file_and_the_others_are_still_documented(
    docs_home: HostPaths, tmp_path: Path
) -> None:
    project = write_files(
        tmp_path / "project",
        {
            "pkg/__init__.py": '"""The package."""\n',
            "pkg/broken.py": '"""Fine so far."""\n\ndef oops(:\n    pass\n',
            "pkg/good.py": "def fine():\n    '''Works.'''\n",
        },
    )
    (project / "pkg" / "binary.py").write_bytes(b"\xff\xfe\x00garbage")
    (project / "pkg" / "huge.py").write_text("x = 1\n" * 200_000)
    for command in ("api", "coverage"):
        result = run(docs_home, project, command, {"path": "pkg"})
        errors = {e["path"]: e for e in result["errors"]}
        assert sorted(errors) == ["pkg/binary.py", "pkg/broken.py", "pkg/huge.py"]
        assert errors["pkg/broken.py"]["error"].startswith("SyntaxError: ")
        assert errors["pkg/broken.py"]["line"] == 3
        assert errors["pkg/huge.py"]["error"] == "larger than 1000000 bytes; skipped"
        assert result["files"] == 5
        names = [m["name"] for m in result["modules"]] if command == "api" else [m["module"] for m in result["modules"]]
        assert names == ["pkg", "pkg.good"]


def test_api_stops_at_max_files_and_says_it_was_truncated(docs_home: HostPaths, tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", {f"m{i}.py": f"def f{i}(): pass\n" for i in range(5)})
    result = run(docs_home, project, "api", {"max_files": 3})
    assert result["truncated"] is True and result["files"] == 3
    assert [m["name"] for m in result["modules"]] == ["m0", "m1", "m2"]


# --- coverage ----------------------------------------------------------------------------------


def test_coverage_counts_public_definitions_and_names_the_missing_ones(docs_home: HostPaths, project: Path) -> None:
    write_files(project, {"undocumented.py": "class Bare:\n    def method(self): pass\n"})
    result = run(docs_home, project, "coverage", {})
    assert result["modules"] == [
        {
            "module": "shapes",
            "path": "shapes.py",
            "total": 7,
            "documented": 5,
            "percent": 71.4,
            "missing": [
                {"name": "Circle.unit", "kind": "staticmethod", "line": line_of(SHAPES, "def unit")},
                {"name": "describe", "kind": "function", "line": line_of(SHAPES, "def describe")},
            ],
        },
        {
            "module": "undocumented",
            "path": "undocumented.py",
            "total": 3,
            "documented": 0,
            "percent": 0.0,
            "missing": [
                {"name": "undocumented", "kind": "module", "line": 1},
                {"name": "Bare", "kind": "class", "line": 1},
                {"name": "Bare.method", "kind": "method", "line": 2},
            ],
        },
    ]
    assert (result["total"], result["documented"], result["percent"]) == (10, 5, 50.0)
    assert (result["threshold"], result["passed"]) == (None, None)
    assert result["markdown"] == (
        "Docstring coverage: **50.0%** (5 of 10 public definitions documented).\n"
        "\n"
        "| module | documented | total | coverage |\n"
        "|---|---:|---:|---:|\n"
        "| `shapes` | 5 | 7 | 71.4% |\n"
        "| `undocumented` | 0 | 3 | 0.0% |\n"
        "\n"
        "Missing docstrings:\n"
        "\n"
        f"- `shapes.Circle.unit` (staticmethod, shapes.py:{line_of(SHAPES, 'def unit')})\n"
        f"- `shapes.describe` (function, shapes.py:{line_of(SHAPES, 'def describe')})\n"
        "- `undocumented` (module, undocumented.py:1)\n"
        "- `undocumented.Bare` (class, undocumented.py:1)\n"
        "- `undocumented.Bare.method` (method, undocumented.py:2)\n"
    )


@pytest.mark.parametrize(
    ("threshold", "passed"), [(0, True), (71.4, True), (5 / 7 * 100, True), (71.5, False), (100, False)]
)
def test_coverage_passes_a_threshold_only_when_the_exact_ratio_reaches_it(
    docs_home: HostPaths, project: Path, threshold: float, passed: bool
) -> None:
    result = run(docs_home, project, "coverage", {"path": "shapes.py", "threshold": threshold})
    assert (result["percent"], result["passed"]) == (71.4, passed)
    assert result["markdown"].splitlines()[0].endswith(f"**{'passed' if passed else 'failed'}**.")


def test_coverage_with_private_names_counts_them_but_never_special_methods(docs_home: HostPaths, project: Path) -> None:
    result = run(docs_home, project, "coverage", {"path": "shapes.py", "include_private": True})
    assert (result["total"], result["documented"]) == (9, 6)
    assert [m["name"] for m in result["modules"][0]["missing"]] == ["Circle.unit", "Circle._scale", "describe"]


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "value", "message"),
    [
        ("api", {"path": "../outside"}, "'../outside' leads outside the project"),
        ("api", {"path": "src/../../outside"}, "leads outside the project"),
        ("api", {"path": "/etc"}, "'/etc' is absolute"),
        ("coverage", {"path": "/project/shapes.py"}, "is absolute"),
        ("coverage", {"path": ".."}, "leads outside the project"),
        (
            "readme-section",
            {"section": "api", "file": "../README.md", "write": True},
            "file '../README.md' leads outside",
        ),
        ("readme-section", {"section": "api", "file": "/project/README.md"}, "is absolute"),
        ("readme-section", {"section": "api", "source": "../outside"}, "leads outside the project"),
    ],
)
def test_paths_that_leave_the_project_are_refused_clearly(
    docs_home: HostPaths, project: Path, command: str, value: dict[str, Any], message: str
) -> None:
    outside = write_files(project.parent, {"README.md": README, "outside/secret.py": '"""SECRET"""\n'})
    failure = run_failing(docs_home, project, command, value)
    assert failure.kind == "invalid"
    assert message in failure.detail
    assert (outside / "README.md").read_text() == README


def test_a_symlink_to_a_file_outside_the_project_is_not_read(
    docs_home: HostPaths, project: Path, tmp_path: Path
) -> None:
    secret = write_files(tmp_path / "elsewhere", {"secret.py": '"""TOP SECRET"""\n'}) / "secret.py"
    os.symlink(secret, project / "leak.py")
    result = run(docs_home, project, "api", {})
    assert [e["path"] for e in result["errors"]] == ["leak.py"]
    assert "TOP SECRET" not in str(result)


def test_a_missing_path_or_a_file_that_is_not_python_is_invalid(docs_home: HostPaths, project: Path) -> None:
    assert "'nope' does not exist" in run_failing(docs_home, project, "api", {"path": "nope"}).detail
    assert "not a Python source file" in run_failing(docs_home, project, "coverage", {"path": "README.md"}).detail


# --- readme-section ----------------------------------------------------------------------------


def deeper(markdown: str, levels: int) -> str:
    """The same Markdown with every heading `levels` deeper (no code line here starts with #)."""
    return "".join("#" * levels + line if line.startswith("#") else line for line in markdown.splitlines(keepends=True))


# readme-section's generators start at heading level 3, two below the api command's default.
EXPECTED_README = README.replace("stale text\n", deeper(SHAPES_MARKDOWN, 2), 1)


def test_readme_section_previews_the_new_text_without_writing(docs_home: HostPaths, project: Path) -> None:
    result = run(docs_home, project, "readme-section", {"section": "api"})
    assert result["text"] == EXPECTED_README
    assert (result["changed"], result["written"]) == (True, False)
    assert result["reason"] == "not written: this was a preview (pass write: true to write the file)"
    assert result["lines"] == [line_of(README, "acc:docs:api start"), line_of(README, "acc:docs:api end")]
    assert (project / "README.md").read_text() == README


def test_readme_section_writes_only_its_section_and_a_second_run_changes_nothing(
    docs_home: HostPaths, project: Path
) -> None:
    result = run(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert (result["changed"], result["written"], result["reason"]) == (True, True, None)
    assert (project / "README.md").read_text() == EXPECTED_README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "shapes.py"]  # no temporary file left
    again = run(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert (again["changed"], again["written"]) == (False, False)
    assert again["reason"] == "the section is already up to date; nothing to write"


def test_readme_section_puts_given_content_in_a_named_section_keeping_crlf_line_ends(
    docs_home: HostPaths, project: Path
) -> None:
    (project / "docs").mkdir()
    original = b"Title\r\n<!-- acc:docs:notes start -->\r\nold\r\n<!-- acc:docs:notes end -->\r\nTail\r\n"
    (project / "docs" / "NOTES.md").write_bytes(original)
    result = run(
        docs_home,
        project,
        "readme-section",
        {"section": "notes", "file": "docs/NOTES.md", "content": "\nline one\nline two\n\n", "write": True},
    )
    assert result["written"] is True
    assert (project / "docs" / "NOTES.md").read_bytes() == (
        b"Title\r\n<!-- acc:docs:notes start -->\r\nline one\r\nline two\r\n<!-- acc:docs:notes end -->\r\nTail\r\n"
    )


def test_readme_section_fills_a_coverage_section_from_its_name(docs_home: HostPaths, project: Path) -> None:
    (project / "README.md").write_text("<!-- acc:docs:coverage start -->\n<!-- acc:docs:coverage end -->\n")
    result = run(docs_home, project, "readme-section", {"section": "coverage", "source": "shapes.py"})
    assert result["content"] == run(docs_home, project, "coverage", {"path": "shapes.py"})["markdown"]
    assert result["text"] == (
        "<!-- acc:docs:coverage start -->\n" + result["content"] + "<!-- acc:docs:coverage end -->\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# nothing here\n", "README.md has no markers for the section 'api'"),
        ("<!-- acc:docs:api start -->\n", "README.md has no end marker for the section 'api'"),
        ("<!-- acc:docs:api end -->\n", "README.md has no start marker for the section 'api'"),
        (
            "<!-- acc:docs:api start -->\n<!-- acc:docs:api start -->\n<!-- acc:docs:api end -->\n",
            "has the start marker of the section 'api' more than once (lines 1, 2)",
        ),
        (
            "<!-- acc:docs:api end -->\n<!-- acc:docs:api start -->\n",
            "the end marker of the section 'api' (line 1) comes before its start marker (line 2)",
        ),
        ("text <!-- acc:docs:api start --> inline\n<!-- acc:docs:api end -->\n", "no start marker"),
        ("```\n<!-- acc:docs:api start -->\n<!-- acc:docs:api end -->\n```\n", "has no markers"),
    ],
)
def test_readme_section_refuses_missing_duplicated_or_misordered_markers(
    docs_home: HostPaths, project: Path, text: str, message: str
) -> None:
    (project / "README.md").write_text(text)
    failure = run_failing(docs_home, project, "readme-section", {"section": "api", "write": True})
    assert failure.kind == "invalid"
    assert message in failure.detail
    assert (project / "README.md").read_text() == text


def test_readme_section_needs_content_or_a_generator_for_other_names(docs_home: HostPaths, project: Path) -> None:
    failure = run_failing(docs_home, project, "readme-section", {"section": "intro"})
    assert "has no generator of its own: give content, or a generator" in failure.detail
    both = run_failing(docs_home, project, "readme-section", {"section": "api", "content": "x", "generator": "api"})
    assert "either content or generator, not both" in both.detail


def test_readme_section_with_a_read_only_fs_grant_returns_the_text_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, project: Path, tmp_path: Path
) -> None:
    # The same component with a manifest asking for read access only: fs is not an import,
    # so the wasm is unchanged, and the host mounts the project read-only.
    real = read_archive(built_archives("docs"))
    assert 'access = "read-write"' in real.manifest_text
    read_only = tmp_path / "docs-1.0.0.plugin"
    read_only.write_bytes(
        archive_bytes(real.manifest_text.replace('access = "read-write"', 'access = "read"'), real.wasm, real.readme)
    )
    home = install(tmp_path_factory, [read_only])
    result = run(home, project, "readme-section", {"section": "api", "write": True})
    assert (result["changed"], result["written"]) == (True, False)
    assert result["reason"].startswith("not written: docs may only read this project (its fs grant is read-only)")
    assert result["text"] == EXPECTED_README
    assert (project / "README.md").read_text() == README
    assert sorted(p.name for p in project.iterdir()) == ["README.md", "shapes.py"]


def test_without_the_fs_grant_reading_commands_are_denied(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, project: Path
) -> None:
    home = install(tmp_path_factory, [built_archives("docs")], docs={"deny": ("fs",), "grant": ("plugins",)})
    failure = run_failing(home, project, "api", {})
    assert failure.kind == "denied"
    assert "acc plugin grant docs fs" in failure.detail


# --- changelog ---------------------------------------------------------------------------------


def plain_git(repo: Path, *args: str, date: int = 1_700_000_000, stdin: bytes | None = None) -> str:
    """Run the real git without anyone's config, with a fixed identity and date."""
    stamp = f"@{date} +0000"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "LC_ALL": "C",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, input=stdin, capture_output=True, check=True)
    return done.stdout.decode()


HISTORY = [  # (subject, body), oldest first; "v0.1" is tagged on the first
    ("chore: initial commit", ""),
    ("feat(parser): accept tabs", ""),
    ("fix: crash on empty input", ""),
    ("docs: explain sections", ""),
    ("refactor!: rename the Shape API", "Shape is now Figure everywhere.\n\nBREAKING CHANGE: Shape is now Figure"),
    ("perf: cache parsed modules", ""),
    ("test: cover the parser", ""),
    ("Update README for the new flags", ""),
    ("Tidy things", ""),
]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A repository with conventional and plain commits, a tag, and a merged side branch."""
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    root = tmp_path / "repo"
    root.mkdir()
    plain_git(root, "init", "-q", "-b", "main")
    date = 1_700_000_000
    for index, (subject, body) in enumerate(HISTORY):
        (root / "log.txt").write_text(f"{index}\n")
        plain_git(root, "add", "log.txt", date=date)
        plain_git(root, "commit", "-q", "-m", subject, *(["-m", body] if body else []), date=date)
        if index == 0:
            plain_git(root, "tag", "v0.1")
        date += 60
    plain_git(root, "switch", "-q", "-c", "side", "HEAD~1", date=date)
    (root / "side.txt").write_text("side\n")
    plain_git(root, "add", "side.txt", date=date)
    plain_git(root, "commit", "-q", "-m", "feat: side feature", date=date + 60)
    plain_git(root, "switch", "-q", "main", date=date)
    plain_git(root, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side", date=date + 120)
    yield root


def short_hashes(repo: Path) -> dict[str, str]:
    out = plain_git(repo, "log", "--all", "--format=%h%x00%s")
    return {subject: short for short, subject in (line.split("\0") for line in out.splitlines())}


@pytest.fixture(scope="module")
def full_home(tmp_path_factory: pytest.TempPathFactory, built_archives: Archives) -> HostPaths:
    """docs and git, each with everything it asks for."""
    return install(tmp_path_factory, [built_archives("docs"), built_archives("git")])


def test_changelog_groups_conventional_and_plain_commits_since_a_tag(full_home: HostPaths, repo: Path) -> None:
    result = run(full_home, repo, "changelog", {"since": "v0.1"})
    h = short_hashes(repo)
    assert (result["since"], result["commits"], result["skipped_merges"], result["truncated"]) == ("v0.1", 9, 1, False)
    assert [(g["type"], g["title"], [c["subject"] for c in g["commits"]]) for g in result["groups"]] == [
        ("feat", "Features", ["feat: side feature", "feat(parser): accept tabs"]),
        ("fix", "Bug fixes", ["fix: crash on empty input"]),
        ("docs", "Documentation", ["Update README for the new flags", "docs: explain sections"]),
        ("refactor", "Refactoring", ["refactor!: rename the Shape API"]),
        ("perf", "Performance", ["perf: cache parsed modules"]),
        ("test", "Tests", ["test: cover the parser"]),
        ("other", "Other changes", ["Tidy things"]),
    ]
    tabs = result["groups"][0]["commits"][1]
    full_hash = plain_git(repo, "rev-parse", h["feat(parser): accept tabs"]).strip()
    assert tabs == {
        "hash": full_hash,
        "short_hash": h["feat(parser): accept tabs"],
        "type": "feat",
        "scope": "parser",
        "description": "accept tabs",
        "subject": "feat(parser): accept tabs",
        "breaking": False,
        "breaking_note": None,
        "author": "Ada Lovelace",
        "date": "2023-11-14T22:14:20+00:00",
    }
    assert [(c["description"], c["breaking_note"]) for c in result["breaking"]] == [
        ("rename the Shape API", "Shape is now Figure")
    ]
    assert result["markdown"] == (
        "## Changes since `v0.1`\n\n"
        f"### Breaking changes\n\n- Shape is now Figure (`{h['refactor!: rename the Shape API']}`)\n\n"
        f"### Features\n\n- side feature (`{h['feat: side feature']}`)\n"
        f"- **parser:** accept tabs (`{h['feat(parser): accept tabs']}`)\n\n"
        f"### Bug fixes\n\n- crash on empty input (`{h['fix: crash on empty input']}`)\n\n"
        f"### Documentation\n\n- Update README for the new flags (`{h['Update README for the new flags']}`)\n"
        f"- explain sections (`{h['docs: explain sections']}`)\n\n"
        f"### Refactoring\n\n- rename the Shape API (`{h['refactor!: rename the Shape API']}`)\n\n"
        f"### Performance\n\n- cache parsed modules (`{h['perf: cache parsed modules']}`)\n\n"
        f"### Tests\n\n- cover the parser (`{h['test: cover the parser']}`)\n\n"
        f"### Other changes\n\n- Tidy things (`{h['Tidy things']}`)\n"
    )


def test_changelog_by_type_only_puts_plain_subjects_in_other(full_home: HostPaths, repo: Path) -> None:
    result = run(full_home, repo, "changelog", {"group_by": "type", "include_merges": True})
    groups = {g["type"]: [c["subject"] for c in g["commits"]] for g in result["groups"]}
    assert groups["other"] == ["Merge branch 'side'", "Tidy things", "Update README for the new flags"]
    assert groups["docs"] == ["docs: explain sections"]
    assert groups["chore"] == ["chore: initial commit"]
    assert (result["commits"], result["skipped_merges"]) == (11, 0)


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("auto", ["chore", "perf", "refactor", "feat", "other"]),
        ("type", ["chore", "other", "other", "other", "other"]),
        ("keyword", ["fix", "perf", "refactor", "feat", "other"]),
    ],
)
def test_changelog_groups_by_prefix_by_keywords_or_by_both(
    full_home: HostPaths, tmp_path: Path, group_by: str, expected: list[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    root = tmp_path / "small"
    root.mkdir()
    plain_git(root, "init", "-q", "-b", "main")
    subjects = [
        "Whatever this is",
        "Add a --json flag",
        "Rename the helpers",
        "Speed up parsing",
        "chore: fix the release script",
    ]  # oldest first: the log lists them newest first
    for index, subject in enumerate(subjects):
        plain_git(root, "commit", "-q", "--allow-empty", "-m", subject, date=1_700_000_000 + index)
    result = run(full_home, root, "changelog", {"group_by": group_by})
    kinds = {c["subject"]: c["type"] for g in result["groups"] for c in g["commits"]}
    assert [kinds[s] for s in reversed(subjects)] == expected


def test_changelog_pages_through_long_histories_up_to_max_commits(full_home: HostPaths, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs the git binary")
    root = tmp_path / "long"
    root.mkdir()
    plain_git(root, "init", "-q", "-b", "main")
    stream = "".join(
        f"commit refs/heads/main\ncommitter Ada <ada@example.com> {1_700_000_000 + i} +0000\n"
        f"data {len(f'fix: bug {i}')}\nfix: bug {i}\n"
        for i in range(250)
    )
    plain_git(root, "fast-import", "--quiet", stdin=stream.encode())
    everything = run(full_home, root, "changelog", {"max_commits": 5000})
    assert (everything["commits"], everything["truncated"]) == (250, False)
    subjects = [c["subject"] for c in everything["groups"][0]["commits"]]
    assert subjects == [f"fix: bug {i}" for i in reversed(range(250))]
    some = run(full_home, root, "changelog", {"max_commits": 230})
    assert (some["commits"], some["truncated"]) == (230, True)
    assert some["groups"][0]["commits"][-1]["subject"] == "fix: bug 20"


def test_readme_section_writes_a_changelog_section_from_the_history(full_home: HostPaths, repo: Path) -> None:
    (repo / "CHANGELOG.md").write_text(
        "# Changelog\n\n<!-- acc:docs:changelog start -->\n<!-- acc:docs:changelog end -->\n"
    )
    result = run(
        full_home,
        repo,
        "readme-section",
        {"section": "changelog", "file": "CHANGELOG.md", "since": "v0.1", "write": True},
    )
    expected = run(full_home, repo, "changelog", {"since": "v0.1", "heading_level": 3})["markdown"]
    assert result["written"] is True
    assert (repo / "CHANGELOG.md").read_text() == (
        "# Changelog\n\n<!-- acc:docs:changelog start -->\n" + expected + "<!-- acc:docs:changelog end -->\n"
    )


def test_changelog_of_an_unknown_tag_is_invalid(full_home: HostPaths, repo: Path) -> None:
    failure = run_failing(full_home, repo, "changelog", {"since": "v9.9"})
    assert failure.kind == "invalid"
    assert "changelog needs the history from the git plugin: " in failure.detail and "v9.9" in failure.detail


@pytest.mark.parametrize("since", ["--output=/tmp/x", "v0.1..HEAD"])
def test_changelog_refuses_a_since_that_is_an_option_or_a_range(full_home: HostPaths, repo: Path, since: str) -> None:
    failure = run_failing(full_home, repo, "changelog", {"since": since})
    assert failure.kind == "invalid"
    assert "must name one commit, tag or branch" in failure.detail


def test_changelog_without_the_plugins_grant_is_denied_with_the_grant_command(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, repo: Path
) -> None:
    home = install(
        tmp_path_factory, [built_archives("docs"), built_archives("git")], docs={"grant": ("fs",), "deny": ("plugins",)}
    )
    failure = run_failing(home, repo, "changelog", {})
    assert failure.kind == "denied"
    assert "changelog needs the history from the git plugin: " in failure.detail
    assert "acc plugin grant docs plugins" in failure.detail
    assert run(home, repo, "api", {})["modules"] == []  # the rest of docs still works


def test_changelog_without_the_git_plugin_installed_says_to_install_it(docs_home: HostPaths, repo: Path) -> None:
    failure = run_failing(docs_home, repo, "changelog", {})
    assert failure.kind == "failed"
    assert "changelog needs the history from the git plugin: " in failure.detail
    assert "plugin 'git' is not installed" in failure.detail
    assert "acc plugin install" in failure.detail


def test_changelog_when_git_may_not_run_git_is_denied_with_gits_grant_command(
    tmp_path_factory: pytest.TempPathFactory, built_archives: Archives, repo: Path
) -> None:
    home = install(tmp_path_factory, [built_archives("docs"), built_archives("git")], git={"deny": ("process",)})
    failure = run_failing(home, repo, "changelog", {})
    assert failure.kind == "denied"
    assert "changelog needs the history from the git plugin: git log: " in failure.detail
    assert "acc plugin grant git process" in failure.detail
