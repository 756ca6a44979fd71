"""testing: run a project's pytest suite and report on it (an official acc plugin).

`commands` registers the four commands; the other modules are pure and unit-testable
on a normal CPython: `junit` (the report), `coverage_report`, `history` (regressions),
`skeletons` (untested functions and their stubs), `selection` (pytest arguments).
"""

from acc_testing import commands  # noqa: F401  (registers the commands)
