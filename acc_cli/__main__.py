"""`python -m acc_cli` runs `acc` (for a checkout without the console script installed)."""

from acc_cli.fast import main

main()
