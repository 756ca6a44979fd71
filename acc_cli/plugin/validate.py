"""`acc plugin validate`: check a plugin's source quickly, without building it (sdk/validate.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from acc_cli.terminal import echo, emit_json


@click.command()
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see docs/cli.md).")
def validate(source: Path, as_json: bool) -> None:
    """Check the plugin in SOURCE without building it: plugin.toml in full, README.md, the
    module, its commands against plugin.toml. Every problem is listed; exit 1 if any is an error."""
    from sdk.validate import validate_source

    result = validate_source(source)
    manifest = result.manifest
    if as_json:
        emit_json(
            {
                "source": str(source),
                "name": manifest.name if manifest else None,
                "version": str(manifest.version) if manifest else None,
                "valid": result.valid,
                "checked": result.checked,
                "findings": [{"level": f.level, "message": f.message, "hint": f.hint or None} for f in result.findings],
            }
        )
    else:
        for finding in result.findings:
            echo(f"{finding.level}: {finding.message}" + (f"\n  hint: {finding.hint}" if finding.hint else ""))
        errors = sum(f.level == "error" for f in result.findings)
        warnings = len(result.findings) - errors
        label = f"{manifest.name} {manifest.version}" if manifest else str(source)
        if errors:
            echo(f"{label}: not valid ({_count(errors, 'error')}, {_count(warnings, 'warning')})")
        else:
            suffix = f" ({_count(warnings, 'warning')})" if warnings else ""
            echo(f"{label}: valid: {', '.join(result.checked)}{suffix}")
    if not result.valid:
        sys.exit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
