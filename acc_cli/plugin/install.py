"""`acc plugin install`: an archive file, NAME[SPEC]... from marketplaces, or a lock file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from acc_cli._complete import marketplaces
from acc_cli.plugin._common import ask_on_terminal, echo_capabilities
from acc_cli.terminal import announce, echo, err, interactive, progress
from host.paths import host_paths

if TYPE_CHECKING:
    from host.consent import Asker
    from host.store import InstalledPlugin


@click.command()
@click.argument("targets", nargs=-1, metavar="ARCHIVE | NAME[SPEC]...")
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
@click.option(
    "--marketplace",
    "marketplace",
    metavar="NAME",
    shell_complete=marketplaces,
    help="Install from this marketplace only.",
)
@click.option("--yes", "-y", is_flag=True, help="Grant every capability the manifest requests.")
@click.option(
    "--grant", "grants", multiple=True, metavar="CAP", help="Grant one capability of the plugins named (repeatable)."
)
@click.option(
    "--deny", "denies", multiple=True, metavar="CAP", help="Deny one capability of the plugins named (repeatable)."
)
@click.option("--reinstall", is_flag=True, help="Replace an installed version built from other bytes.")
@click.option(
    "--allow-unsigned-DANGEROUS",
    "allow_unsigned",
    is_flag=True,
    help="Install an archive without a trusted signature. Only for your own local builds.",
)
def install(
    targets: tuple[str, ...],
    locked: Path | None,
    signature: Path | None,
    marketplace: str | None,
    yes: bool,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    reinstall: bool,
    allow_unsigned: bool,
) -> None:
    """Install plugins: an archive file (NAME-VERSION.plugin) after verifying its signature,
    or one or more NAME[SPEC] (e.g. `git>=1.2,<2`, `git@acme==1.4.0`) from marketplaces,
    verified by TUF, or everything a lock file records (`--locked`).

    Several names are one install: all of them and their dependencies are downloaded,
    verified and consented to before any is stored."""
    from host.errors import InputError

    if locked is not None:
        if targets or signature or marketplace or yes or grants or denies or reinstall or allow_unsigned:
            raise InputError(
                "--locked installs exactly what the lock file records: give no plugin and no other option",
                hint="e.g. `acc plugin install --locked acc.lock`",
            )
        _install_locked(locked)
        return
    if not targets:
        raise InputError(
            "give an archive file or NAME[SPEC] to install, or --locked [LOCK]",
            hint="e.g. `acc plugin install git`, `acc plugin install ./git-1.0.0.plugin`",
        )
    ask = ask_on_terminal if interactive() and not yes else None
    archives = [t for t in targets if _is_archive_path(t)]
    if not archives:
        if signature is not None or allow_unsigned:
            raise InputError(
                "--signature and --allow-unsigned-DANGEROUS apply to archive files only",
                hint="a marketplace install is verified through the marketplace's signed metadata",
            )
        _install_from_marketplace(
            targets, marketplace=marketplace, grants=grants, denies=denies, yes=yes, reinstall=reinstall, ask=ask
        )
        return
    if len(targets) > 1:
        raise InputError(
            f"an archive file is installed on its own, not with other plugins ({', '.join(targets)})",
            hint=f"run `acc plugin install {archives[0]}` by itself, then install the others",
        )
    target = targets[0]
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
        ask=ask,
    )


def _is_archive_path(target: str) -> bool:
    """An archive file, not a requirement: ends in .plugin or is a path (requirements are neither)."""
    return target.endswith(".plugin") or "/" in target or Path(target).is_file()


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
        err("WARNING: --allow-unsigned-DANGEROUS: installing without a trusted signature")
    installed = install_archive(host_paths(), request, ask=ask)
    echo(
        f"installed {installed.name} {installed.version}"
        + (" (UNSIGNED)" if installed.signer == UNSIGNED_SIGNER else f" (signed by {installed.signer})")
    )
    echo_capabilities(installed)


def _install_from_marketplace(
    requirements: tuple[str, ...],
    *,
    marketplace: str | None,
    grants: tuple[str, ...],
    denies: tuple[str, ...],
    yes: bool,
    reinstall: bool,
    ask: Asker | None,
) -> None:
    """`acc plugin install NAME[@MARKETPLACE][SPEC]...`, with whatever they depend on."""
    from host.install import InstallRequest
    from host.marketplace.install import install_requirements

    request = InstallRequest(archive=Path(), grant=grants, deny=denies, yes=yes, reinstall=reinstall)
    results = install_requirements(
        host_paths(),
        requirements,
        request,
        marketplace=marketplace,
        ask=ask,
        progress=progress(),
        announce=announce,
    )
    for result in results:
        for dependency in result.dependencies:
            _report_installed(
                dependency.installed, result.marketplace, f" (needed by {' and '.join(dependency.needed_by)})"
            )
        installed = result.installed
        if result.already_installed:
            if result.warning:
                err(f"WARNING: {result.warning}")
            echo(f"{installed.name} {installed.version} is already installed (from {result.marketplace})")
            continue
        _report_installed(installed, result.marketplace, "")


def _report_installed(installed: InstalledPlugin, marketplace: str, why: str) -> None:
    echo(f"installed {installed.name} {installed.version} from {marketplace}{why}")
    echo(f"  the signing key is trusted through {marketplace}'s signed metadata (no `acc trust add` needed)")
    echo_capabilities(installed)


def _install_locked(lock_file: Path) -> None:
    """`acc plugin install --locked [LOCK]`: exactly the versions, hashes and grants it records."""
    from host.marketplace.lock import install_locked

    results = install_locked(host_paths(), lock_file, progress=progress(), announce=announce)
    for result in results:
        installed = result.installed
        if result.already_installed:
            echo(f"{installed.name} {installed.version} is already installed (from {installed.marketplace})")
            continue
        echo(
            f"installed {installed.name} {installed.version} from {installed.marketplace} "
            f"(archive sha256 {installed.archive_sha256})"
        )
        echo_capabilities(installed, "  (as the lock records)")
