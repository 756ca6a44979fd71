"""The project a plugin works on must not hold acc's own state, nor lie inside it.

A plugin granted the project (fs read-write, or a program that writes it) could
otherwise rewrite what acc trusts: the installed plugins and their grants (ACC_HOME),
the trusted publisher keys (in ACC_HOME), the compiled components acc loads without
compiling again (the cache). Even read access would hand a plugin other plugins' kv
stores and state. So `acc` refuses such a project before any plugin starts.
"""

from __future__ import annotations

from pathlib import Path

from host.errors import ProjectRefused
from host.paths import HostPaths


def check_project(project_dir: Path, paths: HostPaths) -> None:
    """Raise `ProjectRefused` if `project_dir` contains acc's state or lies inside it.

    Compared as resolved paths, so a symlink on either side does not hide an overlap.
    """
    project = project_dir.resolve()
    places = (
        ("ACC_HOME (installed plugins, grants and state)", paths.home),
        ("the trusted publisher keys", paths.trust_file),
        ("the compiled component cache", paths.compiled),
        ("acc's cache directory (ACC_CACHE_DIR)", paths.cache),
    )
    for what, place in places:
        resolved = place.resolve()
        if resolved.is_relative_to(project) or project.is_relative_to(resolved):
            inside = resolved.is_relative_to(project)
            raise ProjectRefused(
                f"the project {project} {'contains' if inside else 'lies inside'} {what} at {resolved}: "
                "a plugin working on it could change what acc trusts and runs",
                hint=(
                    "run the plugin on a project directory that does not hold acc's state; or keep that state "
                    "elsewhere: set ACC_HOME (and ACC_CACHE_DIR) to a directory outside the project"
                ),
            )
