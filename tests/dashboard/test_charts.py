"""dashboard.charts draws user text as text; dashboard.chart_links turns a clicked point
into the Leads page's filters."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import chart_links, charts
from leads_core.services.stats import CampaignRow, OwnerRow, ScoreSummary, SourceRow

LINK = '<a href="https://evil.example">click</a>'
ESCAPED = "&lt;a href=&#34;https://evil.example&#34;&gt;click&lt;/a&gt;"


def _texts(figure) -> list[str]:
    """Every category and label the figure draws, from every trace."""
    found: list[str] = []
    for trace in figure.data:
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if values is not None:
                found += [v for v in values if isinstance(v, str)]
    return found


def test_source_chart_escapes_source_names() -> None:
    figure = charts.sources([SourceRow(LINK, 3, 50.0), SourceRow("linkedin", 2, 70.0)])
    assert _texts(figure) == [ESCAPED, "linkedin", ESCAPED, "linkedin"]
    assert "<a" not in figure.to_json()


def test_campaign_chart_escapes_campaign_names() -> None:
    figure = charts.campaigns([CampaignRow("cmp_1", LINK, 4, 60.0, 1)])
    assert _texts(figure) == [ESCAPED, ESCAPED]
    assert "<a" not in figure.to_json()


def test_owner_chart_escapes_owner_names() -> None:
    figure = charts.owners([OwnerRow("usr_1", LINK, 4, 60.0), OwnerRow(None, None, 2, None)])
    assert _texts(figure) == [ESCAPED, "Unassigned", ESCAPED, "Unassigned"]
    assert "<a" not in figure.to_json()


def test_histogram_funnel_and_weeks_draw_no_markup() -> None:
    summary = ScoreSummary({80: 2, 85: 1}, 5, 3, 0, 1, 84.0)
    for figure in (
        charts.score_histogram(summary),
        charts.funnel({"new": 2, "contacted": 1}),
        charts.weekly([(date(2025, 1, 6), 3)]),
    ):
        assert "<a" not in figure.to_json()


# ------------------------------------------------------------------ chart_links

CURRENT = {"campaignId": "cmp_1", "q": "acme", "page": "3", "sort": "lastName"}


def test_histogram_bar_means_its_score_range() -> None:
    summary = ScoreSummary({80: 2, 85: 1, 100: 1}, 5, 4, 0, 2, 88.0)
    assert chart_links.score_bucket(summary, {"point_index": 17}, CURRENT) == {
        "campaignId": "cmp_1",
        "q": "acme",
        "sort": "lastName",
        "minScore": "85",
        "maxScore": "89",
    }
    last = chart_links.score_bucket(summary, {"point_index": 20}, {})
    assert last == {"minScore": "100", "maxScore": "100"}
    assert chart_links.score_bucket(summary, {"point_index": 21}, {}) is None
    assert chart_links.score_bucket(summary, {}, {}) is None


def test_source_point_means_that_source() -> None:
    rows = [SourceRow(LINK, 3, 50.0), SourceRow("(none)", 1, None)]
    assert chart_links.source(rows, {"point_index": 0, "curve_number": 1}, {"source": "x"}) == {
        "source": LINK
    }
    assert chart_links.source(rows, {"point_index": 1}, {}) is None  # no source: no filter


@pytest.mark.parametrize(
    ("index", "statuses"),
    [(0, "new,contacted,replied,qualified,converted"), (3, "qualified,converted")],
)
def test_funnel_stage_means_the_leads_that_reached_it(index: int, statuses: str) -> None:
    assert chart_links.funnel_stage({"point_index": index}, {"status": "rejected"}) == {
        "status": statuses
    }


def test_week_bar_means_monday_to_sunday() -> None:
    weeks = [(date(2025, 1, 6), 3), (date(2025, 1, 13), 1)]
    assert chart_links.week(weeks, {"point_index": 1}, {"createdFrom": "2024-01-01"}) == {
        "createdFrom": "2025-01-13",
        "createdTo": "2025-01-19",
    }


def test_campaign_bar_means_its_leads_and_the_green_part_its_best() -> None:
    rows = [CampaignRow("cmp_2", "B", 4, 60.0, 1)]
    assert chart_links.campaign(rows, {"point_index": 0, "curve_number": 0}, CURRENT) == {
        "campaignId": "cmp_2",
        "q": "acme",
        "sort": "lastName",
    }
    assert chart_links.campaign(rows, {"point_index": 0, "curve_number": 1}, {}) == {
        "campaignId": "cmp_2",
        "minScore": "85",
    }


def test_owner_bar_means_their_leads_or_the_unassigned() -> None:
    rows = [OwnerRow("usr_1", "Ann", 4, 60.0), OwnerRow(None, None, 2, None)]
    assert chart_links.owner(rows, {"point_index": 0}, {}) == {"ownerId": "usr_1"}
    assert chart_links.owner(rows, {"point_index": 1}, {"ownerId": "me"}) == {"ownerId": "none"}
