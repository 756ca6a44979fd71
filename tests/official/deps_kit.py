"""A project with dependency files of every kind deps reads, and a scripted OSV on loopback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.official.plugin_kit import make_project
from tests.official.scripted_api import Received, Reply, ScriptedApi

PYPROJECT = """[project]
name = "calc"
version = "0.1.0"
dependencies = [
    "requests>=2.19",
    "click==8.1.7",
]

[project.optional-dependencies]
dev = ["pytest>=8"]

[dependency-groups]
lint = ["ruff>=0.6", {include-group = "dev"}]
"""

REQUIREMENTS = """# the application's pins
-r requirements-base.txt
requests==2.19.0 \\
    --hash=sha256:63b52e3c866428a224f97cab011de738c36aec0185aa91cfacd418b5d58911d1
urllib3==1.26.4 --hash=sha256:2f4da4594db7e1e110a944bb1b551fdf4e6c136ad42e4234131391e21eb5b0df  # pinned
flask
Requests>=2
"""

REQUIREMENTS_BASE = "idna==2.7\n"
REQUIREMENTS_DEV = "-c constraints.txt\nclick==8.0.0\npytest\n"
CONSTRAINTS = "certifi==2024.2.2\n"

UV_LOCK = """version = 1
requires-python = ">=3.11"

[[package]]
name = "calc"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "click" },
    { name = "requests" },
]

[[package]]
name = "certifi"
version = "2024.2.2"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "2.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "requests"
version = "2.19.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "certifi" },
    { name = "idna" },
    { name = "urllib3" },
]

[[package]]
name = "urllib3"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
"""

POETRY_LOCK = """[[package]]
name = "Flask"
version = "2.0.0"
description = "A web framework"
optional = false
python-versions = ">=3.6"

[package.dependencies]
Werkzeug = ">=2.0"
click = ">=7.1.2"

[[package]]
name = "werkzeug"
version = "2.0.0"
description = "WSGI"
optional = false
python-versions = ">=3.6"

[metadata]
lock-version = "2.0"
"""


def make_deps_project(root: Path) -> Path:
    """The sample project (a git repository with sources and tests) with dependency files."""
    make_project(root, with_git=False)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / "requirements-base.txt").write_text(REQUIREMENTS_BASE)
    (root / "requirements-dev.txt").write_text(REQUIREMENTS_DEV)
    (root / "constraints.txt").write_text(CONSTRAINTS)
    (root / "uv.lock").write_text(UV_LOCK)
    return root


def _record(vuln_id: str, package: str, fixed: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": vuln_id,
        "summary": f"A flaw in {package}",
        "details": "Long details.",
        "aliases": extra.pop("aliases", []),
        "modified": "2024-01-01T00:00:00Z",
        "published": "2019-01-01T00:00:00Z",
        "database_specific": {"severity": extra.pop("severity", "MODERATE")},
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
        **extra,
    }


VULNS = {
    "GHSA-x84v-xcm2-53pg": _record("GHSA-x84v-xcm2-53pg", "requests", "2.20.0", aliases=["CVE-2018-18074"]),
    "GHSA-q2q7-5pp4-w6pg": _record("GHSA-q2q7-5pp4-w6pg", "urllib3", "1.26.5", severity="HIGH"),
    "PYSEC-2024-60": _record("PYSEC-2024-60", "idna", "3.7"),
    "PYSEC-2019-99": _record("PYSEC-2019-99", "idna", "2.8"),
}
#: (package, version) -> pages of vulnerability ids (more than one page: next_page_token).
AFFECTED = {
    ("requests", "2.19.0"): [["GHSA-x84v-xcm2-53pg"]],
    ("urllib3", "1.26.4"): [["GHSA-q2q7-5pp4-w6pg"]],
    ("idna", "2.7"): [["PYSEC-2019-99"], ["PYSEC-2024-60"]],
}


class FakeOsv(ScriptedApi):
    """OSV's querybatch and vulns endpoints over a few known records; records every request."""

    def __init__(self) -> None:
        super().__init__(
            [
                ("POST", r"/v1/querybatch", self._querybatch),
                ("GET", r"/v1/vulns/(.+)", self._vuln),
            ]
        )

    @property
    def batches(self) -> list[Received]:
        return [r for r in self.received if r.path == "/v1/querybatch"]

    def _querybatch(self, request: Received, match: re.Match[str]) -> Reply:
        results = []
        for query in request.json()["queries"]:
            package = query["package"]
            assert package["ecosystem"] == "PyPI"
            pages = AFFECTED.get((package["name"], query["version"]), [[]])
            page = 1 if query.get("page_token") == "page-2" else 0
            result: dict[str, Any] = {}
            if pages[page]:
                result["vulns"] = [{"id": i, "modified": "2024-01-01T00:00:00Z"} for i in pages[page]]
            if page + 1 < len(pages):
                result["next_page_token"] = "page-2"
            results.append(result)
        return 200, {"results": results}

    def _vuln(self, request: Received, match: re.Match[str]) -> Reply:
        record = VULNS.get(match[1])
        return (200, record) if record else (404, {"code": 5, "message": "Bug not found."})
