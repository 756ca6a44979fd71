"""`acc registry audit`: read and export the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import click

from acc_cli.registry._options import data_option, registry_config
from acc_cli.terminal import echo, emit_json_line, table


@click.command("audit")
@click.option("--since", default=None, help="Only entries since: a duration back (30m, 12h, 7d, 2w) or a UTC date.")
@click.option("--actor", default=None, help="Only what this actor did (an account name, operator or anonymous).")
@click.option("--action", default=None, help="Only this action (e.g. publish, yank, disable_user).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (JSON Lines), streamed, for exports.")
@data_option
def audit(since: str | None, actor: str | None, action: str | None, as_json: bool, data_dir: Path | None) -> None:
    """Show the audit log, oldest first: every write, who made it, from where, with which
    API token. Text in it came from users and is shown escaped."""
    from registry.audit_export import AuditFilter, audit_entries, parse_since
    from registry.models import utcnow

    where = AuditFilter(parse_since(since, utcnow()) if since else None, actor, action)
    entries = audit_entries(registry_config(data_dir), where)
    if as_json:
        for entry in entries:
            emit_json_line(entry)
        return
    rows = [["AT", "ACTOR", "ACTION", "TARGET", "FROM", "TOKEN", "DETAIL"]]
    for e in entries:
        at = str(e["at"]).replace("T", " ").removesuffix("Z")
        detail = json.dumps(e["detail"], ensure_ascii=False, sort_keys=True) if e["detail"] else "-"
        rows.append(
            [at, e["actor"], e["action"], e["target"], e["remote_addr"] or "-", e["token_prefix"] or "-", detail]
        )
    if len(rows) == 1:
        echo("no audit entries match")
        return
    table(rows)
