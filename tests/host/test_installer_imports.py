"""The installer loads python-tuf without boto3 (host/marketplace/lazy_cloud_sdk.py): about a
quarter of a second of every install, for an AWS signer it never uses. Fresh interpreters,
because this is about what a process imports."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_installer_loads_tuf_without_boto3_and_boto3_still_imports_afterwards() -> None:
    code = (
        "import sys, host.marketplace.install\n"
        "print('boto3' in sys.modules, 'botocore' in sys.modules)\n"
        "import boto3, botocore.exceptions\n"
        "print(boto3.client.__name__)\n"
    )
    assert _run(code).splitlines() == ["False False", "client"]


def test_a_registry_process_keeps_the_aws_kms_signer() -> None:
    code = (
        "import registry.context, host.marketplace.install\n"
        "from securesystemslib.signer import _aws_signer\n"
        "print(_aws_signer.AWS_IMPORT_ERROR)\n"
    )
    assert _run(code) == "None"
