"""The sandbox side of the Landlock mechanism: code that runs in the launched program's process.

Everything here imports only the standard library and nothing of the package: the
launcher starts `exec.py` as a script with `python -I -S`, so it pays no import cost
beyond `ctypes` and cannot pick up a module from the project it runs in.
"""
