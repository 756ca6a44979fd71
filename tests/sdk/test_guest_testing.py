"""acc_plugin.testing's FakeHost answers capability calls as the host would, on CPython:
declared and granted kinds answer, undeclared ones are missing from the component, denied
ones refuse with the host's words, and every call is recorded."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sdk.abi import GUEST_HELPER_DIR

sys.path.insert(0, str(GUEST_HELPER_DIR))

import acc_plugin
from acc_plugin import Denied
from acc_plugin.testing import Call, FakeHost, NoFakeAnswer


@pytest.fixture(autouse=True)
def no_leftovers() -> Iterator[None]:
    yield
    assert "wit_world.imports" not in sys.modules and acc_plugin.PROJECT == "/project" and acc_plugin.config == {}


def test_process_answers_by_program_and_refuses_others_as_the_grant_would() -> None:
    answers: dict[str, Any] = {"git": lambda args, stdin: (0, f"ran {' '.join(args)}", "warn"), "true": b""}
    with FakeHost(process=answers) as host:
        done = acc_plugin.process.run("git", ["status"], b"in")
        assert (done.status, done.text, done.stderr) == (0, "ran status", b"warn")
        assert acc_plugin.process.run("true", []).status == 0
        with pytest.raises(Denied, match="program 'rm' is not granted; the process grant allows only: git, true"):
            acc_plugin.process.run("rm", ["-rf", "/"])
    assert host.calls[0] == Call("process", "run", ("git", ["status"], b"in"))
    assert len(host.calls) == 3


def test_http_answers_by_url_and_a_missing_answer_fails_the_test_not_the_plugin() -> None:
    answers = {"https://api.example.com/a": {"ok": True}, "POST https://api.example.com/b": (201, "made")}
    with FakeHost(http=answers) as host:
        assert acc_plugin.http.fetch("https://api.example.com/a").json() == {"ok": True}
        made = acc_plugin.http.fetch("https://api.example.com/b", method="POST", body=b"x")
        assert (made.status, made.body) == (201, b"made")
        with pytest.raises(NoFakeAnswer, match="GET https://api.example.com/c"):
            acc_plugin.http.fetch("https://api.example.com/c")
    assert host.calls[1] == Call("http", "fetch", ("POST", "https://api.example.com/b", [], b"x"))


def test_undeclared_kinds_are_missing_and_ungranted_ones_are_denied_with_the_host_s_words(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "plugin.toml").write_text(
        'name = "probe"\nversion = "1.2.0"\ndescription = "x"\n'
        '[capabilities.kv]\nreason = "r"\n[capabilities.secrets]\nnames = ["TOKEN"]\nreason = "r"\n'
    )
    with FakeHost(plugin_dir=plugin, granted=["secrets"], secrets={"TOKEN": "t0k"}) as host:
        assert acc_plugin.secrets.get("TOKEN") == "t0k"
        with pytest.raises(Denied, match="secret 'OTHER' is not in this plugin's secrets grant"):
            acc_plugin.secrets.get("OTHER")
        with pytest.raises(Denied, match=r"probe was not granted the kv capability \(grant it with: acc plugin"):
            acc_plugin.kv.set("k", b"v")
        with pytest.raises(Denied, match="manifest does not declare the process capability"):
            acc_plugin.process.run("git", [])
        assert acc_plugin.config == {"plugin": "probe", "version": "1.2.0", "project": None, "granted": ["secrets"]}
    assert host.kv == {}


def test_fs_points_the_project_at_a_directory_also_where_a_module_copied_it(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    copied = type(sys)("copied_project")
    copied.PROJECT = "/project"  # what `from acc_plugin import PROJECT` leaves in a plugin module
    sys.modules["copied_project"] = copied
    try:
        with FakeHost(project=tmp_path) as host:
            assert Path(acc_plugin.PROJECT, "a.txt").read_text() == "hello"
            assert str(tmp_path) == copied.PROJECT and acc_plugin.config["project"] == str(tmp_path)
            acc_plugin.log.progress(1, 2, "half")
        assert copied.PROJECT == "/project"
        assert host.logs == [("progress", "1/2 half")]
    finally:
        del sys.modules["copied_project"]


def test_plugins_llm_and_kv_answer_and_record() -> None:
    def complete(request: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": f"seen {len(request['messages'])}"}]}

    with FakeHost(plugins={"git status": {"clean": True}, "docs": lambda v: v}, llm=complete, kv={"a": b"1"}) as host:
        assert acc_plugin.plugins.call("git", "status") == {"clean": True}
        assert acc_plugin.plugins.call("docs", "coverage", {"x": 1}) == {"x": 1}
        acc_plugin.plugins.emit("done", {"n": 1})
        assert acc_plugin.llm.complete({"messages": [1, 2]})["content"][0]["text"] == "seen 2"
        assert acc_plugin.kv.keys() == ["a"] and acc_plugin.kv.get_json("a") == 1
        acc_plugin.kv.delete("a")
    assert host.emitted == [("done", {"n": 1})] and host.kv == {}
