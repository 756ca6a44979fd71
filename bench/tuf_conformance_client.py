"""The client-under-test CLI of the TUF conformance suite (theupdateframework/tuf-conformance),
made of the installer's own TUF client parts: the root chain followed from the newest
trusted root (host/marketplace/trusted_root.py, tuf_client.refresh_following_roots), python-tuf's
ngclient with acc's caps (tuf_client.updater_config), and targets verified against every
listed hash and cached by hash (host/marketplace/target_cache.py).

    python bench/tuf_conformance_client.py --metadata-dir DIR init TRUSTED_ROOT
    python bench/tuf_conformance_client.py --metadata-dir DIR --metadata-url URL refresh
    python bench/tuf_conformance_client.py --metadata-dir DIR --metadata-url URL \\
        --target-name PATH --target-base-url URL --target-dir DIR download

Exit status 0 on success, 1 on any failure (the protocol in the suite's CLIENT-CLI.md).
The suite is not on PyPI and never enters this repository; docs/security.md ("TUF client
conformance") has the last result and how to rerun it: from a checkout of the suite,
`pytest tuf_conformance --entrypoint WRAPPER`, where WRAPPER is a one-path executable
that runs this script with PYTHONPATH at this repository.
tests/host/test_tuf_conformance_client.py checks the protocol against a local repository.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

from tuf.ngclient import Updater

from host.marketplace.target_cache import TargetCache
from host.marketplace.trusted_root import TrustedRoot
from host.marketplace.tuf_client import refresh_following_roots, updater_config

#: acc's own state, beside ngclient's files in the metadata dir.
STATE = ".acc"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata-dir", required=True, type=Path)
    parser.add_argument("--metadata-url")
    parser.add_argument("--target-name")
    parser.add_argument("--target-base-url")
    parser.add_argument("--target-dir", type=Path)
    parser.add_argument("command", choices=["init", "refresh", "download"])
    parser.add_argument("trusted_root", nargs="?", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            init(args.metadata_dir, args.trusted_root)
        elif args.command == "refresh":
            refresh(args.metadata_dir, args.metadata_url)
        else:
            download(args.metadata_dir, args.metadata_url, args.target_name, args.target_base_url, args.target_dir)
    except Exception as e:  # the protocol: any failure is exit status 1
        print(f"{args.command} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


def init(metadata_dir: Path, trusted_root: Path) -> None:
    """Pin `trusted_root`; no request is made."""
    (metadata_dir / STATE).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trusted_root, metadata_dir / STATE / "pinned_root.json")
    shutil.copyfile(trusted_root, metadata_dir / "root.json")


def refresh(
    metadata_dir: Path, metadata_url: str, target_base_url: str | None = None, target_dir: Path | None = None
) -> Updater:
    """Refresh the top-level metadata, starting from the newest trusted root."""
    pinned = (metadata_dir / STATE / "pinned_root.json").read_bytes()
    roots = TrustedRoot(metadata_dir / STATE / "trusted_root.json", pinned)

    def make_updater(bootstrap: bytes) -> Updater:
        return Updater(
            metadata_dir=str(metadata_dir),
            metadata_base_url=metadata_url,
            target_base_url=target_base_url,
            target_dir=str(target_dir) if target_dir else None,
            config=updater_config(),
            bootstrap=bootstrap,
        )

    return refresh_following_roots(make_updater, roots, metadata_dir)


def download(metadata_dir: Path, metadata_url: str, target_name: str, target_base_url: str, target_dir: Path) -> None:
    """Download TARGET_NAME to TARGET_DIR/<quoted name>, unless a verified copy is cached."""
    updater = refresh(metadata_dir, metadata_url, target_base_url, target_dir)
    info = updater.get_targetinfo(target_name)
    if info is None:
        raise LookupError(f"{target_name} is not a target of this repository")
    destination = target_dir / quote(target_name, "")
    cache = TargetCache(metadata_dir / STATE / "targets")
    if cache.copy_to(info, destination):
        return
    target_dir.mkdir(parents=True, exist_ok=True)
    # ngclient writes the file only once its length and every listed hash verified.
    updater.download_target(info, filepath=str(destination))
    cache.keep(info, destination)


if __name__ == "__main__":
    sys.exit(main())
