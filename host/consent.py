"""Consent: what a plugin may use is asked one capability kind at a time, the same way everywhere.

Install, update, rollback and a dependency new to this machine all put their questions
the same way: one `Question` per capability kind that needs an answer (every declared
kind at install; at an update or rollback, the kinds that are new or wider than what was
granted), plus, when the publisher key changed, one question about the new key. Each
question is answered, in this order, by

1. `--grant KIND` / `--deny KIND` (scripts, per kind),
2. `--yes` (scripts: everything asked),
3. the person at a terminal (`Answers.ask`), one question at a time;

and a question nobody can answer refuses the whole action with the list of what was
asked and how to answer it: silence is not consent. A "no" to a capability question
means the plugin runs without that kind (it gets `denied` when it tries); a "no" to the
publisher-key question stops the action, since a plugin from an unexpected signer is
not something to run at all. This module decides; it never prints: the caller passes
how to ask and where to announce.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from host.errors import ConsentRequired
from sdk.capabilities import KINDS, Capability
from sdk.capabilities.diff import diff_capabilities
from sdk.manifest import Manifest
from sdk.terminal_text import printable

#: The question about a new publisher key uses this in place of a capability kind.
SIGNER = "signer"


@dataclass(frozen=True)
class Question:
    """One thing to answer: a capability kind (or the publisher key), worded for a person."""

    kind: str
    #: What is asked, e.g. "process: run programs: git" or "new capability kv: store data ...".
    text: str
    #: The author's reason for the capability ("" for the publisher key).
    reason: str = ""
    #: Why it deserves care, e.g. "runs the project's tests: ...".
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every word of a question may come from a manifest or a marketplace: printable
        # from the start, so no prompt, announcement or refusal that quotes it can be
        # spoofed (no extra line, no cursor movement, no cleared screen).
        object.__setattr__(self, "text", printable(self.text))
        object.__setattr__(self, "reason", printable(self.reason))
        object.__setattr__(self, "warnings", tuple(printable(w) for w in self.warnings))

    @property
    def about_signer(self) -> bool:
        return self.kind == SIGNER

    def describe(self) -> str:
        """The question's text for a prompt: what it allows, warnings, and the reason (each
        part made printable when the question was made: its only line breaks are ours)."""
        warning = f" [{'; '.join(self.warnings)}]" if self.warnings else ""
        why = f"\n    why: {self.reason}" if self.reason and "(why:" not in self.text else ""
        return f"{self.text}{warning}{why}"


#: Asks one question on a terminal; True for yes. Only given when there is someone to ask.
Asker = Callable[[Question], bool]


@dataclass(frozen=True)
class Answers:
    """How questions are answered: per-kind flags, then `yes`, then `ask`, else refused."""

    grant: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    yes: bool = False
    ask: Asker | None = None
    #: Where the decisions made without asking are told (flags, --yes, narrowed scopes).
    announce: Callable[[str], None] = field(default=lambda _: None)

    def __post_init__(self) -> None:
        for flag, kinds in (("--grant", self.grant), ("--deny", self.deny)):
            unknown = sorted(kinds - set(KINDS))
            if unknown:
                raise ConsentRequired(
                    f"{flag} {unknown[0]}: no such capability kind", hint=f"the kinds are {', '.join(sorted(KINDS))}"
                )
        both = self.grant & self.deny
        if both:
            raise ConsentRequired(f"--grant and --deny both name {sorted(both)[0]}")

    def only_yes(self) -> Answers:
        """These answers without the per-kind flags (they name the requested plugin's kinds,
        not its dependencies')."""
        return Answers(yes=self.yes, ask=self.ask, announce=self.announce)


@dataclass(frozen=True)
class Situation:
    """The words around a set of questions: what is happening, and how to answer in a script."""

    #: Shown before the questions (on a terminal, and with --yes).
    title: str
    #: How to answer without a terminal.
    hint: str
    #: The refusal when nobody can answer; defaults to the title.
    refusal: str = ""
    #: The refusal when the person says no to the publisher key.
    declined: str = ""


def capability_warnings(capability: Capability) -> tuple[str, ...]:
    """What the consent prompt warns about a capability: its scope's own risk, and the
    host's profile of each program it runs (process)."""
    from host.capabilities import warnings_for

    return tuple(w for w in (capability.warning(), *warnings_for(capability)) if w)


def describe_capability(capability: Capability) -> str:
    """One capability as the install prompt shows it: what it allows, warnings, and the reason."""
    return _install_question(capability).describe()


def _install_question(capability: Capability) -> Question:
    return Question(
        capability.kind,
        f"{capability.kind}: {capability.scope_summary()}",
        capability.reason,
        capability_warnings(capability),
    )


def install_questions(manifest: Manifest) -> list[Question]:
    """Every capability the manifest declares, by kind."""
    return [_install_question(capability) for _, capability in sorted(manifest.capabilities.items())]


def change_questions(
    old: Mapping[str, Capability], new: Mapping[str, Capability], *, label: str, announce: Callable[[str], None]
) -> list[Question]:
    """The kinds of `new` that are new or wider than `old`, one question each (several
    widenings of one kind are one question). Narrower changes are announced, not asked."""
    diff = diff_capabilities(old, new)
    for change in diff.narrower:
        announce(f"{label}: {change.text}")
    texts: dict[str, list[str]] = {}
    for change in diff.wider:
        texts.setdefault(change.kind, []).append(change.text)
    return [
        Question(kind, "; ".join(lines), new[kind].reason, capability_warnings(new[kind]))
        for kind, lines in texts.items()
    ]


def signer_question(old: str, new: str) -> list[Question]:
    """The question about a new publisher key, if the key changed."""
    if old == new:
        return []
    return [Question(SIGNER, f"signed by another publisher key: {new} (was {old})")]


def decide(questions: Sequence[Question], answers: Answers, situation: Situation, *, label: str) -> frozenset[str]:
    """Answer `questions`; return the capability kinds granted.

    Raises `ConsentRequired` when a question has no answer (no flag, no --yes, nobody to
    ask), listing every unanswered question, or when the publisher key is refused.
    """
    granted: set[str] = set()
    open_questions: list[Question] = []
    for question in questions:
        if not question.about_signer and question.kind in answers.grant:
            granted.add(question.kind)
            answers.announce(f"{label}: {question.text} (granted by --grant)")
        elif not question.about_signer and question.kind in answers.deny:
            answers.announce(f"{label}: {question.text} (applied without the grant, by --deny)")
        else:
            open_questions.append(question)
    if not open_questions:
        return frozenset(granted)
    lines = [f"  + {q.text}" for q in open_questions]
    if answers.yes:
        for line in (situation.title, *lines, "  approved by --yes"):
            answers.announce(line)
        return frozenset(granted | {q.kind for q in open_questions if not q.about_signer})
    if answers.ask is None:
        refusal = situation.refusal or situation.title
        raise ConsentRequired("\n".join((refusal, *lines, "nothing was changed")), hint=situation.hint)
    answers.announce(situation.title)
    for question in open_questions:
        if answers.ask(question):
            if not question.about_signer:
                granted.add(question.kind)
        elif question.about_signer:
            raise ConsentRequired(situation.declined or f"{label}: declined: nothing was changed")
    return frozenset(granted)


def decide_install(
    manifest: Manifest, answers: Answers, *, label: str = "", title: str = "", hint: str = ""
) -> frozenset[str]:
    """The grants of a plugin installed fresh (from a file, a marketplace, or as a dependency)."""
    declared = set(manifest.capabilities)
    for flag, kinds in (("--grant", answers.grant), ("--deny", answers.deny)):
        for kind in sorted(kinds):
            if kind not in declared:
                raise ConsentRequired(
                    f"{manifest.name} does not declare the {kind} capability "
                    f"(it declares: {', '.join(sorted(declared)) or 'none'})",
                    hint=f"{flag}: a plugin can only be granted what its plugin.toml declares",
                )
    label = label or f"{manifest.name} {manifest.version}"
    questions = install_questions(manifest)
    if not questions:
        return frozenset()
    named = [f"the {q.kind} capability" for q in questions]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    situation = Situation(
        title=title or f"{label} asks for:",
        refusal=f"{label} requests {listed}, and there is no terminal to ask:",
        hint=hint or "answer for scripts with --yes, or --grant/--deny per capability",
    )
    return decide(questions, answers, situation, label=label)


def decide_change(
    *,
    name: str,
    old_version: str,
    new_version: str,
    old: Mapping[str, Capability],
    new: Mapping[str, Capability],
    old_granted: frozenset[str],
    old_signer: str,
    new_signer: str,
    answers: Answers,
    again: str,
    action: str,
) -> frozenset[str]:
    """The grants of `name` moving from `old_version` to `new_version` (update or rollback).

    A kind the new version no longer declares loses its grant; a kind that did not widen
    keeps its answer (granted or denied); a new or wider kind is granted only when its
    question is answered yes; a kind that was denied stays denied. `again` is the command
    that answers everything for a script (shown in the refusal's hint).
    """
    label = f"{name} {new_version}"
    questions = []
    for question in change_questions(old, new, label=label, announce=answers.announce):
        if question.kind in old and question.kind not in old_granted:
            # Denied before, denied now: nothing to ask.
            answers.announce(f"{label}: {question.text} (stays denied)")
        else:
            questions.append(question)
    widened = {q.kind for q in questions}
    questions += signer_question(old_signer, new_signer)
    was = f"{name} {old_version}"
    situation = Situation(
        title=(
            f"{label} asks for more than {was} was granted:"
            if widened
            else f"{label} is signed by another publisher key than {was}:"
        ),
        hint=f"approve it with `{again}`, or run the command on a terminal to be asked",
        declined=f"{action} of {name} to {new_version} declined: nothing was changed",
    )
    approved = decide(questions, answers, situation, label=label)
    kept = {kind for kind in new if kind in old and kind in old_granted and kind not in widened}
    return frozenset(kept | approved)
