"""Ranking and trends: the score's parts, periods, and growing/fading/new/steady."""

from __future__ import annotations

from datetime import date

import pytest

from objections.config import RankConfig
from objections.models import Call, Objection, Sentence, Theme
from objections.rank import period_for, rank_themes, trend, weekly_counts


@pytest.mark.parametrize(
    ("now", "now_calls", "before", "before_calls", "expected"),
    [
        (5, 10, 0, 10, "new"),
        (12, 12, 1, 12, "growing"),
        (1, 12, 7, 12, "fading"),
        (5, 10, 5, 10, "steady"),
        (6, 10, 4, 8, "steady"),  # per call 0.6 vs 0.5: under the 1.5x growth factor
        (3, 2, 2, 8, "growing"),  # fewer mentions, but many more per call
    ],
)
def test_trend_compares_mentions_per_call(
    now: int, now_calls: int, before: int, before_calls: int, expected: str
) -> None:
    assert trend(now, now_calls, before, before_calls) == expected


def make_calls() -> dict[str, Call]:
    days = ["2026-11-02", "2026-11-03", "2026-11-10", "2026-11-11", "2026-11-12"]
    outcomes = ["lost", "won", "open", "lost", "open"]
    return {
        f"c{n}": Call(f"c{n}", "x", str(n), "transcript", date=d, account=f"acct{n % 4}", outcome=o)
        for n, (d, o) in enumerate(zip(days, outcomes, strict=True))
    }


def theme(theme_id: str, call_ids: list[str]) -> Theme:
    objections = [
        Objection(Sentence(c, i, "B", "buyer", 0, 1, f"text {i}"), "price", 0.9)
        for i, c in enumerate(call_ids)
    ]
    return Theme(theme_id, theme_id, "price", objections)


def test_rank_orders_by_score_and_shows_its_parts() -> None:
    calls = make_calls()
    wide = theme("wide", ["c0", "c2", "c3", "c4"])
    narrow = theme("narrow", ["c1", "c1", "c1"])
    period = period_for([date.fromisoformat(c.date or "") for c in calls.values()], None, None)
    ranked = rank_themes([narrow, wide], calls, period, RankConfig())
    assert [t.id for t in ranked] == ["wide", "narrow"] and [t.rank for t in ranked] == [1, 2]
    assert wide.calls == 4 and wide.lost_deals == 2 and wide.accounts == 3  # c0, c4 share one
    assert wide.score == pytest.approx(sum(wide.score_parts.values()))
    assert set(wide.score_parts) == {"calls", "accounts", "mentions", "lost", "recency"}
    assert narrow.trend == "fading" and wide.trend == "growing"


def test_since_counts_only_the_period_and_trends_against_the_one_before() -> None:
    calls = make_calls()
    t = theme("t", ["c0", "c1", "c2", "c3", "c4"])
    days = [date.fromisoformat(c.date or "") for c in calls.values()]
    period = period_for(days, date(2026, 11, 9), date(2026, 11, 15))
    rank_themes([t], calls, period, RankConfig())
    assert t.mentions == 3 and t.previous_mentions == 2


def test_weekly_counts_are_keyed_by_monday() -> None:
    counts = weekly_counts(theme("t", ["c0", "c1", "c2"]), make_calls())
    assert counts == {"2026-11-02": 2, "2026-11-09": 1}
