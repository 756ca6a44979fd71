"""LazyGroup: a click group that imports a command's module only when that command runs.

Start-up matters (`acc --help` and `acc plugin list` have budgets), so a group lists its
commands from a table of `(module:attribute, short help)` instead of importing them.
The same table answers shell completion (`_ACC_COMPLETE`): completing `acc plugin <TAB>`
imports no command module either.

Aliases (`acc plugin rm` for `acc plugin remove`) are a second table, alias -> command;
`--help` names them in their command's short help, and completion offers only the command.
An unknown command is answered with the commands it resembles ("Did you mean ...").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


class LazyGroup(click.Group):
    """A group whose commands are `(module:attribute, short help)`, imported on first use.

    The short help lives in the table so that `--help` lists commands without importing them.
    """

    def __init__(
        self,
        *args: Any,
        lazy: dict[str, tuple[str, str]] | None = None,
        aliases: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}
        self.aliases = aliases or {}
        for alias, command in self.aliases.items():
            if command not in self.lazy or alias in self.lazy:
                raise ValueError(f"alias {alias!r} must name a command of the table, not be one ({command!r})")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._short_help(name)) for name in sorted(self.lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _short_help(self, name: str) -> str:
        aliases = [alias for alias, command in self.aliases.items() if command == name]
        short_help = self.lazy[name][1]
        return f"{short_help.rstrip('.')} (also: {', '.join(aliases)})." if aliases else short_help

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd_name = self.aliases.get(cmd_name, cmd_name)
        if cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name][0]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if (
            not ctx.resilient_parsing
            and not name.startswith("-")
            and name not in self.aliases
            and name not in self.list_commands(ctx)
        ):
            from sdk.names import similar_names

            close = similar_names(name, [*self.list_commands(ctx), *self.aliases])
            suggestion = f" Did you mean {' or '.join(close)}?" if close else ""
            raise click.UsageError(f"No such command {name!r}.{suggestion}", ctx)
        return super().resolve_command(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The table's commands starting with `incomplete` (with their short help), and the
        group's own options; no command module is imported."""
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=short_help)
            for name, (_target, short_help) in sorted(self.lazy.items())
            if name.startswith(incomplete)
        ]
        items += [
            CompletionItem(name, help=command.get_short_help_str())
            for name, command in sorted(self.commands.items())
            if name.startswith(incomplete) and not command.hidden
        ]
        return items + click.Command.shell_complete(self, ctx, incomplete)
