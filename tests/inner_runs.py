"""Several pytester projects' test files in one inner pytest run, each file's outcomes and failure
reports read back on their own.

An inner run costs about 1.7 s of CPU, most of it pytest's and the fake's start-up: the plugin's tests
that need nothing of their own (no conftest, no option, no other fake) share one. Each outer test
still asserts on its own file only: its tests' outcomes (from the ``-rA`` summary) and the report
blocks pytest printed for them (FAILURES, ERRORS), as ``pytester``'s ``RunResult`` would for a run of
that file alone.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (?P<file>[^:\s]+\.py)(?:::(?P<test>\S+))?")
HEADER = re.compile(r"^_+ (?:ERROR at (?:setup|teardown) of )?(?P<test>\S+) _+$")
SECTION = re.compile(r"^=+ .* =+$")
SKIPPED = re.compile(r"^SKIPPED \[(?P<count>\d+)\] (?P<file>[^:\s]+\.py):")
OUTCOMES = {"PASSED": "passed", "FAILED": "failed", "ERROR": "errors", "XFAIL": "xfailed", "XPASS": "xpassed"}


@dataclass(frozen=True)
class InnerRun:
    """One inner pytest run over several test files."""

    stdout: str
    outcomes: dict[str, collections.Counter[str]]  # by file stem: "passed", "failed", "errors"...
    reports: dict[str, list[str]]  # by file stem: the lines of its tests' report blocks, in order

    def assert_outcomes(self, stem: str, *, passed: int = 0, failed: int = 0, errors: int = 0) -> None:
        """As ``RunResult.assert_outcomes`` for a run of this file alone (nothing skipped or xfailed)."""
        expected = {"passed": passed, "failed": failed, "errors": errors, "skipped": 0, "xfailed": 0, "xpassed": 0}
        found = {outcome: self.outcomes[stem][outcome] for outcome in expected}
        assert found == expected, self.stdout

    def output(self, stem: str) -> str:
        """The report blocks of this file's tests (their failures and errors, with their sections)."""
        return "\n".join(self.reports[stem])

    def lines(self, stem: str) -> pytest.LineMatcher:
        return pytest.LineMatcher(self.output(stem).splitlines())


def run_together(directory: Path, files: dict[str, str], *args: str, timeout: float = 50) -> InnerRun:
    """Run these test files (name: source; names ending in .py or another extension for data) in one
    inner pytest process in ``directory``, in the environment pytester gives its subprocess runs."""
    for name, text in files.items():
        (directory / name).write_text(text)
    env = os.environ | {
        "HOME": str(directory),
        "USERPROFILE": str(directory),
        "PY_COLORS": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH", "")])),
        # As tests/conftest.py's pytester: the inner run does without Hypothesis's plugin, and no outer options.
        "PYTEST_ADDOPTS": "-p no:hypothesispytest",
    }
    env.pop("TOX_ENV_DIR", None)
    command = [sys.executable, "-m", "pytest", f"--basetemp={directory / 'basetemp'}", "-rA", *args]
    ran = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=timeout)
    return parse(ran.stdout, [name.removesuffix(".py") for name in files if name.endswith(".py")])


def parse(stdout: str, stems: list[str]) -> InnerRun:
    outcomes: dict[str, collections.Counter[str]] = {stem: collections.Counter() for stem in stems}
    file_of: dict[str, str] = {}
    for line in stdout.splitlines():
        skipped = SKIPPED.match(line)
        if skipped:
            outcomes[skipped["file"].removesuffix(".py")]["skipped"] += int(skipped["count"])
        found = SUMMARY.match(line)
        if found:
            stem = found["file"].removesuffix(".py")
            outcomes[stem][OUTCOMES[found[1]]] += 1
            if found["test"]:
                assert file_of.setdefault(found["test"], stem) == stem, f"{found['test']} in two files: rename one"
    reports: dict[str, list[str]] = {stem: [] for stem in stems}
    current: list[str] | None = None  # the lines of the file whose test's block is being read
    for line in stdout.splitlines():
        header = HEADER.match(line)
        if header and header["test"] in file_of:
            current = reports[file_of[header["test"]]]
        elif SECTION.match(line):
            current = None
        if current is not None:
            current.append(line)
    return InnerRun(stdout, outcomes, reports)
