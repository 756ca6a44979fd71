"""`acc plugin` commands for plugin users: install, list, info, remove, grant, revoke, run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from host.paths import host_paths

if TYPE_CHECKING:
    from host.consent import Asker, Question


def ask_on_terminal(question: Question) -> bool:
    """Ask one consent question on the terminal: what it allows, why, then yes or no.

    The question's words are printable (`Question` escapes them): a reason cannot print a
    line of its own that looks like this prompt, clear the screen or move the cursor."""
    click.echo("  " + question.describe())
    if question.about_signer:
        return click.confirm("  Trust the new publisher key?", default=False)
    return click.confirm(f"  Grant {question.kind}?", default=False)


def _is_archive_path(target: str) -> bool:
    """An archive file, not a requirement: ends in .plugin or is a path (requirements are neither)."""
    return target.endswith(".plugin") or "/" in target or Path(target).is_file()


@click.command()
@click.argument("target", metavar="ARCHIVE|NAME[SPEC]", required=False)
@click.option(
    "--locked",
    "locked",
    is_flag=False,
    flag_value="acc.lock",
    default=None,
    metavar="[LOCK]",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Install exactly what a lock file (default acc.lock, from `acc plugin lock`) records.",
)
@click.option("--signature", type=click.Path(path_type=Path), help="The .sig file (default: ARCHIVE.sig).")
@click.option("--marketplace", "marketplace", metavar="NAME", help="Install from this marketplace only.")
@click.option("--yes", "-y", is_flag=True, help="Grant every capability the manifest requests.")
@click.option("--grant", "grants", multiple=True, metavar="CAP", help="Grant one capability (repeatable).")
@click.option("--deny", "denies", multiple=True, metavar="CAP", help="Deny one capability (repeatable).")
@click.option("--reinstall", is_flag=True, help="Replace an installed version built from other bytes.")
@click.option(
    "--allow-unsigned-DANGEROUS",
    "allow_unsigned",
    is_flag=True,
    help="Install an archive without a trusted signature. Only for your own local builds.",
)
def install(
    target: str | None,
    locked: Path | None,
    signature: Path | None,
    marketplace: str | None,
    yes: bool,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    reinstall: bool,
    allow_unsigned: bool,
) -> None:
    """Install a plugin: an archive file (NAME-VERSION.plugin) after verifying its signature,
    or NAME[SPEC] (e.g. `git>=1.2,<2`, `git@acme==1.4.0`) from a marketplace, verified by TUF,
    or everything a lock file records (`--locked`)."""
    from host.errors import InputError

    if locked is not None:
        if target is not None or signature or marketplace or yes or grants or denies or reinstall or allow_unsigned:
            raise InputError(
                "--locked installs exactly what the lock file records: give no plugin and no other option",
                hint="e.g. `acc plugin install --locked acc.lock`",
            )
        from host.marketplace_cli import install_locked

        install_locked(locked)
        return
    if target is None:
        raise InputError(
            "give an archive file or NAME[SPEC] to install, or --locked [LOCK]",
            hint="e.g. `acc plugin install git`, `acc plugin install ./git-1.0.0.plugin`",
        )

    interactive = sys.stdin.isatty() and not yes
    ask = ask_on_terminal
    if not _is_archive_path(target):
        from host.marketplace_cli import install_from_marketplace

        if signature is not None or allow_unsigned:
            raise InputError(
                "--signature and --allow-unsigned-DANGEROUS apply to archive files only",
                hint="a marketplace install is verified through the marketplace's signed metadata",
            )
        install_from_marketplace(
            target,
            marketplace=marketplace,
            grants=grants,
            denies=denies,
            yes=yes,
            reinstall=reinstall,
            ask=ask if interactive else None,
        )
        return
    if marketplace is not None:
        raise InputError("--marketplace applies to NAME[SPEC] installs, not to archive files")
    _install_file(
        Path(target),
        signature,
        yes=yes,
        grants=grants,
        denies=denies,
        reinstall=reinstall,
        allow_unsigned=allow_unsigned,
        ask=ask if interactive else None,
    )


def _install_file(
    archive: Path,
    signature: Path | None,
    *,
    yes: bool,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    reinstall: bool,
    allow_unsigned: bool,
    ask: Asker | None,
) -> None:
    from host.install import UNSIGNED_SIGNER, InstallRequest, install_archive

    request = InstallRequest(
        archive=archive,
        signature=signature,
        grant=grants,
        deny=denies,
        yes=yes,
        allow_unsigned=allow_unsigned,
        reinstall=reinstall,
    )
    if allow_unsigned:
        click.echo("WARNING: --allow-unsigned-DANGEROUS: installing without a trusted signature", err=True)
    installed = install_archive(host_paths(), request, ask=ask)
    manifest = installed.manifest()
    click.echo(
        f"installed {installed.name} {installed.version}"
        + (" (UNSIGNED)" if installed.signer == UNSIGNED_SIGNER else f" (signed by {installed.signer})")
    )
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "denied"
        click.echo(f"  {mark:8} {kind}: {capability.scope_summary()}")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_plugins(as_json: bool) -> None:
    """List installed plugins."""
    from host.store import LocalStore

    plugins = LocalStore(host_paths()).list()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": p.name,
                        "version": p.version,
                        "versions": list(p.versions),
                        "granted": sorted(p.granted),
                        "signer": p.signer,
                        "installed_at": p.installed_at,
                        "marketplace": p.marketplace or None,
                    }
                    for p in plugins
                ],
                indent=2,
            )
        )
        return
    if not plugins:
        click.echo("no plugins installed (install one with `acc plugin install ARCHIVE`)")
        return
    width = max(len(p.name) for p in plugins)
    for p in plugins:
        click.echo(f"{p.name:<{width}}  {p.version:<10}  granted: {', '.join(sorted(p.granted)) or '-'}")


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--available",
    is_flag=True,
    help="Show what the marketplace publishes (versions, yanks, capabilities) even if it is installed.",
)
@click.option("--marketplace", "marketplace", metavar="NAME", help="Look it up on this marketplace only.")
def info(name: str, as_json: bool, available: bool, marketplace: str | None) -> None:
    """Show a plugin: an installed one from the local store (works offline); otherwise, or with
    --available, what the marketplace's signed index lists for NAME[@MARKETPLACE]."""
    from host.store import LocalStore

    installed = LocalStore(host_paths()).find(name)
    if installed is None or available or marketplace:
        from host.marketplace_cli import marketplace_info

        marketplace_info(name, marketplace=marketplace, as_json=as_json)
        return
    manifest = installed.manifest()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "name": installed.name,
                    "version": installed.version,
                    "versions": list(installed.versions),
                    "description": manifest.description,
                    "signer": installed.signer,
                    "marketplace": installed.marketplace or None,
                    "capabilities": {
                        k: {"scope": c.scope_summary(), "reason": c.reason, "granted": k in installed.granted}
                        for k, c in sorted(manifest.capabilities.items())
                    },
                    "commands": {
                        c.name: {"description": c.description, "input": dict(c.input_schema)} for c in manifest.commands
                    },
                },
                indent=2,
            )
        )
        return
    click.echo(f"{installed.name} {installed.version} — {manifest.description}")
    source = f"   from: {installed.marketplace}" if installed.marketplace else ""
    click.echo(f"  signed by: {installed.signer}   installed: {installed.installed_at}{source}")
    if len(installed.versions) > 1:
        click.echo(f"  versions kept: {', '.join(installed.versions)}")
    click.echo("capabilities:" if manifest.capabilities else "capabilities: none")
    for kind, capability in sorted(manifest.capabilities.items()):
        mark = "granted" if kind in installed.granted else "DENIED"
        click.echo(f"  [{mark}] {kind}: {capability.scope_summary()}\n      why: {capability.reason}")
    click.echo("commands:")
    for command in manifest.commands:
        click.echo(f"  {command.name}: {command.description}")
        click.echo(f"      input: {json.dumps(dict(command.input_schema), sort_keys=True)}")


