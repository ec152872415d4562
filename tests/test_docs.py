"""The README documents every setting, every score component and every CLI command."""

from pathlib import Path

import pytest

from leads_core.cli import build_parser
from leads_core.config import SETTINGS
from leads_core.scoring import COMPONENTS, SOURCE_RELIABILITY

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting):
    assert f"`{setting.env}`" in README
    assert (
        f"`{setting.default}`" if setting.default else f"| `{setting.env}` | (none) |"
    ) in README


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.key)
def test_every_score_component_is_documented_with_its_maximum(component):
    assert f"| `{component.key}` | {component.max_points} |" in README


def test_source_table_matches_the_code():
    for source, points in SOURCE_RELIABILITY.items():
        assert f"{source} {points}" in README or f"{source}/" in README, source


def test_component_maxima_sum_to_100():
    assert sum(c.max_points for c in COMPONENTS) == 100


def test_every_cli_command_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert f"`{name}" in README, name
