"""The README documents every setting, every score component and every CLI command."""

from pathlib import Path

import pytest

from leads_core.cli import build_parser
from leads_core.config import SETTINGS
from leads_core.scoring.rules import (
    COMPONENTS,
    NO_SOURCE_POINTS,
    SOURCE_RELIABILITY,
    UNKNOWN_SOURCE_POINTS,
)

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting):
    # Its own row of the Configuration table names its default (not just any cell).
    default = f"`{setting.default}`" if setting.default else "(none)"
    assert f"| `{setting.env}` | {default} |" in README


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.key)
def test_every_score_component_is_documented_with_its_maximum(component):
    assert f"| `{component.key}` | {component.max_points} |" in README


def test_source_table_matches_the_code():
    # The sourceReliability row of the score table: "| `sourceReliability` | 15 | referral 15,
    # linkedin 13, ..., twitter/x 5, ..., other 3; unknown source 3; no source 0. |"
    row = next(line for line in README.splitlines() if line.startswith("| `sourceReliability` |"))
    listed, unknown, missing = row.split(" | ")[2].rstrip(". |").split("; ")
    documented = {}
    for entry in listed.split(", "):
        names, points = entry.rsplit(" ", 1)
        for name in names.split("/"):
            documented[name] = int(points)

    assert documented == SOURCE_RELIABILITY
    assert unknown == f"unknown source {UNKNOWN_SOURCE_POINTS}"
    assert missing == f"no source {NO_SOURCE_POINTS}"


def test_component_maxima_sum_to_100():
    assert sum(c.max_points for c in COMPONENTS) == 100


def test_every_cli_command_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert f"`{name}" in README, name