@click.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove it even if installed plugins depend on it.")
def remove(name: str, force: bool) -> None:
    """Remove an installed plugin (all its kept versions)."""
    from host.errors import StoreError
    from host.store import LocalStore

    store = LocalStore(host_paths())
    dependents = [f"{p.name} {p.version}" for p in store.list() if p.name != name and name in p.manifest().dependencies]
    if dependents and not force:
        raise StoreError(
            f"{', '.join(dependents)} {'depend' if len(dependents) > 1 else 'depends'} on {name}: not removed",
            hint=f"remove {'them' if len(dependents) > 1 else 'it'} first, or pass --force to remove it anyway",
        )
    removed = store.remove(name)
    click.echo(f"removed {removed.name} {removed.version}")


def _set_grant(name: str, capability: str, granted: bool) -> None:
    from host.store import LocalStore

    LocalStore(host_paths()).set_grant(name, capability, granted)
    click.echo(f"granted {capability} to {name}" if granted else f"revoked {capability} from {name}")


@click.command()
@click.argument("name")
@click.argument("capability")
def grant(name: str, capability: str) -> None:
    """Grant an installed plugin one capability its manifest declares."""
    _set_grant(name, capability, True)


@click.command()
@click.argument("name")
@click.argument("capability")
def revoke(name: str, capability: str) -> None:
    """Revoke a capability: the plugin gets `denied` when it uses it."""
    _set_grant(name, capability, False)


@click.command()
@click.argument("name")
@click.argument("command")
@click.option("--input", "input_text", default="{}", show_default=True, help="The command's input as JSON.")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The project directory that fs and process grants refer to.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print the plugin's log on stderr.")
def run(name: str, command: str, input_text: str, project: Path, quiet: bool) -> None:
    """Run COMMAND of plugin NAME; print its JSON result on stdout."""
    from host.errors import InputError, PluginFailed, PluginTrap
    from host.policy import load_policy
    from host.runner import PluginHost, RunOptions, parse_input

    project_dir = project.resolve()
    if not project_dir.is_dir():
        raise InputError(f"--project {project} is not a directory")
    value = parse_input(input_text)

    def emit(plugin: str, level: str, message: str) -> None:
        if not quiet:
            click.echo(f"[{plugin}] {level}: {message}", err=True)

    try:
        paths = host_paths()
        options = RunOptions(project_dir=project_dir, emit_log=emit, policy=load_policy(paths.home))
        with PluginHost(paths, options) as plugin_host:
            result = plugin_host.run(name, command, value)
    except (PluginTrap, PluginFailed) as e:
        if e.loading == name:
            from host.marketplace_cli import offer_rollback

            offer_rollback(name, e)
        raise
    click.echo(json.dumps(result, indent=2))
