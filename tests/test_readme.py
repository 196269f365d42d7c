"""The README's Python examples run as tests, so they stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).parent.parent / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_readme_example_passes(pytester: pytest.Pytester, index: int) -> None:
    pytester.makepyfile(**{f"test_readme_{index}": EXAMPLES[index]})
    result = pytester.runpytest_subprocess()  # as a user runs them, and sharing no imported modules
    result.assert_outcomes(passed=len(re.findall(r"^def test_", EXAMPLES[index], re.M)))


SCENARIO_BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S) if b.startswith("rules:")]


def test_the_readme_shows_a_scenario() -> None:
    assert SCENARIO_BLOCKS


@pytest.mark.parametrize("text", SCENARIO_BLOCKS)
def test_readme_scenarios_are_valid(text: str) -> None:
    from fake_cdyne.scenario_files import read_scenario

    assert read_scenario(text, "README.md").rules
