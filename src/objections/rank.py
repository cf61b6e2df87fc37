"""Rank: score themes by reach (calls, accounts), volume, lost deals and recency; trend them.

score = calls*w_calls + accounts*w_accounts + mentions*w_mentions + lost*w_lost
        + recent*w_recency
where `lost` counts distinct lost-deal calls and `recent` the mentions in the latest week.
Weights come from [rank] in the config; each part is shown in themes.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from objections.config import RankConfig
from objections.models import Call, Objection, Sentence, Theme, Trend

GROWTH = 1.5  # a per-call rate this many times the previous period's is "growing"


@dataclass
class Period:
    """The window counted (since..until), and the two windows a trend compares:
    [previous_since, split) against [split, until]."""

    since: date
    until: date
    split: date
    previous_since: date

    def contains(self, day: date) -> bool:
        return self.since <= day <= self.until

    def now(self, day: date) -> bool:
        return self.split <= day <= self.until

    def before(self, day: date) -> bool:
        return self.previous_since <= day < self.split


def period_for(days: list[date], since: date | None, until: date | None) -> Period:
    """With --since, trends compare with the equal window before it; without, the later half
    of the calls' dates with the earlier half, and every call is counted."""
    last = until or max(days, default=date.today())
    if since is not None:
        return Period(
            since, last, split=since, previous_since=since - (last - since) - timedelta(1)
        )
    first = min(days, default=last)
    middle = first + (last - first) / 2
    return Period(first, last, split=middle + timedelta(days=1), previous_since=first)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def rank_themes(
    themes: list[Theme],
    calls: dict[str, Call],
    period: Period,
    weights: RankConfig,
) -> list[Theme]:
    """Fill counts, trend and score on each theme and return them best first, ranked."""
    latest_week = max((week_start(_day(c)) for c in calls.values()), default=None)
    now_calls = sum(1 for c in calls.values() if period.now(_day(c)))
    before_calls = sum(1 for c in calls.values() if period.before(_day(c)))
    for theme in themes:
        everything = [calls[o.sentence.call_id] for o in theme.objections]
        members = [c for c in everything if period.contains(_day(c))]
        call_ids = {c.call_id for c in members}
        theme.mentions = len(members)
        theme.calls = len(call_ids)
        theme.accounts = len({c.account or c.call_id for c in members})
        theme.lost_deals = len({c.call_id for c in members if c.outcome == "lost"})
        recent = sum(1 for c in members if week_start(_day(c)) == latest_week)
        now = sum(1 for c in everything if period.now(_day(c)))
        theme.previous_mentions = sum(1 for c in everything if period.before(_day(c)))
        theme.trend = trend(now, now_calls, theme.previous_mentions, before_calls)
        theme.score_parts = {
            "calls": theme.calls * weights.calls,
            "accounts": theme.accounts * weights.accounts,
            "mentions": theme.mentions * weights.mentions,
            "lost": theme.lost_deals * weights.lost,
            "recency": recent * weights.recency,
        }
        theme.score = round(sum(theme.score_parts.values()), 2)
    ordered = sorted(themes, key=lambda t: (-t.score, -t.calls, -t.mentions, t.id))
    for position, theme in enumerate(ordered, start=1):
        theme.rank = position
    return ordered


def trend(now: int, now_calls: int, before: int, before_calls: int) -> Trend:
    """Compare mentions per call in this period with the previous one."""
    if before == 0:
        return "new" if now else "steady"
    if before_calls == 0 or now_calls == 0:
        return "steady"
    rate_now, rate_before = now / now_calls, before / before_calls
    if rate_now >= GROWTH * rate_before:
        return "growing"
    if rate_now * GROWTH <= rate_before:
        return "fading"
    return "steady"


def weekly_counts(theme: Theme, calls: dict[str, Call]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for objection in theme.objections:
        week = week_start(_day(calls[objection.sentence.call_id])).isoformat()
        counts[week] = counts.get(week, 0) + 1
    return dict(sorted(counts.items()))


def _day(call: Call) -> date:
    return date.fromisoformat(call.date) if call.date else date.today()


def rerank(
    doc: dict[str, Any],
    ledger: dict[str, Any],
    since: date | None,
    until: date | None,
    weights: RankConfig,
) -> dict[str, Any]:
    """A stored run's themes counted, trended and ranked again for another period, from the
    run's ledger (each call's date, account and outcome; each mention's call and theme). No
    model runs and nothing is re-clustered."""
    calls = {
        call_id: Call(call_id, "", "", "transcript", date=meta.get("date"),
                      account=meta.get("account"), outcome=meta.get("outcome"))
        for call_id, meta in ledger.get("calls", {}).items()
    }  # fmt: skip
    members: dict[str, list[Objection]] = {}
    for n, (call_id, theme_id) in enumerate(ledger.get("mentions", [])):
        if call_id in calls:
            sentence = Sentence(call_id, n, "", "buyer", 0.0, 0.0, "")
            members.setdefault(theme_id, []).append(Objection(sentence, "", 1.0))
    entries = {t["id"]: t for t in doc["themes"]}
    themes = [
        Theme(theme_id, entries[theme_id]["label"], entries[theme_id]["category"], objections)
        for theme_id, objections in members.items()
        if theme_id in entries
    ]
    period = period_for([_day(c) for c in calls.values()], since, until)
    counted = [t for t in rank_themes(themes, calls, period, weights) if t.mentions]
    ranked = []
    for position, theme in enumerate(counted, start=1):
        theme.objections = [
            o for o in theme.objections if period.contains(_day(calls[o.sentence.call_id]))
        ]
        quotes = [q for q in entries[theme.id]["quotes"] if q["call_id"] in calls
                  and period.contains(_day(calls[q["call_id"]]))]  # fmt: skip
        ranked.append({
            **entries[theme.id], "rank": position, "mentions": theme.mentions,
            "calls": theme.calls, "accounts": theme.accounts, "lost_deals": theme.lost_deals,
            "score": theme.score, "score_parts": theme.score_parts, "trend": theme.trend,
            "previous_mentions": theme.previous_mentions, "weekly": weekly_counts(theme, calls),
            "quotes": quotes,
        })  # fmt: skip
    return {
        **doc,
        "period": {"since": period.since.isoformat(), "until": period.until.isoformat()},
        "calls": sum(1 for c in calls.values() if period.contains(_day(c))),
        "objections": sum(t["mentions"] for t in ranked),
        "weeks": sorted({w for t in ranked for w in t["weekly"]}),
        "themes": ranked,
    }
