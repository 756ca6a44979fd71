"""Consent asks one capability kind at a time, the same way for install, update, rollback and dependencies."""

from __future__ import annotations

import pytest

from host.consent import Answers, Question, decide_change, decide_install
from host.errors import ConsentRequired
from sdk.capabilities import Capability
from sdk.capabilities.fs import FsCapability
from sdk.capabilities.kv import KvCapability
from sdk.capabilities.process import ProcessCapability
from sdk.manifest import Manifest, manifest_from_mapping

R = "why"


def manifest(**capabilities: dict[str, object]) -> Manifest:
    return manifest_from_mapping(
        {
            "name": "demo",
            "version": "1.0.0",
            "description": "d",
            "capabilities": {kind: {"reason": R, **scope} for kind, scope in capabilities.items()},
            "commands": [{"name": "go"}],
        }
    )


class Recorder:
    """A person at a terminal who answers from a script, and remembers what was asked."""

    def __init__(self, answers: dict[str, bool]) -> None:
        self.answers = answers
        self.asked: list[Question] = []

    def __call__(self, question: Question) -> bool:
        self.asked.append(question)
        return self.answers[question.kind]


def test_install_asks_each_declared_kind_and_a_no_denies_only_that_kind() -> None:
    person = Recorder({"fs": True, "process": False})
    granted = decide_install(manifest(fs={}, process={"programs": ["git"]}), Answers(ask=person))
    assert granted == {"fs"}
    assert [q.kind for q in person.asked] == ["fs", "process"]
    assert person.asked[1].describe() == "process: run programs: git\n    why: why"


def test_flags_answer_before_yes_and_before_a_person() -> None:
    person = Recorder({"kv": True})
    answers = Answers(grant=frozenset({"fs"}), deny=frozenset({"process"}), ask=person)
    granted = decide_install(manifest(fs={}, process={"programs": ["git"]}, kv={}), answers)
    assert granted == {"fs", "kv"}
    assert [q.kind for q in person.asked] == ["kv"]


def test_without_an_answer_the_refusal_lists_every_open_question_and_how_to_answer() -> None:
    with pytest.raises(ConsentRequired) as raised:
        decide_install(manifest(fs={}, process={"programs": ["git"]}), Answers())
    assert raised.value.message == (
        "demo 1.0.0 requests the fs capability and the process capability, and there is no terminal to ask:\n"
        "  + fs: read the project\n"
        "  + process: run programs: git\n"
        "nothing was changed"
    )
    assert raised.value.hint == "answer for scripts with --yes, or --grant/--deny per capability"


def test_a_flag_naming_a_kind_the_plugin_does_not_declare_is_refused() -> None:
    with pytest.raises(ConsentRequired, match="does not declare the http capability"):
        decide_install(manifest(fs={}), Answers(grant=frozenset({"http"})))
    with pytest.raises(ConsentRequired, match="no such capability kind"):
        Answers(deny=frozenset({"network"}))
    with pytest.raises(ConsentRequired, match="both name fs"):
        Answers(grant=frozenset({"fs"}), deny=frozenset({"fs"}))


def _change(
    old: dict[str, Capability], new: dict[str, Capability], granted: set[str], answers: Answers, signer: str = "k1"
) -> frozenset[str]:
    return decide_change(
        name="demo",
        old_version="1.0.0",
        new_version="2.0.0",
        old=old,
        new=new,
        old_granted=frozenset(granted),
        old_signer="k1",
        new_signer=signer,
        answers=answers,
        again="acc plugin update demo --yes",
        action="update",
    )


def test_an_update_asks_only_what_is_new_or_wider_and_keeps_the_other_answers() -> None:
    person = Recorder({"fs": True, "kv": False})
    old = {"fs": FsCapability(R), "process": ProcessCapability(R, programs=("git",))}
    new = {
        "fs": FsCapability(R, writable=True),
        "process": ProcessCapability(R, programs=("git",)),
        "kv": KvCapability(R),
    }
    granted = _change(old, new, {"fs", "process"}, Answers(ask=person))
    assert [q.kind for q in person.asked] == ["kv", "fs"]  # new kinds first, as the diff lists them
    assert granted == {"fs", "process"}


def test_a_kind_the_user_denied_stays_denied_when_it_widens_and_is_not_asked() -> None:
    told: list[str] = []
    person = Recorder({})
    old = {"fs": FsCapability(R)}
    new = {"fs": FsCapability(R, writable=True)}
    assert _change(old, new, set(), Answers(ask=person, announce=told.append)) == frozenset()
    assert person.asked == []
    assert told == ["demo 2.0.0: fs: may now change and delete files in the project (was read-only) (stays denied)"]


def test_narrower_changes_are_told_not_asked_and_dropped_kinds_lose_their_grant() -> None:
    told: list[str] = []
    old = {"fs": FsCapability(R, writable=True), "kv": KvCapability(R)}
    new = {"fs": FsCapability(R)}
    assert _change(old, new, {"fs", "kv"}, Answers(announce=told.append)) == {"fs"}
    assert told == [
        "demo 2.0.0: fs: now only reads the project (was read-write)",
        "demo 2.0.0: no longer uses kv (store data (up to 1048576 bytes))",
    ]


def test_a_new_publisher_key_is_a_question_and_a_no_stops_the_update() -> None:
    person = Recorder({"signer": False})
    with pytest.raises(ConsentRequired, match="update of demo to 2.0.0 declined: nothing was changed"):
        _change({}, {}, set(), Answers(ask=person), signer="k2")
    assert person.asked[0].text == "signed by another publisher key: k2 (was k1)"


def test_yes_answers_everything_and_says_so() -> None:
    told: list[str] = []
    granted = _change({}, {"kv": KvCapability(R)}, set(), Answers(yes=True, announce=told.append), signer="k2")
    assert granted == {"kv"}
    assert told == [
        "demo 2.0.0 asks for more than demo 1.0.0 was granted:",
        "  + new capability kv: store data (up to 1048576 bytes) (why: why)",
        "  + signed by another publisher key: k2 (was k1)",
        "  approved by --yes",
    ]


def test_a_change_nobody_answers_is_refused_with_the_command_that_answers_it() -> None:
    with pytest.raises(ConsentRequired) as raised:
        _change({}, {"kv": KvCapability(R)}, set(), Answers())
    assert raised.value.message.endswith("nothing was changed")
    assert raised.value.hint == (
        "approve it with `acc plugin update demo --yes`, or run the command on a terminal to be asked"
    )


def test_the_prompt_warns_with_the_host_profile_of_each_program() -> None:
    person = Recorder({"process": True})
    decide_install(manifest(process={"programs": ["pytest", "make"]}), Answers(ask=person))
    text = person.asked[0].describe()
    assert "pytest: runs the project's tests" in text
    assert "make: acc has no profile of make: it runs with any arguments the plugin chooses" in text
