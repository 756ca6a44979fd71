"""The `acc` command line: one package per command group, one module per command.

The folder mirrors the command tree, so `acc plugin install` is `acc_cli/plugin/install.py`
and `acc registry user create` is `acc_cli/registry/user/create.py`:

    fast.py            the console script: `--help`, `--version` and `plugin list` answered
                       without importing click or host; everything else goes to root.py
    root.py            the `acc` root group; prints every AccError as `error: ...` + hint
    lazy.py            LazyGroup: a group whose commands are imported when they run
    terminal.py        the one door to the terminal: interactive(), confirm(), echo/err,
                       table(), progress(); no command asks the terminal itself
    plugin/            install list info remove grant revoke run search update rollback
                       lock new build dev keygen sign verify publish yank unyank deprecate
    marketplace/       add list remove
    trust/             add list remove
    agent/             run tools plan
    registry/          init serve migrate renew seed, user/ create, token/ create, key/ add

Each group's `__init__.py` declares the group and its table (command -> "module:attr",
short help), so `acc --help` and `acc GROUP --help` import no command module, and none
of wasmtime, sigstore, flask, sqlalchemy or anthropic. Commands stay thin: they parse
options, call sdk/, host/ or registry/, and print. This package is the top floor: it may
import sdk, host and registry; none of them imports it.
"""

#: The version of acc (pyproject.toml reads it from here: one place, no importlib.metadata).
__version__ = "0.1.0"
