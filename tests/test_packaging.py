"""The distribution: what a user gets from PyPI must hold the files the fake reads at run time, and
the ready scenario files must reach the user's folder in a form their editor can check."""

from __future__ import annotations

import email
import fcntl
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

import fake_cdyne
from fake_cdyne.cli import main
from fake_cdyne.scenario_files import load_scenarios

from .test_cli import start

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "fake_cdyne"
READY = sorted(str(p.relative_to(ROOT / "scenarios")) for p in (ROOT / "scenarios").glob("*/*.yaml"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    # Builds in one tree share its build/ (one removed another's bdist directory midway): one at a time.
    descriptor = os.open(ROOT, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        built = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(descriptor)
    assert built.returncode == 0, f"python -m build failed ({built.returncode}):\n{built.stdout}\n{built.stderr}"
    (wheel_file,) = out.glob("fake_cdyne-*.whl")
    return zipfile.ZipFile(wheel_file)


@pytest.mark.xdist_group("wheel")  # one worker builds the wheel, once: two builds in one tree share build/
def test_the_wheel_holds_every_file_the_fake_reads(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    sources = {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert sources - names == set()  # every module, the schema, the WSDL's schemas, the inbox's assets
    assert {f"fake_cdyne/ready_scenarios/{name}" for name in READY} <= names
    assert len(READY) >= 17
    (license_file,) = [n for n in names if n.endswith("/LICENSE")]
    assert "MIT License" in wheel.read(license_file).decode()


@pytest.mark.xdist_group("wheel")  # one worker builds the wheel, once: two builds in one tree share build/
def test_the_wheel_says_what_it_is(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    info = email.message_from_bytes(wheel.read(metadata))
    assert info["Version"] == fake_cdyne.__version__  # one version, read from the installed metadata
    assert info["License-Expression"] == "MIT"
    assert "Framework :: Pytest" in info.get_all("Classifier", [])
    assert {url.split(",")[0] for url in info.get_all("Project-URL", [])} >= {"Homepage", "Changelog", "Issues"}
    assert "testcontainers" in info.get_all("Provides-Extra", [])


def test_scenarios_copy_writes_the_ready_files_pointing_at_their_schema(tmp_path: Path) -> None:
    assert main(["scenarios", "copy", str(tmp_path / "mine")]) == 0
    written = sorted(str(p.relative_to(tmp_path / "mine")) for p in (tmp_path / "mine").glob("*/*.yaml"))
    assert written == READY
    for name in written:
        modeline = (tmp_path / "mine" / name).read_text().splitlines()[0]
        schema = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", modeline)
        assert schema, modeline
        assert (tmp_path / "mine" / name).parent.joinpath(schema[1]).resolve() == tmp_path / "mine/scenario.schema.json"
    assert (tmp_path / "mine/scenario.schema.json").read_text() == (PACKAGE / "scenario.schema.json").read_text()
    assert len(load_scenarios([tmp_path / "mine"])) == len(READY)  # valid, and the schema is not one of them


def test_scenarios_copy_overwrites_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "errors" / "NoError.yaml"
    mine.parent.mkdir()
    mine.write_text("# my own\n")
    assert main(["scenarios", "copy", str(tmp_path)]) == 1
    assert "errors/NoError.yaml exists; nothing written" in capsys.readouterr().err
    assert mine.read_text() == "# my own\n"
    assert not (tmp_path / "examples").exists()


def test_serve_names_each_scenario_file_it_loads() -> None:
    folder = ROOT / "scenarios" / "examples"
    with start("--scenario", str(folder / "stop.yaml"), "--scenario", str(ROOT / "scenarios/errors")) as running:
        loaded = [
            line.split("loaded scenario ")[1].split(" (")[0] for line in running.lines if "loaded scenario" in line
        ]
    # A folder loads every file in it: the log shows which, so a surprising answer has its cause in view.
    assert loaded[0] == str(folder / "stop.yaml")
    assert len(loaded) == 1 + len(list((ROOT / "scenarios/errors").glob("*.yaml")))


def test_a_bad_log_level_in_the_environment_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fake_cdyne", "serve"],
        env={"FAKE_CDYNE_LOG_LEVEL": "loud", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "FAKE_CDYNE_LOG_LEVEL='loud' is not one of critical, error, warning, info, debug" in done.stderr


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((ROOT / ".github/workflows" / name).read_text())
    return loaded


def test_the_release_publishes_by_trusted_publishing_and_pushes_a_multi_arch_image() -> None:
    """actionlint checks the workflows' syntax in CI; this checks what the release promises."""
    release = workflow("release.yml")
    jobs = release["jobs"]
    assert release[True] == {"push": {"tags": ["v*"]}}  # YAML reads the key `on` as True
    assert release["permissions"] == {"contents": "read"}  # each job asks for what it needs
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert jobs["pypi"]["environment"]["name"] == "pypi"
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in jobs["pypi"]["steps"])
    assert not any("password" in step.get("with", {}) for step in jobs["pypi"]["steps"])  # no token
    (push,) = [step for step in jobs["image"]["steps"] if step.get("uses", "").startswith("docker/build-push-action@")]
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert push["with"]["file"] == "docker/Dockerfile"


def test_ci_runs_the_gates_and_lints_the_workflows() -> None:
    jobs = workflow("tests.yml")["jobs"]
    commands = [step.get("run", "") for job in jobs.values() for step in job["steps"]]
    assert any("bash scripts/check" in command for command in commands)
    assert any("twine check --strict" in command for command in commands)
    assert "node scripts/lint-workflows.cjs .github/workflows/*.yml" in commands
    assert jobs["check"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
