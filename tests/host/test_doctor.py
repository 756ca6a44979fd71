"""`acc doctor` says which OS sandbox confines launched programs, or loudly that none does."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from acc_cli.root import cli
from host.confinement import MECHANISMS_VARIABLE, OVERRIDE_VARIABLE, system_detection
from host.doctor import diagnose, render
from host.paths import HostPaths


@pytest.fixture
def paths(tmp_path: Path) -> HostPaths:
    return HostPaths(home=tmp_path / "home", cache=tmp_path / "cache")


@pytest.mark.parametrize("name", ["bubblewrap", "landlock"])
def test_the_mechanism_in_force_is_named_with_its_caveats(paths: HostPaths, name: str) -> None:
    environ = {MECHANISMS_VARIABLE: name}
    detection = system_detection(environ)
    if detection.mechanism is None:
        pytest.skip(f"{name} is not usable here")
    diagnosis = diagnose(paths, environ)
    assert diagnosis.confined and diagnosis.mechanism == name
    text = "\n".join(render(diagnosis))
    assert f"in force: {detection.mechanism.describe()}" in text
    for caveat in detection.mechanism.caveats():
        assert f"caveat: {caveat}" in text
    assert f"ACC_HOME: {paths.home}" in text
    assert f"compiled components: {paths.compiled}" in text
    assert "wasmtime: " in text and "componentize-py: " in text


def test_no_mechanism_is_reported_as_a_refusal_with_the_way_to_get_one(paths: HostPaths) -> None:
    diagnosis = diagnose(paths, {MECHANISMS_VARIABLE: ""})
    assert not diagnosis.confined and diagnosis.mechanism == "none"
    lines = render(diagnosis)
    assert lines[1].startswith("  NONE: no OS sandbox is available")
    assert any(line.startswith("  hint: install bubblewrap") for line in lines)


def test_the_override_is_reported_as_running_unconfined(paths: HostPaths) -> None:
    diagnosis = diagnose(paths, {MECHANISMS_VARIABLE: "", OVERRIDE_VARIABLE: "1"})
    assert not diagnosis.confined and diagnosis.mechanism == "unconfined"
    text = "\n".join(render(diagnosis))
    assert "NONE: launched programs run unconfined" in text
    assert "can read, change and delete anything you can" in text


def test_acc_doctor_exits_1_when_programs_would_not_be_confined(
    paths: HostPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACC_HOME", str(paths.home))
    monkeypatch.delenv(OVERRIDE_VARIABLE, raising=False)
    monkeypatch.setenv(MECHANISMS_VARIABLE, "")
    refused = CliRunner().invoke(cli, ["doctor"])
    assert refused.exit_code == 1
    assert "NONE: no OS sandbox is available" in refused.output
    monkeypatch.delenv(MECHANISMS_VARIABLE)
    if system_detection().mechanism is None:
        pytest.skip("no mechanism works here")
    confined = CliRunner().invoke(cli, ["doctor"])
    assert confined.exit_code == 0, confined.output
    assert "in force: " in confined.output
