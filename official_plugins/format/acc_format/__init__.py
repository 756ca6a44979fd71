"""format: ruff's formatting and fixes as diffs, applied only when asked (an official acc plugin).

The plugin's logic as plain Python over two callables the caller gives: `run(args)`
(ruff through the host's process capability, whose ruff profile allows reporting only)
and `apply(diff)` (the files plugin's apply-patch). `reports` reads ruff's output;
`ops` holds the commands. `format_plugin` (beside this package) registers them.
"""
