"""What the docs tests put in a project, and what they expect back.

Python sources, README files and git repositories are made here, so every expected
result is known exactly.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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


def deeper(markdown: str, levels: int) -> str:
    """The same Markdown with every heading `levels` deeper (no code line here starts with #)."""
    return "".join("#" * levels + line if line.startswith("#") else line for line in markdown.splitlines(keepends=True))


# readme-section's generators start at heading level 3, two below the api command's default.
EXPECTED_README = README.replace("stale text\n", deeper(SHAPES_MARKDOWN, 2), 1)


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


def make_history_repo(tmp_path: Path) -> Path:
    """A repository with conventional and plain commits, a tag, and a merged side branch."""
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
    return root


def short_hashes(repo: Path) -> dict[str, str]:
    out = plain_git(repo, "log", "--all", "--format=%h%x00%s")
    return {subject: short for short, subject in (line.split("\0") for line in out.splitlines())}
