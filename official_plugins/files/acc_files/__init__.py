"""files: read, list, search and change a project's files (an official acc plugin).

The plugin's logic as plain Python over a project directory, importable anywhere:
`ops` holds the commands, built from `paths` (what is inside the project), `textfile`
(reading text, refusing binary), `commit` (atomic, all-or-nothing writes), `diffs`,
`patch` (unified diffs), `gitignore`, `globs`, `walk`, `search` and `regex_guard`.
`files_plugin` (beside this package) registers the commands with acc_plugin.
"""
