"""No confinement at all: only when no mechanism works and the user said, by name, to go on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from host.confinement.launch import Launchable, Mechanism, sandbox_environment
from host.confinement.spec import Confinement

#: The variable that allows running programs unconfined; it must be exactly "1".
OVERRIDE_VARIABLE = "ACC_UNCONFINED_PROCESSES_DANGEROUS"


@dataclass(frozen=True)
class Unconfined(Mechanism):
    """Programs run with every right of the user running acc. Named loudly on purpose."""

    name: ClassVar[str] = "unconfined"
    confined: ClassVar[bool] = False

    def describe(self) -> str:
        return f"NONE: launched programs run unconfined, with all of your rights ({OVERRIDE_VARIABLE}=1)"

    def caveats(self) -> tuple[str, ...]:
        return (
            "a program a plugin runs can read, change and delete anything you can, and reach the network; "
            "a hostile repository or plugin can run any command as you",
        )

    def command(
        self, confinement: Confinement, argv: Sequence[str], env: Mapping[str, str], *, report_keeper: bool = False
    ) -> Launchable:
        return Launchable(
            argv,
            sandbox_environment(env, home=confinement.home, tmpdir=str(confinement.scratch_dir)),
            cwd=confinement.project_dir,
        )
