"""The README's Python examples run as tests, so they stay true."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import fake_cdyne

from .inner_runs import InnerRun, run_together

README = Path(__file__).parent.parent / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.fixture(scope="module")
def examples_run(tmp_path_factory: pytest.TempPathFactory) -> InnerRun:
    """Every example a test file of its own, in one pytest run of their own, as a user runs them (in a
    process sharing no imported modules with this one); one run for all saves 1.7 s of CPU an example."""
    files = {f"test_readme_{index}.py": example for index, example in enumerate(EXAMPLES)}
    return run_together(tmp_path_factory.mktemp("readme"), files)


@pytest.mark.xdist_group("readme")  # one worker makes the examples' run, once
@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_passes(examples_run: InnerRun, index: int) -> None:
    examples_run.assert_outcomes(f"test_readme_{index}", passed=len(re.findall(r"^def test_", EXAMPLES[index], re.M)))


@pytest.mark.timeout(150)
def test_readme_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """As a user would type-check them: strict, zeep (which ships no types) allowed untyped."""
    for index, example in enumerate(EXAMPLES):
        (tmp_path / f"readme_{index}.py").write_text(example)
    zeep_users = [f"readme_{i}" for i, example in enumerate(EXAMPLES) if "import zeep" in example]
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\n"
        "[mypy-zeep.*]\nignore_missing_imports = True\n"
        "[mypy-fake_cdyne.*]\nignore_errors = True\n"  # the project's own mypy run checks the package
        f"[mypy-{','.join(zeep_users)}]\ndisallow_untyped_calls = False\n"
    )
    # mypy's cache from the project's own run, when there is one: its entries for the standard library and
    # the dependencies hold here too, and mypy checks again what changed (35 s to 6).
    if (README.parent / ".mypy_cache").is_dir():
        wait_for_the_projects_mypy(README.parent / ".mypy_cache", timeout=120)
        shutil.copytree(README.parent / ".mypy_cache", tmp_path / ".cache")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", ".cache", "."],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(Path(fake_cdyne.__file__).parent.parent)},  # an editable install
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang: without a cache mypy takes 20-50 s beside another worker
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == f"Success: no issues found in {len(EXAMPLES)} source files\n"


def wait_for_the_projects_mypy(cache: Path, timeout: float) -> None:
    """scripts/check runs the project's mypy beside the tests, holding an exclusive lock on its cache
    directory until it ends: take a shared one, so as to copy the cache whole."""
    descriptor = os.open(cache, os.O_RDONLY)
    try:
        locked = threading.Event()

        def lock() -> None:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            locked.set()

        threading.Thread(target=lock, daemon=True).start()
        assert locked.wait(timeout), f"the project's mypy still held {cache} after {timeout} s"
    finally:
        os.close(descriptor)  # and the lock with it


SCENARIO_BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S) if b.startswith("rules:")]


def test_the_readme_shows_a_scenario() -> None:
    assert SCENARIO_BLOCKS


@pytest.mark.parametrize("text", SCENARIO_BLOCKS)
def test_readme_scenarios_are_valid(text: str) -> None:
    from fake_cdyne.scenario_files import read_scenario

    assert read_scenario(text, "README.md").rules
