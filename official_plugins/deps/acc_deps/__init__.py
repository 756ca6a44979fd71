"""deps: a Python project's dependencies, their pins, and their known vulnerabilities (an official acc plugin).

The plugin's logic as plain Python, importable anywhere: `pep508` (one requirement),
`requirements` (pip's requirements files), `pyproject` (PEP 621, PEP 735 and Poetry
tables), `locks` (uv.lock, poetry.lock), `inventory` (finding and reading a project's
files), `checks` (unpinned, duplicate, conflicting, unhashed), `osv` (the OSV API with a
cache). `deps_plugin` (beside this package) registers the commands.
"""
