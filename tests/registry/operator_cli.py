"""Running `acc registry ...` operator commands in process against a test registry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from acc_cli.root import cli
from registry.config import RegistryConfig

#: The registry settings a command would otherwise take from the environment of the test run.
_CLEAN_ENV: dict[str, str | None] = {
    "REGISTRY_PUBLIC_URL": None,
    "REGISTRY_MAILER": None,
    "REGISTRY_MAIL_LOG": None,
    "REGISTRY_DATA_DIR": None,
    "REGISTRY_DATABASE_URL": None,
}
#: A fixed moment the tests give rows, so tables print exact dates.
FIXED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def acc_registry(
    config: RegistryConfig, *args: str, code: int = 0, env: Mapping[str, str | None] | None = None
) -> Result:
    """`acc registry ARGS --data DIR` on the registry of `config`; assert the exit status."""
    # The data dir names the SQLite database; a PostgreSQL one is a setting of its own.
    database = {"REGISTRY_DATABASE_URL": config.database_url or None}
    result = CliRunner().invoke(
        cli,
        ["registry", *args, "--data", str(config.data_dir)],
        env={**_CLEAN_ENV, **database, **(env or {})},
        prog_name="acc",
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, (
        f"acc registry {' '.join(args)} exited {result.exit_code}, not {code}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def signed_index(client: FlaskClient, app: Flask, name: str) -> dict[str, Any]:
    """The plugin's current signed index target, read back through the TUF endpoints."""
    registry = app.extensions["acc_registry"]
    with registry.db.read() as session:
        role = registry.tuf._succinct_roles(session).get_role_for_target(f"{name}/index.json")
        md = registry.tuf.latest(session, role)
    target = md.signed.targets[f"{name}/index.json"]
    response = client.get(f"/tuf/targets/{name}/{target.hashes['sha256']}.index.json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.data)
    return document


def target_url(path: str, sha256: str) -> str:
    """Where the TUF views serve target `path` with hash `sha256` (consistent snapshots)."""
    directory, _, file = path.rpartition("/")
    return f"/tuf/targets/{directory}/{sha256}.{file}"
