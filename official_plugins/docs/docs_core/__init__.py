"""The docs plugin's analysis: plain functions over text and data, no file system, no host.

    pyapi      Python source -> a model of its public API (ast)
    render     that model -> Markdown (API reference, coverage report)
    coverage   that model -> docstring coverage numbers
    sections   replace a marked section of a Markdown file's text
    changelog  commits -> groups by conventional-commit type or keywords -> Markdown

`docs.py` is the shell around it: it checks paths, reads files, calls the git plugin
and writes README files.
"""
