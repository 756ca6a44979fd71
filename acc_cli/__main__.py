"""`python -m acc_cli` runs `acc` (for a checkout without the console script installed)."""

from acc_cli.root import cli

cli(prog_name="acc")
