"""The analyses behind the code-quality plugin, as plain functions over text.

Only `files` touches the file system; `complexity`, `lint` and `secrets_scan` take a
file's text and return findings, so they run the same inside the component and on a
normal CPython.
"""
